//! Drizzle-style free functions for typed expressions:
//! `use strata::dsl::*;` then `eq(User::id(), Post::author_id())`,
//! `and([..])`, `sum(Post::views())`, `count_all()`.

pub use super::aggregate::{avg, count, count_all, count_distinct, max, min, sum};
use super::{AsExpr, Condition, Operand, SqlExpr};
use crate::query::ast::Expr;
use crate::schema::FieldType;

// The select builder's subqueries and raw fragments, so `use strata::dsl::*`
// brings every expression function.
pub use crate::query::select::{
    exists, in_subquery, not_exists, not_in_subquery, raw, raw_condition,
};

type BaseOf<E> = <<E as AsExpr>::Type as FieldType>::Base;

/// `lhs = rhs`.
pub fn eq<E: AsExpr>(lhs: E, rhs: impl Operand<BaseOf<E>>) -> Condition {
    expr(lhs).eq(rhs)
}
/// `lhs <> rhs`.
pub fn ne<E: AsExpr>(lhs: E, rhs: impl Operand<BaseOf<E>>) -> Condition {
    expr(lhs).ne(rhs)
}
/// `lhs < rhs`.
pub fn lt<E: AsExpr>(lhs: E, rhs: impl Operand<BaseOf<E>>) -> Condition {
    expr(lhs).lt(rhs)
}
/// `lhs <= rhs`.
pub fn lte<E: AsExpr>(lhs: E, rhs: impl Operand<BaseOf<E>>) -> Condition {
    expr(lhs).lte(rhs)
}
/// `lhs > rhs`.
pub fn gt<E: AsExpr>(lhs: E, rhs: impl Operand<BaseOf<E>>) -> Condition {
    expr(lhs).gt(rhs)
}
/// `lhs >= rhs`.
pub fn gte<E: AsExpr>(lhs: E, rhs: impl Operand<BaseOf<E>>) -> Condition {
    expr(lhs).gte(rhs)
}
/// `expr IS NULL`.
pub fn is_null<E: AsExpr>(e: E) -> Condition {
    expr(e).is_null()
}
/// `expr IS NOT NULL`.
pub fn is_not_null<E: AsExpr>(e: E) -> Condition {
    expr(e).is_not_null()
}

/// All of `conditions` (true when there are none).
pub fn and<C: Into<Condition>>(conditions: impl IntoIterator<Item = C>) -> Condition {
    SqlExpr::new(Expr::And(
        conditions.into_iter().map(|c| c.into().node).collect(),
    ))
}
/// Any of `conditions` (false when there are none).
pub fn or<C: Into<Condition>>(conditions: impl IntoIterator<Item = C>) -> Condition {
    SqlExpr::new(Expr::Or(
        conditions.into_iter().map(|c| c.into().node).collect(),
    ))
}
/// `NOT condition`.
pub fn not(condition: impl Into<Condition>) -> Condition {
    condition.into().not()
}

/// Any typed expression as an [`SqlExpr`], to call its methods.
pub fn expr<E: AsExpr>(e: E) -> SqlExpr<E::Type> {
    SqlExpr::new(e.into_expr())
}
