//! The one trait every runnable query implements: the ORM's read and write
//! builders, the select builder and `sql!` fragments. What takes "any query"
//! (`explain`, logging a statement before it runs) takes a `ToSql`.

use super::ast::{Projection as SqlProjection, Select, Statement};
use super::filter::{Filter, UniqueKey};
use super::find::{
    all_columns, Count, Exists, FindFirst, FindMany, FindUnique, Omit, Projection, SelectMany,
};
use super::write::{Create, Delete, DeleteMany, Update, Upsert};
use crate::error::Result;
use crate::render::{render_checked, Dialect, Rendered};
use crate::schema::{Model, PartialModel};

/// A query strata can render for one database: its SQL text and binds,
/// exactly as `exec` would send them.
pub trait ToSql {
    /// The statement for `dialect`; an error where the query cannot be built
    /// (e.g. a relation that does not resolve, a feature the database lacks).
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered>;
}

// The ORM's builders: each renders the statement its `exec` sends, through
// `render_checked` (an unresolved relation is its error, as at exec). Two
// differences from exec, both in the docs of `strata::explain`:
// a read's batched includes run as further statements after this one (the
// joined strategy's are part of it), and on MySQL a write is followed by a
// read-back by key, not shown here. `CreateMany` is several statements (one
// per chunk under the bind limit): each `Statement` of its `statements()` is
// itself `ToSql`.

impl ToSql for Statement {
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
        render_checked(self, dialect)
    }
}

/// `impl ToSql` for builders whose `statement()` returns a `Result`.
macro_rules! fallible_statement {
    ($($ty:ty => [$($bounds:tt)*];)*) => {$(
        impl<$($bounds)*> ToSql for $ty {
            fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
                render_checked(&self.statement()?, dialect)
            }
        }
    )*};
}

/// `impl ToSql` for builders whose `statement()` cannot fail.
macro_rules! infallible_statement {
    ($($ty:ty => [$($bounds:tt)*];)*) => {$(
        impl<$($bounds)*> ToSql for $ty {
            fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
                render_checked(&self.statement(), dialect)
            }
        }
    )*};
}

fallible_statement! {
    FindMany<M> => [M: Model];
    FindFirst<M> => [M: Model];
    SelectMany<M, P> => [M: Model, P: Projection<M>];
    Omit<M> => [M: PartialModel];
}

infallible_statement! {
    FindUnique<M> => [M: Model];
    Count<M> => [M: Model];
    Exists<M> => [M: Model];
    Delete<M> => [M: Model];
    DeleteMany<M> => [M: Model];
}

/// An update by key with nothing to assign runs no UPDATE: its `exec` reads
/// the row by the key instead, and so does its statement here.
impl<M: Model> ToSql for Update<M, UniqueKey<M>> {
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
        let statement = self.statement();
        render_checked(&read_instead_of_empty_update::<M>(statement, true), dialect)
    }
}

/// An update of many rows with nothing to assign counts the matching rows, as
/// its `exec` does.
impl<M: Model> ToSql for Update<M, Filter<M>> {
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
        let statement = self.statement();
        render_checked(
            &read_instead_of_empty_update::<M>(statement, false),
            dialect,
        )
    }
}

/// `statement`, unless it is an UPDATE with no assignments: then the read the
/// builder's `exec` runs instead, over the same rows (every column by key, or
/// `COUNT(*)` by filter).
fn read_instead_of_empty_update<M: Model>(statement: Statement, whole_rows: bool) -> Statement {
    match statement {
        Statement::Update(update) if update.set.is_empty() => {
            let projection = match whole_rows {
                true => SqlProjection::Columns(all_columns::<M>()),
                false => SqlProjection::CountAll,
            };
            let mut select = Select::new(M::SCHEMA.table, projection);
            select.filter = update.filter;
            Statement::Select(select)
        }
        other => other,
    }
}

/// A create renders the INSERT of its own row, with client-side defaults
/// (a fresh cuid, `now`) filled in as `exec` would; nested writes run as
/// statements of their own and are not part of it.
impl<M: Model> ToSql for Create<M> {
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
        render_checked(&self.row_only().statement(), dialect)
    }
}

impl<M: Model> ToSql for Upsert<M> {
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
        render_checked(&self.row_only().statement(), dialect)
    }
}
