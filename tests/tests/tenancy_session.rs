//! The tenant in the PostgreSQL session (`Tenancy::RowLevelSecurity`,
//! `Tenancy::SchemaPerTenant`), against the real server: tables, policies,
//! schemas and the application role are made by hand here, as the owner,
//! so what is tested is only the session side: the `set_config` after
//! every BEGIN and the transaction around every standalone statement.
//!
//! The application connects as a role of its own (`strata_app_<unique>`:
//! LOGIN, no BYPASSRLS, not the owner), so the policy really applies.
//! Through PgBouncer, which only lets in the users it lists, the same role
//! is put on its server sessions with `ALTER ROLE postgres IN DATABASE ..
//! SET role`.

mod models {
    // Read through, never created through their builders.
    #![allow(dead_code)]
    use strata::Model;

    /// `items`: made by hand with a row-level-security policy, or once per
    /// tenant schema. Not `#[strata(tenant = ..)]`: nothing here comes from
    /// strata's own filter, only from the database.
    #[derive(Model, Debug, Clone, PartialEq)]
    #[strata(table = "items")]
    pub struct Item {
        #[strata(id)]
        pub id: i64,
        pub tenant_id: i64,
        pub name: String,
    }

    /// A view of `items` with the server's port, to see which server
    /// answered (`security_invoker`: the policy is the reader's).
    #[derive(Model, Debug, Clone, PartialEq)]
    #[strata(table = "item_ports")]
    pub struct ItemPort {
        #[strata(id)]
        pub id: i64,
        pub tenant_id: i64,
        pub port: i32,
    }
}

/// A model PostgreSQL guards with row-level security.
mod guarded {
    #![allow(dead_code)]
    use strata::Model;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[strata(table = "items", tenant = tenant_id, row_level_security)]
    pub struct Guarded {
        #[strata(id)]
        pub id: i64,
        pub tenant_id: i64,
        pub name: String,
    }
}

use guarded::Guarded;
use models::{Item, ItemPort};
use sqlx::{AssertSqlSafe, Connection as _};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use strata::tenant::{scope, unscoped, Tenancy};
use strata::{sql, Db, Error, PoolOptions};
use strata_tests::{pg_replica_url, pooled_db, test_db, wait_for_replay, Backend};

/// Rows made as the owner: tenant 1 has three, tenant 2 two.
const ROWS: &str = "INSERT INTO items (tenant_id, name) VALUES \
    (1, 'a1'), (1, 'a2'), (1, 'a3'), (2, 'b1'), (2, 'b2')";

/// The table and its policy, as `tenancy.md` item 4 has strata write them.
const RLS_TABLE: &str = r#"
CREATE TABLE items (id BIGSERIAL PRIMARY KEY, tenant_id BIGINT NOT NULL, name TEXT NOT NULL);
ALTER TABLE "items" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "items" FORCE ROW LEVEL SECURITY;
CREATE POLICY "items_tenant_isolation" ON "items"
  USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
  WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
CREATE VIEW item_ports WITH (security_invoker = true) AS
  SELECT id, tenant_id, inet_server_port() AS port FROM items;
"#;

static ROLES: AtomicU32 = AtomicU32::new(0);

/// A fresh application role: may log in, not a superuser, no BYPASSRLS.
fn role_name() -> String {
    format!(
        "strata_app_{}_{}",
        std::process::id(),
        ROLES.fetch_add(1, Ordering::Relaxed)
    )
}

/// Grants for `role` on what `schema` holds.
fn grants(schema: &str, role: &str) -> String {
    format!(
        "GRANT USAGE ON SCHEMA \"{schema}\" TO \"{role}\";
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"{schema}\" TO \"{role}\";
         GRANT USAGE ON ALL SEQUENCES IN SCHEMA \"{schema}\" TO \"{role}\";"
    )
}

/// `url` with its user replaced by `user`.
fn with_user(url: &str, user: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let at = rest.find('@').expect("a URL with a user");
    format!("{scheme}://{user}{}", &rest[at..])
}

