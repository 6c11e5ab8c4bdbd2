//! The runner's one dedicated connection. A migration run is a session: the
//! lock is held by it (PostgreSQL advisory and MySQL named locks belong to
//! a session), its transactions pin it, and a no-transaction migration's
//! statements must follow each other on it. A pool would hand each statement
//! to any connection, so the runner opens its own.

use sqlx::{Connection as _, Row as _};

use crate::error::{Error, Result};
use crate::execute::bind::{mysql_arguments, pg_arguments, sqlite_arguments};
use crate::execute::pool::{connect_options, AnyOptions};
use crate::execute::trusted;
use crate::render::{Dialect, Rendered, SqlWriter};

pub(crate) enum Session {
    Postgres(sqlx::PgConnection),
    Sqlite(sqlx::SqliteConnection),
    MySql(sqlx::MySqlConnection),
}

/// Runs `$body` with `$conn` the driver connection and `$args` its argument
/// builder, whichever database the session is on.
macro_rules! on_session {
    ($session:expr, |$conn:ident, $args:ident| $body:expr) => {
        match $session {
            Session::Postgres($conn) => {
                let $args = pg_arguments;
                $body
            }
            Session::Sqlite($conn) => {
                let $args = sqlite_arguments;
                $body
            }
            Session::MySql($conn) => {
                let $args = mysql_arguments;
                $body
            }
        }
    };
}

/// One row of a query the runner reads, by column name.
pub(crate) trait ReadRow {
    fn text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn int(&self, column: &str) -> Result<Option<i64>, sqlx::Error>;
    fn flag(&self, column: &str) -> Result<Option<bool>, sqlx::Error>;
    fn time(&self, column: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, sqlx::Error>;
}

macro_rules! read_row {
    ($row:ty) => {
        impl ReadRow for $row {
            fn text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
                self.try_get(column)
            }
            fn int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
                self.try_get(column)
            }
            fn flag(&self, column: &str) -> Result<Option<bool>, sqlx::Error> {
                self.try_get(column)
            }
            fn time(
                &self,
                column: &str,
            ) -> Result<Option<chrono::DateTime<chrono::Utc>>, sqlx::Error> {
                self.try_get(column)
            }
        }
    };
}
read_row!(sqlx::postgres::PgRow);
read_row!(sqlx::sqlite::SqliteRow);
read_row!(sqlx::mysql::MySqlRow);

impl Session {
    pub(crate) async fn open(url: &str) -> Result<Session> {
        Ok(match connect_options(url, None)? {
            AnyOptions::Postgres(o) => {
                Session::Postgres(sqlx::PgConnection::connect_with(&o).await?)
            }
            AnyOptions::Sqlite(o) => {
                Session::Sqlite(sqlx::SqliteConnection::connect_with(&o).await?)
            }
            AnyOptions::MySql(o) => Session::MySql(sqlx::MySqlConnection::connect_with(&o).await?),
        })
    }

    /// PostgreSQL: makes `schema` the session's only `search_path` entry, so
    /// unqualified names are created and found there (and `current_schema()`
    /// is it). Fails when the schema does not exist (PostgreSQL would take
    /// the setting and then have nowhere to create tables) and on the other
    /// databases, which have no schemas within a database.
    pub(crate) async fn use_schema(&mut self, schema: &str) -> Result<()> {
        let refused = |reason: String| Error::MigrationFiles {
            path: schema.to_owned(),
            reason,
        };
        if self.dialect() != Dialect::Postgres {
            return Err(refused(
                "a target schema is PostgreSQL only: SQLite and MySQL have no schemas within a \
                 database"
                    .into(),
            ));
        }
        let mut w = SqlWriter::new(Dialect::Postgres);
        // SET takes no bind; the name goes in as a quoted identifier.
        w.push("SET search_path TO ");
        w.push_ident(schema);
        self.run_script(&w.finish().sql).await?;
        let mut w = SqlWriter::new(Dialect::Postgres);
        w.push("SELECT current_schema()::text AS ");
        w.push_ident("schema");
        let current = self.fetch(w.finish(), |r| r.text("schema")).await?;
        match current.into_iter().next().flatten() {
            Some(current) if current == schema => Ok(()),
            _ => Err(refused(format!(
                "schema {schema:?} does not exist in this database (create it first)"
            ))),
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Session::Postgres(_) => Dialect::Postgres,
            Session::Sqlite(_) => Dialect::Sqlite,
            Session::MySql(_) => Dialect::MySql,
        }
    }

    /// Runs a migration file's text as written: one or more statements,
    /// parsed by the database, no binds.
    pub(crate) async fn run_script(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        on_session!(self, |conn, _args| {
            sqlx::raw_sql(trusted(sql))
                .execute(&mut *conn)
                .await
                .map(drop)
        })
    }

