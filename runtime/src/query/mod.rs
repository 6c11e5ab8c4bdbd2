//! The typed query layer: columns and filters, read and write builders, and the
//! statement AST they produce.

pub mod aggregate;
pub mod ast;
pub mod expr;
mod filter;
mod find;
pub mod optimistic;
mod related;
pub(crate) mod row_filter;
mod row_lock;
pub mod select;
mod to_sql;
pub(crate) mod write;

pub use aggregate::{Aggregate, AggregateSelection, GroupBy, GroupKeys, GroupOrder, GroupRow};
pub(crate) use filter::merge as merge_filter;
pub use filter::{and, not, or, Column, Filter, IntoFilter, Order, TextMatch, UniqueKey, ValueFor};
pub use find::{Count, Exists, FindFirst, FindMany, FindUnique, Omit, Projection, SelectMany};
pub(crate) use related::Counts;
pub(crate) use row_lock::LockRequest;
pub use to_sql::ToSql;
pub(crate) use write::client_default;
pub use write::{
    decrement, divide, increment, multiply, Arithmetic, Create, CreateMany, Delete, DeleteMany,
    IntoAssign, IntoCreate, IntoUpdate, Numeric, Update, Upsert,
};
