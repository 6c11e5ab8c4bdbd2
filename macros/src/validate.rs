//! Rules that span more than one attribute. Each `check_*` states its rule in
//! the comment above it and pushes errors instead of returning early, so one
//! build reports every problem.

use crate::diag::{self, error_at, hint_at};
use crate::model::{
    DefaultSpec, Field, FkAction, Holder, KeySpec, LitKind, Model, RelationField, RelationKind,
};
use crate::naming;
use crate::ty::{self, Kind};
use darling::error::Accumulator;
use std::collections::{BTreeSet, HashMap};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

/// Rules about the Rust item itself, checked before any attribute is read.
/// Returns whether the shape is usable at all.
pub fn check_model_shape(input: &DeriveInput, errors: &mut Accumulator) -> bool {
    check_no_generics(input, "model", errors);
    check_named_struct(input, errors)
}

/// Rules about one field in isolation.
pub fn check_field(model: &Model, field: &Field, errors: &mut Accumulator) {
    check_default_fits_type(model, field, errors);
    check_updated_at(model, field, errors);
    crate::validate_version::check_version_field(model, field, errors);
    check_field_id_not_option(model, field, errors);
    check_actions(model, field, errors);
    check_field_name_free(model, field, errors);
}

/// Rules about the model as a whole; only run when every attribute parsed.
pub fn check_model(model: &Model, errors: &mut Accumulator) {
    check_primary_key(model, errors);
    for spec in model.key_specs() {
        check_key_fields_exist(model, &spec.fields.iter().collect::<Vec<_>>(), errors);
    }
    crate::validate_index::check_indexes_and_checks(model, errors);
    check_composite_id_not_option(model, errors);
    check_distinct_columns(model, errors);
    check_distinct_keys(model, errors);
    check_autoincrement_is_primary_key(model, errors);
    check_key_fn_names_free(model, errors);
    check_relation_pairs(model, errors);
    check_implicit_join_key(model, errors);
    crate::validate_version::check_model_version(model, errors);
    crate::soft_delete::check_soft_delete(model, errors);
    crate::tenant::check_tenant(model, errors);
}

/// Rules about one relation field in isolation (and the columns it names).
pub fn check_relation(model: &Model, relation: &RelationField, errors: &mut Accumulator) {
    check_relation_fits_type(model, relation, errors);
    check_relation_not_column(model, relation, errors);
    check_relation_actions(model, relation, errors);
    check_name_free(
        model,
        &relation.ident,
        &relation.describe(model),
        false,
        errors,
    );
    if relation.kind() == Some(RelationKind::BelongsTo) {
        check_belongs_to_fields(model, relation, errors);
        check_belongs_to_optional(model, relation, errors);
    }
}

// Model is for structs with named fields: every column needs a name. Enums have
// their own derive, and tuple structs would need one for each position.
fn check_named_struct(input: &DeriveInput, errors: &mut Accumulator) -> bool {
    let name = &input.ident;
    let problem = match &input.data {
        Data::Struct(s) => match s.fields {
            Fields::Named(_) => return true,
            Fields::Unnamed(_) => format!("model `{name}` is a tuple struct"),
            Fields::Unit => format!("model `{name}` is a unit struct"),
        },
        Data::Enum(_) => {
            format!("`#[derive(Model)]` on enum `{name}`; for a column type use `#[derive(strata::Enum)]`")
        }
        Data::Union(_) => format!("`#[derive(Model)]` on union `{name}`"),
    };
    errors.push(hint_at(name.span(), problem, diag::MODEL_SHAPE));
    false
}

// Generated code names the type without parameters (`impl Model for User`), and
// a table has one fixed set of column types, so generic items are rejected.
pub fn check_no_generics(input: &DeriveInput, what: &str, errors: &mut Accumulator) {
    if let Some(param) = input.generics.params.first() {
        errors.push(error_at(
            param.span(),
            diag::help(
                format_args!("{what} `{}` cannot have generic parameters", input.ident),
                "remove the parameters: a table has one fixed set of column types",
            ),
        ));
    }
}

