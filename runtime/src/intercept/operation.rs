//! The operation a `before` hook sees, with its arguments still an AST.

use super::Action;
use crate::error::{Error, Result};
use crate::query::ast::{Expr, Load, Statement};
use crate::query::select::QueryAst;
use crate::query::{Filter, IntoFilter};
use crate::raw::Sql;
use crate::schema::{Model, ModelSchema};

/// One operation, before strata renders it: its model, its [`Action`] and
/// its arguments, which a [`before`](super::Interceptor::before) hook may
/// change.
#[derive(Debug)]
pub struct Operation<'a> {
    model: Option<&'static ModelSchema>,
    action: Action,
    args: Args<'a>,
    /// A hook asked for the arguments mutably: the statement is rendered
    /// from the AST, not from a remembered shape.
    changed: bool,
    /// Soft delete: which rows of a soft-deleted model the operation's
    /// builder asked for (`with_deleted()`, `only_deleted()`,
    /// `force_delete()`, `restore()`), applied by the built-in
    /// [`SoftDelete`](crate::soft_delete::SoftDelete) interceptor.
    soft_delete: crate::soft_delete::Scope,
}

/// An operation's arguments: the statement AST it will be rendered from,
/// mutable until it is.
#[derive(Debug)]
#[non_exhaustive]
pub enum Args<'a> {
    /// A model read or write: `find_*`, `count`, `exists`, `aggregate`,
    /// `group_by`, `create`, `update*`, `upsert`, `delete*`; includes read
    /// in the parent's statement are part of its SELECT.
    Statement(&'a mut Statement),
    /// `create_many`: one INSERT per batch of rows that fits the
    /// database's bind limit, run in one transaction.
    Statements(&'a mut Vec<Statement>),
    /// One include level read in its own statement.
    Load(&'a mut Load),
    /// The select builder's query. A row lock it asked for is not part of
    /// the AST (it is written after the query by the renderer).
    Select(&'a mut QueryAst),
    /// A `sql!` fragment.
    Raw(&'a mut Sql),
}

impl<'a> Operation<'a> {
    pub(crate) fn new(model: Option<&'static ModelSchema>, action: Action, args: Args<'a>) -> Self {
        Operation {
            model,
            action,
            args,
            changed: false,
            soft_delete: crate::soft_delete::Scope::Live,
        }
    }

    /// The operation with the soft-delete scope its builder set.
    pub(crate) fn with_soft_delete(mut self, scope: crate::soft_delete::Scope) -> Self {
        self.soft_delete = scope;
        self
    }

    /// Which rows of a soft-deleted model the operation asked for; see
    /// [`Scope`](crate::soft_delete::Scope).
    pub fn soft_delete_scope(&self) -> crate::soft_delete::Scope {
        self.soft_delete
    }

    /// The model the operation reads or writes; `None` for the select
    /// builder and `sql!`.
    pub fn model(&self) -> Option<&'static ModelSchema> {
        self.model
    }

    pub fn action(&self) -> Action {
        self.action
    }

    pub fn args(&self) -> &Args<'a> {
        &self.args
    }

    /// The arguments, to change before they are rendered. (Asking for
    /// them makes strata render the statement from them, where it would
    /// otherwise reuse the text remembered for a point statement's shape.)
    pub fn args_mut(&mut self) -> &mut Args<'a> {
        self.changed = true;
        &mut self.args
    }

    pub(crate) fn changed(&self) -> bool {
        self.changed
    }

    /// ANDs `condition` into the operation's WHERE: the rows a read
    /// returns, an update or delete changes, an include loads. Columns in
    /// `condition` are the operation's model's ([`Operation::model`]),
    /// written unqualified (`Expr::Column`). An error for an operation
    /// that has no filter to add to: creates and upserts (an INSERT has no
    /// WHERE), set operations of the select builder and `sql!`; the
    /// interceptor decides whether to fail the operation
    /// with it or let that action through.
    pub fn and_filter(&mut self, condition: Expr) -> Result<()> {
        let slot = match self.args_mut() {
            Args::Statement(Statement::Select(s)) => &mut s.filter,
            Args::Statement(Statement::Update(u)) => &mut u.filter,
            Args::Statement(Statement::Delete(d)) => &mut d.filter,
            Args::Load(load) => &mut load.filter,
            Args::Select(QueryAst::Select(s)) => &mut s.filter,
            _ => {
                return Err(Error::InvalidValue {
                    model: self.model.map_or(self.action.as_str(), |m| m.name),
                    field: None,
                    reason: format!(
                        "an interceptor added a filter to a `{}` operation, which has no WHERE to add it to",
                        self.action
                    ),
                })
            }
        };
        *slot = Some(match slot.take() {
            None => condition,
            Some(Expr::And(mut items)) => {
                items.push(condition);
                Expr::And(items)
            }
            Some(existing) => Expr::And(vec![existing, condition]),
        });
        Ok(())
    }

    /// [`Operation::and_filter`] with a typed filter of `M`, for an
    /// interceptor that knows the model: does nothing (returns `false`)
    /// when the operation is on another model or on none.
    pub fn and_filter_for<M: Model>(&mut self, filter: impl IntoFilter<M>) -> Result<bool> {
        // By name and table, not address: a const's address may differ
        // between uses.
        let same = |m: &ModelSchema| m.name == M::SCHEMA.name && m.table == M::SCHEMA.table;
        if !self.model.is_some_and(same) {
            return Ok(false);
        }
        let filter: Filter<M> = filter.into_filter();
        self.and_filter(filter.expr).map(|()| true)
    }
}
