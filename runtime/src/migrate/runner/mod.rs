//! The migration runner: applies the folders of a [`MigrationsDir`] to one
//! database under a lock, records each in `_strata_migrations` with the
//! SHA-256 of its `up.sql`, and refuses to go on past a failed migration or
//! one edited after it was applied.
//!
//! ```no_run
//! # async fn run() -> strata::Result<()> {
//! use strata::migrate::files::MigrationsDir;
//! use strata::migrate::runner::Migrator;
//!
//! let migrator = Migrator::new("postgres://app@db.internal/app", MigrationsDir::new("migrations"));
//! println!("{}", migrator.status().await?);
//! let applied = migrator.deploy().await?;
//! # Ok(()) }
//! ```
//!
//! Every command opens one dedicated connection (`session.rs`); the ones
//! that change anything take the migration lock (`lock.rs`) first and read
//! the history under it, so two deployers started together apply each
//! migration once.

mod apply;
mod commands;
mod lock;
mod reset;
pub(crate) mod session;
mod split;
mod squash;
mod status;
mod table;
mod url;

pub use status::{MigrationStatus, State, Status};
pub use table::{Record, HISTORY_TABLE};
pub use url::{is_local, is_pooler, UrlSources};

use std::time::Duration;

use crate::error::{Error, Result};
use crate::migrate::files::{dialect_name, MigrationsDir};
use session::Session;

/// How long a command waits for another run's lock by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs migration commands against the database at one URL.
#[derive(Debug, Clone)]
pub struct Migrator {
    url: String,
    dir: MigrationsDir,
    lock_timeout: Duration,
    schema: Option<String>,
}

/// How `resolve` settles a failed migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Its changes are in place (finished by hand): record it as applied.
    Applied,
    /// Its changes are not in place (undone by hand, or it was atomic):
    /// record it as rolled back, so the next deploy applies it again.
    RolledBack,
}

impl Migrator {
    pub fn new(url: impl Into<String>, dir: MigrationsDir) -> Self {
        Migrator {
            url: url.into(),
            dir,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            schema: None,
        }
    }

    /// PostgreSQL: migrate the schema `name` (which must exist) instead of
    /// the connection's default. The runner's connection sets its
    /// `search_path` to that schema alone, so the migrations' unqualified
    /// names, the history table `_strata_migrations` and the lock (keyed by
    /// the current schema) are all that schema's own: each tenant schema of
    /// `strata::tenant::TenantSchemas` has its own history.
    pub fn schema(mut self, name: impl Into<String>) -> Self {
        self.schema = Some(name.into());
        self
    }

    /// How long to wait for another run holding the migration lock before
    /// failing with [`Error::MigrationLocked`].
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    pub fn dir(&self) -> &MigrationsDir {
        &self.dir
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Opens the session and checks the folder is for this database.
    async fn open(&self) -> Result<Session> {
        let mut session = Session::open(&self.url).await?;
        let checked = match self.check_dialect(&session) {
            Ok(()) => match &self.schema {
                Some(schema) => session.use_schema(schema).await,
                None => Ok(()),
            },
            Err(e) => Err(e),
        };
        match checked {
            Ok(()) => Ok(session),
            Err(e) => {
                session.close().await;
                Err(e)
            }
        }
    }

    fn check_dialect(&self, session: &Session) -> Result<()> {
        match self.dir.dialect()? {
            Some(recorded) if recorded != session.dialect() => Err(Error::MigrationFiles {
                path: self
                    .dir
                    .path()
                    .join("migration_lock.toml")
                    .display()
                    .to_string(),
                reason: format!(
                    "these migrations are for {}, but the database is {}",
                    dialect_name(recorded),
                    dialect_name(session.dialect())
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Opens a session, takes the migration lock on it, then makes sure the
    /// history table exists (under the lock: two runners creating it at
    /// once collide on PostgreSQL even with IF NOT EXISTS). Hand both back
    /// to [`Migrator::unlock`] with the work's result.
    async fn lock(&self) -> Result<(Session, lock::Lock)> {
        let mut session = self.open().await?;
        let lock = match lock::acquire(&mut session, &self.url, self.lock_timeout).await {
            Ok(lock) => lock,
            Err(e) => {
                session.close().await;
                return Err(e);
            }
        };
        let created = table::ensure_table(&mut session).await;
        match created {
            Ok(()) => Ok((session, lock)),
            Err(e) => self.unlock(session, lock, Err(e)).await,
        }
    }

    /// Releases the lock and closes the session, whatever `result` is.
    async fn unlock<T>(
        &self,
        mut session: Session,
        lock: lock::Lock,
        result: Result<T>,
    ) -> Result<T> {
        let released = lock.release(&mut session).await;
        session.close().await;
        let value = result?;
        released?;
        Ok(value)
    }
}
