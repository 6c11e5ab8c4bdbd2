//! Soft delete: `#[strata(soft_delete = deleted_at)]` models keep deleted
//! rows, marked with the time of their deletion, and every read leaves them
//! out: the model API's, and the select builder's at every depth
//! ([`select`]).
//!
//! Built on the interceptor mechanism: [`rewrite`] holds the AST rewrites
//! as pure functions, and the built-in [`SoftDelete`] interceptor, which
//! every `Db` runs after the user's interceptors, applies them to each operation with the [`Scope`] its builder set
//! (`with_deleted()`, `only_deleted()`, `force_delete()`, `restore()`).
//! Models without soft delete, and models whose relations reach none, cost
//! one cached lookup per operation.

pub(crate) mod ddl;
mod restore;
pub mod rewrite;
pub mod select;

pub use restore::{Restore, RestoreMany};

/// Which rows of a soft-deleted model an operation sees. Only the
/// operation's own model follows it; rows of related models in relation
/// filters, counts and includes are always the live ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Live rows only; a delete soft-deletes. The default.
    #[default]
    Live,
    /// Live and deleted rows (`with_deleted()`); a delete is a real
    /// DELETE (`force_delete()`).
    WithDeleted,
    /// Deleted rows only (`only_deleted()`, `restore()`); a delete is a
    /// real DELETE of rows already soft-deleted.
    OnlyDeleted,
}

use crate::error::Result;
use crate::intercept::{Args, Flow, Interceptor, Operation};

/// The built-in interceptor behind soft delete. Every `Db` runs it after
/// the user's interceptors, just before the statement is rendered, so a
/// filter an interceptor added (a relation filter, say) hides deleted
/// related rows too. It reads the operation's
/// [`soft_delete_scope`](Operation::soft_delete_scope) and applies
/// [`rewrite`]; for a model that reaches no soft-deleted table it changes
/// nothing. A select builder query (`Args::Select`) is rewritten by
/// [`select::apply`], with the scope each of its selects carries.
#[derive(Debug, Clone, Copy, Default)]
pub struct SoftDelete;

impl Interceptor for SoftDelete {
    fn before(&self, op: &mut Operation<'_>) -> Result<Flow> {
        let scope = op.soft_delete_scope();
        // The select builder's query names the models it reads in its AST
        // (with their soft-delete columns), and carries its own scope.
        if let Args::Select(query) = op.args_mut() {
            select::apply(query);
            return Ok(Flow::Continue);
        }
        let Some(model) = op.model() else {
            return Ok(Flow::Continue);
        };
        match op.args_mut() {
            Args::Statement(statement) => {
                refuse_partial_upsert(statement, model)?;
                rewrite::apply(statement, model, scope)
            }
            Args::Statements(statements) => {
                for statement in statements.iter_mut() {
                    rewrite::apply(statement, model, scope);
                }
            }
            Args::Load(load) => rewrite::apply_load(load, model),
            _ => {}
        }
        Ok(Flow::Continue)
    }
}

/// An upsert keyed by a `partial_uniques` key: its unique index is partial,
/// which `ON CONFLICT (email)` cannot name as its arbiter (PostgreSQL and
/// SQLite want the index's predicate repeated there), so it is refused
/// here, by name, rather than by the database. By primary key it works.
fn refuse_partial_upsert(
    statement: &crate::query::ast::Statement,
    model: &'static crate::schema::ModelSchema,
) -> Result<()> {
    let crate::query::ast::Statement::Insert(insert) = statement else {
        return Ok(());
    };
    let (Some(conflict), Some(soft)) = (&insert.on_conflict, model.soft_delete) else {
        return Ok(());
    };
    let by_primary_key = conflict.target.len() == model.primary_key.columns.len()
        && (model.primary_key.columns.iter())
            .all(|&i| conflict.target.iter().any(|c| c.is(model.column(i))));
    if !soft.partial_uniques || by_primary_key {
        return Ok(());
    }
    Err(crate::Error::InvalidValue {
        model: model.name,
        field: conflict.target.first().map(|c| c.field),
        reason: "upsert by a `partial_uniques` key is not supported: the key is a partial unique index (live rows only), which ON CONFLICT cannot target; upsert by the primary key, or find the live row and then update or create".into(),
    })
}

/// `with_deleted()` and `only_deleted()` on a read builder whose scope is
/// the field `$field`.
macro_rules! soft_delete_methods {
    ($($field:ident).+) => {
        /// Soft delete: live and soft-deleted rows of this model alike.
        /// Related rows (relation filters, counts, includes) stay live
        /// only. Nothing changes for a model without soft delete.
        pub fn with_deleted(mut self) -> Self {
            self.$($field).+ = $crate::soft_delete::Scope::WithDeleted;
            self
        }

        /// Soft delete: only the soft-deleted rows of this model (its
        /// trash). Related rows stay live only. A model without soft
        /// delete has no deleted rows: nothing matches.
        pub fn only_deleted(mut self) -> Self {
            self.$($field).+ = $crate::soft_delete::Scope::OnlyDeleted;
            self
        }
    };
}
pub(crate) use soft_delete_methods;
