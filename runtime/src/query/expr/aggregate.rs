//! Aggregate functions with the result types they have on every database:
//! a count is an `i64`; a sum of integers is an `i64`, of floats an `f64`, of
//! decimals a `Decimal`; an average is an `f64` (a `Decimal` for decimals);
//! min and max keep the column's type. Sums, averages, minima and maxima are
//! `Option`s, since SQL returns NULL for them over no rows (or only NULLs).
//! The renderer casts where a database's own result type differs
//! (render/aggregate.rs).

use super::{AsExpr, SqlExpr};
use crate::query::ast::{Aggregate, AggregateFn, Expr};
use crate::schema::FieldType;

/// A type `SUM` adds up, and the type of the total.
#[diagnostic::on_unimplemented(
    message = "cannot sum values of type `{Self}`",
    note = "`sum` takes a numeric column or expression (i16, i32, i64, f32, f64, Decimal)"
)]
pub trait Summable: FieldType {
    type Sum: FieldType;
}

/// A type `AVG` averages, and the type of the mean.
#[diagnostic::on_unimplemented(
    message = "cannot average values of type `{Self}`",
    note = "`avg` takes a numeric column or expression (i16, i32, i64, f32, f64, Decimal)"
)]
pub trait Averageable: FieldType {
    type Avg: FieldType;
}

/// A type `MIN` and `MAX` order the same way on every database: not bool,
/// uuid, bytes or JSON, which PostgreSQL cannot take the minimum of, and not
/// enums, which PostgreSQL orders by declaration and MySQL and SQLite by label.
#[diagnostic::on_unimplemented(
    message = "cannot take the minimum or maximum of values of type `{Self}`",
    note = "`min`/`max` take numbers, text, dates and times"
)]
pub trait Ordered: FieldType {}

macro_rules! numeric {
    ($($ty:ty => sum $sum:ty, avg $avg:ty;)*) => {$(
        impl Summable for $ty {
            type Sum = $sum;
        }
        impl Averageable for $ty {
            type Avg = $avg;
        }
        impl Ordered for $ty {}
    )*};
}
numeric! {
    i16 => sum i64, avg f64;
    i32 => sum i64, avg f64;
    i64 => sum i64, avg f64;
    f32 => sum f64, avg f64;
    f64 => sum f64, avg f64;
}
#[cfg(feature = "decimal")]
numeric! {
    rust_decimal::Decimal => sum rust_decimal::Decimal, avg rust_decimal::Decimal;
}
impl Ordered for String {}
impl Ordered for chrono::NaiveDate {}
impl Ordered for chrono::NaiveDateTime {}
impl Ordered for chrono::DateTime<chrono::Utc> {}

fn aggregate<T: FieldType>(function: AggregateFn, distinct: bool, arg: Option<Expr>) -> SqlExpr<T> {
    SqlExpr::new(Expr::Aggregate(Aggregate {
        function,
        distinct,
        arg: arg.map(Box::new),
        result: T::SQL_TYPE,
    }))
}

type BaseOf<E> = <<E as AsExpr>::Type as FieldType>::Base;

/// `COUNT(*)`: every row.
pub fn count_all() -> SqlExpr<i64> {
    aggregate(AggregateFn::Count, false, None)
}

/// `COUNT(expr)`: rows where `expr` is not NULL.
pub fn count<E: AsExpr>(expr: E) -> SqlExpr<i64> {
    aggregate(AggregateFn::Count, false, Some(expr.into_expr()))
}

/// `COUNT(DISTINCT expr)`: distinct non-NULL values.
pub fn count_distinct<E: AsExpr>(expr: E) -> SqlExpr<i64> {
    aggregate(AggregateFn::Count, true, Some(expr.into_expr()))
}

/// `SUM(expr)`; NULL (`None`) over no rows.
pub fn sum<E: AsExpr>(expr: E) -> SqlExpr<Option<<BaseOf<E> as Summable>::Sum>>
where
    BaseOf<E>: Summable,
    Option<<BaseOf<E> as Summable>::Sum>: FieldType,
{
    aggregate(AggregateFn::Sum, false, Some(expr.into_expr()))
}

/// `AVG(expr)`; NULL (`None`) over no rows.
pub fn avg<E: AsExpr>(expr: E) -> SqlExpr<Option<<BaseOf<E> as Averageable>::Avg>>
where
    BaseOf<E>: Averageable,
    Option<<BaseOf<E> as Averageable>::Avg>: FieldType,
{
    aggregate(AggregateFn::Avg, false, Some(expr.into_expr()))
}

/// `MIN(expr)`; NULL (`None`) over no rows.
pub fn min<E: AsExpr>(expr: E) -> SqlExpr<<BaseOf<E> as FieldType>::Nullable>
where
    BaseOf<E>: Ordered,
{
    aggregate(AggregateFn::Min, false, Some(expr.into_expr()))
}

/// `MAX(expr)`; NULL (`None`) over no rows.
pub fn max<E: AsExpr>(expr: E) -> SqlExpr<<BaseOf<E> as FieldType>::Nullable>
where
    BaseOf<E>: Ordered,
{
    aggregate(AggregateFn::Max, false, Some(expr.into_expr()))
}