// A generated default must produce a value of the field's type: autoincrement
// an integer key, uuid a `Uuid`, cuid a `String`, now a time; a literal must
// match the kind of a primitive field (others are left to the database).
fn check_default_fits_type(model: &Model, field: &Field, errors: &mut Accumulator) {
    let Some(default) = &field.default else {
        return;
    };
    let at = field.describe(model);
    let found = ty::display(&field.ty);
    let kind = ty::kind_through_option(&field.ty);
    let (ok, name, needs, hint) = match &**default {
        DefaultSpec::Autoincrement => (
            ty::kind(&field.ty) == Kind::KeyInt,
            "autoincrement",
            "a non-optional integer type (`i16`, `i32` or `i64`)",
            diag::AUTOINCREMENT_TYPE,
        ),
        DefaultSpec::Uuid => (
            kind == Kind::Uuid,
            "uuid",
            "type `uuid::Uuid`",
            diag::UUID_TYPE,
        ),
        DefaultSpec::Cuid => (
            kind == Kind::String,
            "cuid",
            "type `String`",
            diag::CUID_TYPE,
        ),
        DefaultSpec::Now => (kind == Kind::Time, "now", "a time type", diag::TIME_TYPE),
        DefaultSpec::Literal { kind: lit, .. } => {
            if !literal_fits(*lit, kind) {
                errors.push(hint_at(
                    default.span(),
                    format_args!(
                        "{} default on {at}, which has type `{found}`",
                        diag::lit_name(*lit)
                    ),
                    &format!("write the default as {}", diag::literal_example(kind)),
                ));
            }
            return;
        }
        DefaultSpec::Sql(_) => return,
    };
    if !ok {
        errors.push(hint_at(
            default.span(),
            format_args!("`default = {name}` on {at} needs {needs}, found `{found}`"),
            hint,
        ));
    }
}

fn literal_fits(lit: LitKind, kind: Kind) -> bool {
    match (lit, kind) {
        (_, kind) if !kind.is_primitive() => true,
        (LitKind::Int, Kind::KeyInt | Kind::OtherInt | Kind::Float) => true,
        (LitKind::Float, Kind::Float) => true,
        (LitKind::Bool, Kind::Bool) => true,
        (LitKind::Str, Kind::String) => true,
        _ => false,
    }
}

// `updated_at` is set to the current time on every write, so the field must be
// a time type and cannot also have a `default` (it never uses one).
fn check_updated_at(model: &Model, field: &Field, errors: &mut Accumulator) {
    let Some(span) = field.updated_at else { return };
    let at = field.describe(model);
    if ty::kind_through_option(&field.ty) != Kind::Time {
        errors.push(hint_at(
            span,
            format_args!(
                "`updated_at` on {at} needs a time type, found `{}`",
                ty::display(&field.ty)
            ),
            "use `chrono::DateTime<Utc>`, `chrono::NaiveDateTime` or `chrono::NaiveDate`",
        ));
    }
    if let Some(default) = &field.default {
        errors.push(hint_at(
            default.span(),
            format_args!("{at} has both `updated_at` and `default`"),
            "remove `default`: strata sets an `updated_at` field to the current time on create and update",
        ));
    }
}

// A primary key column is NOT NULL in every database, so it cannot be `Option`.
fn check_field_id_not_option(model: &Model, field: &Field, errors: &mut Accumulator) {
    if let (Some(span), true) = (field.id, field.is_option()) {
        errors.push(hint_at(
            span,
            format_args!("primary key {} is an `Option`", field.describe(model)),
            "primary key columns are NOT NULL: use the inner type",
        ));
    }
}

