//! One walker over a model statement for the built-in row filters (soft
//! delete, tenancy): it visits every place a table's rows are read, at any
//! depth, and ANDs in the condition the filter gives for that table. The
//! statement's own rows, relation filters' EXISTS, `_count` subqueries,
//! cursor lookups, joined includes' JSON subqueries and include loads.
//!
//! Each filter ANDs its conditions into what is there, never replaces it,
//! so filters applied one after the other all hold.

use crate::query::ast::{Expr, JsonInclude, Load, Projection, Select, Statement};

/// The condition a filter puts on the rows of `table`; `own` is true for
/// the statement's own table (the operation's model) at the top level,
/// which soft delete's scope treats apart from related rows.
pub(crate) trait RowFilter {
    fn condition(&mut self, table: &'static str, own: bool) -> Option<Expr>;
}

impl<F: FnMut(&'static str, bool) -> Option<Expr>> RowFilter for F {
    fn condition(&mut self, table: &'static str, own: bool) -> Option<Expr> {
        self(table, own)
    }
}

/// Filters every read in `statement`: a SELECT's own rows and nested
/// queries, the rows an UPDATE or DELETE changes and the queries in its
/// WHERE. An INSERT reads nothing: its checks are each filter's own.
pub(crate) fn in_statement(statement: &mut Statement, f: &mut impl RowFilter) {
    match statement {
        Statement::Select(select) => in_select(select, f, true),
        Statement::Update(update) => {
            in_nested(&mut update.filter, f);
            and(&mut update.filter, f.condition(update.table, true));
        }
        Statement::Delete(delete) => {
            in_nested(&mut delete.filter, f);
            and(&mut delete.filter, f.condition(delete.table, true));
        }
        Statement::Insert(_) => {}
    }
}

/// One include level read in its own statement: the child rows.
pub(crate) fn in_load(load: &mut Load, f: &mut impl RowFilter) {
    in_nested(&mut load.filter, f);
    and(&mut load.filter, f.condition(load.table, false));
    // A many-to-many level: only links that pass lead to a child.
    if let Some(join) = &mut load.join {
        and(&mut join.filter, f.condition(join.table, false));
    }
}

/// Only the queries nested in `filter` (not a table's own rows).
pub(crate) fn in_nested(filter: &mut Option<Expr>, f: &mut impl RowFilter) {
    if let Some(filter) = filter {
        in_expr(filter, f);
    }
}

/// A SELECT's nested queries first, then its own rows' condition (so the
/// condition added is not walked again).
pub(crate) fn in_select(select: &mut Select, f: &mut impl RowFilter, own: bool) {
    if let Projection::Exprs(exprs) = &mut select.projection {
        exprs.iter_mut().for_each(|e| in_expr(e, f));
    }
    let nested = (select.computed.iter_mut())
        .chain(&mut select.filter)
        .chain(&mut select.group_by)
        .chain(&mut select.having)
        .chain(select.order_exprs.iter_mut().map(|o| &mut o.expr));
    nested.for_each(|e| in_expr(e, f));
    and(&mut select.filter, f.condition(select.table, own));
}

fn in_json(include: &mut JsonInclude, f: &mut impl RowFilter) {
    in_nested(&mut include.filter, f);
    include.nested.iter_mut().for_each(|e| in_expr(e, f));
    and(&mut include.filter, f.condition(include.table, false));
    if let Some(join) = &mut include.join {
        and(&mut join.filter, f.condition(join.table, false));
    }
}

/// Every model subquery inside `expr`. The select builder's subqueries
/// follow its own walker (`query::select::row_filter`).
pub(crate) fn in_expr(expr: &mut Expr, f: &mut impl RowFilter) {
    match expr {
        Expr::Subquery(query) | Expr::Exists { query, .. } => in_select(query, f, false),
        Expr::IncludeJson(include) => in_json(include, f),
        operator => operator.for_each_operand_mut(|e| in_expr(e, f)),
    }
}

/// ANDs `extra` into `filter`, keeping what is there.
pub(crate) fn and(filter: &mut Option<Expr>, extra: Option<Expr>) {
    let Some(extra) = extra else { return };
    *filter = Some(match filter.take() {
        None => extra,
        Some(existing) => and_expr(existing, extra),
    });
}

/// `existing AND extra`, flat when `existing` is already an AND.
pub(crate) fn and_expr(existing: Expr, extra: Expr) -> Expr {
    match existing {
        Expr::And(mut items) => {
            items.push(extra);
            Expr::And(items)
        }
        existing => Expr::And(vec![existing, extra]),
    }
}
