//! darling receivers: which `#[strata(...)]` keys exist where.
//!
//! These only recognise keys and their syntactic shape; darling reports unknown
//! keys (with "did you mean") and duplicates. Keys whose value has a grammar of
//! its own (`default`, `references`, `id(fields(..))`, actions, relations) are kept as raw
//! `syn::Meta` and read by `meta.rs`, where the model and field names are known
//! and can go into the error message.

use darling::util::{Flag, SpannedValue};
use darling::{FromDeriveInput, FromField, FromVariant};
use syn::{Ident, Meta, Type, Visibility};

/// Container attributes of `#[derive(Model)]`. Fields are read one by one with
/// [`FieldReceiver`] so that an error in one field does not hide the others.
/// Generics are checked on the `DeriveInput` before this runs.
#[derive(Debug, FromDeriveInput)]
#[darling(attributes(strata))]
pub struct ModelReceiver {
    pub ident: Ident,
    pub vis: Visibility,
    pub table: Option<SpannedValue<String>>,
    /// `id(fields(a, b))`: a composite primary key.
    pub id: Option<Meta>,
    /// `unique(fields(a, b))`, repeatable.
    #[darling(multiple)]
    pub unique: Vec<Meta>,
    /// `index(fields(a, b(desc)), unique, ..)` or `index(expression = "..", ..)`,
    /// repeatable; read by `index::index`.
    #[darling(multiple)]
    pub index: Vec<Meta>,
    /// `check = ".."` or `check(name = "..", expr = "..")`, repeatable.
    #[darling(multiple)]
    pub check: Vec<Meta>,
    /// `soft_delete = deleted_at`: read by `soft_delete::soft_delete`.
    pub soft_delete: Option<Meta>,
    /// `partial_uniques`, with `soft_delete`: unique keys among live rows only.
    pub partial_uniques: Flag,
    /// `tenant = tenant_id`: read by `tenant::tenant`.
    pub tenant: Option<Meta>,
    /// `row_level_security`, with `tenant`: PostgreSQL enforces it too.
    pub row_level_security: Flag,
}

/// Attributes of one model field.
#[derive(Debug, FromField)]
#[darling(attributes(strata))]
pub struct FieldReceiver {
    pub ident: Option<Ident>,
    pub ty: Type,
    pub id: Flag,
    pub unique: Flag,
    pub index: Flag,
    pub updated_at: Flag,
    /// `version`: the optimistic-locking counter, bumped by every update.
    pub version: Flag,
    pub column: Option<SpannedValue<String>>,
    pub db_type: Option<SpannedValue<String>>,
    /// `default = now | uuid | cuid | autoincrement | <literal>` or `default(sql = "...")`.
    pub default: Option<Meta>,
    /// `references(model = User, field = id)`.
    pub references: Option<Meta>,
    /// `check = "views >= 0"` or `check(name = "..", expr = "..")`.
    pub check: Option<Meta>,
    /// Of `references(..)` or of `belongs_to(..)`.
    pub on_delete: Option<Meta>,
    pub on_update: Option<Meta>,
    /// Relations, read by `meta::relation`: `belongs_to(fields(a), references(id))`,
    /// `has_one`, `has_many`, `many_to_many(through = JoinModel)`, each with an
    /// optional `name = ".."`.
    pub belongs_to: Option<Meta>,
    pub has_one: Option<Meta>,
    pub has_many: Option<Meta>,
    pub many_to_many: Option<Meta>,
}

/// Container attributes of `#[derive(Enum)]`; variants are read with [`VariantReceiver`].
#[derive(Debug, FromDeriveInput)]
#[darling(attributes(strata))]
pub struct EnumReceiver {
    /// The database type name.
    pub name: Option<SpannedValue<String>>,
}

#[derive(Debug, FromVariant)]
#[darling(attributes(strata))]
pub struct VariantReceiver {
    pub ident: Ident,
    /// The database label of the variant.
    pub rename: Option<SpannedValue<String>>,
}