async fn run(pool: &sqlx::PgPool, sql: &str) {
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn admin(sql: &str) {
    let mut conn = sqlx::PgConnection::connect(&Backend::Postgres.admin_url())
        .await
        .expect("the admin connection");
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
}

/// Drops `role` and its grants in the admin database (its test schema is
/// gone by now; a PgBouncer test's database too).
async fn drop_role(role: &str) {
    admin(&format!(
        "DROP OWNED BY \"{role}\"; DROP ROLE IF EXISTS \"{role}\""
    ))
    .await;
}

/// Creates the application role `role`, first dropping those of test
/// processes that are gone (a failed run leaves its role behind).
async fn create_role(role: &str) {
    let mut conn = sqlx::PgConnection::connect(&Backend::Postgres.admin_url())
        .await
        .expect("the admin connection");
    let left: Vec<String> = sqlx::query_scalar(
        "SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'strata\\_app\\_%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap_or_default();
    let _ = conn.close().await;
    for name in left {
        let pid = name["strata_app_".len()..]
            .split('_')
            .next()
            .unwrap_or_default();
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            // Another database may still hold grants of it: then it stays
            // until that database is swept.
            let sql = format!("DROP OWNED BY \"{name}\"; DROP ROLE IF EXISTS \"{name}\"");
            if let Ok(mut conn) = sqlx::PgConnection::connect(&Backend::Postgres.admin_url()).await
            {
                let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await;
            }
        }
    }
    admin(&format!(
        "CREATE ROLE \"{role}\" LOGIN NOSUPERUSER NOBYPASSRLS"
    ))
    .await;
}

/// The RLS table and its rows, made by the owner, and an application
/// role granted on them: what the row-level-security tests start from.
async fn rls_fixture(test: &strata_tests::TestDb) -> String {
    let owner = test.as_postgres().expect("a pool").clone();
    let role = role_name();
    run(&owner, RLS_TABLE).await;
    run(&owner, ROWS).await;
    create_role(&role).await;
    run(&owner, &grants(&test.name, &role)).await;
    role
}

fn rls(url: &str, connections: u32) -> strata::DbBuilder {
    Db::builder()
        .url(url)
        .tenancy(Tenancy::RowLevelSecurity)
        .pool(PoolOptions {
            max_connections: connections,
            ..PoolOptions::default()
        })
}

async fn names(db: &Db) -> strata::Result<Vec<String>> {
    let rows: Vec<(String,)> = sql!("SELECT name FROM items ORDER BY name")
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|(name,)| name).collect())
}

async fn insert(db: &Db, tenant: i64, name: &str) -> strata::Result<u64> {
    sql!("INSERT INTO items (tenant_id, name) VALUES ({tenant}, {name})")
        .execute(db)
        .await
}

fn refused_by_policy(result: strata::Result<u64>) {
    let err = result.expect_err("the policy's WITH CHECK refuses another tenant's row");
    assert!(
        matches!(err, strata::Error::RowSecurityViolation { .. }),
        "not the policy's refusal: {err:?}"
    );
}

