//! Tests of the test harness itself: each test database is isolated and dropped
//! afterwards, and an unreachable server fails CI but only skips locally.

use sqlx::{AssertSqlSafe, Executor as _};
use std::process::Command;
use std::sync::{Arc, Mutex};
use strata::Db;
use strata_tests::{
    backend_tests, for_each_backend, on_unreachable, run_on, test_db, url_of, Backend, Decision,
    TestDb,
};

/// Runs raw SQL through whichever pool `db` has.
async fn exec(db: &Db, sql: &str) -> Result<(), sqlx::Error> {
    let sql = AssertSqlSafe(sql.to_owned());
    if let Some(pool) = db.as_postgres() {
        pool.execute(sql).await.map(drop)
    } else if let Some(pool) = db.as_mysql() {
        pool.execute(sql).await.map(drop)
    } else {
        db.as_sqlite().expect("a pool").execute(sql).await.map(drop)
    }
}

async fn count(db: &Db, table: &str) -> Result<i64, sqlx::Error> {
    let sql = AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
    if let Some(pool) = db.as_postgres() {
        sqlx::query_scalar(sql).fetch_one(pool).await
    } else if let Some(pool) = db.as_mysql() {
        sqlx::query_scalar(sql).fetch_one(pool).await
    } else {
        sqlx::query_scalar(sql)
            .fetch_one(db.as_sqlite().unwrap())
            .await
    }
}

/// Whether the test database `name` still exists on `backend`'s server.
async fn exists(backend: Backend, name: &str) -> bool {
    use sqlx::Connection as _;
    match backend {
        Backend::Sqlite => std::path::Path::new(name).exists(),
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&backend.admin_url())
                .await
                .unwrap();
            let sql = "SELECT COUNT(*) FROM pg_namespace WHERE nspname = $1";
            let n: i64 = sqlx::query_scalar(sql)
                .bind(name)
                .fetch_one(&mut conn)
                .await
                .unwrap();
            n > 0
        }
        Backend::MySql => {
            let mut conn = sqlx::MySqlConnection::connect(&backend.admin_url())
                .await
                .unwrap();
            let sql = "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?";
            let n: i64 = sqlx::query_scalar(sql)
                .bind(name)
                .fetch_one(&mut conn)
                .await
                .unwrap();
            n > 0
        }
    }
}

/// Two test databases on one server see nothing of each other, including
/// PostgreSQL enum types (which a shared schema would make collide).
async fn isolation(backend: Backend) {
    let (Some(a), Some(b)) = (test_db(backend).await, test_db(backend).await) else {
        return;
    };
    assert_ne!(a.name, b.name);
    let ddl = match backend {
        Backend::Postgres => "CREATE TYPE iso_mood AS ENUM ('ok'); CREATE TABLE iso (m iso_mood)",
        _ => "CREATE TABLE iso (m VARCHAR(8))",
    };
    exec(&a, ddl).await.unwrap();
    exec(&a, "INSERT INTO iso VALUES ('ok')").await.unwrap();
    assert_eq!(count(&a, "iso").await.unwrap(), 1);
    let absent = count(&b, "iso").await;
    assert!(
        absent.is_err(),
        "{backend}: table of {} visible in {}",
        a.name,
        b.name
    );
    // The same names are free in the other database.
    exec(&b, ddl).await.unwrap();
    assert_eq!(count(&b, "iso").await.unwrap(), 0);

    let (a_name, b_name) = (a.name.clone(), b.name.clone());
    a.cleanup().await;
    b.cleanup().await;
    assert!(!exists(backend, &a_name).await, "{a_name} dropped");
    assert!(!exists(backend, &b_name).await, "{b_name} dropped");
}

#[tokio::test]
async fn isolation_sqlite() {
    isolation(Backend::Sqlite).await;
}

#[tokio::test]
async fn isolation_postgres() {
    isolation(Backend::Postgres).await;
}

#[tokio::test]
async fn isolation_mysql() {
    isolation(Backend::MySql).await;
}

/// A panicking body still gets its database dropped, and the panic goes on.
fn panic_cleans_up(backend: Backend) {
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let seen: Arc<Mutex<Option<TestDbName>>> = Arc::default();
    let slot = seen.clone();
    // A thread of its own: the panic must cross run_on, and a thread's join
    // reports it without requiring the future to be Send.
    let run = std::thread::spawn(move || {
        runtime().block_on(run_on(backend, move |db| async move {
            *slot.lock().unwrap() = Some(TestDbName::of(&url_of(&db), backend));
            exec(&db, "CREATE TABLE doomed (x INT)").await.unwrap();
            deliberate_panic();
        }))
    });
    let joined = run.join();
    let Some(TestDbName(name)) = seen.lock().unwrap().take() else {
        // Skipped: the server is unreachable and this is not CI.
        return assert!(joined.is_ok());
    };
    assert!(joined.is_err(), "the body's panic is resumed");
    let gone = !runtime().block_on(exists(backend, &name));
    assert!(gone, "{backend}: {name} dropped after a panic");
}

