//! What each tenancy mode costs on PostgreSQL: one tenant's page of a
//! `find_many` (50 rows of a 10,000-row table shared by 100 tenants, 100
//! rows each), tenants taken in turn.
//!
//! Contenders, alternating in rounds (`strata_bench::compare`):
//! - `none`: a model without `tenant`, the tenant filter written by hand
//!   (`.filter(tenant_id = t)`): the same SQL an app without tenancy sends;
//! - `column`: `#[strata(tenant = tenant_id)]` inside `scope(t)` on a
//!   `Tenancy::Column` `Db` (strata adds `tenant_id = t`);
//! - `rls`: `tenant = tenant_id, row_level_security` on a
//!   `Tenancy::RowLevelSecurity` `Db` connected as a role without
//!   BYPASSRLS, the table under a policy on `app.tenant_id`: strata's
//!   filter, and each statement in BEGIN / set_config / statement / COMMIT;
//! - `schema`: `Tenancy::SchemaPerTenant { prefix: "tenant_" }`, each
//!   tenant's 100 rows in a schema of its own: `search_path` set per
//!   statement the same way.
//!
//! One task, pools of 4, a multi-thread runtime (2 workers).
//!
//!     cargo bench -p strata-bench --bench tenancy
//!
//! Knobs: STRATA_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres;
//! the database `strata_bench_tenancy` and role `strata_bench_tenancy_app`
//! are dropped and recreated through it), STRATA_BENCH_ROUNDS (30).

use sqlx::{AssertSqlSafe, Connection as _, Executor as _};
use std::time::Duration;
use strata::tenant::{scope, Tenancy};
use strata::{Db, PoolOptions};
use strata_bench::{compare, versus, BoxFuture, Contender, Measured, Settings};

mod models {
    // Read only.
    #![allow(dead_code)]
    use strata::Model;

    /// No tenancy: the app filters by hand.
    #[derive(Model, Debug)]
    #[strata(table = "records")]
    pub struct Plain {
        #[strata(id)]
        pub id: i64,
        pub tenant_id: i64,
        pub name: String,
        pub value: i64,
    }

    /// Column mode, and schema per tenant (`records` in each schema).
    #[derive(Model, Debug)]
    #[strata(table = "records", tenant = tenant_id)]
    pub struct Record {
        #[strata(id)]
        pub id: i64,
        pub tenant_id: i64,
        pub name: String,
        pub value: i64,
    }

    /// Row-level security.
    #[derive(Model, Debug)]
    #[strata(table = "rls_records", tenant = tenant_id, row_level_security)]
    pub struct RlsRecord {
        #[strata(id)]
        pub id: i64,
        pub tenant_id: i64,
        pub name: String,
        pub value: i64,
    }
}

use models::{Plain, Record, RlsRecord};

const DATABASE: &str = "strata_bench_tenancy";
const ROLE: &str = "strata_bench_tenancy_app";
const TENANTS: i64 = 100;
const ROWS: i64 = 10_000;
const PAGE: u64 = 50;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    None,
    Column,
    Rls,
    Schema,
}

struct Case {
    db: Db,
    mode: Mode,
    next: i64,
}

impl Case {
    async fn once(&mut self) -> usize {
        let tenant = self.next % TENANTS + 1;
        self.next += 1;
        let db = &self.db;
        let rows = match self.mode {
            Mode::None => Plain::find_many()
                .filter(Plain::tenant_id().eq(tenant))
                .order_by(Plain::id().asc())
                .take(PAGE)
                .exec(db)
                .await
                .map(|rows| rows.len()),
            Mode::Column | Mode::Schema => {
                let page = Record::find_many()
                    .order_by(Record::id().asc())
                    .take(PAGE)
                    .exec(db);
                scope(tenant, page).await.map(|rows| rows.len())
            }
            Mode::Rls => {
                let page = RlsRecord::find_many()
                    .order_by(RlsRecord::id().asc())
                    .take(PAGE)
                    .exec(db);
                scope(tenant, page).await.map(|rows| rows.len())
            }
        };
        let rows = rows.unwrap_or_else(|e| panic!("{:?}: {e}", self.mode));
        assert_eq!(rows, PAGE as usize, "{:?}: one tenant's page", self.mode);
        rows
    }
}

impl Contender for Case {
    fn batch<'a>(&'a mut self, n: usize, out: &'a mut Vec<Duration>) -> BoxFuture<'a, ()> {
        Box::pin(async move { strata_bench::timed!(n, out, |_i| self.once().await) })
    }
}

fn url_var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// `url` on the bench database, as `user` if given.
fn on_database(url: &str, user: Option<&str>) -> String {
    let root = url.rsplit_once('/').map_or(url, |(root, _)| root);
    let root = match (user, root.split_once("://")) {
        (Some(user), Some((scheme, rest))) => match rest.split_once('@') {
            Some((_, host)) => format!("{scheme}://{user}@{host}"),
            None => format!("{scheme}://{user}@{rest}"),
        },
        _ => root.to_owned(),
    };
    format!("{root}/{DATABASE}")
}