// Referential actions belong to a foreign key, and `set_null` needs a column
// that can hold NULL.
fn check_actions(model: &Model, field: &Field, errors: &mut Accumulator) {
    let at = field.describe(model);
    for (key, action) in [
        ("on_delete", &field.on_delete),
        ("on_update", &field.on_update),
    ] {
        let Some(action) = action else { continue };
        if field.references.is_none() {
            errors.push(hint_at(
                action.span(),
                format_args!("`{key}` on {at}, which has no `references(..)`"),
                diag::REFERENCES,
            ));
        } else if **action == FkAction::SetNull && !field.is_option() {
            errors.push(hint_at(
                action.span(),
                format_args!("`{key} = set_null` on {at}, which is not an `Option`"),
                "make the field an `Option<_>` or choose another action",
            ));
        }
    }
}

// Field accessors and builder setters share a namespace with the generated
// entry points (`User::count()`, `UserCreate::exec()`); a clash would surface
// as a confusing duplicate-definition error inside the expansion.
fn check_field_name_free(model: &Model, field: &Field, errors: &mut Accumulator) {
    check_name_free(model, &field.ident, &field.describe(model), true, errors);
}

/// `setter`: whether the builders get a method of this name (columns do,
/// relations do not).
fn check_name_free(
    model: &Model,
    ident: &syn::Ident,
    describe: &str,
    setter: bool,
    errors: &mut Accumulator,
) {
    let name = syn::ext::IdentExt::unraw(ident).to_string();
    let owner = if naming::MODEL_FNS.contains(&name.as_str()) {
        format!("`{}::{name}()`", model.ident)
    } else if setter && naming::BUILDER_FNS.contains(&name.as_str()) {
        format!("the builders' `.{name}()`")
    } else {
        return;
    };
    errors.push(hint_at(
        ident.span(),
        format_args!("{describe} clashes with the generated {owner}"),
        diag::RENAME_FIELD,
    ));
}

// Exactly one primary key: one `#[strata(id)]` field or a container
// `id(fields(..))`, not both and not neither.
fn check_primary_key(model: &Model, errors: &mut Accumulator) {
    let marked: Vec<&Field> = model.fields.iter().filter(|f| f.id.is_some()).collect();
    let name = model.describe();
    match (&model.composite_id, marked.as_slice()) {
        (None, []) => errors.push(hint_at(
            model.ident.span(),
            format_args!("{name} has no primary key"),
            diag::PRIMARY_KEY,
        )),
        (Some(spec), [field, ..]) => errors.push(hint_at(
            spec.span,
            format_args!(
                "{name} has both `id(fields(..))` and `#[strata(id)]` on field `{}`",
                field.name
            ),
            "keep one of them",
        )),
        (None, [_, rest @ ..]) => {
            for field in rest {
                errors.push(hint_at(
                    field.id.expect("filtered on id"),
                    format_args!("{name} marks more than one field `#[strata(id)]`"),
                    "for a composite primary key, remove these and add `#[strata(id(fields(a, b)))]` to the struct",
                ));
            }
        }
        (Some(_), []) => {}
    }
}

// Every name in `fields(..)` (or an index's `include(..)`) is a column field
// of the model, listed once.
pub fn check_key_fields_exist(model: &Model, fields: &[&syn::Ident], errors: &mut Accumulator) {
    let mut seen = BTreeSet::new();
    for &ident in fields {
        if let Some(relation) = model.relation(ident) {
            errors.push(hint_at(
                ident.span(),
                format_args!("{} is a relation, not a column", relation.describe(model)),
                "keys and indexes list column fields, such as the foreign key `author_id` of a `belongs_to`",
            ));
        } else if model.field_index(ident).is_none() {
            let fields: Vec<&str> = model.fields.iter().map(|f| f.name.as_str()).collect();
            errors.push(hint_at(
                ident.span(),
                format_args!("{} has no field `{ident}`", model.describe()),
                &format!("the fields are: {}", fields.join(", ")),
            ));
        } else if !seen.insert(ident.to_string()) {
            errors.push(error_at(
                ident.span(),
                format_args!("field `{ident}` is listed twice"),
            ));
        }
    }
}

