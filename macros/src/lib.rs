//! Derive macros for strata. Use them through the `strata-orm` crate
//! (`strata::Model`, `strata::Enum`); this crate's output refers to items under
//! `strata::__private`, which are not covered by semver.
//!
//! Layout: `attr` (darling receivers) -> `meta` (attribute values) -> `model` /
//! `enums` (validated IR, rules in `validate`) -> `emit` (tokens). Only `emit`
//! writes Rust code.

mod attr;
mod check;
mod diag;
mod emit;
mod enums;
mod from_row;
mod index;
mod keys;
mod meta;
mod model;
mod naming;
mod soft_delete;
mod sql;
mod tenant;
mod ty;
mod validate;
mod validate_index;
mod validate_version;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Maps a struct to a table.
///
/// ```rust,ignore
/// use strata::Model;
///
/// #[derive(Model)]
/// #[strata(table = "users", unique(fields(first_name, last_name)))]
/// pub struct User {
///     #[strata(id, default = autoincrement)]
///     pub id: i64,
///     #[strata(unique)]
///     pub email: String,
///     pub first_name: String,
///     pub last_name: String,
///     #[strata(default = now)]
///     pub created_at: chrono::DateTime<chrono::Utc>,
///     #[strata(references(model = Team, field = id), on_delete = set_null)]
///     pub team_id: Option<i64>,
/// }
/// ```
///
/// # Container attributes
/// - `table = "users"`: the table name; defaults to the struct name in
///   snake_case (`BlogPost` -> `blog_post`).
/// - `id(fields(a, b))`: a composite primary key.
/// - `unique(fields(a, b))`, repeatable: a composite unique constraint.
/// - `index(fields(a, b(desc)), ..)`, repeatable: an index, with the options
///   `name = ".."` (default `{table}_{columns}_idx`), `unique`, `where = ".."`
///   (partial), `include(c, d)` (covering), `using = hash | gin | gist | brin |
///   btree`, `dialects(postgres, sqlite, mysql)` (where it exists; default all).
/// - `index(expression = "lower(email)", name = "..")`: an expression key,
///   after any `fields(..)` written before it; needs a `name`.
/// - `check = ".."` or `check(name = "..", expr = "..")`, repeatable: a table
///   CHECK constraint (default name `{table}_check`, `{table}_check1`, ..).
///   Expressions and predicates are raw SQL, rendered as written.
/// - `tenant = tenant_id`: the model is tenant-scoped (`strata::tenant`): every
///   statement on it is filtered by, and every create fills, the tenant of the
///   task's `strata::tenant::scope(id, ..)`, so `create()` does not require the
///   field. It is an `i16`/`i32`/`i64`, `String` or `uuid::Uuid` field, not
///   `Option`, without `default`. Add `row_level_security` for a PostgreSQL
///   policy on the table as well (`Tenancy::RowLevelSecurity`).
///
/// # Field attributes
/// - `id`: the primary key (at most one field; use `id(fields(..))` for more).
/// - `unique`, `index`: a single-column unique constraint or index.
/// - `check = "views >= 0"` (or `check(name = "..", expr = "..")`): a CHECK
///   constraint named `{table}_{column}_check`.
/// - `column = "name"`: the column name; defaults to the field name.
/// - `db_type = "varchar(255)"`: the column's SQL type, replacing the dialect default.
/// - `default = autoincrement | uuid | cuid | now`: a generated value
///   (autoincrement on an `i16`/`i32`/`i64` id, uuid on `uuid::Uuid`, cuid on
///   `String`, now on `DateTime<Utc>`/`NaiveDateTime`/`NaiveDate`).
/// - `default = <literal>`: a string, integer, float or bool literal.
/// - `default(sql = "gen_random_uuid()")`: a raw SQL default expression.
/// - `updated_at`: set to the current time on every create and update.
/// - `references(model = User, field = id)`, with optional `on_delete = ..` and
///   `on_update = ..` (`cascade`, `restrict`, `set_null`, `set_default`,
///   `no_action`; default `no_action`): a foreign key.
///
/// # Relation fields
/// A field of type `strata::BelongsTo<T>`, `HasOne<T>`, `HasMany<T>` or
/// `ManyToMany<T>` (`T` another model, or `Self`) is a relation, not a column.
/// It needs the matching attribute:
///
/// ```rust,ignore
/// #[derive(Model)]
/// pub struct Post {
///     #[strata(id, default = uuid)]
///     pub id: uuid::Uuid,
///     pub author_id: i64,
///     #[strata(belongs_to(fields(author_id), references(id)), on_delete = cascade)]
///     pub author: BelongsTo<User>,
///     pub category_id: Option<i32>,
///     #[strata(belongs_to(fields(category_id), references(id)), on_delete = set_null)]
///     pub category: BelongsTo<Option<Category>>,
///     #[strata(has_many)]
///     pub comments: HasMany<Comment>,
///     #[strata(many_to_many(through = PostTag))]
///     pub tags: ManyToMany<Tag>,
/// }
/// ```
///
/// - `belongs_to(fields(a, ..), references(x, ..))`: this model's fields `a, ..`
///   hold the target's `x, ..` (its primary key or a unique key). Declares the
///   foreign key, with `on_delete`/`on_update` beside it (or inside). The field
///   is `BelongsTo<T>` when the foreign key fields are required and
///   `BelongsTo<Option<T>>` when they are `Option`.
/// - `has_one` / `has_many`: the other side of a `belongs_to` on `T` pointing
///   here (for `has_one`, over a unique foreign key).
/// - `many_to_many`: rows linked by a generated join table `_{A}To{B}` (the
///   model names sorted) or `_{name}`, with columns `A` and `B` referencing the
///   two primary keys; `many_to_many(through = PostTag)` goes through a join
///   model with a `belongs_to` to each side instead. `T` declares a
///   `many_to_many` back, with the same `through` (or none).
/// - `name = ".."` in any of them pairs the two sides when two models have more
///   than one relation between them (both sides carry the same name).
///
/// The derive checks what it sees in this struct; what involves `T` (its side of
/// the relation, its keys, the foreign key's type) is checked at compile time by
/// generated constants, reported at the attribute.
///
/// # Generated items
/// - `impl strata::Model` (the schema) and row decoding.
/// - Per column field, a column: `User::email()` for filters and ordering.
/// - Per relation field, a `strata::relation::Relation`: `User::posts()` for
///   includes, relation filters, counts and nested writes. Relation fields are
///   left out of the builders and `UserPartial`, and read back not loaded.
/// - Per unique key (primary first): `User::by_email(..)` and `User::find_by_email(..)`.
/// - Queries: `find_many`, `find_first`, `find_unique`, `count`, `exists`,
///   `delete`, `delete_many`, `create`, `create_many`, `update`, `update_many`,
///   `changes`, `upsert`.
/// - `UserCreate<..>`: the create builder; `.exec()` only compiles once every
///   required field (not `Option`, no `default`, not `updated_at`) is set.
/// - `UserUpdate<..>`: the update builder, one setter per field.
/// - `UserPartial`: the row type of `find_many().omit(..)`, every column field an `Option`.
/// - `UserRef`: a unit struct that relation fields name `User` by
///   (`HasMany<User>` is `HasManySlot<UserRef>`), so that changing a field of
///   `User` does not change the types of the models related to it.
///
/// Mistakes in the attributes are all reported in one build, each at the
/// attribute or field concerned, with the form that was expected.
#[proc_macro_derive(Model, attributes(strata))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    derive_model_inner(input.into()).into()
}