/// Raw SQL, the model builder and the select builder in a scope see only
/// the scope's rows; another tenant's row is refused on insert; the same
/// inside a transaction; outside a scope (and unscoped) nothing is
/// visible; and with one pooled connection, alternating tenants, nothing
/// of one statement's setting reaches the next.
#[tokio::test]
async fn row_level_security_protects_raw_sql_and_builders() {
    let Some(test) = test_db(Backend::Postgres).await else {
        return;
    };
    let role = rls_fixture(&test).await;
    let db = rls(&with_user(test.url(), &role), 1)
        .connect()
        .await
        .unwrap();

    let who: (String,) = sql!("SELECT current_user::text")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(who.0, role);

    // Raw SQL without a WHERE: only the scope's rows.
    let seen = scope(1_i64, names(&db)).await.unwrap();
    assert_eq!(seen, ["a1", "a2", "a3"]);
    let seen = scope(2_i64, names(&db)).await.unwrap();
    assert_eq!(seen, ["b1", "b2"]);
    // The model builder and the select builder: the same.
    let items = scope(2_i64, Item::find_many().exec(&db)).await.unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i.tenant_id == 2), "{items:?}");
    let selected: Vec<(i64, String)> = scope(
        1_i64,
        strata::select((Item::tenant_id(), Item::name()))
            .from::<Item>()
            .fetch_all(&db),
    )
    .await
    .unwrap();
    assert_eq!(selected.len(), 3);
    assert!(selected.iter().all(|(t, _)| *t == 1), "{selected:?}");

    // Writes: another tenant's row is refused by WITH CHECK, one's own kept.
    refused_by_policy(scope(1_i64, insert(&db, 2, "sneaky")).await);
    assert_eq!(scope(1_i64, insert(&db, 1, "a4")).await.unwrap(), 1);
    // An update or delete reaches only the scope's rows.
    let touched = scope(
        2_i64,
        sql!("UPDATE items SET name = name || '!'").execute(&db),
    )
    .await
    .unwrap();
    assert_eq!(touched, 2);

    // Inside a transaction: the same, set once at BEGIN.
    let in_tx = scope(1_i64, async {
        db.transaction(|tx| {
            Box::pin(async move {
                let before = names(tx).await?;
                insert(tx, 1, "a5").await?;
                let after = names(tx).await?;
                // A savepoint sets nothing and sees the same.
                let nested = tx
                    .transaction(|sp| Box::pin(async move { names(sp).await }))
                    .await?;
                Ok((before, after, nested))
            })
        })
        .await
    })
    .await
    .unwrap();
    assert_eq!(in_tx.0, ["a1", "a2", "a3", "a4"]);
    assert_eq!(in_tx.1, ["a1", "a2", "a3", "a4", "a5"]);
    assert_eq!(in_tx.2, in_tx.1);
    let refused = scope(2_i64, async {
        db.transaction(|tx| Box::pin(async move { insert(tx, 1, "x").await }))
            .await
    })
    .await;
    refused_by_policy(refused);

    // Outside a scope, and unscoped: nothing set, so the policy shows nothing.
    assert_eq!(names(&db).await.unwrap(), Vec::<String>::new());
    assert_eq!(unscoped(names(&db)).await.unwrap(), Vec::<String>::new());
    refused_by_policy(insert(&db, 1, "none").await);

    // One pooled connection, tenants alternating: nothing leaks.
    for round in 0..20 {
        let expected: &[&str] = match round % 3 {
            0 => &["a1", "a2", "a3", "a4", "a5"],
            1 => &["b1!", "b2!"],
            _ => &[],
        };
        let seen = match round % 3 {
            0 => scope(1_i64, names(&db)).await,
            1 => scope(2_i64, names(&db)).await,
            _ => names(&db).await,
        };
        assert_eq!(seen.unwrap(), expected, "round {round}");
        let setting: (String,) = sql!("SELECT current_setting('app.tenant_id', true)")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(
            setting.0, "",
            "round {round}: the setting outlived its transaction"
        );
    }

    db.close().await;
    test.cleanup().await;
    drop_role(&role).await;
}

/// A transaction keeps the tenant it began as: a statement on it from
/// another scope, or none, is refused with `Error::Tenancy`, not run with
/// the first tenant's setting.
#[tokio::test]
async fn a_transaction_refuses_another_tenants_scope() {
    let Some(test) = test_db(Backend::Postgres).await else {
        return;
    };
    let role = rls_fixture(&test).await;
    let db = rls(&with_user(test.url(), &role), 2)
        .connect()
        .await
        .unwrap();

    let tx = scope(1_i64, db.begin_transaction()).await.unwrap();
    let own = scope(1_i64, names(&tx)).await.unwrap();
    assert_eq!(own, ["a1", "a2", "a3"]);
    let other = scope(2_i64, names(&tx)).await.unwrap_err();
    assert!(matches!(other, Error::Tenancy { .. }), "{other}");
    assert!(other.to_string().contains("tenant 1"), "{other}");
    let none = names(&tx).await.unwrap_err();
    assert!(matches!(none, Error::Tenancy { .. }), "{none}");
    // Still usable from its own scope, and ends from anywhere.
    assert_eq!(scope(1_i64, names(&tx)).await.unwrap().len(), 3);
    tx.rollback().await.unwrap();

    // Options (SET LOCAL timeouts, an isolation level) and a retried
    // transaction: the tenant is set after them, the same way.
    let options = strata::TransactionOptions::new()
        .isolation(strata::Isolation::Serializable)
        .timeout(std::time::Duration::from_secs(5));
    let seen = scope(2_i64, async {
        db.retry(strata::RetryPolicy::new())
            .transaction_with(options, |tx| Box::pin(async move { names(tx).await }))
            .await
    })
    .await
    .unwrap();
    assert_eq!(seen, ["b1", "b2"]);

    db.close().await;
    test.cleanup().await;
    drop_role(&role).await;
}

