//! Running rendered statements through sqlx: the connection pool, the one place
//! SQL text is handed to the driver, and row decoding.

mod bind;
mod classify;
mod pool;

pub use pool::PoolOptions;

use crate::error::{Error, Result};
use crate::render::{Dialect, Rendered};
use crate::schema::{FromRow, ModelSchema, Row};
use sqlx::{AssertSqlSafe, Executor as _};
use std::time::Instant;

/// A connection pool to one database. Cheap to clone; share one per process.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Postgres(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
    MySql(sqlx::MySqlPool),
}

/// What a write reported back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteOutcome {
    pub rows_affected: u64,
    /// MySQL's `LAST_INSERT_ID()` for the statement (first id of a batch).
    pub last_insert_id: Option<u64>,
}

impl Db {
    /// Connects with strata's default pool options; the dialect comes from the URL
    /// scheme: `sqlite:`, `postgres:`/`postgresql:`, `mysql:`/`mariadb:`.
    pub async fn connect(url: &str) -> Result<Db> {
        Self::connect_with(url, PoolOptions::default()).await
    }

    pub async fn connect_with(url: &str, options: PoolOptions) -> Result<Db> {
        Ok(Db {
            pool: pool::connect(url, options).await?,
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Postgres(_) => Dialect::Postgres,
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::MySql(_) => Dialect::MySql,
        }
    }

    /// The underlying sqlx PostgreSQL pool, for work strata does not cover.
    pub fn as_postgres(&self) -> Option<&sqlx::PgPool> {
        match &self.pool {
            Pool::Postgres(p) => Some(p),
            _ => None,
        }
    }
    pub fn as_sqlite(&self) -> Option<&sqlx::SqlitePool> {
        match &self.pool {
            Pool::Sqlite(p) => Some(p),
            _ => None,
        }
    }
    pub fn as_mysql(&self) -> Option<&sqlx::MySqlPool> {
        match &self.pool {
            Pool::MySql(p) => Some(p),
            _ => None,
        }
    }

    /// Closes every connection; later queries fail.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Postgres(p) => p.close().await,
            Pool::Sqlite(p) => p.close().await,
            Pool::MySql(p) => p.close().await,
        }
    }

    /// Creates the tables (and PostgreSQL enum types, keys, foreign keys, indexes)
    /// for `M` on an empty database, for tests and demos. On PostgreSQL and SQLite
    /// it runs in one transaction, so it applies completely or not at all.
    pub async fn push_schema<M: crate::ModelSet>(&self) -> Result<()> {
        let statements = crate::render::create_schema(&M::schemas(), self.dialect())?;
        self.run_ddl(&statements).await
    }

    pub(crate) async fn run_ddl(&self, statements: &[String]) -> Result<()> {
        let start = Instant::now();
        let result = match &self.pool {
            Pool::Postgres(p) => run_in_transaction(p, statements).await,
            Pool::Sqlite(p) => run_in_transaction(p, statements).await,
            // MySQL commits DDL implicitly; a transaction would not make it atomic.
            Pool::MySql(p) => {
                let mut conn = p.acquire().await?;
                for sql in statements {
                    conn.execute(AssertSqlSafe(sql.as_str())).await?;
                }
                Ok(())
            }
        };
        tracing::debug!(target: "strata::ddl", statements = statements.len(), elapsed = ?start.elapsed());
        result.map_err(Error::from)
    }

    /// Rows of `T` for a rendered query. Each row is decoded as it arrives.
    pub(crate) async fn fetch_all<T: FromRow + Send + Unpin + 'static>(
        &self,
        model: &'static ModelSchema,
        rendered: Rendered,
    ) -> Result<Vec<T>> {
        let start = Instant::now();
        let Rendered { sql, binds } = rendered;
        let result = match &self.pool {
            Pool::Postgres(p) => {
                let args = bind::pg_arguments(binds).map_err(bind_error)?;
                sqlx::query_with(AssertSqlSafe(sql.as_str()), args)
                    .try_map(|row| T::from_row(Row::Postgres(&row), &mut 0))
                    .fetch_all(p)
                    .await
            }
            Pool::Sqlite(p) => {
                let args = bind::sqlite_arguments(binds).map_err(bind_error)?;
                sqlx::query_with(AssertSqlSafe(sql.as_str()), args)
                    .try_map(|row| T::from_row(Row::Sqlite(&row), &mut 0))
                    .fetch_all(p)
                    .await
            }
            Pool::MySql(p) => {
                let args = bind::mysql_arguments(binds).map_err(bind_error)?;
                sqlx::query_with(AssertSqlSafe(sql.as_str()), args)
                    .try_map(|row| T::from_row(Row::MySql(&row), &mut 0))
                    .fetch_all(p)
                    .await
            }
        };
        trace_query(&sql, start, result.as_ref().map(Vec::len).ok());
        result.map_err(|e| classify::classify(e, model))
    }

    pub(crate) async fn fetch_optional<T: FromRow + Send + Unpin + 'static>(
        &self,
        model: &'static ModelSchema,
        rendered: Rendered,
    ) -> Result<Option<T>> {
        Ok(self.fetch_all(model, rendered).await?.into_iter().next())
    }

    pub(crate) async fn execute(
        &self,
        model: &'static ModelSchema,
        rendered: Rendered,
    ) -> Result<WriteOutcome> {
        let start = Instant::now();
        let Rendered { sql, binds } = rendered;
        let result = match &self.pool {
            Pool::Postgres(p) => {
                let args = bind::pg_arguments(binds).map_err(bind_error)?;
                sqlx::query_with(AssertSqlSafe(sql.as_str()), args)
                    .execute(p)
                    .await
                    .map(|r| WriteOutcome {
                        rows_affected: r.rows_affected(),
                        last_insert_id: None,
                    })
            }
            Pool::Sqlite(p) => {
                let args = bind::sqlite_arguments(binds).map_err(bind_error)?;
                sqlx::query_with(AssertSqlSafe(sql.as_str()), args)
                    .execute(p)
                    .await
                    .map(|r| WriteOutcome {
                        rows_affected: r.rows_affected(),
                        last_insert_id: u64::try_from(r.last_insert_rowid()).ok(),
                    })
            }
            Pool::MySql(p) => {
                let args = bind::mysql_arguments(binds).map_err(bind_error)?;
                sqlx::query_with(AssertSqlSafe(sql.as_str()), args)
                    .execute(p)
                    .await
                    .map(|r| WriteOutcome {
                        rows_affected: r.rows_affected(),
                        last_insert_id: Some(r.last_insert_id()),
                    })
            }
        };
        trace_query(
            &sql,
            start,
            result.as_ref().map(|r| r.rows_affected as usize).ok(),
        );
        result.map_err(|e| classify::classify(e, model))
    }
}

