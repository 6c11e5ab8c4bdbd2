//! Test harness for strata's behaviour tests: each test runs on real SQLite,
//! PostgreSQL and MySQL/MariaDB, in its own freshly provisioned database.
//!
//! ```ignore
//! use strata_tests::backend_tests;
//!
//! // Expands to `mod creates_user { sqlite, postgres, mysql }`: three
//! // #[tokio::test]s, so a failure names its database (`creates_user::mysql`).
//! backend_tests!(creates_user, |db| async move {
//!     db.push_schema::<User>().await?;
//!     let user = User::create().email("a@b.c").exec(&db).await?;
//!     assert_eq!(user.email, "a@b.c");
//!     Ok::<_, strata::Error>(())
//! });
//! ```
//!
//! Servers come from `STRATA_TEST_PG_URL` and `STRATA_TEST_MYSQL_URL` (admin
//! URLs; defaults below). An unreachable server fails the test when `CI=true`
//! and is skipped, with a loud notice on stderr, otherwise.

mod pgbouncer;
mod provision;
mod reach;
mod replica;
mod sessions;

pub use pgbouncer::{pgbouncer_url, pooled_db, PooledDb, DEFAULT_PGBOUNCER_URL};
pub use provision::{test_db, TestDb};
pub use reach::{ci_from_env, on_unreachable, Decision};
pub use replica::{pg_replica_admin_url, pg_replica_url, wait_for_replay, DEFAULT_PG_REPLICA_URL};
pub use sessions::{hold_write_lock, occupy_one_connection, url_of, Held};

use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::task::Poll;
use strata::render::Rendered;
use strata::{Db, Dialect, Value};

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
pub const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/mysql";

/// A database strata supports, as the harness provisions it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite = 0,
    Postgres = 1,
    MySql = 2,
}

impl Backend {
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::MySql];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::MySql => "MySQL/MariaDB",
        }
    }

    pub fn dialect(self) -> Dialect {
        match self {
            Backend::Sqlite => Dialect::Sqlite,
            Backend::Postgres => Dialect::Postgres,
            Backend::MySql => Dialect::MySql,
        }
    }

    /// The variable that overrides the server's admin URL (none for SQLite).
    pub fn url_env_var(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("STRATA_TEST_PG_URL"),
            Backend::MySql => Some("STRATA_TEST_MYSQL_URL"),
        }
    }

    /// The URL of an existing database the harness connects to in order to create
    /// and drop test databases. Empty for SQLite, which needs no server.
    pub fn admin_url(self) -> String {
        let default = match self {
            Backend::Sqlite => return String::new(),
            Backend::Postgres => DEFAULT_PG_URL,
            Backend::MySql => DEFAULT_MYSQL_URL,
        };
        let url = self
            .url_env_var()
            .and_then(|var| std::env::var(var).ok())
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| default.to_owned());
        // strata accepts `mariadb:`; sqlx's own connection types do not.
        match url.strip_prefix("mariadb:") {
            Some(rest) => format!("mysql:{rest}"),
            None => url,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a test body may return: `()`, or a `Result` so the body can use `?`.
pub trait TestOutcome {
    fn into_result(self) -> Result<(), String>;
}

impl TestOutcome for () {
    fn into_result(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: fmt::Debug> TestOutcome for Result<(), E> {
    fn into_result(self) -> Result<(), String> {
        self.map_err(|e| format!("{e:?}"))
    }
}

/// Runs `body` on a fresh database on `backend`, then drops the database, also
/// when the body panics (the panic is then resumed). Returns without running
/// `body` if the backend is skipped.
pub async fn run_on<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future,
    Fut::Output: TestOutcome,
{
    let Some(test_db) = test_db(backend).await else {
        return;
    };
    let db = test_db.db.clone();
    let outcome = {
        // The body is created and polled under catch_unwind so that no panic
        // skips the cleanup; it is dropped (releasing its connections) first.
        let mut fut = pin!(sessions::with_url(test_db.url().to_owned(), async move {
            body(db).await
        }));
        poll_fn(
            |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
                Err(panic) => Poll::Ready(Err(panic)),
            },
        )
        .await
    };
    match outcome {
        Ok(output) => {
            test_db.cleanup().await;
            if let Err(e) = output.into_result() {
                panic!("test on {backend} returned an error: {e}");
            }
        }
        Err(panic) => {
            let name = test_db.name.clone();
            if let Err(e) = test_db.try_cleanup().await {
                eprintln!("dropping test database {name} after a panic: {e}");
            }
            resume_unwind(panic)
        }
    }
}

/// Runs `f` on each backend in turn, each on its own fresh database. Prefer
/// [`backend_tests!`], whose failures name the backend in the test name.
pub async fn for_each_backend<F, Fut>(f: F)
where
    F: Fn(Db, Backend) -> Fut,
    Fut: Future,
    Fut::Output: TestOutcome,
{
    for backend in Backend::ALL {
        run_on(backend, |db| f(db, backend)).await;
    }
}

/// Defines one `#[tokio::test]` per backend from a body `|db| async move { .. }`
/// (`db: strata::Db`; the body returns `()` or a `Result`). The tests live in a
/// module named after the test, so `cargo test creates_user` runs all three and
/// `cargo test -- ::postgres` runs every PostgreSQL test. Attributes (`#[ignore]`)
/// written before the name apply to each test.
#[macro_export]
macro_rules! backend_tests {
    ($(#[$meta:meta])* $name:ident, $body:expr $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            #[::tokio::test]
            async fn sqlite() {
                $crate::run_on($crate::Backend::Sqlite, $body).await
            }

            $(#[$meta])*
            #[::tokio::test]
            async fn postgres() {
                $crate::run_on($crate::Backend::Postgres, $body).await
            }

            $(#[$meta])*
            #[::tokio::test]
            async fn mysql() {
                $crate::run_on($crate::Backend::MySql, $body).await
            }
        }
    };
}

/// The dialects the SQL snapshots cover, with each snapshot name's suffix.
pub const DIALECTS: [(Dialect, &str); 3] = [
    (Dialect::Postgres, "postgres"),
    (Dialect::Sqlite, "sqlite"),
    (Dialect::MySql, "mysql"),
];

/// A rendered statement as the SQL snapshots show it: the text, then the
/// binds. Generated values (ids, timestamps) differ per run, so binds of those
/// types are shown by kind only.
pub fn show_sql(rendered: &Rendered) -> String {
    let binds: Vec<String> = rendered.binds.iter().map(show_bind).collect();
    format!("{}\n-- binds: [{}]", rendered.sql, binds.join(", "))
}

fn show_bind(value: &Value) -> String {
    match value {
        Value::Uuid(_) => "<uuid>".into(),
        Value::Enum(schema, label) => format!("{}::{label}", schema.rust_name),
        Value::Timestamptz(_) => "<timestamptz>".into(),
        Value::Text(t) if t.len() == 24 && t.chars().all(|c| c.is_ascii_alphanumeric()) => {
            "<cuid>".into()
        }
        other => format!("{other:?}"),
    }
}
