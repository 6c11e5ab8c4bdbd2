//! Locking reads with the select builder: `.for_update()` (and kin) turns a
//! [`SelectQuery`] into a [`LockedSelect`], which runs like the query but
//! only as a whole statement. It is no subquery, CTE or set-operation
//! member: PostgreSQL refuses a lock in a set operation, and a lock taken
//! inside a larger query would be easy to misread. The rules are the model
//! reads' (`query/row_lock.rs`): only in a transaction, NOWAIT's failure is
//! [`Error::LockNotAvailable`](crate::Error::LockNotAvailable) (naming
//! `select`), each strength written per dialect by `render/row_lock.rs`.
//!
//! The lock covers every table the query reads in FROM and its joins
//! (PostgreSQL refuses to lock the nullable side of an outer join; MySQL
//! locks the rows it reads from each).

use super::build::SelectQuery;
use super::output::OutputIn;
use crate::error::{Error, Result};
use crate::execute::Rows;
use crate::query::ast::{LockStrength, LockWait};
use crate::query::row_lock::LockRequest;
use crate::raw::decode_whole;
use crate::render::select::{render_builder, BuilderStatement};
use crate::render::{Dialect, Rendered};
use crate::schema::FromRow;
use crate::{Db, ToSql};

/// What errors of a locking builder query name instead of a model.
const LABEL: &str = "select";

/// A select builder query that locks the rows it reads until the
/// transaction ends; from [`SelectQuery::for_update`] and kin.
pub struct LockedSelect<Sel, S> {
    query: SelectQuery<Sel, S>,
    lock: LockRequest,
}

impl<Sel, S> SelectQuery<Sel, S> {
    fn locked(self, strength: LockStrength) -> LockedSelect<Sel, S> {
        LockedSelect {
            query: self,
            lock: LockRequest::new(strength),
        }
    }

    /// Locks the rows read until the transaction ends (`FOR UPDATE`); runs
    /// only on a transaction's `Db`. See the README's "Pessimistic locking".
    pub fn for_update(self) -> LockedSelect<Sel, S> {
        self.locked(LockStrength::Update)
    }

    /// PostgreSQL's `FOR NO KEY UPDATE`; `FOR UPDATE` on MySQL/MariaDB.
    pub fn for_no_key_update(self) -> LockedSelect<Sel, S> {
        self.locked(LockStrength::NoKeyUpdate)
    }

    /// A shared lock (`FOR SHARE`; MySQL/MariaDB `LOCK IN SHARE MODE`).
    pub fn for_share(self) -> LockedSelect<Sel, S> {
        self.locked(LockStrength::Share)
    }

    /// PostgreSQL's `FOR KEY SHARE`; a shared lock on MySQL/MariaDB.
    pub fn for_key_share(self) -> LockedSelect<Sel, S> {
        self.locked(LockStrength::KeyShare)
    }
}

impl<Sel, S> LockedSelect<Sel, S> {
    /// Fails at once with [`Error::LockNotAvailable`] instead of waiting for
    /// a row another transaction has locked (`NOWAIT`).
    pub fn nowait(mut self) -> Self {
        self.lock.set_wait(LockWait::NoWait);
        self
    }

    /// Leaves out rows another transaction has locked (`SKIP LOCKED`).
    pub fn skip_locked(mut self) -> Self {
        self.lock.set_wait(LockWait::SkipLocked);
        self
    }

    async fn fetch<T: FromRow + Send + Unpin + 'static>(
        &self,
        db: &Db,
        rows: Rows,
    ) -> Result<Vec<T>> {
        self.lock.check(db, LABEL)?;
        let rendered = super::fetch::prepare(db, self, self.lock.row_lock())?;
        (db.run_fetch(rendered, decode_whole::<T>, rows).await)
            .map_err(|e| self.lock.classify(e, LABEL))
    }

    /// Runs the query; rows are `Sel`'s output type.
    pub async fn fetch_all<I>(&self, db: &Db) -> Result<Vec<Sel::Output>>
    where
        Sel: OutputIn<S, I>,
    {
        self.fetch(db, Rows::All).await
    }

    /// The first row; [`Error::NotFound`] naming `select` when there is none.
    pub async fn fetch_one<I>(&self, db: &Db) -> Result<Sel::Output>
    where
        Sel: OutputIn<S, I>,
    {
        self.fetch_optional(db)
            .await?
            .ok_or(Error::NotFound { model: LABEL })
    }

    /// The first row, if any (the query is sent as built: add `.limit(1)`).
    pub async fn fetch_optional<I>(&self, db: &Db) -> Result<Option<Sel::Output>>
    where
        Sel: OutputIn<S, I>,
    {
        Ok(self.fetch(db, Rows::First).await?.into_iter().next())
    }

    /// Every row converted into `T` (a struct with `From` of the output tuple).
    pub async fn fetch_all_into<I, T: From<Sel::Output>>(&self, db: &Db) -> Result<Vec<T>>
    where
        Sel: OutputIn<S, I>,
    {
        Ok(self.fetch_all(db).await?.into_iter().map(T::from).collect())
    }

    /// Every row decoded by position as `T` (see [`SelectQuery::fetch_all_as`]).
    pub async fn fetch_all_as<T: FromRow + Send + Unpin + 'static>(
        &self,
        db: &Db,
    ) -> Result<Vec<T>> {
        self.fetch(db, Rows::All).await
    }
}

/// Offered to interceptors as the query it locks; rendered straight (no
/// interceptor, nothing soft-deleted or tenant-scoped) by its own
/// [`ToSql`], lock included.
impl<Sel, S> super::fetch::Builder for LockedSelect<Sel, S> {
    fn statement(&self) -> BuilderStatement<'_> {
        BuilderStatement::Select(&self.query.ast, self.lock.row_lock())
    }
    fn query_ast(&self) -> super::QueryAst {
        self.query.query_ast()
    }
    fn rewrites(&self) -> bool {
        self.query.rewrites()
    }
    fn scope(&self) -> crate::soft_delete::Scope {
        self.query.scope()
    }
}

impl<Sel, S> ToSql for LockedSelect<Sel, S> {
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
        use super::fetch::Builder;
        render_builder(self.statement(), dialect)
    }
}
