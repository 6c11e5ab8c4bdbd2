//! The check the types cannot make: a column in a condition, a group key or
//! a sort key names a table the query reads. The select list is checked at
//! compile time (`HasSource`), but conditions are untyped `Condition`s, and
//! a subquery's may name the enclosing query's tables (correlation), so this
//! runs on the whole statement before it is rendered, with the tables of
//! every enclosing query in scope.

use super::ast::{CompoundAst, Distinct, QueryAst, SelectAst, SubqueryExpr};
use crate::error::{Error, Result};
use crate::query::ast::Expr;

/// `Err` naming the first column whose table is in no FROM or join in scope.
pub(crate) fn check_select(select: &SelectAst) -> Result<()> {
    select_sources(select, &mut Vec::new())
}

/// [`check_select`] for each member of a compound.
pub(crate) fn check_compound(compound: &CompoundAst) -> Result<()> {
    compound_sources(compound, &mut Vec::new())
}

fn query_sources<'q>(query: &'q QueryAst, scope: &mut Vec<&'q str>) -> Result<()> {
    match query {
        QueryAst::Select(select) => select_sources(select, scope),
        QueryAst::Compound(compound) => compound_sources(compound, scope),
    }
}

fn compound_sources<'q>(c: &'q CompoundAst, scope: &mut Vec<&'q str>) -> Result<()> {
    query_sources(&c.first, scope)?;
    c.rest.iter().try_for_each(|(_, q)| query_sources(q, scope))
}

fn select_sources<'q>(s: &'q SelectAst, scope: &mut Vec<&'q str>) -> Result<()> {
    let outer = scope.len();
    for cte in &s.with {
        query_sources(&cte.query, scope)?;
    }
    for table in std::iter::once(&s.from).chain(s.joins.iter().map(|j| &j.table)) {
        if let super::ast::TableRef::Derived { query, .. } = table {
            query_sources(query, scope)?;
        }
    }
    scope.push(s.from.name());
    scope.extend(s.joins.iter().map(|j| j.table.name()));
    let distinct = match &s.distinct {
        Distinct::On(keys) => keys.as_slice(),
        _ => &[],
    };
    let result = s
        .items
        .iter()
        .chain(distinct)
        .chain(s.joins.iter().map(|j| &j.on))
        .chain(&s.filter)
        .chain(&s.group_by)
        .chain(&s.having)
        .chain(s.order_by.iter().map(|k| &k.expr))
        .try_for_each(|e| expr_sources(e, scope));
    scope.truncate(outer);
    result
}

fn expr_sources<'q>(expr: &'q Expr, scope: &mut Vec<&'q str>) -> Result<()> {
    match expr {
        Expr::Qualified { table, column } if !scope.contains(&table.as_ref()) => {
            Err(Error::InvalidValue {
                model: "select",
                field: Some(column.field),
                reason: format!(
                    "the query reads column {:?} of table {:?}, which is not in its FROM or joins (nor in an enclosing query's); join its model",
                    column.name, table
                ),
            })
        }
        Expr::Compare(lhs, _, rhs) => {
            expr_sources(lhs, scope)?;
            expr_sources(rhs, scope)
        }
        Expr::InList { expr, .. }
        | Expr::IsNull { expr, .. }
        | Expr::Like { expr, .. }
        | Expr::Not(expr)
        | Expr::IsNotTrue(expr) => expr_sources(expr, scope),
        Expr::And(items) | Expr::Or(items) => items.iter().try_for_each(|e| expr_sources(e, scope)),
        Expr::Aggregate(aggregate) => match aggregate.arg.as_deref() {
            Some(arg) => expr_sources(arg, scope),
            None => Ok(()),
        },
        Expr::SelectSubquery(sub) => match sub.as_ref() {
            SubqueryExpr::Scalar(query) | SubqueryExpr::Exists { query, .. } => {
                query_sources(query, scope)
            }
            SubqueryExpr::In { expr, query, .. } => {
                expr_sources(expr, scope)?;
                query_sources(query, scope)
            }
        },
        // Model subqueries (relation filters) scope themselves; raw fragments
        // are the caller's SQL.
        _ => Ok(()),
    }
}
