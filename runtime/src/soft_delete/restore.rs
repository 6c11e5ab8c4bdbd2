//! `Model::restore(key)` and `Model::restore_many()`: a soft-deleted row
//! made live again (its deletion time set back to NULL). Both are updates
//! run with [`Scope::OnlyDeleted`], so the built-in interceptor limits them
//! to deleted rows: restoring a live row is `NotFound` (or counts 0).

use super::Scope;
use crate::error::{Error, Result};
use crate::execute::Db;
use crate::intercept::chain::op;
use crate::intercept::Action;
use crate::query::ast::{AssignValue, Assignment, Statement, Update};
use crate::query::{merge_filter, Filter, FindUnique, IntoFilter, UniqueKey};
use crate::schema::{ColumnSchema, Model};
use crate::value::Value;

/// Restores the soft-deleted row with a unique key and returns it live;
/// `Error::NotFound` if no deleted row has that key.
pub struct Restore<M> {
    key: UniqueKey<M>,
}

impl<M: Model> Restore<M> {
    pub fn new(key: UniqueKey<M>) -> Self {
        Restore { key }
    }

    /// The UPDATE, before the interceptor limits it to deleted rows.
    pub fn statement(&self) -> Result<Statement> {
        Ok(Statement::Update(Update {
            table: M::SCHEMA.table,
            set: vec![undelete(column::<M>()?)],
            filter: Some(self.key.filter().expr),
            returning: M::SCHEMA.columns.iter().collect(),
        }))
    }

    pub async fn exec(self, db: &Db) -> Result<M> {
        let op = op::<M>(Action::Update).soft_delete(Scope::OnlyDeleted);
        let prepared = db.prepare_statement(op, self.statement()?)?;
        if db.dialect().supports_returning() {
            return (db.run_optional(prepared).await?)
                .ok_or_else(crate::query::write::not_found::<M>);
        }
        // MySQL: no RETURNING; the row is live now, so the plain read finds it.
        if db.run_execute(prepared).await?.rows_affected == 0 {
            return Err(crate::query::write::not_found::<M>());
        }
        FindUnique::new(self.key).exec_required(db).await
    }
}

/// Restores every soft-deleted row matching a filter; returns how many.
pub struct RestoreMany<M> {
    filter: Option<Filter<M>>,
}

impl<M: Model> Default for RestoreMany<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Model> RestoreMany<M> {
    pub fn new() -> Self {
        RestoreMany { filter: None }
    }

    /// Restores only deleted rows matching `filter`; repeated calls AND together.
    pub fn filter(mut self, filter: impl IntoFilter<M>) -> Self {
        self.filter = Some(merge_filter(self.filter.take(), filter.into_filter()));
        self
    }

    pub fn statement(&self) -> Result<Statement> {
        Ok(Statement::Update(Update {
            table: M::SCHEMA.table,
            set: vec![undelete(column::<M>()?)],
            filter: self.filter.as_ref().map(|f| f.expr.clone()),
            returning: Vec::new(),
        }))
    }

    pub async fn exec(self, db: &Db) -> Result<u64> {
        let op = op::<M>(Action::UpdateMany).soft_delete(Scope::OnlyDeleted);
        let prepared = db.prepare_statement(op, self.statement()?)?;
        Ok(db.run_execute(prepared).await?.rows_affected)
    }
}

fn column<M: Model>() -> Result<&'static ColumnSchema> {
    M::SCHEMA
        .soft_delete_column()
        .ok_or_else(|| Error::InvalidValue {
            model: M::SCHEMA.name,
            field: None,
            reason: "restore needs a soft-deleted model: add `#[strata(soft_delete = deleted_at)]`"
                .into(),
        })
}

fn undelete(column: &'static ColumnSchema) -> Assignment {
    Assignment {
        column,
        value: AssignValue::Set(Value::Null(column.ty)),
    }
}