/// Session tenancies are PostgreSQL's: refused on SQLite and MySQL before
/// connecting, and so is a prefix that would not make plain schema names.
#[tokio::test]
async fn session_tenancies_are_refused_where_they_cannot_work() {
    let schema = Tenancy::SchemaPerTenant {
        prefix: "tenant_".into(),
    };
    for url in ["sqlite::memory:", "mysql://root@127.0.0.1:3306/none"] {
        for tenancy in [Tenancy::RowLevelSecurity, schema.clone()] {
            let err = Db::builder()
                .url(url)
                .tenancy(tenancy)
                .connect()
                .await
                .unwrap_err();
            assert!(matches!(err, Error::Tenancy { .. }), "{url}: {err}");
            assert!(err.to_string().contains("PostgreSQL"), "{err}");
        }
    }
    let err = Db::builder()
        .url(Backend::Postgres.admin_url())
        .tenancy(Tenancy::SchemaPerTenant {
            prefix: "bad\"prefix".into(),
        })
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Tenancy { .. }), "{err}");
}

/// Schema per tenant: two schemas made by hand with the same table; a
/// scope routes to each, outside one the default `search_path` answers,
/// and pooled connections carry nothing from one tenant to the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_per_tenant_routes_by_search_path() {
    let Some(test) = test_db(Backend::Postgres).await else {
        return;
    };
    let owner = test.as_postgres().expect("a pool").clone();
    let prefix = format!("{}_t", test.name);
    let table = "(id BIGSERIAL PRIMARY KEY, tenant_id BIGINT NOT NULL, name TEXT NOT NULL)";
    for (tenant, name) in [(1, "one"), (2, "two")] {
        let schema = format!("{prefix}{tenant}");
        run(
            &owner,
            &format!(
                "CREATE SCHEMA \"{schema}\";
                 CREATE TABLE \"{schema}\".items {table};
                 INSERT INTO \"{schema}\".items (tenant_id, name) VALUES ({tenant}, '{name}')"
            ),
        )
        .await;
    }
    // The test's own schema, the default search_path: the unscoped answer.
    run(&owner, &format!("CREATE TABLE items {table}")).await;
    run(
        &owner,
        "INSERT INTO items (tenant_id, name) VALUES (0, 'default')",
    )
    .await;
    let connect = |connections| {
        Db::builder()
            .url(test.url())
            .tenancy(Tenancy::SchemaPerTenant {
                prefix: prefix.clone(),
            })
            .pool(PoolOptions {
                max_connections: connections,
                ..PoolOptions::default()
            })
            .connect()
    };
    let db = connect(1).await.unwrap();

    for round in 0..12 {
        let (seen, expected) = match round % 3 {
            0 => (scope(1_i64, names(&db)).await, "one"),
            1 => (scope(2_i64, names(&db)).await, "two"),
            _ => (names(&db).await, "default"),
        };
        assert_eq!(seen.unwrap(), [expected], "round {round}");
    }
    // The model builder routes the same way.
    let items = scope(2_i64, Item::find_many().exec(&db)).await.unwrap();
    assert_eq!(
        items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
        ["two"]
    );
    // A transaction writes to its tenant's schema and no other.
    scope(1_i64, async {
        db.transaction(|tx| Box::pin(async move { insert(tx, 1, "one-b").await }))
            .await
    })
    .await
    .unwrap();
    assert_eq!(scope(1_i64, names(&db)).await.unwrap(), ["one", "one-b"]);
    assert_eq!(scope(2_i64, names(&db)).await.unwrap(), ["two"]);
    assert_eq!(names(&db).await.unwrap(), ["default"]);
    // An id that names no plain schema is refused before anything is sent.
    let err = scope("x\"; DROP".to_owned(), names(&db)).await.unwrap_err();
    assert!(matches!(err, Error::Tenancy { .. }), "{err}");
    db.close().await;

    // Several pooled connections, tasks of both tenants and none at once.
    let db = Arc::new(connect(4).await.unwrap());
    let mut tasks = Vec::new();
    for task in 0..12_i64 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..25_i64 {
                let (seen, expected) = match (task + i) % 3 {
                    0 => (scope(1_i64, names(&db)).await, vec!["one", "one-b"]),
                    1 => (scope(2_i64, names(&db)).await, vec!["two"]),
                    _ => (names(&db).await, vec!["default"]),
                };
                assert_eq!(seen.unwrap(), expected, "task {task}, round {i}");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    db.close().await;

    run(
        &owner,
        &format!("DROP SCHEMA \"{prefix}1\" CASCADE; DROP SCHEMA \"{prefix}2\" CASCADE"),
    )
    .await;
    test.cleanup().await;
}

