//! Read replicas against a real PostgreSQL streaming replica (`.ci/replica.sh`:
//! a second cluster on 127.0.0.1:5433 made with `pg_basebackup -R`): reads go
//! to the replica, writes, transactions and locking reads to the primary,
//! `Db::primary()` reads the primary's latest writes while replay is paused,
//! and a replica that is down at connect or goes away mid-way leaves reads
//! answered by the primary with one warning. Which server answered a model
//! read is told by the view `server` (`inet_server_port()`: the primary is on
//! 5432, the replica on 5433). `sql!` always runs on the primary (it may
//! write), so every read here is a model read.
//! SQLite and MariaDB: a second URL of the same database connects and
//! routes; a replica of another kind of database is refused.

use schema_examples::jobs::{Job, JobStatus};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use strata::{sql, Db, Dialect, Error};
use strata_tests::{backend_tests, pg_replica_url, run_on, url_of, wait_for_replay, Backend};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The server a session is on, read through the view `server`.
mod view {
    // A view: read, never created through its builder.
    #![allow(dead_code)]
    use strata::Model;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[strata(table = "server")]
    pub struct Server {
        #[strata(id)]
        pub port: i32,
        pub application_name: String,
    }

    /// MariaDB's session id, through the view `session`.
    #[derive(Model, Debug, Clone, PartialEq)]
    #[strata(table = "session")]
    pub struct Session {
        #[strata(id)]
        pub id: i64,
    }
}
use view::{Server, Session};

