//! Aggregate calls, cast so each returns the type strata decodes on every
//! database: a sum of integers is a BIGINT (PostgreSQL sums a bigint into
//! numeric, MySQL sums any exact type into DECIMAL), an average of numbers
//! is a double (both make it numeric/DECIMAL). Counts need no cast anywhere.

use super::statement::write_expr;
use super::{Dialect, SqlWriter};
use crate::query::ast::{Aggregate, AggregateFn};
use crate::schema::SqlType;

pub(super) fn write_aggregate(w: &mut SqlWriter, aggregate: &Aggregate) {
    let cast = cast_to(w.dialect, aggregate.function, aggregate.result);
    if cast.is_some() {
        w.push("CAST(");
    }
    w.push(aggregate.function.sql());
    w.push("(");
    if aggregate.distinct {
        w.push("DISTINCT ");
    }
    match &aggregate.arg {
        Some(arg) => write_expr(w, arg),
        None => w.push("*"),
    }
    w.push(")");
    if let Some(ty) = cast {
        w.push(" AS ");
        w.push(ty);
        w.push(")");
    }
}

/// The type to cast an aggregate's result to on `dialect`, where the
/// database's own result type is not the one strata decodes.
fn cast_to(dialect: Dialect, function: AggregateFn, result: SqlType) -> Option<&'static str> {
    match (function, result, dialect) {
        (AggregateFn::Sum, SqlType::BigInt, Dialect::Postgres) => Some("BIGINT"),
        (AggregateFn::Sum, SqlType::BigInt, Dialect::MySql) => Some("SIGNED"),
        (AggregateFn::Sum, SqlType::Double, Dialect::Postgres) => Some("DOUBLE PRECISION"),
        (AggregateFn::Avg, SqlType::Double, Dialect::Postgres) => Some("DOUBLE PRECISION"),
        (AggregateFn::Avg, SqlType::Double, Dialect::MySql) => Some("DOUBLE"),
        _ => None,
    }
}