    /// Runs one rendered statement; the rows it affected.
    pub(crate) async fn execute(&mut self, rendered: Rendered) -> Result<u64, sqlx::Error> {
        let Rendered { sql, binds } = rendered;
        on_session!(self, |conn, args| {
            let args = args(binds).map_err(sqlx::Error::Encode)?;
            let done = sqlx::query_with(trusted(&sql), args)
                .execute(&mut *conn)
                .await?;
            Ok(done.rows_affected())
        })
    }

    /// Every row of one rendered query, each turned into a `T` by `read`.
    pub(crate) async fn fetch<T>(
        &mut self,
        rendered: Rendered,
        read: impl Fn(&dyn ReadRow) -> Result<T, sqlx::Error>,
    ) -> Result<Vec<T>, sqlx::Error> {
        let Rendered { sql, binds } = rendered;
        on_session!(self, |conn, args| {
            let args = args(binds).map_err(sqlx::Error::Encode)?;
            let rows = sqlx::query_with(trusted(&sql), args)
                .fetch_all(&mut *conn)
                .await?;
            rows.iter().map(|row| read(row)).collect()
        })
    }

    pub(crate) async fn begin(&mut self) -> Result<(), sqlx::Error> {
        // SQLite: take the write lock now, so the history read inside the
        // transaction is the one the write commits against.
        let sql = match self {
            Session::Sqlite(_) => "BEGIN IMMEDIATE",
            _ => "BEGIN",
        };
        self.run_script(sql).await
    }

    pub(crate) async fn commit(&mut self) -> Result<(), sqlx::Error> {
        self.run_script("COMMIT").await
    }

    pub(crate) async fn rollback(&mut self) -> Result<(), sqlx::Error> {
        self.run_script("ROLLBACK").await
    }

    /// Whether a transaction is open on the session: one a no-transaction
    /// migration's own `BEGIN` opened and did not end (its `COMMIT` never
    /// ran, or it has none). The drivers track only the transactions they
    /// begin, so this asks the database, without changing anything: a
    /// savepoint needs a transaction on PostgreSQL (an error outside one,
    /// or in one a failed statement aborted) and on MySQL (outside one it
    /// is not kept, so releasing it fails); SQLite refuses a nested
    /// `BEGIN` (and one that succeeds is rolled straight back).
    pub(crate) async fn in_transaction(&mut self) -> Result<bool, sqlx::Error> {
        const PROBE: &str = "SAVEPOINT strata_transaction_probe";
        const RELEASE: &str = "RELEASE SAVEPOINT strata_transaction_probe";
        match self {
            Session::Postgres(_) => match self.run_script(PROBE).await {
                Ok(()) => self.run_script(RELEASE).await.map(|()| true),
                // 25P01 no_active_sql_transaction; 25P02 in_failed_sql_transaction.
                Err(e) if has_sqlstate(&e, "25P01") => Ok(false),
                Err(e) if has_sqlstate(&e, "25P02") => Ok(true),
                Err(e) => Err(e),
            },
            Session::MySql(_) => {
                self.run_script(PROBE).await?;
                match self.run_script(RELEASE).await {
                    Ok(()) => Ok(true),
                    // ER_SP_DOES_NOT_EXIST: autocommit kept no savepoint.
                    Err(sqlx::Error::Database(e))
                        if e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                            .is_some_and(|e| e.number() == 1305) =>
                    {
                        Ok(false)
                    }
                    Err(e) => Err(e),
                }
            }
            Session::Sqlite(_) => match self.run_script("BEGIN").await {
                Ok(()) => self.rollback().await.map(|()| false),
                Err(sqlx::Error::Database(e)) if e.message().contains("within a transaction") => {
                    Ok(true)
                }
                Err(e) => Err(e),
            },
        }
    }

    /// SQLite's `PRAGMA foreign_keys` (a per-connection setting a table
    /// rebuild turns off); `None` on the other databases.
    pub(crate) async fn foreign_keys(&mut self) -> Result<Option<bool>, sqlx::Error> {
        let Session::Sqlite(conn) = self else {
            return Ok(None);
        };
        let on: i64 = sqlx::query_scalar(trusted("PRAGMA foreign_keys"))
            .fetch_one(&mut *conn)
            .await?;
        Ok(Some(on != 0))
    }

    /// Sets SQLite's `PRAGMA foreign_keys` (only outside a transaction does
    /// it take effect); nothing on the other databases.
    pub(crate) async fn set_foreign_keys(&mut self, on: bool) -> Result<(), sqlx::Error> {
        if !matches!(self, Session::Sqlite(_)) {
            return Ok(());
        }
        let sql = if on {
            "PRAGMA foreign_keys = ON"
        } else {
            "PRAGMA foreign_keys = OFF"
        };
        self.run_script(sql).await
    }

    pub(crate) async fn close(self) {
        let _ = on_session!(self, |conn, _args| conn.close().await);
    }
}

/// Whether `error` is a database error with this SQLSTATE.
fn has_sqlstate(error: &sqlx::Error, code: &str) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some(code))
}
