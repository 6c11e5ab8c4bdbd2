//! Soft delete over the select builder's AST ([`QueryAst`]), applied by the
//! built-in interceptor to `Args::Select`.
//!
//! Every soft-deleted model the query reads, at any depth, reads live rows
//! only: `"alias"."deleted_at" IS NULL` wherever the shared walker
//! ([`crate::query::select::row_filter`]) puts a table's condition (FROM in
//! WHERE, a joined model in its ON, a RIGHT or FULL join's kept tables in
//! both; subqueries, derived tables, CTEs and set operations each for their
//! own tables). A select marked `with_deleted()` is left alone, with
//! everything nested in it.

use super::Scope;
use crate::query::ast::Expr;
use crate::query::select::row_filter::{self, qualified, TableFilter};
use crate::query::select::{QueryAst, SelectAst, TableRef};

/// Soft delete as a [`TableFilter`]: live rows of soft-deleted models.
struct Live;

impl TableFilter for Live {
    fn skips(&self, select: &SelectAst) -> bool {
        select.soft_delete == Scope::WithDeleted
    }

    fn applies(&self, table: &TableRef) -> bool {
        matches!(
            table,
            TableRef::Table {
                soft_delete: Some(_),
                ..
            }
        )
    }

    fn condition(&mut self, table: &TableRef) -> Option<Expr> {
        let TableRef::Table {
            soft_delete: Some(column),
            ..
        } = table
        else {
            return None;
        };
        Some(Expr::IsNull {
            expr: Box::new(qualified(table, column)),
            negated: false,
        })
    }
}

/// Whether running `query` needs the rewrite: a select not marked
/// `with_deleted()` reads a soft-deleted table somewhere. The executor
/// sends a query that does not straight to the renderer (without user
/// interceptors), as before soft delete.
pub fn reads_soft_deleted(query: &QueryAst) -> bool {
    row_filter::reads(query, &Live)
}

/// [`reads_soft_deleted`] of one select.
pub fn select_reads(select: &SelectAst) -> bool {
    row_filter::select_reads(select, &Live)
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
    row_filter::apply(query, &mut Live);
}
