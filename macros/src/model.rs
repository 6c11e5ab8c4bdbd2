//! The validated IR of a `#[derive(Model)]` struct: what `emit/` reads.
//!
//! `Model::from_input` runs the darling receivers, reads the raw attribute
//! values through `meta.rs`, then hands the result to `validate.rs`. Every
//! problem on the way goes into one accumulator, so the user sees all of them
//! in one build.

use crate::attr::{FieldReceiver, ModelReceiver};
use crate::{meta, naming, validate};
use darling::util::SpannedValue;
use darling::{FromDeriveInput, FromField};
use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{Data, DataStruct, DeriveInput, Fields, Ident, Path, Type, Visibility};

pub struct Model {
    pub ident: Ident,
    pub vis: Visibility,
    pub table: String,
    pub fields: Vec<Field>,
    /// Container-level `id(fields(..))`.
    pub composite_id: Option<KeySpec>,
    /// Container-level `unique(fields(..))`, in attribute order.
    pub composite_uniques: Vec<KeySpec>,
    /// Container-level `index(fields(..))`, in attribute order.
    pub composite_indexes: Vec<KeySpec>,
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
    pub db_type: Option<String>,
    pub default: Option<SpannedValue<DefaultSpec>>,
    pub references: Option<Reference>,
    pub on_delete: Option<SpannedValue<FkAction>>,
    pub on_update: Option<SpannedValue<FkAction>>,
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
        if let Data::Struct(DataStruct {
            fields: Fields::Named(named),
            ..
        }) = &input.data
        {
            for field in &named.named {
                let parsed = errors
                    .handle(FieldReceiver::from_field(field))
                    .and_then(|r| Field::from_receiver(r, &model_name, &mut errors));
                match parsed {
                    Some(field) => fields.push(field),
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
                .filter_map(|m| errors.handle(key(m)))
                .collect(),
            ident: receiver.ident,
            vis: receiver.vis,
            fields,
        };
        complete &= model.composite_id.is_some() == receiver.id.is_some()
            && model.composite_uniques.len() == receiver.unique.len()
            && model.composite_indexes.len() == receiver.index.len();

        for field in &model.fields {
            validate::check_field(&model, field, &mut errors);
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

    /// "model `User`", for error messages.
    pub fn describe(&self) -> String {
        format!("model `{}`", self.ident)
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
        let default = errors.handle(default.transpose())?;
        let references = errors.handle(references.transpose())?;
        let on_delete = errors.handle(on_delete.transpose())?;
        let on_update = errors.handle(on_update.transpose())?;
        Some(Field {
            column: (r.column).unwrap_or_else(|| SpannedValue::new(name.clone(), ident.span())),
            id: flag(r.id),
            unique: flag(r.unique),
            index: flag(r.index),
            updated_at: flag(r.updated_at),
            db_type: r.db_type.map(SpannedValue::into_inner),
            ty: r.ty,
            default,
            references,
            on_delete,
            on_update,
            name,
            ident,
        })
    }

    /// "field `email` of model `User`", for error messages.
    pub fn describe(&self, model: &Model) -> String {
        format!("field `{}` of model `{}`", self.name, model.ident)
    }
}