const TABLE: &str =
    "(id BIGSERIAL PRIMARY KEY, tenant_id BIGINT NOT NULL, name TEXT NOT NULL, value BIGINT NOT NULL)";

/// The bench database: `records` and `rls_records` (10,000 rows, 100 per
/// tenant, indexed by tenant), and `tenant_1` .. `tenant_100` with each
/// tenant's rows; the application role and its grants.
async fn setup(admin_url: &str) {
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("PostgreSQL at STRATA_BENCH_PG_URL");
    for sql in [
        format!("DROP DATABASE IF EXISTS \"{DATABASE}\" WITH (FORCE)"),
        format!("DROP ROLE IF EXISTS \"{ROLE}\""),
        format!("CREATE ROLE \"{ROLE}\" LOGIN NOSUPERUSER NOBYPASSRLS"),
        format!("CREATE DATABASE \"{DATABASE}\""),
    ] {
        admin
            .execute(AssertSqlSafe(sql.clone()))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    admin.close().await.ok();
    let mut conn = sqlx::PgConnection::connect(&on_database(admin_url, None))
        .await
        .expect("the bench database");
    let fill = |table: &str, only: Option<i64>| {
        let filter = only.map_or(String::new(), |t| {
            format!(" WHERE (g % {TENANTS}) + 1 = {t}")
        });
        format!(
            "CREATE TABLE {table} {TABLE}; \
             CREATE INDEX ON {table} (tenant_id, id); \
             INSERT INTO {table} (tenant_id, name, value) \
               SELECT (g % {TENANTS}) + 1, 'record ' || g, g FROM generate_series(1, {ROWS}) g{filter};"
        )
    };
    let mut sql = fill("records", None);
    sql.push_str(&fill("rls_records", None));
    sql.push_str(
        "ALTER TABLE \"rls_records\" ENABLE ROW LEVEL SECURITY; \
         ALTER TABLE \"rls_records\" FORCE ROW LEVEL SECURITY; \
         CREATE POLICY \"rls_records_tenant_isolation\" ON \"rls_records\" \
           USING (\"tenant_id\" = NULLIF(current_setting('app.tenant_id', true), '')::bigint) \
           WITH CHECK (\"tenant_id\" = NULLIF(current_setting('app.tenant_id', true), '')::bigint);",
    );
    sql.push_str(&format!(
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{ROLE}\";"
    ));
    for t in 1..=TENANTS {
        sql.push_str(&format!("CREATE SCHEMA tenant_{t};"));
        sql.push_str(&fill(&format!("tenant_{t}.records"), Some(t)));
    }
    sql.push_str("ANALYZE;");
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .expect("the bench tables");
    conn.close().await.ok();
}

async fn strata_db(url: &str, tenancy: Tenancy) -> Db {
    Db::builder()
        .url(url)
        .tenancy(tenancy)
        .pool(PoolOptions {
            max_connections: 4,
            ..PoolOptions::default()
        })
        .connect()
        .await
        .expect("strata Db")
}

fn report(measured: &[Measured], n: usize) {
    println!("\nfind_many, {PAGE} of {ROWS} rows, {TENANTS} tenants in turn ({n} per batch)");
    let base = &measured[0];
    for m in measured {
        let stats = m.stats();
        let v = versus(m, base);
        println!(
            "  {:<8} median {:>7.1} us  p99 {:>7.1} us  x{:.2} of {} (+{:.1} us)",
            m.name,
            stats.median.as_secs_f64() * 1e6,
            stats.p99.as_secs_f64() * 1e6,
            v.ratio,
            base.name,
            v.overhead_us,
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let admin_url = url_var(
        "STRATA_BENCH_PG_URL",
        "postgres://postgres@127.0.0.1:5432/postgres",
    );
    let rounds = url_var("STRATA_BENCH_ROUNDS", "30").parse().unwrap_or(30);
    let settings = Settings {
        rounds,
        ..Settings::default()
    };
    setup(&admin_url).await;
    let owner = on_database(&admin_url, None);
    let app = on_database(&admin_url, Some(ROLE));
    let schema = Tenancy::SchemaPerTenant {
        prefix: "tenant_".into(),
    };
    let case = |db, mode| -> Box<dyn Contender> { Box::new(Case { db, mode, next: 0 }) };
    let mut contenders: Vec<(String, Box<dyn Contender>)> = vec![
        (
            "none".into(),
            case(strata_db(&owner, Tenancy::Column).await, Mode::None),
        ),
        (
            "column".into(),
            case(strata_db(&owner, Tenancy::Column).await, Mode::Column),
        ),
        (
            "rls".into(),
            case(strata_db(&app, Tenancy::RowLevelSecurity).await, Mode::Rls),
        ),
        (
            "schema".into(),
            case(strata_db(&owner, schema).await, Mode::Schema),
        ),
    ];
    println!("tenancy bench: {rounds} rounds");
    let (measured, n) = compare(&settings, &mut contenders, None, None).await;
    report(&measured, n);
}
