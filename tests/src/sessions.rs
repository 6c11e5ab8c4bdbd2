//! Helpers for tests that need a second session on their test database: a pool
//! with other options, a lock held elsewhere, a pool with no free connection.

use sqlx::{AssertSqlSafe, Executor as _};
use std::any::Any;
use std::future::Future;
use strata::Db;

tokio::task_local! {
    static CURRENT_URL: String;
}

/// Runs `fut` with `url` as what [`url_of`] returns inside it.
pub(crate) fn with_url<F: Future>(url: String, fut: F) -> impl Future<Output = F::Output> {
    CURRENT_URL.scope(url, fut)
}

/// The URL of the test database `db` is connected to, to open another pool on it
/// (e.g. with other `PoolOptions`). Works in a body run by `backend_tests!`,
/// `run_on` or `for_each_backend`, on the body's own task (not a spawned one).
pub fn url_of(db: &Db) -> String {
    let url = CURRENT_URL
        .try_with(Clone::clone)
        .expect("url_of(&db) works only inside a backend_tests!/run_on body, on its task");
    let scheme = url.split(':').next().unwrap_or_default();
    let matches = match db.dialect() {
        strata::Dialect::Sqlite => scheme == "sqlite",
        strata::Dialect::Postgres => scheme.starts_with("postgres"),
        strata::Dialect::MySql => scheme == "mysql",
    };
    assert!(
        matches,
        "url_of: {db:?} is not connected to the test database {url}"
    );
    url
}

/// Something held open until dropped: a transaction holding a lock, or a
/// checked-out connection.
#[must_use = "the lock or connection is released when this is dropped"]
pub struct Held(#[allow(dead_code)] Box<dyn Any + Send>);

/// Starts a transaction on `db` that write-locks the row of `table` whose `column`
/// is `key` (on SQLite: the whole database, as any SQLite write does), and keeps
/// it until the returned [`Held`] is dropped (then it rolls back).
pub async fn hold_write_lock(db: &Db, table: &str, column: &str, key: impl Into<i64>) -> Held {
    // `key` is an integer, so formatting it into the SQL cannot inject anything.
    let key = key.into();
    let locked = |q: char| {
        format!("SELECT {q}{column}{q} FROM {q}{table}{q} WHERE {q}{column}{q} = {key} FOR UPDATE")
    };
    let (held, rows): (Held, usize) = if let Some(pool) = db.as_postgres() {
        let mut tx = pool.begin().await.expect("BEGIN");
        let rows = (&mut *tx)
            .fetch_all(AssertSqlSafe(locked('"')))
            .await
            .expect("locking the row");
        (Held(Box::new(tx)), rows.len())
    } else if let Some(pool) = db.as_mysql() {
        let mut tx = pool.begin().await.expect("BEGIN");
        let rows = (&mut *tx)
            .fetch_all(AssertSqlSafe(locked('`')))
            .await
            .expect("locking the row");
        (Held(Box::new(tx)), rows.len())
    } else if let Some(pool) = db.as_sqlite() {
        // SQLite has no row locks; a write takes the database's write lock, which
        // a deferred transaction then keeps until it ends.
        let mut tx = pool.begin().await.expect("BEGIN");
        let sql = format!(
            "UPDATE \"{table}\" SET \"{column}\" = \"{column}\" WHERE \"{column}\" = {key}"
        );
        let done = (&mut *tx)
            .execute(AssertSqlSafe(sql))
            .await
            .expect("write-locking");
        (Held(Box::new(tx)), done.rows_affected() as usize)
    } else {
        panic!("hold_write_lock: {db:?} has no pool");
    };
    assert_eq!(
        rows, 1,
        "hold_write_lock: no single row {table}.{column} = {key}"
    );
    held
}

/// Checks out one connection of `db`'s pool and keeps it until the returned
/// [`Held`] is dropped, e.g. to exhaust a pool of one.
pub async fn occupy_one_connection(db: &Db) -> Held {
    // A round trip proves the connection is live, not just reserved.
    async fn ping<C>(conn: &mut C)
    where
        for<'c> &'c mut C: sqlx::Executor<'c>,
    {
        conn.execute("SELECT 1")
            .await
            .expect("SELECT 1 on the held connection");
    }
    if let Some(pool) = db.as_postgres() {
        let mut conn = pool.acquire().await.expect("acquiring a connection");
        ping(&mut *conn).await;
        Held(Box::new(conn))
    } else if let Some(pool) = db.as_mysql() {
        let mut conn = pool.acquire().await.expect("acquiring a connection");
        ping(&mut *conn).await;
        Held(Box::new(conn))
    } else if let Some(pool) = db.as_sqlite() {
        let mut conn = pool.acquire().await.expect("acquiring a connection");
        ping(&mut *conn).await;
        Held(Box::new(conn))
    } else {
        panic!("occupy_one_connection: {db:?} has no pool");
    }
}
