//! `reset`, for development: drops every table, view and type of the
//! database (the current schema on PostgreSQL), then applies every
//! migration from the start. It refuses a URL that is not on this machine
//! unless forced, so a production URL left in the environment is safe.

use super::session::Session;
use super::url::{is_local, redact};
use super::{table, Migrator};
use crate::error::{Error, Result};
use crate::render::{Dialect, Rendered, SqlWriter};

impl Migrator {
    /// Drops everything and applies every migration; the names applied.
    /// Refuses a non-local URL (see [`super::is_local`]) unless `force`.
    pub async fn reset(&self, force: bool) -> Result<Vec<String>> {
        if !force && !is_local(&self.url) {
            return Err(Error::InvalidUrl {
                url: redact(&self.url),
                reason: "reset drops every table, and this database is not on this machine \
                         (host is not localhost, 127.0.0.1, ::1, a unix socket or a SQLite \
                         file); pass --force if you really mean it",
            });
        }
        let (mut session, lock) = self.lock().await?;
        let result = self.reset_on(&mut session).await;
        self.unlock(session, lock, result).await
    }

    async fn reset_on(&self, session: &mut Session) -> Result<Vec<String>> {
        drop_everything(session).await?;
        table::ensure_table(session).await?;
        self.up_on(session, None).await
    }
}

async fn drop_everything(session: &mut Session) -> Result<()> {
    let dialect = session.dialect();
    // (list query, DROP keyword) in dependency order: views before the
    // tables they read, types after the tables using them.
    let kinds: &[(&str, &str)] = match dialect {
        Dialect::Postgres => &[
            (
                "SELECT viewname::text AS name FROM pg_views WHERE schemaname = current_schema()",
                "VIEW",
            ),
            (
                "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = current_schema()",
                "TABLE",
            ),
            (
                "SELECT sequence_name::text AS name FROM information_schema.sequences \
                 WHERE sequence_schema = current_schema()",
                "SEQUENCE",
            ),
            (
                "SELECT t.typname::text AS name FROM pg_type t \
                 JOIN pg_namespace n ON n.oid = t.typnamespace \
                 WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd')",
                "TYPE",
            ),
        ],
        Dialect::MySql => &[
            (
                "SELECT CAST(table_name AS CHAR) AS name FROM information_schema.views \
                 WHERE table_schema = DATABASE()",
                "VIEW",
            ),
            (
                "SELECT CAST(table_name AS CHAR) AS name FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
                "TABLE",
            ),
        ],
        Dialect::Sqlite => &[
            ("SELECT name FROM sqlite_master WHERE type = 'view'", "VIEW"),
            (
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                "TABLE",
            ),
        ],
    };
    // Tables are dropped in any order, so foreign keys are off meanwhile
    // (PostgreSQL drops them with CASCADE instead).
    let (fk_off, fk_on) = match dialect {
        Dialect::MySql => ("SET FOREIGN_KEY_CHECKS = 0", "SET FOREIGN_KEY_CHECKS = 1"),
        Dialect::Sqlite => ("PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON"),
        Dialect::Postgres => ("", ""),
    };
    if !fk_off.is_empty() {
        session.run_script(fk_off).await?;
    }
    let mut result = Ok(());
    for (list, kind) in kinds {
        result = drop_all_of(session, list, kind).await;
        if result.is_err() {
            break;
        }
    }
    if !fk_on.is_empty() {
        session.run_script(fk_on).await?;
    }
    result
}

async fn drop_all_of(session: &mut Session, list: &str, kind: &str) -> Result<()> {
    let dialect = session.dialect();
    let mut w = SqlWriter::new(dialect);
    w.push(list);
    let names = session.fetch(w.finish(), |r| r.text("name")).await?;
    for name in names.into_iter().flatten() {
        session
            .execute(drop_statement(dialect, kind, &name))
            .await?;
    }
    Ok(())
}

fn drop_statement(dialect: Dialect, kind: &str, name: &str) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    w.push("DROP ");
    w.push(kind);
    w.push(" IF EXISTS ");
    w.push_ident(name);
    if dialect == Dialect::Postgres {
        w.push(" CASCADE");
    }
    w.finish()
}