impl Db {
    /// Runs `statements` in one transaction (MySQL included: these are DML) and
    /// returns the total rows affected. Used where one logical write needs several
    /// statements, e.g. a `create_many` split under the bind limit.
    pub(crate) async fn execute_atomically(
        &self,
        model: &'static ModelSchema,
        statements: Vec<Rendered>,
    ) -> Result<u64> {
        let start = Instant::now();
        let result = match &self.pool {
            Pool::Postgres(p) => execute_in_transaction(p, statements, bind::pg_arguments)
                .await
                .map(|r| r.rows_affected()),
            Pool::Sqlite(p) => execute_in_transaction(p, statements, bind::sqlite_arguments)
                .await
                .map(|r| r.rows_affected()),
            Pool::MySql(p) => execute_in_transaction(p, statements, bind::mysql_arguments)
                .await
                .map(|r| r.rows_affected()),
        };
        tracing::debug!(target: "strata::query", batch = true, elapsed = ?start.elapsed());
        result.map_err(|e| classify::classify(e, model))
    }
}

async fn execute_in_transaction<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    statements: Vec<Rendered>,
    arguments: fn(Vec<crate::value::Value>) -> Result<DB::Arguments, sqlx::error::BoxDynError>,
) -> Result<DB::QueryResult, sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let mut tx = pool.begin().await?;
    let mut total = DB::QueryResult::default();
    for Rendered { sql, binds } in statements {
        let args = arguments(binds).map_err(sqlx::Error::Encode)?;
        let result = sqlx::query_with(AssertSqlSafe(sql), args)
            .execute(&mut *tx)
            .await?;
        total.extend(Some(result));
    }
    tx.commit().await?;
    Ok(total)
}

async fn run_in_transaction<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    statements: &[String],
) -> Result<(), sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let mut tx = pool.begin().await?;
    for sql in statements {
        (&mut *tx).execute(AssertSqlSafe(sql.as_str())).await?;
    }
    tx.commit().await
}

fn bind_error(e: sqlx::error::BoxDynError) -> Error {
    Error::Database(sqlx::Error::Encode(e))
}

fn trace_query(sql: &str, start: Instant, rows: Option<usize>) {
    tracing::debug!(target: "strata::query", sql, elapsed = ?start.elapsed(), rows);
}