/// How many tasks hit PgBouncer at once, and rounds each.
const TASKS: i64 = 16;
const ROUNDS: i64 = 40;

/// Through PgBouncer in transaction mode (its server connections shared
/// by all clients): 16 tasks alternating tenants, raw SQL, the model
/// builder, transactions and unscoped reads, every value checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn row_level_security_through_pgbouncer() {
    let Some(pooled) = pooled_db().await else {
        return;
    };
    let role = role_name();
    let direct = sqlx::PgPool::connect(&pooled.direct_url).await.unwrap();
    run(&direct, RLS_TABLE).await;
    run(&direct, ROWS).await;
    create_role(&role).await;
    run(&direct, &grants("public", &role)).await;
    direct.close().await;
    // PgBouncer lets in only `postgres`: its sessions in this database
    // become the application role.
    admin(&format!(
        "ALTER ROLE postgres IN DATABASE \"{}\" SET role = '{role}'",
        pooled.name
    ))
    .await;
    let url = format!("{}?pgbouncer=true", pooled.pooled_url);
    let db = Arc::new(rls(&url, 16).connect().await.unwrap());
    let who: (String,) = sql!("SELECT current_user::text")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(who.0, role);

    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut checked = 0_u64;
            for round in 0..ROUNDS {
                let tenant = 1 + (task + round) % 2;
                let base = if tenant == 1 { 3 } else { 2 };
                // Raw SQL, no WHERE: only the tenant's rows, its setting.
                let rows: Vec<(i64, String)> = scope(
                    tenant,
                    sql!("SELECT tenant_id, current_setting('app.tenant_id') FROM items")
                        .fetch_all(&db),
                )
                .await
                .unwrap();
                assert_eq!(rows.len(), base, "task {task} round {round}: {rows:?}");
                for (t, setting) in &rows {
                    assert_eq!((*t, setting.as_str()), (tenant, &*tenant.to_string()));
                    checked += 1;
                }
                // The model builder.
                let items = scope(tenant, Item::find_many().exec(&db)).await.unwrap();
                assert_eq!(items.len(), base, "task {task} round {round}");
                assert!(items.iter().all(|i| i.tenant_id == tenant), "{items:?}");
                checked += items.len() as u64;
                match round % 4 {
                    // A transaction sees its own insert and its tenant's
                    // rows, then rolls back; another tenant's row is refused.
                    0 => {
                        let seen = scope(tenant, async {
                            db.transaction(|tx| {
                                Box::pin(async move {
                                    insert(tx, tenant, "mine").await?;
                                    let rows: Vec<(i64,)> =
                                        sql!("SELECT tenant_id FROM items").fetch_all(tx).await?;
                                    let other = insert(tx, 3 - tenant, "theirs").await;
                                    Err::<(), _>(Error::InvalidValue {
                                        model: "test",
                                        field: None,
                                        reason: format!("{rows:?} / {other:?}"),
                                    })
                                })
                            })
                            .await
                        })
                        .await
                        .unwrap_err()
                        .to_string();
                        let want = vec![format!("({tenant},)"); base + 1].join(", ");
                        assert!(seen.contains(&format!("[{want}]")), "task {task}: {seen}");
                        assert!(seen.contains("row-level security"), "task {task}: {seen}");
                        checked += 1;
                    }
                    // Outside a scope nothing is set: the policy shows nothing.
                    1 => {
                        let rows: Vec<(i64,)> = sql!("SELECT tenant_id FROM items")
                            .fetch_all(&db)
                            .await
                            .unwrap();
                        assert!(rows.is_empty(), "task {task}: unscoped saw {rows:?}");
                        checked += 1;
                    }
                    _ => {}
                }
            }
            checked
        }));
    }
    let mut checked = 0;
    for task in tasks {
        checked += task.await.unwrap();
    }
    assert!(checked >= (TASKS * ROUNDS * 5) as u64, "{checked}");
    db.close().await;
    pooled.cleanup().await;
    drop_role(&role).await;
}

