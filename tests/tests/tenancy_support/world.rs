//! The databases an isolation test runs against, per tenancy mode:
//!
//! - `Column`: the harness's database (SQLite, PostgreSQL or MariaDB), the
//!   default tenancy; strata's filter is the only protection.
//! - `Rls` (PostgreSQL): the owner (the harness's superuser connection)
//!   pushes the schema, with its policies; the application connects as a
//!   role created here, LOGIN NOBYPASSRLS, granted only DML on the tables.
//! - `Schema` (PostgreSQL): one schema per tenant, `<test schema>_tn_<id>`,
//!   each with every table; the application's `search_path` is the empty
//!   test schema, so only strata's routing finds a table.
//!
//! Each mode also gives an unscoped view of where each tenant's rows live
//! (`area`), which the tests read the other tenant's rows through: never the
//! application's own tenant filter.

use sqlx::{AssertSqlSafe, Connection as _, Executor as _};
use std::future::Future;
use std::panic::resume_unwind;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use strata::tenant::{Tenancy, TenantSchemas};
use strata::{Db, Dialect, ModelSet, PoolOptions};
use strata_tests::{run_on, url_of, Backend};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Column,
    Rls,
    Schema,
}

/// Everything a scenario needs; cheap to clone (Dbs are handles).
#[derive(Clone)]
pub struct World {
    pub mode: Mode,
    /// The application's `Db`: this mode's tenancy (and role, in RLS mode).
    pub app: Db,
    /// Per tenant, a `Db` reaching that tenant's rows with no filtering of
    /// its own when unscoped: the app `Db` (Column), the owner, which
    /// bypasses RLS (Rls), a `Db` on the tenant's schema (Schema).
    areas: Vec<(i64, Db)>,
    /// The owner's `Db` (the harness's): raw DDL and checks.
    pub owner: Db,
    /// The test schema (PostgreSQL), whose name prefixes roles and schemas.
    pub pg_schema: Option<String>,
    /// What `app` connected with, to open another pool like it.
    pub app_url: String,
    pub tenancy: Tenancy,
}

impl World {
    /// The unscoped `Db` where `tenant`'s rows live (see `areas`).
    pub fn area(&self, tenant: i64) -> &Db {
        let found = self.areas.iter().find(|(t, _)| *t == tenant);
        &found
            .unwrap_or_else(|| panic!("no area for tenant {tenant}"))
            .1
    }

    /// Another application `Db`, with a pool of `connections`.
    pub async fn app_with_pool(&self, connections: u32) -> Db {
        connect(&self.app_url, self.tenancy.clone(), connections).await
    }

    /// Every distinct area, once: the places any tenant's rows may be.
    pub fn all_areas(&self) -> Vec<&Db> {
        match self.mode {
            Mode::Schema => self.areas.iter().map(|(_, db)| db).collect(),
            _ => self.areas.first().map(|(_, db)| db).into_iter().collect(),
        }
    }
}

/// What `setup` made outside the harness's database, dropped afterwards.
struct Leftovers {
    role: Option<String>,
    schemas: Vec<String>,
    dbs: Vec<Db>,
}

/// Runs `body` on a fresh `backend` database set up for `mode` with the
/// models `S` and the tenants `tenants`, an application pool of
/// `connections`; then drops what the setup made, also after a panic.
pub async fn run<S, F, Fut>(
    mode: Mode,
    backend: Backend,
    tenants: &'static [i64],
    connections: u32,
    body: F,
) where
    S: ModelSet,
    F: FnOnce(World) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_on(backend, move |owner: Db| async move {
        let url = url_of(&owner);
        let (world, leftovers) = setup::<S>(mode, owner, url, tenants, connections).await;
        // A task of its own: a panic comes back as a JoinError, after which
        // the role and schemas are still dropped.
        let outcome = tokio::spawn(body(world)).await;
        leftovers.drop_all().await;
        if let Err(e) = outcome {
            match e.try_into_panic() {
                Ok(panic) => resume_unwind(panic),
                Err(e) => panic!("scenario task: {e}"),
            }
        }
    })
    .await
}

/// Runs a test on a runtime of two worker threads with room on their
/// stacks: a scenario's future, unoptimized, nests deep enough to overflow
/// tokio's default 2 MiB.
pub fn block_on<F: Future>(test: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(16 << 20)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(test)
}

fn pool(connections: u32) -> PoolOptions {
    PoolOptions {
        max_connections: connections,
        ..Default::default()
    }
}

async fn connect(url: &str, tenancy: Tenancy, connections: u32) -> Db {
    Db::builder()
        .url(url)
        .tenancy(tenancy.clone())
        .pool(pool(connections))
        .connect()
        .await
        .unwrap_or_else(|e| panic!("connecting with {tenancy:?}: {e}"))
}

