//! The PostgreSQL streaming replica `.ci/replica.sh` runs (tests/tests/replicas.rs).
//!
//! A PostgreSQL test database is a schema on the primary, chosen with the
//! `options` startup parameter (provision.rs). Replication copies the schema
//! to the replica, so the replica's URL for a test is the replica's server
//! with the test URL's own query string: the same schema on the search path.

use crate::reach;
use sqlx::{Connection as _, Executor as _, PgConnection};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use strata::Db;

pub const DEFAULT_PG_REPLICA_URL: &str = "postgres://postgres@127.0.0.1:5433/postgres";

/// How long a test waits for the replica to replay the primary's writes.
const REPLAY_WAIT: Duration = Duration::from_secs(30);

/// The replica's URL: `STRATA_TEST_PG_REPLICA_URL`, else [`DEFAULT_PG_REPLICA_URL`].
pub fn pg_replica_admin_url() -> String {
    std::env::var("STRATA_TEST_PG_REPLICA_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_PG_REPLICA_URL.to_owned())
}

/// The replica's URL for the PostgreSQL test database at `test_url` (its
/// schema selected), or `None` when the replica does not answer or is not a
/// standby and this is not CI (with `CI=true` that panics).
pub async fn pg_replica_url(test_url: &str) -> Option<String> {
    let admin = pg_replica_admin_url();
    let mut conn =
        match tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(&admin)).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return not_usable(&admin, &e),
            Err(_) => return not_usable(&admin, &"no answer within 10s"),
        };
    let standby: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&mut conn)
        .await
        .unwrap_or(false);
    if !standby {
        return not_usable(&admin, &"it answers but is not a standby (not in recovery)");
    }
    resume_replay_once(&mut conn).await;
    let _ = conn.close().await;
    let query = test_url.split_once('?').map(|(_, q)| q);
    Some(match (query, admin.contains('?')) {
        (None, _) => admin,
        (Some(q), true) => format!("{admin}&{q}"),
        (Some(q), false) => format!("{admin}?{q}"),
    })
}

/// A test that pauses replay (replicas.rs) and was killed before resuming
/// it would leave every later run waiting for the replica: the first use in
/// each process resumes it.
async fn resume_replay_once(conn: &mut PgConnection) {
    static RESUMED: AtomicBool = AtomicBool::new(false);
    if !RESUMED.swap(true, Ordering::Relaxed) {
        let _ = conn.execute("SELECT pg_wal_replay_resume()").await;
    }
}

fn not_usable(url: &str, err: &dyn std::fmt::Display) -> Option<String> {
    let message = format!(
        "the PostgreSQL replica at {} is not usable ({err}): start it with .ci/replica.sh \
         or set STRATA_TEST_PG_REPLICA_URL to a streaming replica of the test primary",
        reach::redact(url)
    );
    if crate::ci_from_env() {
        panic!("{message}; with CI=true this is an error");
    }
    eprintln!("SKIPPING the read replica tests: {message}");
    None
}

/// Waits until the replica at `replica_url` has replayed everything written
/// on `primary` so far. Panics after 30 s.
pub async fn wait_for_replay(primary: &Db, replica_url: &str) {
    let pool = primary
        .as_postgres()
        .expect("wait_for_replay: the primary is a PostgreSQL pool");
    let lsn: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(pool)
        .await
        .expect("reading the primary's WAL position");
    let mut replica = PgConnection::connect(replica_url)
        .await
        .expect("connecting to the replica");
    let start = Instant::now();
    loop {
        let replayed: bool =
            sqlx::query_scalar("SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)")
                .bind(&lsn)
                .fetch_one(&mut replica)
                .await
                .expect("reading the replica's replay position");
        if replayed {
            break;
        }
        assert!(
            start.elapsed() < REPLAY_WAIT,
            "the replica did not replay the primary's WAL up to {lsn} within {REPLAY_WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = replica.close().await;
}
