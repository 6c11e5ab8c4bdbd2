//! Raw sqlx through PgBouncer in transaction mode: the hazard strata's
//! pgbouncer mode exists for, measured with every returned value checked.
//!
//! sqlx runs a statement with binds in two synced exchanges: Parse/Describe/
//! Sync, then Bind/Execute/Close/Sync. Between them the server is idle, so a
//! transaction-mode pooler may hand the second exchange to another server
//! connection, whose unnamed (or same-named) statement is another client's.

use super::{unpanicked, Tally};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection as _, PgPool, Row as _};
use std::str::FromStr as _;

/// How the statements are sent: the candidates for strata's pgbouncer mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// sqlx's defaults: named statements, cached per connection.
    Default,
    /// `statement_cache_capacity(0)`: still named, never cached or closed.
    NoCache,
    /// `persistent(false)`: the unnamed statement.
    Unnamed,
    /// Each statement in BEGIN .. COMMIT, unnamed: the server connection
    /// stays with the client until COMMIT.
    PinnedUnnamed,
    /// Each statement in BEGIN .. COMMIT, named and cached as by default:
    /// the names outlive the transaction on a server other clients share.
    PinnedNamed,
}

impl Mode {
    pub const ALL: [Mode; 5] = [
        Mode::Default,
        Mode::NoCache,
        Mode::Unnamed,
        Mode::PinnedUnnamed,
        Mode::PinnedNamed,
    ];
}

pub const TABLE_ROWS: i64 = 100;

/// The table the row-returning shapes read: `name` is `item-<id>`.
pub async fn create_table(pool: &PgPool) {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS raw_items (id int8 PRIMARY KEY, name text NOT NULL, \
         score float8 NOT NULL);
         INSERT INTO raw_items SELECT i, 'item-' || i, i * 0.5 FROM generate_series(1, 100) i
         ON CONFLICT DO NOTHING",
    )
    .execute(pool)
    .await
    .expect("creating raw_items");
}

pub async fn pool(url: &str, mode: Mode, connections: u32) -> PgPool {
    let mut options = PgConnectOptions::from_str(url).expect("a PostgreSQL URL");
    if mode == Mode::NoCache {
        options = options.statement_cache_capacity(0);
    }
    PgPoolOptions::new()
        .max_connections(connections)
        .connect_with(options)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"))
}

/// `tasks` tasks each run `per_task` statements of rotating shapes on `pool`.
pub async fn stress(pool: &PgPool, mode: Mode, tasks: i64, per_task: i64) -> Tally {
    let handles: Vec<_> = (0..tasks)
        .map(|task| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                for j in 0..per_task {
                    let n = task * 1_000 + j;
                    let outcome = match pool.acquire().await {
                        Ok(mut conn) => unpanicked(one(&mut conn, mode, n)).await,
                        Err(e) => Err(e.to_string()),
                    };
                    tally.record(outcome);
                }
                tally
            })
        })
        .collect();
    let mut total = Tally::default();
    for handle in handles {
        total.add(handle.await.expect("a stress task panicked"));
    }
    total
}

/// Runs shape `n % 8` with values from `n`: Ok(true) if every value came
/// back right, Ok(false) if any was wrong, Err for an error.
async fn one(conn: &mut sqlx::PgConnection, mode: Mode, n: i64) -> Result<bool, String> {
    let pinned = matches!(mode, Mode::PinnedUnnamed | Mode::PinnedNamed);
    let persistent = !matches!(mode, Mode::Unnamed | Mode::PinnedUnnamed);
    if pinned {
        let mut tx = conn.begin().await.map_err(|e| e.to_string())?;
        let right = shape(&mut tx, persistent, n).await?;
        tx.commit().await.map_err(|e| e.to_string())?;
        Ok(right)
    } else {
        shape(conn, persistent, n).await
    }
}

async fn shape(conn: &mut sqlx::PgConnection, persistent: bool, n: i64) -> Result<bool, String> {
    let e = |e: sqlx::Error| e.to_string();
    let id = n % TABLE_ROWS + 1;
    Ok(match n % 8 {
        0 => {
            let v: i64 = sqlx::query_scalar("SELECT $1::int8 + 1")
                .bind(n)
                .persistent(persistent)
                .fetch_one(&mut *conn)
                .await
                .map_err(e)?;
            v == n + 1
        }
        1 => {
            let v: String = sqlx::query_scalar("SELECT $1::text || 'x'")
                .bind(n.to_string())
                .persistent(persistent)
                .fetch_one(&mut *conn)
                .await
                .map_err(e)?;
            v == format!("{n}x")
        }
        2 => {
            let row = sqlx::query("SELECT $1::int4 AS a, $2::text AS b")
                .bind(n as i32)
                .bind(format!("b{n}"))
                .persistent(persistent)
                .fetch_one(&mut *conn)
                .await
                .map_err(e)?;
            let a: i32 = row.try_get(0).map_err(e)?;
            let b: String = row.try_get(1).map_err(e)?;
            row.len() == 2 && a as i64 == n && b == format!("b{n}")
        }
        3 => {
            let row = sqlx::query("SELECT id, name, score FROM raw_items WHERE id = $1")
                .bind(id)
                .persistent(persistent)
                .fetch_one(&mut *conn)
                .await
                .map_err(e)?;
            let (got, name, score): (i64, String, f64) = (
                row.try_get(0).map_err(e)?,
                row.try_get(1).map_err(e)?,
                row.try_get(2).map_err(e)?,
            );
            row.len() == 3 && got == id && name == format!("item-{id}") && score == id as f64 * 0.5
        }
        4 => {
            let ids: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM raw_items WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(id)
                    .bind(3_i64)
                    .persistent(persistent)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(e)?;
            let expected: Vec<i64> = (id + 1..=(id + 3).min(TABLE_ROWS)).collect();
            ids == expected
        }
        // Two shapes with the same parameter types as shapes 0 and 3: a
        // statement bound on another client's shows up as a wrong value.
        6 => {
            let v: i64 = sqlx::query_scalar("SELECT $1::int8 * 2")
                .bind(n)
                .persistent(persistent)
                .fetch_one(&mut *conn)
                .await
                .map_err(e)?;
            v == n * 2
        }
        7 => {
            let name: String = sqlx::query_scalar("SELECT name FROM raw_items WHERE id = $1")
                .bind(id)
                .persistent(persistent)
                .fetch_one(&mut *conn)
                .await
                .map_err(e)?;
            name == format!("item-{id}")
        }
        _ => {
            let row = sqlx::query(
                "SELECT $1::bool AS f, $2::int2 AS s, $3::float8 * 2 AS d, $4::text AS t",
            )
            .bind(n % 2 == 0)
            .bind((n % 1000) as i16)
            .bind(n as f64)
            .bind(format!("t{n}"))
            .persistent(persistent)
            .fetch_one(&mut *conn)
            .await
            .map_err(e)?;
            let f: bool = row.try_get(0).map_err(e)?;
            let s: i16 = row.try_get(1).map_err(e)?;
            let d: f64 = row.try_get(2).map_err(e)?;
            let t: String = row.try_get(3).map_err(e)?;
            row.len() == 4
                && f == (n % 2 == 0)
                && s as i64 == n % 1000
                && d == n as f64 * 2.0
                && t == format!("t{n}")
        }
    })
}