/// A read a replica serves is wrapped on the replica: the tenant is set
/// there, the policy applies there.
#[tokio::test]
async fn row_level_security_on_a_read_replica() {
    let Some(test) = test_db(Backend::Postgres).await else {
        return;
    };
    let Some(replica) = pg_replica_url(test.url()).await else {
        test.cleanup().await;
        return;
    };
    let role = rls_fixture(&test).await;
    wait_for_replay(&test.db, &replica).await;
    let db = rls(&with_user(test.url(), &role), 2)
        .replica(with_user(&replica, &role))
        .connect()
        .await
        .unwrap();
    for round in 0..6_i64 {
        let tenant = 1 + round % 2;
        let rows = scope(tenant, ItemPort::find_many().exec(&db))
            .await
            .unwrap();
        assert_eq!(rows.len(), if tenant == 1 { 3 } else { 2 }, "{rows:?}");
        assert!(
            rows.iter().all(|r| r.tenant_id == tenant && r.port == 5433),
            "round {round}: {rows:?}"
        );
        let none = ItemPort::find_many().exec(&db).await.unwrap();
        assert!(none.is_empty(), "unscoped on the replica saw {none:?}");
    }
    db.close().await;
    test.cleanup().await;
    drop_role(&role).await;
}

/// A `row_level_security` model on a PostgreSQL `Db` that never sets the
/// tenant (`Tenancy::Column`) is refused, naming the model and the fix,
/// before anything is sent; on a `RowLevelSecurity` `Db` it runs, filtered
/// by strata and by the policy.
#[tokio::test]
async fn a_row_level_security_model_needs_the_row_level_security_tenancy() {
    let Some(test) = test_db(Backend::Postgres).await else {
        return;
    };
    let role = rls_fixture(&test).await;

    let column = Db::connect(test.url()).await.unwrap();
    let read = scope(1_i64, Guarded::find_many().exec(&column)).await;
    let write = scope(
        1_i64,
        Guarded::delete_many()
            .filter(Guarded::name().eq("a1"))
            .exec(&column),
    )
    .await;
    for err in [read.map(drop).unwrap_err(), write.map(drop).unwrap_err()] {
        assert!(
            matches!(
                err,
                Error::Tenancy {
                    model: "Guarded",
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("Tenancy::RowLevelSecurity"),
            "{err}"
        );
    }
    column.close().await;

    let db = rls(&with_user(test.url(), &role), 1)
        .connect()
        .await
        .unwrap();
    let rows = scope(2_i64, Guarded::find_many().exec(&db)).await.unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r.tenant_id == 2), "{rows:?}");
    db.close().await;
    test.cleanup().await;
    drop_role(&role).await;
}

/// Schema per tenant through PgBouncer: 8 tasks, tenants and no tenant
/// interleaved on server connections every client shares; every read is
/// its own tenant's schema, or the default one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn schema_per_tenant_through_pgbouncer() {
    let Some(pooled) = pooled_db().await else {
        return;
    };
    let direct = sqlx::PgPool::connect(&pooled.direct_url).await.unwrap();
    let table = "(id BIGSERIAL PRIMARY KEY, tenant_id BIGINT NOT NULL, name TEXT NOT NULL)";
    for tenant in 1..=3 {
        run(
            &direct,
            &format!(
                "CREATE SCHEMA tenant_{tenant};
                 CREATE TABLE tenant_{tenant}.items {table};
                 INSERT INTO tenant_{tenant}.items (tenant_id, name) VALUES ({tenant}, 't{tenant}')"
            ),
        )
        .await;
    }
    run(&direct, &format!("CREATE TABLE public.items {table}")).await;
    run(
        &direct,
        "INSERT INTO public.items (tenant_id, name) VALUES (0, 'public')",
    )
    .await;
    direct.close().await;
    let db = Db::builder()
        .url(format!("{}?pgbouncer=true", pooled.pooled_url))
        .tenancy(Tenancy::SchemaPerTenant {
            prefix: "tenant_".into(),
        })
        .pool(PoolOptions {
            max_connections: 8,
            ..PoolOptions::default()
        })
        .connect()
        .await
        .unwrap();
    let db = Arc::new(db);
    let mut tasks = Vec::new();
    for task in 0..8_i64 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..30_i64 {
                let tenant = (task + round) % 4;
                let (seen, expected) = match tenant {
                    0 => (names(&db).await, "public".to_owned()),
                    t => (scope(t, names(&db)).await, format!("t{t}")),
                };
                assert_eq!(seen.unwrap(), [expected], "task {task} round {round}");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    db.close().await;
    pooled.cleanup().await;
}
