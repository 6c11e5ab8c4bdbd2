//! Error constructors and the "expected form" hints appended to attribute
//! errors, kept in one place so every message spells an attribute the same way
//! (as diesel's `notes`).

use crate::model::{LitKind, RelationKind};
use crate::ty::Kind;
use proc_macro2::Span;
use std::fmt::Display;

/// Joins a message with its usage hint. Stable rustc has no API for a separate
/// `help:` line from a proc macro, so the hint rides on the message itself.
pub fn help(message: impl Display, hint: &str) -> String {
    format!("{message}\nhelp: {hint}")
}

/// An error pointing at `span`. darling's own `with_span` wants a syntax node;
/// flags and spanned values only keep a `Span`.
pub fn error_at(span: Span, message: impl Display) -> darling::Error {
    syn::Error::new(span, message).into()
}

/// An error pointing at `span`, followed by the expected form of the attribute.
pub fn hint_at(span: Span, message: impl Display, hint: &str) -> darling::Error {
    error_at(span, help(message, hint))
}

pub const PRIMARY_KEY: &str =
    "mark one field `#[strata(id)]`, or add `#[strata(id(fields(a, b)))]` to the struct for a composite key";

pub const KEY_FIELDS: &str =
    "expected `#[strata(id(fields(a, b)))]` or `#[strata(unique(fields(a, b)))]`";

pub const INDEX: &str = "expected `#[strata(index(fields(a, b(desc)), name = \"..\", unique, using = gin, include(c), where = \"..\", dialects(postgres)))]` (only `fields(..)` is required) or `#[strata(index(expression = \"lower(email)\", name = \"..\"))]`";

pub const CHECK: &str = "expected `#[strata(check = \"views >= 0\")]` or `#[strata(check(name = \"posts_views_check\", expr = \"views >= 0\"))]`";

/// After a generated default whose type does not fit, by default kind.
pub const AUTOINCREMENT_TYPE: &str = "make the field `i64` (or `i32`/`i16`); for other key types use `default = uuid` with `uuid::Uuid` or `default = cuid` with `String`";
pub const UUID_TYPE: &str =
    "make the field `uuid::Uuid`, or use `default = cuid` for a `String` key";
pub const CUID_TYPE: &str =
    "make the field `String`, or use `default = uuid` for a `uuid::Uuid` key";
pub const TIME_TYPE: &str =
    "make the field `chrono::DateTime<Utc>`, `chrono::NaiveDateTime` or `chrono::NaiveDate`";

pub const DEFAULT: &str = "expected `#[strata(default = now)]`, `#[strata(default = uuid)]`, `#[strata(default = cuid)]`, `#[strata(default = autoincrement)]`, a literal such as `#[strata(default = 0)]` or `#[strata(default = \"draft\")]`, or `#[strata(default(sql = \"gen_random_uuid()\"))]`";

pub const REFERENCES: &str =
    "expected `#[strata(references(model = User, field = id), on_delete = cascade)]`";

pub const BELONGS_TO: &str = "expected `#[strata(belongs_to(fields(author_id), references(id)))]` on a `BelongsTo<User>` field, optionally with `name = \"..\"`, `on_delete = ..` and `on_update = ..`";

pub const HAS_ONE: &str = "expected `#[strata(has_one)]` or `#[strata(has_one(name = \"..\"))]` on a `HasOne<Profile>` field; the foreign key is declared by the `belongs_to` on the other model";

pub const HAS_MANY: &str = "expected `#[strata(has_many)]` or `#[strata(has_many(name = \"..\"))]` on a `HasMany<Post>` field; the foreign key is declared by the `belongs_to` on the other model";

pub const MANY_TO_MANY: &str = "expected `#[strata(many_to_many)]` (a generated join table) or `#[strata(many_to_many(through = PostTag))]` (a join model) on a `ManyToMany<Tag>` field, optionally with `name = \"..\"`";

/// The expected form of a relation attribute.
pub fn relation(kind: RelationKind) -> &'static str {
    match kind {
        RelationKind::BelongsTo => BELONGS_TO,
        RelationKind::HasOne => HAS_ONE,
        RelationKind::HasMany => HAS_MANY,
        RelationKind::ManyToMany => MANY_TO_MANY,
    }
}

pub const ACTION: &str = "expected `on_delete = cascade`; the actions are `cascade`, `restrict`, `set_null`, `set_default` and `no_action` (the default)";

pub const RENAME_FIELD: &str =
    "rename the Rust field and keep the column name with `#[strata(column = \"...\")]`";

pub const MODEL_SHAPE: &str =
    "`#[derive(Model)]` expects a struct with named fields, e.g. `struct User { #[strata(id)] id: i64, email: String }`";

pub const ENUM_SHAPE: &str =
    "`#[derive(Enum)]` expects an enum of unit variants, e.g. `enum Role { User, Admin }`";

pub fn lit_name(lit: LitKind) -> &'static str {
    match lit {
        LitKind::Str => "a string",
        LitKind::Int => "an integer",
        LitKind::Float => "a float",
        LitKind::Bool => "a boolean",
    }
}

/// How a literal default of a primitive `kind` is written.
pub fn literal_example(kind: Kind) -> &'static str {
    match kind {
        Kind::KeyInt | Kind::OtherInt => "an integer, e.g. `#[strata(default = 0)]`",
        Kind::Float => "a number, e.g. `#[strata(default = 0.5)]`",
        Kind::Bool => "`#[strata(default = true)]` or `#[strata(default = false)]`",
        _ => "a string, e.g. `#[strata(default = \"draft\")]`",
    }
}