// The composite primary key follows the same NOT NULL rule as a single one.
fn check_composite_id_not_option(model: &Model, errors: &mut Accumulator) {
    let Some(spec) = &model.composite_id else {
        return;
    };
    for ident in &spec.fields {
        let Some(i) = model.field_index(ident) else {
            continue;
        };
        if model.fields[i].is_option() {
            errors.push(hint_at(
                ident.span(),
                format_args!(
                    "primary key {} is an `Option`",
                    model.fields[i].describe(model)
                ),
                "primary key columns are NOT NULL: use the inner type",
            ));
        }
    }
}

// Two fields cannot map to one column (and the table needs a name).
fn check_distinct_columns(model: &Model, errors: &mut Accumulator) {
    if model.table.is_empty() {
        errors.push(error_at(
            model.ident.span(),
            format_args!("{} has an empty table name", model.describe()),
        ));
    }
    let mut seen: HashMap<&str, &Field> = HashMap::new();
    for field in &model.fields {
        if let Some(first) = seen.insert(field.column.as_str(), field) {
            errors.push(hint_at(
                field.column.span(),
                format_args!(
                    "{} maps to column `{}`, already used by field `{}`",
                    field.describe(model),
                    *field.column,
                    first.name
                ),
                "give one of them another `#[strata(column = \"...\")]`",
            ));
        }
    }
}

// Each unique key is a distinct set of columns; a repeat would be a redundant
// constraint and a duplicate `by_*` function.
fn check_distinct_keys(model: &Model, errors: &mut Accumulator) {
    let singles = model
        .fields
        .iter()
        .filter_map(|f| Some((f.unique?, vec![f.ident.clone()])));
    let composites = model
        .composite_uniques
        .iter()
        .map(|s| (s.span, s.fields.clone()));
    let mut seen: BTreeSet<BTreeSet<usize>> = BTreeSet::new();
    seen.insert(model.primary_key().fields.into_iter().collect());
    for (span, idents) in singles.chain(composites) {
        let set: BTreeSet<usize> = idents.iter().filter_map(|i| model.field_index(i)).collect();
        if !seen.insert(set) {
            errors.push(hint_at(
                span,
                format_args!("{} declares the same unique key twice", model.describe()),
                "remove the repeated `unique` (the primary key is already unique)",
            ));
        }
    }
}

// Databases only generate integers for a key column (SQLite requires the
// INTEGER PRIMARY KEY itself), so autoincrement is for the single-field id.
fn check_autoincrement_is_primary_key(model: &Model, errors: &mut Accumulator) {
    let pk = model.primary_key().fields;
    for (i, field) in model.fields.iter().enumerate() {
        if field.is_autoincrement() && pk != [i] {
            errors.push(hint_at(
                field
                    .default
                    .as_ref()
                    .expect("autoincrement is a default")
                    .span(),
                format_args!(
                    "`default = autoincrement` on {}, which is not the primary key",
                    field.describe(model)
                ),
                "autoincrement is only for a single-field `#[strata(id)]` key",
            ));
        }
    }
}

// `by_email`/`find_by_email` are generated per unique key; a field (whose
// column or relation accessor has its name) would clash with them.
fn check_key_fn_names_free(model: &Model, errors: &mut Accumulator) {
    let mut taken = BTreeSet::new();
    for key in model.unique_keys() {
        taken.insert(naming::by_key(model, &key.fields).to_string());
        taken.insert(naming::find_by_key(model, &key.fields).to_string());
    }
    let columns = (model.fields.iter()).map(|f| (&f.ident, &f.name, f.describe(model)));
    let relations = (model.relations.iter()).map(|r| (&r.ident, &r.name, r.describe(model)));
    for (ident, name, describe) in columns.chain(relations) {
        if taken.contains(name) {
            errors.push(hint_at(
                ident.span(),
                format_args!(
                    "{describe} clashes with the generated `{}::{name}()`",
                    model.ident
                ),
                diag::RENAME_FIELD,
            ));
        }
    }
}

