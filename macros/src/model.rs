//! The validated IR of a `#[derive(Model)]` struct: what `emit/` reads.
//!
//! `Model::from_input` runs the darling receivers, reads the raw attribute
//! values through `meta.rs`, then hands the result to `validate.rs`. Every
//! problem on the way goes into one accumulator, so the user sees all of them
//! in one build.

use crate::attr::{FieldReceiver, ModelReceiver};
use crate::check::CheckSpec;
use crate::index::IndexSpec;
use crate::{check, diag, index, meta, naming, ty, validate};
use darling::util::SpannedValue;
use darling::{FromDeriveInput, FromField};
use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DataStruct, DeriveInput, Fields, Ident, Path, Type, Visibility};

pub struct Model {
    pub ident: Ident,
    pub vis: Visibility,
    pub table: String,
    /// The column fields, in declaration order: a field's position here is
    /// its column index.
    pub fields: Vec<Field>,
    /// The relation fields (`HasMany<..>` and friends), in declaration order:
    /// a relation's position here is its index in `SCHEMA.relations`.
    pub relations: Vec<RelationField>,
    /// Container-level `id(fields(..))`.
    pub composite_id: Option<KeySpec>,
    /// Container-level `unique(fields(..))`, in attribute order.
    pub composite_uniques: Vec<KeySpec>,
    /// Container-level `index(..)`, in attribute order.
    pub composite_indexes: Vec<IndexSpec>,
    /// Container-level `check`s, in attribute order.
    pub checks: Vec<CheckSpec>,
    /// `soft_delete = deleted_at`: the field named, checked by
    /// `soft_delete::check_soft_delete`.
    pub soft_delete: Option<Ident>,
    /// `tenant = tenant_id`: the field holding the row's tenant, checked by
    /// `tenant::check_tenant`.
    pub tenant: Option<Ident>,
    /// `row_level_security`, with `tenant`: PostgreSQL policies too.
    pub row_level_security: Option<proc_macro2::Span>,
    /// `partial_uniques`: the `unique` keys become partial indexes over live rows.
    pub partial_uniques: Option<Span>,
}

pub struct Field {
    /// The identifier as written, possibly raw (`r#type`).
    pub ident: Ident,
    /// The identifier without `r#`: the name used in SQL and generated names.
    pub name: String,
    pub ty: Type,
    pub column: SpannedValue<String>,
    pub id: Option<Span>,
    pub unique: Option<Span>,
    pub index: Option<Span>,
    pub updated_at: Option<Span>,
    /// `#[strata(version)]`: the optimistic-locking counter.
    pub version: Option<Span>,
    pub db_type: Option<String>,
    pub default: Option<SpannedValue<DefaultSpec>>,
    pub references: Option<Reference>,
    pub on_delete: Option<SpannedValue<FkAction>>,
    pub on_update: Option<SpannedValue<FkAction>>,
    pub check: Option<CheckSpec>,
}

/// A relation field: not a column, filled only by an `include`.
pub struct RelationField {
    pub ident: Ident,
    /// The identifier without `r#`.
    pub name: String,
    /// The declared type (`HasMany<Post>`), the `S` of the generated accessor.
    pub ty: Type,
    /// The relation attribute, `None` when the field has a holder type but no
    /// attribute (an error reported by `validate`).
    pub spec: Option<RelationSpec>,
    /// What the declared type is, as far as the macro can tell from its spelling.
    pub holder: Option<Holder>,
    /// The related model: `T` of `HasMany<T>`, `BelongsTo<T>`, `BelongsTo<Option<T>>`.
    pub target: Option<Type>,
    /// `BelongsTo<Option<T>>`.
    pub optional: bool,
    /// Column-only attributes written on this field, by key, for an error each.
    pub column_attrs: Vec<(&'static str, Span)>,
}

/// `belongs_to(..)`, `has_one`, `has_many` or `many_to_many(..)` with its options.
pub struct RelationSpec {
    pub kind: RelationKind,
    /// The attribute's keyword, where errors about the relation point.
    pub span: Span,
    /// `name = ".."`: pairs this relation with the other side's of the same name.
    pub name: Option<SpannedValue<String>>,
    /// `belongs_to`: `fields(..)` of this model, `references(..)` of the target.
    pub fields: Vec<Ident>,
    pub references: Vec<Ident>,
    /// `many_to_many(through = PostTag)`.
    pub through: Option<Path>,
    pub on_delete: Option<SpannedValue<FkAction>>,
    pub on_update: Option<SpannedValue<FkAction>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    BelongsTo,
    HasOne,
    HasMany,
    ManyToMany,
}

impl RelationKind {
    pub fn keyword(self) -> &'static str {
        match self {
            RelationKind::BelongsTo => "belongs_to",
            RelationKind::HasOne => "has_one",
            RelationKind::HasMany => "has_many",
            RelationKind::ManyToMany => "many_to_many",
        }
    }

