//! Soft delete over the select builder's AST ([`QueryAst`]), applied by the
//! built-in interceptor to `Args::Select`.
//!
//! Every soft-deleted model the query reads, at any depth, reads live rows
//! only: FROM gets `AND "alias"."deleted_at" IS NULL` in its select's WHERE;
//! a joined model gets it in that join's ON, so a left join keeps the row
//! and reads NULLs instead of dropping it. A table a RIGHT or FULL join
//! keeps unmatched (FROM, or the joined one) has it in WHERE and in the ON
//! of each later RIGHT or FULL join, so a deleted row neither shows nor
//! takes the row it would have matched with it. Subqueries (`exists`,
//! `in_subquery`, scalar), derived tables, CTEs and each branch of a set
//! operation get the same, each select for its own tables. A select marked
//! `with_deleted()` is left alone, with everything nested in it.
//!
//! The builder's AST names each table with its soft-delete column
//! ([`TableRef::Table`]), so unlike the model rewrite no relation graph is
//! walked.

use super::Scope;
use crate::query::ast::Expr;
use crate::query::select::{Distinct, JoinKind, QueryAst, SelectAst, SubqueryExpr, TableRef};

/// Whether running `query` needs the rewrite: a select not marked
/// `with_deleted()` reads a soft-deleted table somewhere. The executor
/// sends a query that does not straight to the renderer (without user
/// interceptors), as before soft delete.
pub fn reads_soft_deleted(query: &QueryAst) -> bool {
    match query {
        QueryAst::Select(select) => select_reads(select),
        QueryAst::Compound(c) => {
            reads_soft_deleted(&c.first) || c.rest.iter().any(|(_, q)| reads_soft_deleted(q))
        }
    }
}

/// [`reads_soft_deleted`] of one select.
pub fn select_reads(select: &SelectAst) -> bool {
    let table = |t: &TableRef| match t {
        TableRef::Table { soft_delete, .. } => soft_delete.is_some(),
        TableRef::Derived { query, .. } => reads_soft_deleted(query),
        TableRef::Cte { .. } => false,
    };
    select.soft_delete == Scope::Live
        && (table(&select.from)
            || select.joins.iter().any(|j| table(&j.table))
            || select.with.iter().any(|c| reads_soft_deleted(&c.query))
            || exprs(select).any(expr_reads))
}

fn expr_reads(expr: &Expr) -> bool {
    let mut found = false;
    visit(expr, &mut |sub| {
        found |= match sub {
            SubqueryExpr::Scalar(q) | SubqueryExpr::Exists { query: q, .. } => {
                reads_soft_deleted(q)
            }
            SubqueryExpr::In { expr, query, .. } => expr_reads(expr) || reads_soft_deleted(query),
        }
    });
    found
}

/// Marks every branch of `query` `with_deleted()`.
pub fn show_deleted(query: &mut QueryAst) {
    match query {
        QueryAst::Select(select) => select.soft_delete = Scope::WithDeleted,
        QueryAst::Compound(c) => {
            show_deleted(&mut c.first);
            c.rest.iter_mut().for_each(|(_, q)| show_deleted(q));
        }
    }
}

/// Hides soft-deleted rows everywhere in `query` but under a
/// `with_deleted()` select.
pub fn apply(query: &mut QueryAst) {
    match query {
        QueryAst::Select(select) => apply_select(select),
        QueryAst::Compound(c) => {
            apply(&mut c.first);
            c.rest.iter_mut().for_each(|(_, q)| apply(q));
        }
    }
}

fn apply_select(select: &mut SelectAst) {
    if select.soft_delete == Scope::WithDeleted {
        return;
    }
    select.with.iter_mut().for_each(|c| apply(&mut c.query));
    // Nested queries first: the conditions added below hold none.
    for_each_expr(select, &mut |e| apply_in_expr(e));
    if let TableRef::Derived { query, .. } = &mut select.from {
        apply(query);
    }
    // The tables whose rows the joins so far keep even unmatched: FROM, and
    // each RIGHT- or FULL-joined table.
    let mut kept: Vec<Expr> = live(&select.from).into_iter().collect();
    for join in &mut select.joins {
        if let TableRef::Derived { query, .. } = &mut join.table {
            apply(query);
        }
        let outer = matches!(join.kind, JoinKind::Right | JoinKind::Full);
        let own = live(&join.table);
        // A deleted row never matches: the joined table's own condition in
        // ON (so a left join reads NULLs), and, for a RIGHT or FULL join,
        // the kept tables' too (else WHERE, below, would drop the row it
        // matched along with it).
        let before: &[Expr] = if outer { &kept } else { &[] };
        for live in before.iter().cloned().chain(own.clone()) {
            let on = std::mem::replace(&mut join.on, Expr::And(Vec::new()));
            join.on = and_expr(on, live);
        }
        if outer {
            kept.extend(own);
        }
    }
    // Rows of a kept table that matched nothing: deleted ones go here; a
    // NULL-extended row reads NULL and stays.
    for live in kept {
        and(&mut select.filter, live);
    }
}

/// `"alias"."deleted_at" IS NULL` for a soft-deleted model's table, named
/// as the query names it (an `alias!` source by its alias).
fn live(table: &TableRef) -> Option<Expr> {
    let TableRef::Table {
        soft_delete: Some(column),
        ..
    } = table
    else {
        return None;
    };
    Some(Expr::IsNull {
        expr: Box::new(Expr::Qualified {
            table: table.name().to_owned().into(),
            column,
        }),
        negated: false,
    })
}

fn and(filter: &mut Option<Expr>, extra: Expr) {
    *filter = Some(match filter.take() {
        None => extra,
        Some(existing) => and_expr(existing, extra),
    });
}

fn and_expr(existing: Expr, extra: Expr) -> Expr {
    match existing {
        Expr::And(mut items) => {
            items.push(extra);
            Expr::And(items)
        }
        existing => Expr::And(vec![existing, extra]),
    }
}

fn apply_in_expr(expr: &mut Expr) {
    visit_mut(expr, &mut |sub| match sub {
        SubqueryExpr::Scalar(q) | SubqueryExpr::Exists { query: q, .. } => apply(q),
        SubqueryExpr::In { expr, query, .. } => {
            apply_in_expr(expr);
            apply(query);
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