impl Model {
    fn key_specs(&self) -> impl Iterator<Item = &KeySpec> {
        (self.composite_id.iter()).chain(&self.composite_uniques)
    }
}

// A relation attribute and the field's type must agree: `BelongsTo<T>` with
// `belongs_to(..)`, `HasOne<T>` with `has_one`, `HasMany<T>` with `has_many`
// (or `many_to_many`), `ManyToMany<T>` with `many_to_many`; the type names
// the related model.
fn check_relation_fits_type(model: &Model, relation: &RelationField, errors: &mut Accumulator) {
    let at = relation.describe(model);
    let found = ty::display(&relation.ty);
    match (&relation.spec, relation.holder) {
        (None, Some(holder)) => errors.push(hint_at(
            relation.ty.span(),
            format_args!("{at} has type `{found}` but no relation attribute"),
            match holder {
                Holder::BelongsTo => "add `#[strata(belongs_to(fields(author_id), references(id)))]` naming this model's foreign key fields and the fields of the other model they point at",
                Holder::HasOne => "add `#[strata(has_one)]`; the other model declares the foreign key with `belongs_to`",
                Holder::HasMany => "add `#[strata(has_many)]` (the other model declares the foreign key with `belongs_to`), or `#[strata(many_to_many)]` for rows linked through a join table",
                Holder::ManyToMany => "add `#[strata(many_to_many)]` for a generated join table, or `#[strata(many_to_many(through = JoinModel))]`",
            },
        )),
        (Some(spec), None) => errors.push(hint_at(
            spec.span,
            format_args!(
                "`{}` on {at}, whose type `{found}` is not a relation type",
                spec.kind.keyword()
            ),
            &format!(
                "declare the field as `strata::{}<T>`, with T the related model",
                spec.kind.holder().name()
            ),
        )),
        (Some(spec), Some(holder)) if !spec.kind.fits(holder) => errors.push(hint_at(
            spec.span,
            format_args!(
                "`{}` on {at}, which has type `{found}`",
                spec.kind.keyword()
            ),
            &format!(
                "a `{}<..>` field is declared with `#[strata({}..)]`; a `{}` relation is held in a `{}<..>` field",
                holder.name(),
                holder.kind().keyword(),
                spec.kind.keyword(),
                spec.kind.holder().name()
            ),
        )),
        (_, Some(holder)) if relation.target.is_none() => errors.push(hint_at(
            relation.ty.span(),
            format_args!("the type `{found}` of {at} does not name the related model"),
            &format!("write `{}<Model>`", holder.name()),
        )),
        _ => {}
    }
}

// A relation field is not a column: column attributes on it have nothing to
// act on (they belong on the foreign key field of a `belongs_to`).
fn check_relation_not_column(model: &Model, relation: &RelationField, errors: &mut Accumulator) {
    for (key, span) in &relation.column_attrs {
        errors.push(hint_at(
            *span,
            format_args!(
                "`{key}` on relation {}: a relation field is not a column",
                relation.describe(model)
            ),
            "put column attributes on the foreign key field (e.g. `author_id`) instead",
        ));
    }
}

// Referential actions belong to the foreign key, which only a `belongs_to`
// declares; `set_null` needs every foreign key field to be nullable.
fn check_relation_actions(model: &Model, relation: &RelationField, errors: &mut Accumulator) {
    let Some(spec) = &relation.spec else { return };
    let at = relation.describe(model);
    for (key, action) in [
        ("on_delete", &spec.on_delete),
        ("on_update", &spec.on_update),
    ] {
        let Some(action) = action else { continue };
        if spec.kind != RelationKind::BelongsTo {
            errors.push(hint_at(
                action.span(),
                format_args!("`{key}` on `{}` {at}", spec.kind.keyword()),
                "referential actions belong on the `belongs_to` side, which holds the foreign key",
            ));
            continue;
        }
        let required = (spec.fields.iter())
            .filter_map(|i| model.field_index(i).map(|i| &model.fields[i]))
            .find(|f| !f.is_option());
        if let (FkAction::SetNull, Some(field)) = (**action, required) {
            errors.push(hint_at(
                action.span(),
                format_args!(
                    "`{key} = set_null` on {at}, whose foreign key field `{}` is not an `Option`",
                    field.name
                ),
                "make the foreign key fields `Option<_>` (and the relation `BelongsTo<Option<_>>`), or choose another action",
            ));
        }
    }
}

