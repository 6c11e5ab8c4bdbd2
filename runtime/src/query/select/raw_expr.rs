//! Raw SQL inside the builder, typed by the caller: a `sql!` fragment as an
//! expression of a Rust type the caller names, or as a condition. Its
//! columns and values stay quoted and bound (see [`crate::raw`]).

use crate::query::ast::Expr;
use crate::query::expr::{Condition, SqlExpr};
use crate::raw::Sql;
use crate::schema::FieldType;

/// A `sql!` fragment as an expression decoding as `T`: usable in the select
/// list, GROUP BY, ORDER BY (`raw::<i64>(..).desc()`) and comparisons.
/// strata cannot check that the fragment's value is a `T`; a wrong `T` is a
/// decoding error when the query runs.
pub fn raw<T: FieldType>(sql: Sql) -> SqlExpr<T> {
    SqlExpr::new(Expr::Raw(sql))
}

/// A `sql!` fragment as a condition, for WHERE, ON and HAVING.
pub fn raw_condition(sql: Sql) -> Condition {
    raw::<bool>(sql)
}