    /// The holder types a field with this attribute may have. `ManyToMany`
    /// is an alias of `HasMany`, so `HasMany<T>` also fits `many_to_many`.
    pub fn fits(self, holder: Holder) -> bool {
        matches!(
            (self, holder),
            (RelationKind::BelongsTo, Holder::BelongsTo)
                | (RelationKind::HasOne, Holder::HasOne)
                | (RelationKind::HasMany, Holder::HasMany)
                | (
                    RelationKind::ManyToMany,
                    Holder::ManyToMany | Holder::HasMany
                )
        )
    }

    /// The holder type to declare with this attribute.
    pub fn holder(self) -> Holder {
        match self {
            RelationKind::BelongsTo => Holder::BelongsTo,
            RelationKind::HasOne => Holder::HasOne,
            RelationKind::HasMany => Holder::HasMany,
            RelationKind::ManyToMany => Holder::ManyToMany,
        }
    }
}

/// The relation field types of `strata`, recognised by their last path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    BelongsTo,
    HasOne,
    HasMany,
    ManyToMany,
}

impl Holder {
    pub fn name(self) -> &'static str {
        match self {
            Holder::BelongsTo => "BelongsTo",
            Holder::HasOne => "HasOne",
            Holder::HasMany => "HasMany",
            Holder::ManyToMany => "ManyToMany",
        }
    }

    pub fn from_name(name: &str) -> Option<Holder> {
        Some(match name {
            "BelongsTo" => Holder::BelongsTo,
            "HasOne" => Holder::HasOne,
            "HasMany" => Holder::HasMany,
            "ManyToMany" => Holder::ManyToMany,
            _ => return None,
        })
    }

    /// The attribute that declares a field of this type.
    pub fn kind(self) -> RelationKind {
        match self {
            Holder::BelongsTo => RelationKind::BelongsTo,
            Holder::HasOne => RelationKind::HasOne,
            Holder::HasMany => RelationKind::HasMany,
            Holder::ManyToMany => RelationKind::ManyToMany,
        }
    }
}

