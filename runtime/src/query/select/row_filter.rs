//! One walker over the select builder's AST ([`QueryAst`]) for the built-in
//! row filters (soft delete, tenancy): every model table the query reads,
//! at any depth, gets the filter's condition.
//!
//! FROM gets it in its select's WHERE; a joined model gets it in that
//! join's ON, so a left join keeps the row and reads NULLs instead of
//! dropping it. A table a RIGHT or FULL join keeps unmatched (FROM, or the
//! joined one) has it in WHERE and in the ON of each later RIGHT or FULL
//! join, so a filtered-out row neither shows nor takes the row it would
//! have matched with it. Subqueries (`exists`, `in_subquery`, scalar),
//! derived tables, CTEs and each branch of a set operation get the same,
//! each select for its own tables.
//!
//! The builder's AST names each table with its soft-delete and tenant
//! columns ([`TableRef::Table`]), so unlike the model rewrite no relation
//! graph is walked. Conditions are ANDed into what is there, never
//! replace it, so filters applied one after the other all hold.

use crate::query::ast::Expr;
use crate::query::row_filter::{and, and_expr};
use crate::query::select::{Distinct, JoinKind, QueryAst, SelectAst, SubqueryExpr, TableRef};

/// What one filter puts on the builder's tables.
pub(crate) trait TableFilter {
    /// Whether `select`, and everything nested in it, is left alone
    /// (soft delete's `with_deleted()`).
    fn skips(&self, select: &SelectAst) -> bool;
    /// Whether `table` gets a condition (without building it).
    fn applies(&self, table: &TableRef) -> bool;
    /// The condition on `table`'s rows, its columns qualified by the name
    /// the query gives it.
    fn condition(&mut self, table: &TableRef) -> Option<Expr>;
}

/// Whether applying `filter` to `query` would change it: a select it does
/// not skip reads a table it applies to somewhere.
pub(crate) fn reads(query: &QueryAst, filter: &impl TableFilter) -> bool {
    match query {
        QueryAst::Select(select) => select_reads(select, filter),
        QueryAst::Compound(c) => {
            reads(&c.first, filter) || c.rest.iter().any(|(_, q)| reads(q, filter))
        }
    }
}

/// [`reads`] of one select.
pub(crate) fn select_reads(select: &SelectAst, filter: &impl TableFilter) -> bool {
    let table = |t: &TableRef| match t {
        TableRef::Table { .. } => filter.applies(t),
        TableRef::Derived { query, .. } => reads(query, filter),
        TableRef::Cte { .. } => false,
    };
    !filter.skips(select)
        && (table(&select.from)
            || select.joins.iter().any(|j| table(&j.table))
            || select.with.iter().any(|c| reads(&c.query, filter))
            || exprs(select).any(|e| expr_reads(e, filter)))
}

fn expr_reads(expr: &Expr, filter: &impl TableFilter) -> bool {
    let mut found = false;
    visit(expr, &mut |sub| {
        found |= match sub {
            SubqueryExpr::Scalar(q) | SubqueryExpr::Exists { query: q, .. } => reads(q, filter),
            SubqueryExpr::In { expr, query, .. } => {
                expr_reads(expr, filter) || reads(query, filter)
            }
        }
    });
    found
}

/// ANDs `filter`'s conditions in everywhere in `query` but under a select
/// it skips.
pub(crate) fn apply(query: &mut QueryAst, filter: &mut impl TableFilter) {
    match query {
        QueryAst::Select(select) => apply_select(select, filter),
        QueryAst::Compound(c) => {
            apply(&mut c.first, filter);
            c.rest.iter_mut().for_each(|(_, q)| apply(q, filter));
        }
    }
}

