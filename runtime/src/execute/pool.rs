//! Pool construction per dialect, with strata's defaults.

use crate::error::{Error, Result};
use std::str::FromStr;
use std::time::Duration;

/// Pool settings (sqlx's, with strata's defaults). See BENCHMARKS.md for why
/// `test_before_acquire` is off by default: the liveness ping costs a round trip
/// on every query, while a dead connection still surfaces as an error on use.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: Duration,
    pub idle_timeout: Option<Duration>,
    pub max_lifetime: Option<Duration>,
    pub test_before_acquire: bool,
    /// How long a statement waits for a row or table lock before failing with
    /// [`Error::Timeout`]: PostgreSQL `lock_timeout`, MySQL
    /// `innodb_lock_wait_timeout` (whole seconds, at least 1), SQLite
    /// `busy_timeout`. `None` keeps each database's default (SQLite: 5 s).
    pub lock_timeout: Option<Duration>,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(30),
            idle_timeout: Some(Duration::from_secs(600)),
            max_lifetime: Some(Duration::from_secs(1800)),
            test_before_acquire: false,
            lock_timeout: None,
        }
    }
}

impl PoolOptions {
    fn apply<DB: sqlx::Database>(&self) -> sqlx::pool::PoolOptions<DB> {
        sqlx::pool::PoolOptions::new()
            .max_connections(self.max_connections)
            .min_connections(self.min_connections)
            .acquire_timeout(self.acquire_timeout)
            .idle_timeout(self.idle_timeout)
            .max_lifetime(self.max_lifetime)
            .test_before_acquire(self.test_before_acquire)
    }
}

pub(super) enum AnyPool {
    Postgres(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
    MySql(sqlx::MySqlPool),
}

pub(crate) enum AnyOptions {
    Postgres(sqlx::postgres::PgConnectOptions),
    Sqlite(sqlx::sqlite::SqliteConnectOptions),
    MySql(sqlx::mysql::MySqlConnectOptions),
}

/// The statement that sets MySQL's lock wait for a session, which MySQL has no
/// connect option for.
pub(super) fn mysql_lock_wait(lock_timeout: Option<Duration>) -> Option<String> {
    lock_timeout.map(|t| {
        let seconds = t.as_secs_f64().ceil().max(1.0) as u64;
        format!("SET SESSION innodb_lock_wait_timeout = {seconds}")
    })
}

/// How many rows a SQLite connection's worker thread may read ahead of the
/// task consuming them (sqlx's `row_buffer_size`; sqlx's default is 50). sqlx
/// runs each SQLite connection on a thread of its own and hands rows over a
/// bounded channel: each time the channel runs empty the reading task parks
/// and the worker must wake it, and each time it runs full the worker blocks
/// and the reader must wake it, a context switch or two apiece. With 50 the
/// reading side of a 10,000-row read parked ~190-470 times per query, with 256
/// ~35-130 times, and the read took less time on both sides of the bench
/// (BENCHMARKS.md, 2026-11-26); 512 and 1,024 were no faster. It changes no
/// instruction count (callgrind) and nothing for a point query: the channel
/// allocates as rows arrive. The cost is memory only while a reader lags
/// behind: up to 256 rows queued per connection.
const SQLITE_ROW_BUFFER: usize = 256;

/// Connection options for `url`, with strata's per-dialect settings.
pub(crate) fn connect_options(url: &str, lock_timeout: Option<Duration>) -> Result<AnyOptions> {
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
    match scheme {
        "postgres" | "postgresql" => {
            let mut options = sqlx::postgres::PgConnectOptions::from_str(url)?;
            if let Some(t) = lock_timeout {
                options = options.options([("lock_timeout", format!("{}ms", t.as_millis()))]);
            }
            Ok(AnyOptions::Postgres(options))
        }
        "mysql" | "mariadb" => {
            let url = url.replacen("mariadb:", "mysql:", 1);
            Ok(AnyOptions::MySql(FromStr::from_str(&url)?))
        }
        "sqlite" => Ok(AnyOptions::Sqlite(
            sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(lock_timeout.unwrap_or(Duration::from_secs(5)))
                .row_buffer_size(SQLITE_ROW_BUFFER),
        )),
        _ => Err(Error::InvalidUrl {
            url: redact(url),
            reason:
                "expected a URL starting with sqlite:, postgres:, postgresql:, mysql: or mariadb:",
        }),
    }
}

pub(super) async fn connect(url: &str, mut options: PoolOptions) -> Result<AnyPool> {
    Ok(match connect_options(url, options.lock_timeout)? {
        AnyOptions::Postgres(o) => AnyPool::Postgres(options.apply().connect_with(o).await?),
        AnyOptions::MySql(o) => {
            let mut pool = options.apply();
            if let Some(sql) = mysql_lock_wait(options.lock_timeout) {
                let sql: std::sync::Arc<str> = sql.into();
                pool = pool.after_connect(move |conn: &mut sqlx::MySqlConnection, _| {
                    let sql = sql.clone();
                    Box::pin(async move {
                        use sqlx::Executor as _;
                        conn.execute(super::trusted(&sql)).await.map(drop)
                    })
                });
            }
            AnyPool::MySql(pool.connect_with(o).await?)
        }
        AnyOptions::Sqlite(o) => {
            if is_in_memory(url) {
                // Each connection to `sqlite::memory:` is its own empty database,
                // so the pool must keep exactly one, forever.
                options.max_connections = 1;
                options.min_connections = 1;
                options.idle_timeout = None;
                options.max_lifetime = None;
            }
            AnyPool::Sqlite(options.apply().connect_with(o).await?)
        }
    })
}

fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            let credentials = &url[start + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..start + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