fn deliberate_panic() {
    panic!("deliberate panic in a test body");
}

struct TestDbName(String);

impl TestDbName {
    /// The database name in a test database URL.
    fn of(url: &str, backend: Backend) -> Self {
        let name = match backend {
            Backend::Sqlite => url.trim_start_matches("sqlite://"),
            Backend::Postgres => url.rsplit("search_path%3D").next().unwrap(),
            Backend::MySql => url.rsplit('/').next().unwrap(),
        };
        TestDbName(name.to_owned())
    }
}

#[test]
fn panic_cleans_up_sqlite() {
    panic_cleans_up(Backend::Sqlite);
}

#[test]
fn panic_cleans_up_postgres() {
    panic_cleans_up(Backend::Postgres);
}

#[test]
fn panic_cleans_up_mysql() {
    panic_cleans_up(Backend::MySql);
}

// The macro: one test per backend, a `Result` body, and `url_of` reaching the
// same database from a second pool (on PostgreSQL, the same schema).
backend_tests!(macro_body_and_second_pool, |db| async move {
    exec(&db, "CREATE TABLE shared (x INT)").await?;
    exec(&db, "INSERT INTO shared VALUES (1)").await?;
    let other = Db::connect(&url_of(&db)).await.unwrap();
    assert_eq!(other.dialect(), db.dialect());
    assert_eq!(count(&other, "shared").await?, 1);
    other.close().await;
    Ok::<_, sqlx::Error>(())
});

#[tokio::test]
async fn for_each_backend_runs_sqlite_at_least() {
    let seen = Mutex::new(Vec::new());
    for_each_backend(|db, backend| {
        assert_eq!(db.dialect(), backend.dialect());
        seen.lock().unwrap().push(backend);
        async {}
    })
    .await;
    assert_eq!(seen.lock().unwrap().first(), Some(&Backend::Sqlite));
}

#[test]
fn unreachable_panics_on_ci_and_skips_otherwise() {
    let url = "postgres://postgres:secret@10.0.0.1:5432/postgres";
    let err = "connection refused";
    match on_unreachable(true, Backend::Postgres, url, &err) {
        Decision::Panic(m) => {
            assert!(m.starts_with("PostgreSQL at postgres://postgres:***@10.0.0.1:5432/postgres is unreachable and CI=true: start it or set STRATA_TEST_PG_URL"), "{m}");
            assert!(m.contains(err) && !m.contains("secret"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    match on_unreachable(false, Backend::MySql, "mysql://root@db:3306/mysql", &err) {
        Decision::Skip(m) => assert!(m.starts_with("SKIPPING MySQL/MariaDB tests"), "{m}"),
        other => panic!("{other:?}"),
    }
}

/// Run only as a subprocess of the tests below, with an unreachable URL.
#[tokio::test]
#[ignore = "run by unreachable_server_end_to_end in a subprocess"]
async fn probe_unreachable() {
    for backend in [Backend::Postgres, Backend::MySql] {
        if let Some(db) = test_db(backend).await {
            db.cleanup().await;
        }
    }
}

/// The real path through the environment: a child test process with CI=true and
/// nothing listening fails; without CI it passes and says SKIPPING, loudly.
#[test]
fn unreachable_server_end_to_end() {
    let child = |ci: Option<&str>| {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "probe_unreachable",
            "--ignored",
            "--test-threads=1",
        ])
        // Port 1: nothing listens there, so the connection is refused at once.
        .env(
            "STRATA_TEST_PG_URL",
            "postgres://postgres@127.0.0.1:1/postgres",
        )
        .env("STRATA_TEST_MYSQL_URL", "mysql://root@127.0.0.1:1/mysql")
        .env_remove("CI");
        if let Some(ci) = ci {
            cmd.env("CI", ci);
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text.into_owned())
    };

    let (ok, text) = child(Some("true"));
    assert!(!ok, "CI=true must fail:\n{text}");
    assert!(
        text.contains("PostgreSQL at postgres://postgres@127.0.0.1:1/postgres is unreachable and CI=true: start it or set STRATA_TEST_PG_URL"),
        "{text}"
    );

    let (ok, text) = child(None);
    assert!(ok, "without CI the tests are skipped:\n{text}");
    assert!(text.contains("SKIPPING PostgreSQL tests"), "{text}");
    assert!(text.contains("SKIPPING MySQL/MariaDB tests"), "{text}");
}

#[test]
fn leftover_names_are_datable() {
    // Names carry their creation time so the sweep can tell stale from running.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db: TestDb = rt.block_on(test_db(Backend::Sqlite)).unwrap();
    let dir = std::path::Path::new(&db.name).parent().unwrap();
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("strata_t_"), "{name}");
    rt.block_on(db.cleanup());
}