/// Creates the view `server` on the primary (a replica gets it by replay).
async fn server_view(db: &Db) -> Result<(), Error> {
    sql!(
        "CREATE VIEW {Server} AS SELECT inet_server_port() AS port, \
         current_setting('application_name') AS application_name"
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The server that answered a model read through `db`.
async fn server(db: &Db) -> Server {
    let mut rows = Server::find_many()
        .exec(db)
        .await
        .expect("reading the view server");
    rows.pop().expect("the view has one row")
}

/// The port of the server that answered a model read through `db`.
async fn server_port(db: &Db) -> i32 {
    server(db).await.port
}

/// Eight reads at once: the pool's cached connection and others.
async fn concurrent_ports(db: &Db) -> [i32; 8] {
    let p = || server_port(db);
    let (a, b, c, d, e, f, g, h) = tokio::join!(p(), p(), p(), p(), p(), p(), p(), p());
    [a, b, c, d, e, f, g, h]
}

async fn primary_port(db: &Db) -> i32 {
    server_port(&db.primary()).await
}

/// Runs `body` on a PostgreSQL test database and the replica's URL for it
/// (skipped, or failed under CI, when there is no replica).
async fn with_replica<F, Fut>(body: F)
where
    F: FnOnce(Db, String) -> Fut,
    Fut: std::future::Future<Output = Result<(), Error>>,
{
    run_on(Backend::Postgres, |db| async move {
        let Some(replica) = pg_replica_url(&url_of(&db)).await else {
            return Ok(());
        };
        server_view(&db).await?;
        wait_for_replay(&db, &replica).await;
        body(db, replica).await
    })
    .await
}

async fn routed(primary: &Db, replicas: &[&str]) -> Result<Db, Error> {
    let mut builder = Db::builder().primary(url_of(primary));
    for url in replicas {
        builder = builder.replica(*url);
    }
    builder.connect().await
}

#[tokio::test]
async fn reads_go_to_the_replica_and_writes_transactions_and_locks_to_the_primary() {
    // A write sent to the replica would be refused there (read-only) and
    // run again on the primary, with a debug event: there must be none.
    let (events, _guard) = capture_warnings();
    with_replica(|db, replica| async move {
        db.push_schema::<Job>().await?;
        let db = routed(&db, &[&replica]).await?;
        let primary = primary_port(&db).await;
        assert_ne!(primary, 5433, "the primary is not the replica");

        // A write with RETURNING: the replica would refuse it (read-only).
        let job = Job::create().payload("a").exec(&db).await?;
        wait_for_replay(&db, &replica).await;
        for _ in 0..3 {
            assert_eq!(server_port(&db).await, 5433, "a read goes to the replica");
        }
        assert_eq!(Job::find_many().exec(&db).await?, vec![job.clone()]);

        let in_tx = db
            .transaction(|tx| {
                Box::pin(async move {
                    let locked = Job::find_by_id(1).for_update().exec_required(tx).await?;
                    let port = server_port(tx).await;
                    Job::update(Job::by_id(locked.id))
                        .status(JobStatus::Running)
                        .exec(tx)
                        .await?;
                    Ok(port)
                })
            })
            .await?;
        assert_eq!(in_tx, primary, "a transaction's reads stay on the primary");
        let written = sql!("UPDATE {Job} SET payload = {\"b\"}")
            .execute(&db)
            .await?;
        assert_eq!(written, 1);
        assert_eq!(primary_port(&db).await, primary);
        db.close().await;
        Ok(())
    })
    .await;
    assert_eq!(events.lines("strata::replica"), Vec::<String>::new());
}

#[tokio::test]
async fn primary_reads_see_a_write_the_paused_replica_has_not_replayed() {
    with_replica(|db, replica| async move {
        db.push_schema::<Job>().await?;
        let db = routed(&db, &[&replica]).await?;
        Job::create().payload("old").exec(&db).await?;
        wait_for_replay(&db, &replica).await;

        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&replica).await?;
        sqlx::query("SELECT pg_wal_replay_pause()")
            .execute(&mut admin)
            .await?;
        // Values only until replay resumes: no assertion may skip the resume.
        let seen = async {
            let new = Job::create().payload("new").exec(&db).await?;
            let on_replica = Job::find_many().exec(&db).await?;
            let on_primary = Job::find_many().exec(&db.primary()).await?;
            let unique_on_primary = Job::find_by_id(new.id).exec(&db.primary()).await?;
            Ok::<_, Error>((on_replica.len(), on_primary.len(), unique_on_primary))
        }
        .await;
        sqlx::query("SELECT pg_wal_replay_resume()")
            .execute(&mut admin)
            .await?;
        let (on_replica, on_primary, unique) = seen?;
        assert_eq!(
            on_replica, 1,
            "the paused replica has not replayed the new row"
        );
        assert_eq!(on_primary, 2, "db.primary() reads the primary");
        assert!(
            unique.is_some(),
            "a read by key on db.primary() sees the new row"
        );

        wait_for_replay(&db, &replica).await;
        assert_eq!(Job::find_many().exec(&db).await?.len(), 2);
        db.close().await;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn replicas_take_reads_in_turn() {
    with_replica(|db, replica| async move {
        let (one, two) = (
            format!("{replica}&application_name=one"),
            format!("{replica}&application_name=two"),
        );
        let db = routed(&db, &[&one, &two]).await?;
        let mut names = Vec::new();
        for _ in 0..6 {
            names.push(server(&db).await.application_name);
        }
        assert!(
            names.windows(2).all(|w| w[0] != w[1]),
            "round robin: {names:?}"
        );
        assert!(names.iter().all(|n| n == "one" || n == "two"), "{names:?}");
        db.close().await;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_replica_down_at_connect_leaves_reads_on_the_primary_with_one_warning() {
    let (warnings, _guard) = capture_warnings();
    with_replica(|db, replica| async move {
        let down = replica.replacen(":5433/", &format!(":{}/", free_port().await), 1);
        assert_ne!(down, replica, "the replica URL names port 5433");
        db.push_schema::<Job>().await?;
        let db = routed(&db, &[&down]).await?;
        let primary = primary_port(&db).await;
        for _ in 0..5 {
            assert_eq!(server_port(&db).await, primary);
        }
        let job = Job::create().payload("a").exec(&db).await?;
        assert_eq!(Job::find_many().exec(&db).await?, vec![job]);
        db.close().await;
        Ok(())
    })
    .await;
    let lines = warnings.replica_warnings();
    assert_eq!(lines.len(), 1, "one warning: {lines:?}");
    assert!(lines[0].contains("read replica unreachable"), "{lines:?}");
}

#[tokio::test]
async fn a_replica_lost_mid_way_is_set_aside_and_taken_back_when_it_answers() {
    let (warnings, _guard) = capture_warnings();
    let seen = warnings.clone();
    with_replica(|db, replica| async move {
        let target = server_address(&replica);
        let mut proxy = Proxy::start(0, target.clone()).await;
        let via_proxy = replica.replacen(":5433/", &format!(":{}/", proxy.port), 1);
        let db = routed(&db, &[&via_proxy]).await?;
        let primary = primary_port(&db).await;
        // Several connections in the replica's pool, all cut below.
        assert_eq!(concurrent_ports(&db).await, [5433; 8]);

        proxy.stop();
        // The read that meets the lost connection is answered by the primary.
        assert_eq!(server_port(&db).await, primary);
        for _ in 0..5 {
            assert_eq!(server_port(&db).await, primary);
        }
        assert_eq!(seen.replica_warnings().len(), 1);

        let proxy = Proxy::start(proxy.port, target).await;
        let start = Instant::now();
        while server_port(&db).await != 5433 {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the replica is back but reads stay on the primary"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The pool's other connections died with the relay: each fails one
        // read, answered by the primary, and is replaced; the replica stays
        // in the rotation meanwhile.
        let mut failed_over = 0;
        for round in 0.. {
            let ports = concurrent_ports(&db).await;
            if ports == [5433; 8] {
                break;
            }
            failed_over += ports.iter().filter(|&&p| p != 5433).count();
            assert!(round < 10, "reads still fail over after {round} rounds");
        }
        assert!(
            failed_over <= 7,
            "{failed_over} reads failed over: one per dead connection"
        );
        assert_eq!(seen.lines("unreachable again"), Vec::<String>::new());
        assert_eq!(concurrent_ports(&db).await, [5433; 8]);
        db.close().await;
        drop(proxy);
        Ok(())
    })
    .await;
    let lines = warnings.replica_warnings();
    assert_eq!(lines.len(), 1, "one warning for the outage: {lines:?}");
}

backend_tests!(
    a_replica_url_of_the_same_database_connects_and_routes,
    |db| async move {
        let url = url_of(&db);
        db.push_schema::<Job>().await?;
        let routed = Db::builder().url(&url).replica(&url).connect().await?;
        let job = Job::create().payload("a").exec(&routed).await?;
        assert_eq!(Job::find_many().exec(&routed).await?, vec![job.clone()]);
        assert_eq!(Job::find_many().exec(&routed.primary()).await?, vec![job]);
        let n: i64 = sql!("SELECT COUNT(*) FROM {Job}")
            .fetch_scalar(&routed)
            .await?;
        assert_eq!(n, 1);
        if routed.dialect() == Dialect::MySql {
            // The "replica" is the same server: its pool's session is another.
            sql!("CREATE VIEW {Session} AS SELECT CAST(CONNECTION_ID() AS SIGNED) AS id")
                .execute(&routed)
                .await?;
            let session = |db: Db| async move { Session::find_many().exec(&db).await };
            let (on_replica, on_primary) = (
                session(routed.clone()).await?,
                session(routed.primary()).await?,
            );
            assert_ne!(on_replica, on_primary, "a read goes to the replica's pool");
        }
        routed.close().await;
        Ok::<_, Error>(())
    }
);

#[tokio::test]
async fn a_replica_of_another_kind_of_database_is_refused() {
    let result = Db::builder()
        .url("sqlite::memory:")
        .replica(strata_tests::DEFAULT_PG_REPLICA_URL)
        .connect()
        .await;
    match result {
        Err(e @ Error::InvalidUrl { .. }) => {
            assert!(e.to_string().contains("same kind of database"), "{e}");
            assert!(e.to_string().contains("127.0.0.1:5433"), "{e}");
        }
        other => panic!("expected InvalidUrl, got {other:?}"),
    }
}

// --- helpers ----------------------------------------------------------------

/// A port nothing listens on (bound, then let go).
async fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// `host:port` of a PostgreSQL URL.
fn server_address(url: &str) -> String {
    use std::str::FromStr;
    let options = sqlx::postgres::PgConnectOptions::from_str(url).unwrap();
    format!("{}:{}", options.get_host(), options.get_port())
}

/// A TCP relay to the replica: stopping it cuts every connection through it,
/// as a replica going away would.
struct Proxy {
    port: u16,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(port: u16, target: String) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let relays = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                relays.lock().unwrap().push(relay);
            }
        });
        tasks.lock().unwrap().push(accept);
        Proxy { port, tasks }
    }

    fn stop(&mut self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Events (debug and up) logged on this thread (the test's current-thread
/// runtime, its spawned tasks included) while the guard lives.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn replica_warnings(&self) -> Vec<String> {
        let mut lines = self.lines(" WARN ");
        lines.retain(|line| line.contains("strata::replica"));
        lines
    }

    fn lines(&self, containing: &str) -> Vec<String> {
        let bytes = self.0.lock().unwrap();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|line| line.contains(containing))
            .map(str::to_owned)
            .collect()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_warnings() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}
