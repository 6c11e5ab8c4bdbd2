//! The tenant filter over the select builder's AST: every tenant-scoped
//! model the query reads, at any depth, gets `"alias"."tenant_id" = $id`
//! where the shared walker ([`crate::query::select::row_filter`]) puts a
//! table's condition (FROM in WHERE, a joined model in its ON, a RIGHT or
//! FULL join's kept tables in both; subqueries, derived tables, CTEs and
//! each branch of a set operation). Soft delete's `with_deleted()` does not
//! lift it: only [`unscoped`](super::unscoped) does.

use super::filter::{equals, value_for};
use crate::error::{Error, Result};
use crate::query::ast::Expr;
use crate::query::select::row_filter::{self, qualified, TableFilter};
use crate::query::select::{QueryAst, SelectAst, TableRef};
use crate::value::Value;

/// The tenant as a [`TableFilter`]; `id` `None` is no scope at all.
struct Tenants<'a> {
    id: Option<&'a Value>,
    error: Option<Error>,
}

impl TableFilter for Tenants<'_> {
    fn skips(&self, _select: &SelectAst) -> bool {
        false
    }

    fn applies(&self, table: &TableRef) -> bool {
        matches!(
            table,
            TableRef::Table {
                tenant: Some(_),
                ..
            }
        )
    }

    fn condition(&mut self, table: &TableRef) -> Option<Expr> {
        let TableRef::Table {
            model,
            tenant: Some(column),
            ..
        } = table
        else {
            return None;
        };
        let id = value_for(model, column, self.id);
        match id {
            Ok(id) => Some(equals(qualified(table, column), id)),
            Err(e) => {
                self.error.get_or_insert(e);
                None
            }
        }
    }
}

/// Whether `query` reads a tenant-scoped table anywhere (the AST alone: no
/// scope is read).
pub(crate) fn reads_tenant(query: &QueryAst) -> bool {
    let probe = Tenants {
        id: None,
        error: None,
    };
    row_filter::reads(query, &probe)
}

/// [`reads_tenant`] of one select.
pub(crate) fn select_reads_tenant(select: &SelectAst) -> bool {
    let probe = Tenants {
        id: None,
        error: None,
    };
    row_filter::select_reads(select, &probe)
}

/// Filters every tenant table in `query` by `id`; with no scope, the first
/// tenant table met is an [`Error::MissingTenant`].
pub(crate) fn apply(query: &mut QueryAst, id: Option<&Value>) -> Result<()> {
    let mut tenants = Tenants { id, error: None };
    row_filter::apply(query, &mut tenants);
    tenants.error.map_or(Ok(()), Err)
}