/// Maps a fieldless enum to a database enum type (a PostgreSQL `CREATE TYPE`,
/// a MySQL `ENUM`, a `CHECK` constraint on SQLite).
///
/// ```rust,ignore
/// #[derive(strata::Enum, Clone, Copy, Debug, PartialEq)]
/// #[strata(name = "user_role")]
/// pub enum Role {
///     #[strata(rename = "USER")]
///     User,
///     #[strata(rename = "ADMIN")]
///     Admin,
/// }
/// ```
///
/// - `name = ".."` on the enum: the database type name; defaults to the enum
///   name in snake_case.
/// - `rename = ".."` on a variant: its database label; defaults to the variant
///   name as written.
#[proc_macro_derive(Enum, attributes(strata))]
pub fn derive_enum(input: TokenStream) -> TokenStream {
    derive_enum_inner(input.into()).into()
}

/// Raw SQL with checked model paths and bound values; builds a `strata::Sql`.
///
/// ```rust,ignore
/// let rows: Vec<(i64, String)> = strata::sql!(
///     "SELECT {User::id}, {User::email} FROM {User} WHERE {User::created_at} > {since}"
/// )
/// .fetch_all(&db)
/// .await?;
/// ```
///
/// - `{User}`: the model's table, quoted (`"users"`).
/// - `{User::email}`: the column, quoted and qualified by its table
///   (`"users"."email"`), so it can never be ambiguous in a join; a misspelt
///   field or model fails to compile. `{User::email:bare}` is the column
///   alone (`"email"`): for SET and INSERT column lists, or after an alias
///   you wrote yourself (`FROM {User} AS u WHERE u.{User::email:bare} = ..`).
/// - Any other `{expr}` is read by reference: a value (any model field type,
///   `&str`) becomes a bound parameter, never text; an `Sql` or `Option<Sql>`
///   is embedded. `Sql::in_list`, `Sql::join` and `Sql::empty` compose.
/// - `{{` and `}}` are literal braces. A placeholder cannot contain braces.
#[proc_macro]
pub fn sql(input: TokenStream) -> TokenStream {
    sql::expand(input.into()).into()
}

/// Reads a struct from a query's row: fields in declaration order, each by
/// position, and each named field's column must carry the field's name
/// (`SELECT .. AS post_count`). `#[strata(flatten)]` marks a field that is
/// itself a `FromRow` type spanning several columns.
///
/// ```rust,ignore
/// #[derive(strata::FromRow)]
/// struct AuthorStats { email: String, posts: i64 }
/// ```
#[proc_macro_derive(FromRow, attributes(strata))]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    match syn::parse::<syn::DeriveInput>(input) {
        Ok(input) => from_row::expand(&input).into(),
        Err(error) => error.into_compile_error().into(),
    }
}

/// `derive(Model)` on `proc_macro2` tokens, so unit tests can call it.
pub(crate) fn derive_model_inner(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    match syn::parse2(input) {
        Ok(input) => emit::expand_model(&input),
        Err(error) => error.into_compile_error(),
    }
}

/// `derive(Enum)` on `proc_macro2` tokens, so unit tests can call it.
pub(crate) fn derive_enum_inner(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    match syn::parse2(input) {
        Ok(input) => emit::expand_enum(&input),
        Err(error) => error.into_compile_error(),
    }
}
