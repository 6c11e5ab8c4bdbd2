//! Typed SQL expressions over any model's columns: what the select builder
//! and model aggregates are written in. `SqlExpr<T>` is an expression whose
//! value decodes as the Rust type `T`; comparisons accept only operands of the
//! same base type (a nullable column compares with a non-null one), so
//! comparing a uuid column with a string, or summing a text column, does not
//! compile.
//!
//! Unlike a [`Filter`](super::Filter), which belongs to one model and names
//! its columns bare, these expressions name each column with its table
//! ([`Expr::Qualified`]), since a join has several tables in scope.

mod aggregate;
pub mod dsl;
mod operand;
mod selection;

pub use aggregate::{avg, count, count_all, count_distinct, max, min, sum};
pub use aggregate::{Averageable, Ordered, Summable};
pub use operand::{AsExpr, Operand};
pub use selection::Selection;

use super::ast::{CompareOp, Expr, NullsOrder};
use super::ValueFor;
use crate::schema::FieldType;
use std::marker::PhantomData;

/// An SQL expression whose value decodes as `T`.
pub struct SqlExpr<T> {
    pub(crate) node: Expr,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for SqlExpr<T> {
    fn clone(&self) -> Self {
        SqlExpr::new(self.node.clone())
    }
}

impl<T> std::fmt::Debug for SqlExpr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.node.fmt(f)
    }
}

impl<T> SqlExpr<T> {
    pub(crate) fn new(node: Expr) -> Self {
        SqlExpr {
            node,
            _type: PhantomData,
        }
    }

    /// The untyped AST node.
    pub fn into_node(self) -> Expr {
        self.node
    }
}

/// A condition: `WHERE`, `ON` and `HAVING` take one.
pub type Condition = SqlExpr<bool>;

impl<T: FieldType> SqlExpr<T> {
    fn compare(self, op: CompareOp, rhs: impl Operand<T::Base>) -> Condition {
        SqlExpr::new(Expr::Compare(
            Box::new(self.node),
            op,
            Box::new(rhs.into_operand()),
        ))
    }

    pub fn eq(self, rhs: impl Operand<T::Base>) -> Condition {
        self.compare(CompareOp::Eq, rhs)
    }
    pub fn ne(self, rhs: impl Operand<T::Base>) -> Condition {
        self.compare(CompareOp::Ne, rhs)
    }
    pub fn lt(self, rhs: impl Operand<T::Base>) -> Condition {
        self.compare(CompareOp::Lt, rhs)
    }
    pub fn lte(self, rhs: impl Operand<T::Base>) -> Condition {
        self.compare(CompareOp::Lte, rhs)
    }
    pub fn gt(self, rhs: impl Operand<T::Base>) -> Condition {
        self.compare(CompareOp::Gt, rhs)
    }
    pub fn gte(self, rhs: impl Operand<T::Base>) -> Condition {
        self.compare(CompareOp::Gte, rhs)
    }

    /// `expr IN (values)`: each value a bind; an empty list matches nothing.
    pub fn in_list<V: ValueFor<T::Base>>(self, values: impl IntoIterator<Item = V>) -> Condition {
        self.list(values, false)
    }
    /// `expr NOT IN (values)`; an empty list matches everything.
    pub fn not_in_list<V: ValueFor<T::Base>>(
        self,
        values: impl IntoIterator<Item = V>,
    ) -> Condition {
        self.list(values, true)
    }
    fn list<V: ValueFor<T::Base>>(
        self,
        values: impl IntoIterator<Item = V>,
        negated: bool,
    ) -> Condition {
        SqlExpr::new(Expr::InList {
            expr: Box::new(self.node),
            values: values.into_iter().map(ValueFor::into_value_for).collect(),
            negated,
        })
    }

    pub fn is_null(self) -> Condition {
        SqlExpr::new(Expr::IsNull {
            expr: Box::new(self.node),
            negated: false,
        })
    }
    pub fn is_not_null(self) -> Condition {
        SqlExpr::new(Expr::IsNull {
            expr: Box::new(self.node),
            negated: true,
        })
    }

    /// The same expression read as nullable: for an expression over a
    /// left-joined table's columns, which is NULL where no row matched.
    pub fn nullable(self) -> SqlExpr<T::Nullable> {
        SqlExpr::new(self.node)
    }

    pub fn asc(self) -> OrderExpr {
        OrderExpr::new(self.node, false)
    }
    pub fn desc(self) -> OrderExpr {
        OrderExpr::new(self.node, true)
    }
}

impl SqlExpr<bool> {
    /// Both conditions; chains flatten into one `(a AND b AND c)`.
    pub fn and(self, other: impl Into<Condition>) -> Condition {
        SqlExpr::new(junction(self.node, other.into().node, true))
    }
    /// Either condition; chains flatten like [`SqlExpr::and`].
    pub fn or(self, other: impl Into<Condition>) -> Condition {
        SqlExpr::new(junction(self.node, other.into().node, false))
    }
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Condition {
        SqlExpr::new(Expr::Not(Box::new(self.node)))
    }
}

fn junction(lhs: Expr, rhs: Expr, all: bool) -> Expr {
    match (lhs, all) {
        (Expr::And(mut items), true) => {
            items.push(rhs);
            Expr::And(items)
        }
        (Expr::Or(mut items), false) => {
            items.push(rhs);
            Expr::Or(items)
        }
        (lhs, true) => Expr::And(vec![lhs, rhs]),
        (lhs, false) => Expr::Or(vec![lhs, rhs]),
    }
}

/// A sort key over any expression (a column of any joined table, an
/// aggregate). NULLs sort as the largest value on every database unless
/// told otherwise, as with model queries.
#[derive(Debug, Clone)]
pub struct OrderExpr {
    pub(crate) expr: Expr,
    pub(crate) descending: bool,
    pub(crate) nulls: Option<NullsOrder>,
}

impl OrderExpr {
    fn new(expr: Expr, descending: bool) -> Self {
        OrderExpr {
            expr,
            descending,
            nulls: None,
        }
    }
    pub fn nulls_first(mut self) -> Self {
        self.nulls = Some(NullsOrder::First);
        self
    }
    pub fn nulls_last(mut self) -> Self {
        self.nulls = Some(NullsOrder::Last);
        self
    }
}