/// `fields(a, b)` of a container key, with the attribute's span for errors.
pub struct KeySpec {
    pub span: Span,
    pub fields: Vec<Ident>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultSpec {
    Autoincrement,
    Uuid,
    Cuid,
    Now,
    /// A literal already rendered as SQL text.
    Literal {
        kind: LitKind,
        sql: String,
    },
    Sql(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LitKind {
    Str,
    Int,
    Float,
    Bool,
}

/// `references(model = User, field = id)`.
pub struct Reference {
    pub model: Path,
    pub field: Ident,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FkAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl Model {
    pub fn from_input(input: &DeriveInput) -> darling::Result<Model> {
        let mut errors = darling::Error::accumulator();
        let shape_ok = validate::check_model_shape(input, &mut errors);
        let receiver = errors.handle(ModelReceiver::from_derive_input(input));
        let mut complete = shape_ok && receiver.is_some();

        let model_name = input.ident.to_string();
        let mut fields = Vec::new();
        let mut relations = Vec::new();
        if let Data::Struct(DataStruct {
            fields: Fields::Named(named),
            ..
        }) = &input.data
        {
            for field in &named.named {
                let parsed = errors
                    .handle(FieldReceiver::from_field(field))
                    .and_then(|r| Member::from_receiver(r, &model_name, &mut errors));
                match parsed {
                    Some(Member::Column(field)) => fields.push(*field),
                    Some(Member::Relation(relation)) => relations.push(*relation),
                    None => complete = false,
                }
            }
        }

        // With unreadable container attributes the fields are still checked,
        // against an empty container, so their errors are not held back.
        let receiver = receiver.unwrap_or_else(|| ModelReceiver {
            ident: input.ident.clone(),
            vis: input.vis.clone(),
            table: None,
            id: None,
            unique: Vec::new(),
            index: Vec::new(),
            check: Vec::new(),
            soft_delete: None,
            partial_uniques: Default::default(),
            tenant: None,
            row_level_security: Default::default(),
        });
        let at = format!("model `{model_name}`");
        let key = |meta: &syn::Meta| meta::key_spec(meta, &at);
        let model = Model {
            table: receiver
                .table
                .map(SpannedValue::into_inner)
                .unwrap_or_else(|| naming::snake_case(&model_name)),
            composite_id: receiver.id.as_ref().and_then(|m| errors.handle(key(m))),
            composite_uniques: (receiver.unique.iter())
                .filter_map(|m| errors.handle(key(m)))
                .collect(),
            composite_indexes: (receiver.index.iter())
                .filter_map(|m| errors.handle(index::index(m, &at)))
                .collect(),
            checks: (receiver.check.iter())
                .filter_map(|m| errors.handle(check::check(m, &at)))
                .collect(),
            soft_delete: (receiver.soft_delete.as_ref())
                .and_then(|m| errors.handle(crate::soft_delete::soft_delete(m, &at))),
            tenant: (receiver.tenant.as_ref())
                .and_then(|m| errors.handle(crate::tenant::tenant(m, &at))),
            row_level_security: receiver
                .row_level_security
                .is_present()
                .then(|| receiver.row_level_security.span()),
            partial_uniques: receiver
                .partial_uniques
                .is_present()
                .then(|| receiver.partial_uniques.span()),
            ident: receiver.ident,
            vis: receiver.vis,
            fields,
            relations,
        };
        complete &= model.composite_id.is_some() == receiver.id.is_some()
            && model.composite_uniques.len() == receiver.unique.len()
            && model.composite_indexes.len() == receiver.index.len()
            && model.checks.len() == receiver.check.len()
            && model.soft_delete.is_some() == receiver.soft_delete.is_some()
            && model.tenant.is_some() == receiver.tenant.is_some();

        for field in &model.fields {
            validate::check_field(&model, field, &mut errors);
        }
        for relation in &model.relations {
            validate::check_relation(&model, relation, &mut errors);
        }
        // Model-wide rules would report phantom problems (a "missing" primary
        // key whose attribute failed to parse), so they wait for a clean parse.
        if complete {
            validate::check_model(&model, &mut errors);
        }
        errors.finish_with(model)
    }

    /// Position of the field named `ident` (compared without `r#`).
    pub fn field_index(&self, ident: &Ident) -> Option<usize> {
        let name = ident.unraw().to_string();
        self.fields.iter().position(|f| f.name == name)
    }

    /// The relation field named `ident` (compared without `r#`).
    pub fn relation(&self, ident: &Ident) -> Option<&RelationField> {
        let name = ident.unraw().to_string();
        self.relations.iter().find(|r| r.name == name)
    }

    /// The column field a container attribute `key = ident` names
    /// (`soft_delete = deleted_at`); else an error at `ident` saying what it
    /// names instead, followed by `hint`.
    pub fn named_field(
        &self,
        ident: &Ident,
        key: &str,
        hint: &str,
        errors: &mut darling::error::Accumulator,
    ) -> Option<&Field> {
        let name = ident.unraw().to_string();
        let field = self.fields.iter().find(|f| f.name == name);
        if field.is_none() {
            let what = match self.relation(ident) {
                Some(_) => "a relation, not a column",
                None => "not a field of the model",
            };
            errors.push(diag::hint_at(
                ident.span(),
                format_args!(
                    "`{key}` on {} names `{name}`, which is {what}",
                    self.describe()
                ),
                hint,
            ));
        }
        field
    }

    /// "model `User`", for error messages.
    pub fn describe(&self) -> String {
        format!("model `{}`", self.ident)
    }
}

/// One struct field, read: a column or a relation.
enum Member {
    Column(Box<Field>),
    Relation(Box<RelationField>),
}

impl Member {
    /// A field is a relation when it has a relation attribute or a relation
    /// holder type; `validate` reports the two disagreeing.
    fn from_receiver(
        r: FieldReceiver,
        model: &str,
        errors: &mut darling::error::Accumulator,
    ) -> Option<Member> {
        let holder = ty::holder(&r.ty);
        let attributes = [
            (RelationKind::BelongsTo, &r.belongs_to),
            (RelationKind::HasOne, &r.has_one),
            (RelationKind::HasMany, &r.has_many),
            (RelationKind::ManyToMany, &r.many_to_many),
        ];
        if holder.is_none() && attributes.iter().all(|(_, meta)| meta.is_none()) {
            return Field::from_receiver(r, model, errors).map(|f| Member::Column(Box::new(f)));
        }
        RelationField::from_receiver(r, model, errors).map(|r| Member::Relation(Box::new(r)))
    }
}

impl RelationField {
    fn from_receiver(
        r: FieldReceiver,
        model: &str,
        errors: &mut darling::error::Accumulator,
    ) -> Option<RelationField> {
        let ident = r.ident?;
        let name = ident.unraw().to_string();
        let at = format!("field `{name}` of model `{model}`");
        let mut specs = Vec::new();
        let mut conflict = false;
        for (kind, meta) in [
            (RelationKind::BelongsTo, &r.belongs_to),
            (RelationKind::HasOne, &r.has_one),
            (RelationKind::HasMany, &r.has_many),
            (RelationKind::ManyToMany, &r.many_to_many),
        ] {
            let Some(meta) = meta else { continue };
            if let Some(first) = specs.first().map(|s: &RelationSpec| s.kind) {
                errors.push(diag::hint_at(
                    meta.path().span(),
                    format_args!(
                        "{at} has both `{}` and `{}`",
                        first.keyword(),
                        kind.keyword()
                    ),
                    "a field holds one relation: keep the attribute that matches its type",
                ));
                conflict = true;
                continue;
            }
            match errors.handle(meta::relation(meta, kind, &at)) {
                Some(spec) => specs.push(spec),
                // Reported; the field is left out rather than reported again
                // as having no relation attribute.
                None => return None,
            }
        }
        if conflict {
            return None;
        }
        let spec = specs.into_iter().next();
        // Referential actions written beside `belongs_to(..)` belong to it.
        let on_delete = r.on_delete.as_ref().map(|m| meta::action(m, &at));
        let on_update = r.on_update.as_ref().map(|m| meta::action(m, &at));
        let on_delete = errors.handle(on_delete.transpose())?;
        let on_update = errors.handle(on_update.transpose())?;
        let spec = spec.map(|mut spec| {
            for (key, outer, inner) in [
                ("on_delete", on_delete, &mut spec.on_delete),
                ("on_update", on_update, &mut spec.on_update),
            ] {
                match (outer, &inner) {
                    (Some(outer), Some(_)) => errors.push(diag::error_at(
                        outer.span(),
                        format_args!("`{key}` is given twice on {at}"),
                    )),
                    (Some(outer), None) => *inner = Some(outer),
                    (None, _) => {}
                }
            }
            spec
        });
        let flag = |key, f: darling::util::Flag| f.is_present().then(|| (key, f.span()));
        let meta_span = |key, m: &Option<syn::Meta>| m.as_ref().map(|m| (key, m.path().span()));
        let column_attrs = [
            flag("id", r.id),
            flag("unique", r.unique),
            flag("index", r.index),
            flag("updated_at", r.updated_at),
            flag("version", r.version),
            r.column.as_ref().map(|c| ("column", c.span())),
            r.db_type.as_ref().map(|c| ("db_type", c.span())),
            meta_span("default", &r.default),
            meta_span("references", &r.references),
            meta_span("check", &r.check),
        ]
        .into_iter()
        .flatten()
        .collect();
        let (holder, target, optional) = match ty::holder(&r.ty) {
            Some((holder, arg)) => {
                let inner = arg.and_then(ty::option_inner);
                let optional = holder == Holder::BelongsTo && inner.is_some();
                let target = if optional { inner } else { arg };
                (Some(holder), target.cloned(), optional)
            }
            None => (None, None, false),
        };
        Some(RelationField {
            ident,
            name,
            ty: r.ty,
            spec,
            holder,
            target,
            optional,
            column_attrs,
        })
    }

    pub fn kind(&self) -> Option<RelationKind> {
        self.spec.as_ref().map(|s| s.kind)
    }

    /// The pairing name, `name = ".."`.
    pub fn pair_name(&self) -> Option<&str> {
        (self.spec.as_ref()?.name.as_ref()).map(|n| n.as_str())
    }

    /// The related model's name as written (last path segment), `Self`
    /// resolved to the model: what the other side's `target_name` must equal.
    pub fn target_name(&self, model: &Model) -> Option<String> {
        let name = ty::last_segment_name(self.target.as_ref()?)?;
        Some(if name == "Self" {
            model.ident.to_string()
        } else {
            name
        })
    }

    /// "field `posts` of model `User`", for error messages.
    pub fn describe(&self, model: &Model) -> String {
        format!("field `{}` of model `{}`", self.name, model.ident)
    }
}

impl Field {
    fn from_receiver(
        r: FieldReceiver,
        model: &str,
        errors: &mut darling::error::Accumulator,
    ) -> Option<Field> {
        // Only fields of a braced struct get here, and those all have names.
        let ident = r.ident?;
        let name = ident.unraw().to_string();
        let at = format!("field `{name}` of model `{model}`");
        let flag = |f: darling::util::Flag| f.is_present().then(|| f.span());
        let default = r.default.as_ref().map(|m| meta::default(m, &at));
        let references = r.references.as_ref().map(|m| meta::references(m, &at));
        let on_delete = r.on_delete.as_ref().map(|m| meta::action(m, &at));
        let on_update = r.on_update.as_ref().map(|m| meta::action(m, &at));
        let check = r.check.as_ref().map(|m| check::check(m, &at));
        let default = errors.handle(default.transpose())?;
        let references = errors.handle(references.transpose())?;
        let on_delete = errors.handle(on_delete.transpose())?;
        let on_update = errors.handle(on_update.transpose())?;
        let check = errors.handle(check.transpose())?;
        let version = flag(r.version);
        // A version column starts at 1 unless the field says otherwise; the
        // default is the column's DDL default, so a row inserted by hand
        // gets one too. Only for the types a version may have, so a wrong
        // type is reported once, by `validate_version`.
        let default = match (version, default) {
            (Some(span), None)
                if crate::validate_version::fits_version(&r.ty) && !r.updated_at.is_present() =>
            {
                Some(SpannedValue::new(
                    DefaultSpec::Literal {
                        kind: LitKind::Int,
                        sql: "1".to_owned(),
                    },
                    span,
                ))
            }
            (_, default) => default,
        };
        Some(Field {
            column: (r.column).unwrap_or_else(|| SpannedValue::new(name.clone(), ident.span())),
            id: flag(r.id),
            unique: flag(r.unique),
            index: flag(r.index),
            updated_at: flag(r.updated_at),
            version,
            db_type: r.db_type.map(SpannedValue::into_inner),
            ty: r.ty,
            default,
            references,
            on_delete,
            on_update,
            check,
            name,
            ident,
        })
    }

    /// "field `email` of model `User`", for error messages.
    pub fn describe(&self, model: &Model) -> String {
        format!("field `{}` of model `{}`", self.name, model.ident)
    }
}