fn apply_select(select: &mut SelectAst, filter: &mut impl TableFilter) {
    if filter.skips(select) {
        return;
    }
    select
        .with
        .iter_mut()
        .for_each(|c| apply(&mut c.query, filter));
    // Nested queries first: the conditions added below hold none.
    for_each_expr(select, &mut |e| apply_in_expr(e, filter));
    if let TableRef::Derived { query, .. } = &mut select.from {
        apply(query, filter);
    }
    // The tables whose rows the joins so far keep even unmatched: FROM, and
    // each RIGHT- or FULL-joined table.
    let mut kept: Vec<Expr> = filter.condition(&select.from).into_iter().collect();
    for join in &mut select.joins {
        if let TableRef::Derived { query, .. } = &mut join.table {
            apply(query, filter);
        }
        let outer = matches!(join.kind, JoinKind::Right | JoinKind::Full);
        let own = filter.condition(&join.table);
        // A filtered-out row never matches: the joined table's own
        // condition in ON (so a left join reads NULLs), and, for a RIGHT or
        // FULL join, the kept tables' too (else WHERE, below, would drop
        // the row it matched along with it).
        let before: &[Expr] = if outer { &kept } else { &[] };
        for condition in before.iter().cloned().chain(own.clone()) {
            let on = std::mem::replace(&mut join.on, Expr::And(Vec::new()));
            join.on = and_expr(on, condition);
        }
        if outer {
            kept.extend(own);
        }
    }
    // Rows of a kept table that matched nothing: filtered-out ones go
    // here; a NULL-extended row reads NULL and stays.
    for condition in kept {
        and(&mut select.filter, Some(condition));
    }
}

fn apply_in_expr(expr: &mut Expr, filter: &mut impl TableFilter) {
    visit_mut(expr, &mut |sub| match sub {
        SubqueryExpr::Scalar(q) | SubqueryExpr::Exists { query: q, .. } => apply(q, filter),
        SubqueryExpr::In { expr, query, .. } => {
            apply_in_expr(expr, filter);
            apply(query, filter);
        }
    });
}

/// The expressions of one select (not of the queries nested in its tables).
fn exprs(select: &SelectAst) -> impl Iterator<Item = &Expr> {
    let distinct = match &select.distinct {
        Distinct::On(exprs) => exprs.as_slice(),
        _ => &[],
    };
    (select.items.iter())
        .chain(distinct)
        .chain(select.joins.iter().map(|j| &j.on))
        .chain(&select.filter)
        .chain(&select.group_by)
        .chain(&select.having)
        .chain(select.order_by.iter().map(|k| &k.expr))
}

fn for_each_expr(select: &mut SelectAst, f: &mut impl FnMut(&mut Expr)) {
    if let Distinct::On(exprs) = &mut select.distinct {
        exprs.iter_mut().for_each(&mut *f);
    }
    (select.items.iter_mut())
        .chain(select.joins.iter_mut().map(|j| &mut j.on))
        .chain(&mut select.filter)
        .chain(&mut select.group_by)
        .chain(&mut select.having)
        .chain(select.order_by.iter_mut().map(|k| &mut k.expr))
        .for_each(f);
}

/// Calls `f` on each builder subquery directly in `expr` (not inside
/// another one: `f` recurses as it needs).
fn visit(expr: &Expr, f: &mut impl FnMut(&SubqueryExpr)) {
    match expr {
        Expr::SelectSubquery(sub) => f(sub),
        // The model API's subqueries (relation filters) carry no builder
        // query; columns, values and `sql!` read no table strata knows.
        operator => operator.for_each_operand(|e| visit(e, f)),
    }
}

/// [`visit`], mutably.
fn visit_mut(expr: &mut Expr, f: &mut impl FnMut(&mut SubqueryExpr)) {
    match expr {
        Expr::SelectSubquery(sub) => f(sub),
        operator => operator.for_each_operand_mut(|e| visit_mut(e, f)),
    }
}

/// `"name"."column"`: a column of `table` as the query names it (an
/// `alias!` source by its alias).
pub(crate) fn qualified(table: &TableRef, column: &'static crate::schema::ColumnSchema) -> Expr {
    Expr::Qualified {
        table: table.name().to_owned().into(),
        column,
    }
}
