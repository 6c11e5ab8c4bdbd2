//! A database reachable both directly and through the PgBouncer that
//! `.ci/pgbouncer.sh` runs in transaction mode (tests/tests/pgbouncer.rs).
//!
//! PostgreSQL tests elsewhere get a schema each, chosen with the `options`
//! startup parameter; PgBouncer 1.18 refuses that parameter, and a session
//! setting means nothing behind a transaction pooler anyway. So these tests
//! get a whole database each, which PgBouncer's `*` entry routes to.

use crate::{reach, Backend};
use sqlx::{AssertSqlSafe, Connection as _, Executor as _};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

pub const DEFAULT_PGBOUNCER_URL: &str = "postgres://postgres@127.0.0.1:6432/postgres";

/// PgBouncer's URL (to its `postgres` database): `STRATA_TEST_PGBOUNCER_URL`,
/// else [`DEFAULT_PGBOUNCER_URL`].
pub fn pgbouncer_url() -> String {
    std::env::var("STRATA_TEST_PGBOUNCER_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_PGBOUNCER_URL.to_owned())
}

/// A fresh database, dropped by [`PooledDb::cleanup`].
#[derive(Debug)]
pub struct PooledDb {
    pub name: String,
    /// Straight to PostgreSQL.
    pub direct_url: String,
    /// Through PgBouncer.
    pub pooled_url: String,
    admin_url: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);
const PREFIX: &str = "strata_pgb_";

/// A new database behind both URLs, or `None` when PostgreSQL or PgBouncer
/// does not answer and this is not CI (with `CI=true` that panics).
pub async fn pooled_db() -> Option<PooledDb> {
    let admin_url = Backend::Postgres.admin_url();
    let bouncer = pgbouncer_url();
    let mut admin = connect(&admin_url, &admin_url).await?;
    // The PgBouncer must answer too, before anything is created.
    connect(&bouncer, &admin_url).await?.close().await.ok();
    sweep(&mut admin).await;
    let name = format!(
        "{PREFIX}{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    admin
        .execute(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .await
        .unwrap_or_else(|e| panic!("creating database {name}: {e}"));
    admin.close().await.ok();
    Some(PooledDb {
        direct_url: with_database(&admin_url, &name),
        pooled_url: with_database(&bouncer, &name),
        name,
        admin_url,
    })
}

impl PooledDb {
    /// Drops the database (FORCE: PgBouncer keeps server connections to it).
    pub async fn cleanup(self) {
        let mut admin = sqlx::PgConnection::connect(&self.admin_url)
            .await
            .unwrap_or_else(|e| panic!("reconnecting to drop {}: {e}", self.name));
        drop_database(&mut admin, &self.name).await;
    }
}

async fn drop_database(admin: &mut sqlx::PgConnection, name: &str) {
    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    if let Err(e) = admin.execute(AssertSqlSafe(sql)).await {
        eprintln!("dropping test database {name}: {e}");
    }
}

/// Drops databases left by test processes that are gone (killed runs).
async fn sweep(admin: &mut sqlx::PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'strata\\_pgb\\_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    for name in names {
        let pid = name[PREFIX.len()..].split('_').next().unwrap_or_default();
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            drop_database(admin, &name).await;
        }
    }
}

async fn connect(url: &str, admin_url: &str) -> Option<sqlx::PgConnection> {
    match tokio::time::timeout(Duration::from_secs(10), sqlx::PgConnection::connect(url)).await {
        Ok(Ok(conn)) => Some(conn),
        Ok(Err(e)) => unreachable_at(url, admin_url, &e),
        Err(_) => unreachable_at(url, admin_url, &"no answer within 10s"),
    }
}

fn unreachable_at(
    url: &str,
    admin_url: &str,
    err: &dyn std::fmt::Display,
) -> Option<sqlx::PgConnection> {
    if url == admin_url {
        reach::unreachable(Backend::Postgres, url, err);
        return None;
    }
    let message = format!(
        "PgBouncer at {} is unreachable ({err}): start it with .ci/pgbouncer.sh \
         or set STRATA_TEST_PGBOUNCER_URL",
        reach::redact(url)
    );
    if crate::ci_from_env() {
        panic!("{message}; with CI=true this is an error");
    }
    eprintln!("SKIPPING the PgBouncer tests: {message}");
    None
}

/// `url` with its database (path) replaced by `name`, keeping the query.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{name}?{query}"),
        None => format!("{root}/{name}"),
    }
}