async fn setup<S: ModelSet>(
    mode: Mode,
    owner: Db,
    url: String,
    tenants: &[i64],
    connections: u32,
) -> (World, Leftovers) {
    let dialect = owner.dialect();
    let pg_schema = (dialect == Dialect::Postgres).then(|| test_schema(&url));
    let mut leftovers = Leftovers {
        role: None,
        schemas: Vec::new(),
        dbs: Vec::new(),
    };
    let (app, app_url, tenancy, areas) = match mode {
        Mode::Column => {
            owner.push_schema::<S>().await.expect("push_schema");
            let app = connect(&url, Tenancy::Column, connections).await;
            let areas = tenants.iter().map(|t| (*t, app.clone())).collect();
            (app, url.clone(), Tenancy::Column, areas)
        }
        Mode::Rls => {
            assert_eq!(dialect, Dialect::Postgres, "RLS mode is PostgreSQL only");
            owner
                .push_schema::<S>()
                .await
                .expect("push_schema (as owner)");
            let schema = pg_schema.clone().unwrap();
            let role = app_role(&schema).await;
            leftovers.role = Some(role.clone());
            let app_url = with_user(&url, &role);
            let app = connect(&app_url, Tenancy::RowLevelSecurity, connections).await;
            // The owner is a superuser: it bypasses every policy.
            let admin = connect(&url, Tenancy::RowLevelSecurity, 2).await;
            leftovers.dbs.push(admin.clone());
            let areas = tenants.iter().map(|t| (*t, admin.clone())).collect();
            (app, app_url, Tenancy::RowLevelSecurity, areas)
        }
        Mode::Schema => {
            assert_eq!(dialect, Dialect::Postgres, "schema mode is PostgreSQL only");
            let prefix = format!("{}_tn_", pg_schema.clone().unwrap());
            let mut areas = Vec::new();
            for tenant in tenants {
                leftovers.schemas.push(format!("{prefix}{tenant}"));
                let area = tenant_schema::<S>(&url, &prefix, *tenant).await;
                leftovers.dbs.push(area.clone());
                areas.push((*tenant, area));
            }
            let tenancy = Tenancy::SchemaPerTenant { prefix };
            let app = connect(&url, tenancy.clone(), connections).await;
            (app, url.clone(), tenancy, areas)
        }
    };
    leftovers.dbs.push(app.clone());
    let world = World {
        mode,
        app,
        areas,
        owner,
        pg_schema,
        app_url,
        tenancy,
    };
    (world, leftovers)
}

/// Creates tenant `tenant`'s schema `{prefix}{tenant}` with every table of
/// `S` (strata's own management API), and returns a `Db` (Column tenancy)
/// whose search_path is that schema.
async fn tenant_schema<S: ModelSet>(url: &str, prefix: &str, tenant: i64) -> Db {
    let schemas = TenantSchemas::new(url, prefix).expect("a valid prefix");
    let name = schemas.schema_name(tenant).expect("a schema name");
    schemas
        .create_tenant_with::<S, _>(tenant)
        .await
        .unwrap_or_else(|e| panic!("creating tenant schema {name}: {e}"));
    connect(&with_search_path(url, &name), Tenancy::Column, 2).await
}

/// Creates the application's role: it can log in, is no superuser, has no
/// BYPASSRLS, owns nothing, and may only read and write the test schema's
/// existing tables (and use their sequences).
async fn app_role(schema: &str) -> String {
    sweep_stale_roles().await;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let role = format!("{ROLE_PREFIX}{}_{}_{n}", unix_secs(), std::process::id());
    admin_sql(&[
        format!("CREATE ROLE \"{role}\" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"),
        format!("GRANT USAGE ON SCHEMA \"{schema}\" TO \"{role}\""),
        format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"{schema}\" TO \"{role}\""
        ),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA \"{schema}\" TO \"{role}\""),
    ])
    .await;
    role
}

const ROLE_PREFIX: &str = "strata_tapp_";

/// Roles of killed runs (older than an hour) are dropped, once a process.
async fn sweep_stale_roles() {
    static SWEPT: AtomicBool = AtomicBool::new(false);
    if SWEPT.swap(true, Ordering::Relaxed) {
        return;
    }
    let mut conn = admin_conn().await;
    let names: Vec<String> =
        sqlx::query_scalar("SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'strata_tapp_%'")
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default();
    for name in names {
        let created: Option<u64> = (name.strip_prefix(ROLE_PREFIX))
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse().ok());
        let ours = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if ours && created.is_some_and(|t| unix_secs().saturating_sub(t) > 3600) {
            for sql in drop_role_sql(&name) {
                let _ = conn.execute(AssertSqlSafe(sql)).await;
            }
        }
    }
}

fn drop_role_sql(role: &str) -> [String; 2] {
    [
        format!("DROP OWNED BY \"{role}\""),
        format!("DROP ROLE IF EXISTS \"{role}\""),
    ]
}

impl Leftovers {
    async fn drop_all(self) {
        for db in self.dbs {
            db.close().await;
        }
        let mut sql = Vec::new();
        for schema in &self.schemas {
            sql.push(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
        }
        if let Some(role) = &self.role {
            sql.extend(drop_role_sql(role));
        }
        if !sql.is_empty() {
            admin_sql(&sql).await;
        }
    }
}

async fn admin_conn() -> sqlx::PgConnection {
    let url = Backend::Postgres.admin_url();
    sqlx::PgConnection::connect(&url)
        .await
        .expect("admin connection to PostgreSQL")
}

/// Runs each statement on the PostgreSQL server as its admin.
pub async fn admin_sql(statements: &[String]) {
    let mut conn = admin_conn().await;
    for sql in statements {
        if let Err(e) = conn.execute(AssertSqlSafe(sql.clone())).await {
            panic!("{sql}: {e}");
        }
    }
    let _ = conn.close().await;
}

/// The harness's schema in a PostgreSQL test URL.
fn test_schema(url: &str) -> String {
    url.rsplit("search_path%3D").next().unwrap().to_owned()
}

fn with_search_path(url: &str, schema: &str) -> String {
    let (head, _) = url.rsplit_once("search_path%3D").unwrap();
    format!("{head}search_path%3D{schema}")
}

/// `url` logging in as `user` (no password: the test server trusts local
/// connections).
fn with_user(url: &str, user: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let host = rest.find('@').map_or(rest, |at| &rest[at + 1..]);
    format!("{}{user}@{host}", &url[..start])
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
