//! What may stand on either side of a typed comparison: a column of any
//! model, a typed expression, or a plain value of the same base type (bound,
//! never written into the SQL).

use super::SqlExpr;
use crate::query::ast::Expr;
use crate::query::{Column, Filter};
use crate::schema::{FieldType, Model};
use std::borrow::Cow;

/// A typed expression: a model's column or an [`SqlExpr`]. Aggregates and
/// the select builder take these.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a typed SQL expression",
    note = "use a model column such as `User::id()`, or an expression built from one"
)]
pub trait AsExpr {
    /// The Rust type the expression's value decodes as.
    type Type: FieldType;
    fn into_expr(self) -> Expr;
}

impl<M: Model, T: FieldType> AsExpr for Column<M, T> {
    type Type = T;
    fn into_expr(self) -> Expr {
        Expr::Qualified {
            table: Cow::Borrowed(M::SCHEMA.table),
            column: self.schema(),
        }
    }
}

impl<T: FieldType> AsExpr for SqlExpr<T> {
    type Type = T;
    fn into_expr(self) -> Expr {
        self.node
    }
}

impl<M: Model, T: FieldType> From<Column<M, T>> for SqlExpr<T> {
    fn from(column: Column<M, T>) -> Self {
        SqlExpr::new(column.into_expr())
    }
}

/// A model's filter, usable wherever a condition is: its columns are named
/// with the model's table.
impl<M: Model> From<Filter<M>> for SqlExpr<bool> {
    fn from(filter: Filter<M>) -> Self {
        SqlExpr::new(qualify(filter.expr, M::SCHEMA.table))
    }
}

/// `expr` with its bare columns named by `table`. Subqueries keep their own
/// scoping (aliased tables, `Expr::Outer`), so they are left as they are.
fn qualify(expr: Expr, table: &'static str) -> Expr {
    let boxed = |e: Box<Expr>| Box::new(qualify(*e, table));
    match expr {
        Expr::Column(column) => Expr::Qualified {
            table: Cow::Borrowed(table),
            column,
        },
        Expr::Compare(lhs, op, rhs) => Expr::Compare(boxed(lhs), op, boxed(rhs)),
        Expr::InList {
            expr,
            values,
            negated,
        } => Expr::InList {
            expr: boxed(expr),
            values,
            negated,
        },
        Expr::IsNull { expr, negated } => Expr::IsNull {
            expr: boxed(expr),
            negated,
        },
        Expr::Like {
            expr,
            needle,
            position,
            case_insensitive,
        } => Expr::Like {
            expr: boxed(expr),
            needle,
            position,
            case_insensitive,
        },
        Expr::And(items) => Expr::And(items.into_iter().map(|e| qualify(e, table)).collect()),
        Expr::Or(items) => Expr::Or(items.into_iter().map(|e| qualify(e, table)).collect()),
        Expr::Not(inner) => Expr::Not(boxed(inner)),
        Expr::IsNotTrue(inner) => Expr::IsNotTrue(boxed(inner)),
        other => other,
    }
}

/// The right-hand side of a comparison with an expression whose base type
/// is `B`: a column or expression of type `B` or `Option<B>`, or a value.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be compared with an SQL expression of type `{B}`",
    label = "expected a `{B}` value, or a column or expression of type `{B}`",
    note = "both sides of a comparison must have the same type (a nullable column compares with a non-null one); convert the value, or compare with a column of the same type"
)]
pub trait Operand<B> {
    fn into_operand(self) -> Expr;
}

impl<M: Model, T: FieldType> Operand<T::Base> for Column<M, T> {
    fn into_operand(self) -> Expr {
        self.into_expr()
    }
}

impl<T: FieldType> Operand<T::Base> for SqlExpr<T> {
    fn into_operand(self) -> Expr {
        self.node
    }
}

/// Plain values compare with expressions of their own type. One impl per
/// type rather than a blanket one over `FieldType`, which would overlap the
/// column and expression impls above; derived enums get theirs from the
/// derive.
macro_rules! value_operands {
    ($($ty:ty),* $(,)?) => {$(
        impl Operand<$ty> for $ty {
            fn into_operand(self) -> Expr {
                Expr::Value(FieldType::into_value(self))
            }
        }
    )*};
}
value_operands!(
    i16,
    i32,
    i64,
    f32,
    f64,
    bool,
    String,
    Vec<u8>,
    chrono::NaiveDateTime,
    chrono::NaiveDate,
    chrono::DateTime<chrono::Utc>,
    uuid::Uuid,
    serde_json::Value,
);
#[cfg(feature = "decimal")]
value_operands!(rust_decimal::Decimal);

impl Operand<String> for &str {
    fn into_operand(self) -> Expr {
        Expr::Value(crate::Value::Text(self.to_owned()))
    }
}

impl Operand<String> for &String {
    fn into_operand(self) -> Expr {
        Expr::Value(crate::Value::Text(self.clone()))
    }
}