// `belongs_to(fields(..), references(..))`: each of `fields` is a column of
// this model, listed once, and pairs with the referenced field at the same
// position, so both lists have the same length.
fn check_belongs_to_fields(model: &Model, relation: &RelationField, errors: &mut Accumulator) {
    let Some(spec) = &relation.spec else { return };
    let at = relation.describe(model);
    let mut seen = BTreeSet::new();
    for ident in &spec.fields {
        if let Some(other) = model.relation(ident) {
            errors.push(hint_at(
                ident.span(),
                format_args!(
                    "`belongs_to(fields(..))` on {at} names relation field `{}`",
                    other.name
                ),
                "list the foreign key column fields of this model, e.g. `fields(author_id)`",
            ));
        } else if model.field_index(ident).is_none() {
            let fields: Vec<&str> = model.fields.iter().map(|f| f.name.as_str()).collect();
            errors.push(hint_at(
                ident.span(),
                format_args!(
                    "{} has no field `{ident}`, named in `belongs_to(fields(..))` on field `{}`",
                    model.describe(),
                    relation.name
                ),
                &format!(
                    "declare the foreign key field (e.g. `pub {ident}: i64`) or use one of: {}",
                    fields.join(", ")
                ),
            ));
        } else if !seen.insert(ident.to_string()) {
            errors.push(error_at(
                ident.span(),
                format_args!("field `{ident}` is listed twice in `belongs_to(fields(..))` on {at}"),
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for ident in &spec.references {
        if !seen.insert(ident.to_string()) {
            errors.push(error_at(
                ident.span(),
                format_args!(
                    "field `{ident}` is listed twice in `belongs_to(references(..))` on {at}"
                ),
            ));
        }
    }
    let (fields, references) = (spec.fields.len(), spec.references.len());
    if fields != references && fields > 0 && references > 0 {
        errors.push(hint_at(
            spec.span,
            format_args!(
                "`belongs_to` on {at} lists {fields} field(s) in `fields(..)` but {references} in `references(..)`"
            ),
            "each foreign key field pairs with the referenced field at the same position: `fields(a, b), references(x, y)`",
        ));
    }
}

// `BelongsTo<T>` always finds its row, so its foreign key is required;
// `BelongsTo<Option<T>>` is for a nullable foreign key (any field `Option`).
fn check_belongs_to_optional(model: &Model, relation: &RelationField, errors: &mut Accumulator) {
    let (Some(spec), Some(Holder::BelongsTo), Some(target)) =
        (&relation.spec, relation.holder, &relation.target)
    else {
        return;
    };
    let fields: Vec<&Field> = (spec.fields.iter())
        .filter_map(|i| model.field_index(i).map(|i| &model.fields[i]))
        .collect();
    if fields.len() != spec.fields.len() || fields.is_empty() {
        return;
    }
    let at = relation.describe(model);
    let target = ty::display(target);
    let names = fields
        .iter()
        .map(|f| format!("`{}`", f.name))
        .collect::<Vec<_>>()
        .join(", ");
    match (relation.optional, fields.iter().find(|f| f.is_option())) {
        (true, None) => errors.push(hint_at(
            relation.ty.span(),
            format_args!(
                "{at} is `BelongsTo<Option<{target}>>`, but its foreign key {names} is required"
            ),
            &format!(
                "declare `BelongsTo<{target}>`, or make {names} an `Option<..>` if a row may have no {target}"
            ),
        )),
        (false, Some(nullable)) => errors.push(hint_at(
            relation.ty.span(),
            format_args!(
                "{at} is `BelongsTo<{target}>`, but its foreign key field `{}` is an `Option`",
                nullable.name
            ),
            &format!(
                "declare `BelongsTo<Option<{target}>>`: a row whose `{}` is NULL has no {target}",
                nullable.name
            ),
        )),
        _ => {}
    }
}

// Two sides pair by target model and `name`. Within one model, two relations
// of the same kind to the same model need distinct names, or the other side
// could not tell which is its pair. (A self-relation's `many_to_many` pair is
// two fields of this model with one name.)
fn check_relation_pairs(model: &Model, errors: &mut Accumulator) {
    let side = |kind| match kind {
        RelationKind::BelongsTo => "`belongs_to`",
        RelationKind::HasOne | RelationKind::HasMany => "`has_one`/`has_many`",
        RelationKind::ManyToMany => "`many_to_many`",
    };
    // (side, target model, name) -> the relations sharing them
    type Key<'a> = (&'static str, String, Option<&'a str>);
    let mut groups: Vec<(Key<'_>, Vec<&RelationField>)> = Vec::new();
    for relation in &model.relations {
        let (Some(kind), Some(target)) = (relation.kind(), relation.target_name(model)) else {
            continue;
        };
        let key = (side(kind), target, relation.pair_name());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(relation),
            None => groups.push((key, vec![relation])),
        }
    }
    for ((side, target, name), members) in groups {
        let self_pair = side == "`many_to_many`" && model.ident == target;
        let limit = if self_pair { 2 } else { 1 };
        if members.len() <= limit {
            continue;
        }
        let names: Vec<String> = members.iter().map(|r| format!("`{}`", r.name)).collect();
        let what = format!(
            "{} has {} {side} relations to `{target}`",
            model.describe(),
            members.len()
        );
        for relation in &members[limit..] {
            let span = relation
                .spec
                .as_ref()
                .map_or(relation.ident.span(), |s| s.span);
            let example = match relation.kind() {
                Some(RelationKind::BelongsTo) => "`belongs_to(.., name = \"authored\")` here and `has_many(name = \"authored\")` on the other model",
                Some(RelationKind::ManyToMany) => "`many_to_many(name = \"follows\")` here and on the other side",
                _ => "`has_many(name = \"authored\")` here and `belongs_to(.., name = \"authored\")` on the other model",
            };
            let error = match name {
                None => hint_at(
                    span,
                    format_args!("{what} without a `name` ({}): their other sides cannot tell them apart", names.join(", ")),
                    &format!("give each relation and its other side the same `name = \"..\"`, e.g. {example}"),
                ),
                Some(name) => hint_at(
                    span,
                    format_args!("{what} named \"{name}\" ({})", names.join(", ")),
                    "a `name` pairs exactly two sides: give each pair its own name",
                ),
            };
            errors.push(error);
        }
    }
}

// The generated join table of a `many_to_many` without `through` has one
// column per side, so this model's primary key must be a single field (the
// other model's is checked at compile time by the generated code).
fn check_implicit_join_key(model: &Model, errors: &mut Accumulator) {
    if model.primary_key().fields.len() == 1 {
        return;
    }
    for relation in &model.relations {
        let Some(spec) = &relation.spec else { continue };
        if spec.kind == RelationKind::ManyToMany && spec.through.is_none() {
            errors.push(hint_at(
                spec.span,
                format_args!(
                    "`many_to_many` on {} needs a generated join table, which needs a single-field primary key on {}",
                    relation.describe(model),
                    model.describe()
                ),
                "declare a join model with a `belongs_to` to each side and use `many_to_many(through = JoinModel)`",
            ));
        }
    }
}
