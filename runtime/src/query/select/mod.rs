//! The Drizzle-style select builder: columns and expressions of several
//! models, joins, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT/OFFSET, DISTINCT,
//! subqueries, common table expressions and set operations, returning typed
//! tuples.
//!
//! ```ignore
//! use strata::dsl::*;
//! let rows: Vec<(String, Option<String>, i64)> = strata::select((User::email(), Post::title(), count_all()))
//!     .from::<User>()
//!     .left_join::<Post>(eq(Post::author_id(), User::id()))
//!     .group_by((User::email(), Post::title()))
//!     .fetch_all(&db)
//!     .await?;
//! ```
//!
//! Types: the query's sources are part of its type ([`HasSource`]), so a
//! left-joined model's columns read as `Option`s and a column of a model the
//! query does not read does not compile; expressions (`SqlExpr<T>`) read as
//! the type they were built with ([`OutputIn`]).
//!
//! Soft delete: the soft-deleted rows of every `#[strata(soft_delete = ..)]`
//! model the query reads are hidden, in FROM, joins (in ON, so a left join
//! reads NULLs), subqueries, derived tables, CTEs and set operations;
//! [`SelectQuery::with_deleted`] shows them. The built-in
//! [`SoftDelete`](crate::soft_delete::SoftDelete) interceptor does it when
//! the query runs; `to_sql` renders the query as built.
//!
//! Tenancy: inside `strata::tenant::scope(id, ..)` every tenant-scoped
//! model the query reads gets `"t"."tenant_id" = $id` in the same places
//! (the built-in tenant interceptor, [`crate::tenant`]).

mod ast;
mod build;
mod check;
mod compound;
mod fetch;
mod lock;
mod output;
mod raw_expr;
pub(crate) mod row_filter;
mod sources;
mod subquery;

pub use ast::{
    CompoundAst, Cte, Distinct, Join, JoinKind, QueryAst, SelectAst, SetOp, SubqueryExpr, TableRef,
};
pub use build::{select, SelectFrom, SelectQuery};
pub(crate) use check::{check_compound, check_select};
pub use compound::{Compound, Query, SameOutput};
pub use lock::LockedSelect;
pub use output::{Free, OutputIn};
pub use raw_expr::{raw, raw_condition};
pub use sources::{
    AliasColumn, AllNullable, HasSource, Here, NotNull, Null, Nullability, Source, Src, There,
};
pub use subquery::{exists, in_subquery, not_exists, not_in_subquery, Nth, Table};
