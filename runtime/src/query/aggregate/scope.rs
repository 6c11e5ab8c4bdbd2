//! What an aggregate query may name outside its aggregates: only its group
//! keys, and only the model's own columns anywhere. PostgreSQL refuses an
//! ungrouped column and SQLite and MySQL quietly read an arbitrary row's
//! value, so strata refuses it before the statement runs, on every database.

use crate::error::{Error, Result};
use crate::query::ast::Expr;
use crate::schema::{ColumnSchema, ModelSchema};

/// `expr`, evaluated once per group, names only `grouped` expressions and
/// aggregates over `model`'s columns. `role` says where it stands
/// (`"aggregate"`, `"having"`, `"order_by"`).
pub(super) fn check_grouped(
    expr: &Expr,
    grouped: &[Expr],
    model: &'static ModelSchema,
    role: &str,
) -> Result<()> {
    if grouped.contains(expr) {
        return Ok(());
    }
    let each = |e: &Expr| check_grouped(e, grouped, model, role);
    match expr {
        Expr::Aggregate(aggregate) => match &aggregate.arg {
            Some(arg) => check_own(arg, model, role),
            None => Ok(()),
        },
        Expr::Column(column) => Err(ungrouped(model, column, role)),
        Expr::Qualified { table, column } if *table == model.table => {
            Err(ungrouped(model, column, role))
        }
        Expr::Qualified { table, column } => Err(foreign(model, table, column, role)),
        _ => children(expr).into_iter().try_for_each(each),
    }
}

/// `expr` (an aggregate's argument) names only `model`'s columns.
fn check_own(expr: &Expr, model: &'static ModelSchema, role: &str) -> Result<()> {
    match expr {
        Expr::Qualified { table, column } if *table != model.table => {
            Err(foreign(model, table, column, role))
        }
        _ => children(expr)
            .into_iter()
            .try_for_each(|e| check_own(e, model, role)),
    }
}

/// The expressions evaluated in the same row as `expr`. Subqueries and raw
/// fragments keep their own scope and are not looked into.
fn children(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Compare(lhs, _, rhs) => vec![lhs.as_ref(), rhs.as_ref()],
        Expr::InList { expr, .. }
        | Expr::IsNull { expr, .. }
        | Expr::Like { expr, .. }
        | Expr::Not(expr)
        | Expr::IsNotTrue(expr) => vec![expr.as_ref()],
        Expr::And(items) | Expr::Or(items) => items.iter().collect(),
        Expr::Aggregate(aggregate) => aggregate.arg.as_deref().into_iter().collect(),
        _ => Vec::new(),
    }
}

fn ungrouped(model: &'static ModelSchema, column: &ColumnSchema, role: &str) -> Error {
    Error::InvalidValue {
        model: model.name,
        field: Some(column.field),
        reason: format!(
            "`{}` in {role} is neither a group key nor inside an aggregate; \
             add it to group_by(..) or aggregate it (count, sum, min..)",
            column.field
        ),
    }
}

fn foreign(model: &'static ModelSchema, table: &str, column: &ColumnSchema, role: &str) -> Error {
    Error::InvalidValue {
        model: model.name,
        field: None,
        reason: format!(
            "{role} names `{table}`.`{}`, a column of another table; \
             {}'s aggregates read only its own columns (table `{}`)",
            column.name, model.name, model.table
        ),
    }
}
