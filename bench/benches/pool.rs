//! The acquire path (issue 8): a point query through strata's pool against a
//! bare sqlx connection, and the prepared-statement cache's effect.
//!
//! Part `pool` (PostgreSQL, `Post::find_unique` by id, the vs_sqlx
//! fixture): on a current-thread and a multi-thread (2 workers) runtime,
//! with 1 and with 32 concurrent tasks, each task running `n` queries per
//! batch and timing each one. Contenders:
//! - `bare`: sqlx `PgConnection`s, one owned by each task (no pool at all:
//!   the cost floor for that many server connections);
//! - `strata pool`: `Db::connect`, `max_connections` 10 (the default) with
//!   1 task, one connection per task (32) with 32 tasks: the same number of
//!   server connections as `bare`;
//! - `strata pool, default 10` (32 tasks only): default `PoolOptions`;
//! - `strata single`: `Db::connect_single`, one connection all tasks share;
//! - `sqlx PgPool`: sqlx's defaults but for `max_connections` as strata's,
//!   a reference.
//!
//! With 32 tasks, 32 + 32 + 32 connections for bare, strata and sqlx (plus
//! the default pool's 10) would not fit PostgreSQL's default
//! `max_connections` of 100 next to other sessions, so the comparison runs
//! in two phases: bare against strata's pools, then, with those connections
//! closed, a fresh bare x32 against sqlx's pool of 32. Ratios compare only
//! within a phase.
//!
//! After each phase the bench prints what each strata pool did: the
//! connections it opened and its acquire-latency histogram (from
//! `Db::pool_status`), to tell queueing for a connection from the rest.
//!
//! Part `cache`: strata's pool with `statement_cache_capacity` 0 against the
//! default 100, a point query (`User` by unique email), one task, on
//! PostgreSQL and MariaDB.
//!
//! Every comparison interleaves its contenders in rounds
//! (`strata_bench::compare`); per-query latency medians and p99, and the
//! median over rounds of each batch's throughput, all from one run.
//!
//!     cargo bench -p strata-bench --bench pool
//!
//! Knobs: STRATA_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres),
//! STRATA_BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306/mysql),
//! STRATA_BENCH_ROUNDS (20), STRATA_BENCH_PARTS (pool,cache),
//! STRATA_BENCH_TASKS (1,32), STRATA_BENCH_FLAVORS (current-thread,multi-thread),
//! STRATA_BENCH_PIN=0 (no pinning; by default the 1-task current-thread
//! comparisons and the cache part run pinned to one CPU, with PostgreSQL's
//! backends, as vs_sqlx does).

use schema_examples::blog::{BlogSchema, Post, User};
use sqlx::{AssertSqlSafe, Connection as _, PgConnection};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use strata::{Db, PoolOptions};
use strata_bench::pin::{Pinned, PinnedBackends};
use strata_bench::vs_sqlx::cases::{Flavor, Kind};
use strata_bench::vs_sqlx::fixture::{setup_at, Fixture};
use strata_bench::vs_sqlx::sqlx_side::SqlxSide;
use strata_bench::{compare, versus, BoxFuture, Cleanup, Contender, Measured, Settings};

/// Where one contender's tasks run their queries.
#[derive(Clone)]
enum Target {
    /// One bare connection per task, moved into the task for the batch.
    Bare(Arc<Mutex<Vec<Option<PgConnection>>>>),
    Strata(Db),
    SqlxPool(sqlx::PgPool),
}

struct PointQueries {
    target: Target,
    fx: Arc<Fixture>,
    tasks: usize,
    next: usize,
    /// Queries per second of each batch (all tasks together).
    throughput: Arc<Mutex<Vec<f64>>>,
}

async fn one_query(target: &mut Target, conn: &mut Option<PgConnection>, fx: &Fixture, k: usize) {
    let id = fx.post_id(k);
    match target {
        Target::Bare(_) => {
            let conn = conn.as_mut().expect("a bare connection per task");
            let post = SqlxSide::<sqlx::Postgres>::find_by_id(&fx.sql, id)
                .fetch_optional(conn)
                .await
                .expect("sqlx point query");
            assert!(post.is_some());
        }
        Target::Strata(db) => {
            let post = Post::find_unique(Post::by_id(id))
                .exec(db)
                .await
                .expect("strata point query");
            assert!(post.is_some());
        }
        Target::SqlxPool(pool) => {
            let post = SqlxSide::<sqlx::Postgres>::find_by_id(&fx.sql, id)
                .fetch_optional(&*pool)
                .await
                .expect("sqlx pool point query");
            assert!(post.is_some());
        }
    }
}

impl Contender for PointQueries {
    fn batch<'a>(&'a mut self, n: usize, out: &'a mut Vec<Duration>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let start = Instant::now();
            let mut handles = Vec::with_capacity(self.tasks);
            for t in 0..self.tasks {
                let mut target = self.target.clone();
                let mut conn = match &target {
                    Target::Bare(conns) => conns.lock().unwrap()[t].take(),
                    _ => None,
                };
                let fx = self.fx.clone();
                let first = self.next + t * 7919;
                // Spawned, so on the multi-thread runtime the queries run on
                // the workers, as a server's request handlers do.
                handles.push(tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(n);
                    for i in 0..n {
                        let began = Instant::now();
                        one_query(&mut target, &mut conn, &fx, first + i).await;
                        latencies.push(began.elapsed());
                    }
                    (latencies, conn)
                }));
            }
            for (t, handle) in handles.into_iter().enumerate() {
                let (latencies, conn) = handle.await.expect("bench task");
                out.extend(latencies);
                if let Target::Bare(conns) = &self.target {
                    conns.lock().unwrap()[t] = conn;
                }
            }
            let wall = start.elapsed();
            self.next += n;
            self.throughput
                .lock()
                .unwrap()
                .push((self.tasks * n) as f64 / wall.as_secs_f64());
        })
    }
}

struct Config {
    pg_url: String,
    mysql_url: String,
    rounds: usize,
    parts: Vec<String>,
    tasks: Vec<usize>,
    flavors: Vec<Flavor>,
}

impl Config {
    fn load() -> Config {
        let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
        let list = |k: &str, d: &str| -> Vec<String> {
            var(k, d).split(',').map(|s| s.trim().to_owned()).collect()
        };
        Config {
            pg_url: var(
                "STRATA_BENCH_PG_URL",
                "postgres://postgres@127.0.0.1:5432/postgres",
            ),
            mysql_url: var(
                "STRATA_BENCH_MYSQL_URL",
                "mysql://root@127.0.0.1:3306/mysql",
            ),
            rounds: var("STRATA_BENCH_ROUNDS", "20")
                .parse()
                .expect("STRATA_BENCH_ROUNDS"),
            parts: list("STRATA_BENCH_PARTS", "pool,cache"),
            tasks: list("STRATA_BENCH_TASKS", "1,32")
                .iter()
                .map(|t| t.parse().expect("STRATA_BENCH_TASKS"))
                .collect(),
            flavors: list("STRATA_BENCH_FLAVORS", "current-thread,multi-thread")
                .iter()
                .map(|f| match f.as_str() {
                    "current-thread" => Flavor::CurrentThread,
                    "multi-thread" => Flavor::MultiThread,
                    other => panic!("STRATA_BENCH_FLAVORS: unknown {other}"),
                })
                .collect(),
        }
    }
}

/// One comparison's results: contender, latency stats, throughput.
struct Outcome {
    title: String,
    rows: Vec<(Measured, f64)>,
    n: usize,
    /// What strata's pools did (connections opened, acquire waits).
    notes: Vec<String>,
}

/// Pins this process and the bench database's server processes to the CPU
/// the caller runs on (see `strata_bench::pin`: unpinned, one PostgreSQL
/// connection ran the same point query at ~17 µs and another at ~60 µs,
/// decided by where its backend ran): returns the pin, to hold, and the
/// `prepare` step that pins backends opened since.
async fn pin(url: &str) -> (Option<Pinned>, Option<Cleanup>) {
    if std::env::var("STRATA_BENCH_PIN").is_ok_and(|v| v == "0") {
        return (None, None);
    }
    let pinned = Pinned::to_current_cpu();
    let backends = match pinned.as_ref() {
        Some(p) if url.starts_with("postgres") => PinnedBackends::connect(url, p.cpu()).await,
        _ => None,
    };
    (pinned, backends.map(PinnedBackends::into_prepare))
}

/// Opens `tasks` bare connections, one per task.
async fn bare_connections(fx: &Fixture, tasks: usize) -> Target {
    let options = sqlx::postgres::PgConnectOptions::from_str(&fx.url).expect("url");
    let mut bare = Vec::new();
    for _ in 0..tasks {
        bare.push(Some(
            PgConnection::connect_with(&options).await.expect("bare"),
        ));
    }
    Target::Bare(Arc::new(Mutex::new(bare)))
}

/// Closes a contender's server connections, so the next phase's fit under
/// PostgreSQL's `max_connections`.
async fn close(target: Target) {
    match target {
        Target::Bare(conns) => {
            let conns: Vec<PgConnection> = conns.lock().unwrap().drain(..).flatten().collect();
            for conn in conns {
                let _ = conn.close().await;
            }
        }
        Target::Strata(db) => db.close().await,
        Target::SqlxPool(pool) => pool.close().await,
    }
}

/// What a strata pool did during a phase: how many connections it opened and
/// how long its leases waited (the histogram's buckets, by upper bound).
fn pool_report(name: &str, target: &Target) -> Option<String> {
    let Target::Strata(db) = target else {
        return None;
    };
    let status = db.pool_status()?;
    let mut buckets = Vec::new();
    for (i, count) in status.acquire_latency.counts.iter().enumerate() {
        if *count == 0 {
            continue;
        }
        let bound = strata::ACQUIRE_BUCKETS
            .get(i)
            .map_or("more".to_owned(), |b| format!("≤{b:?}"));
        buckets.push(format!("{bound}: {count}"));
    }
    Some(format!(
        "{name}: size {} of max {}, acquire waits {}",
        status.size,
        status.max_connections,
        buckets.join(", ")
    ))
}

/// One set of contenders interleaved in rounds; their connections are closed
/// afterwards.
async fn phase(
    fx: &Arc<Fixture>,
    tasks: usize,
    rounds: usize,
    pinned: bool,
    title: String,
    targets: Vec<(String, Target)>,
) -> Outcome {
    let mut throughputs = Vec::new();
    let mut kept = Vec::new();
    let mut contenders: Vec<(String, Box<dyn Contender>)> = Vec::new();
    for (name, target) in targets {
        let throughput = Arc::new(Mutex::new(Vec::new()));
        throughputs.push(throughput.clone());
        kept.push((name.clone(), target.clone()));
        contenders.push((
            name,
            Box::new(PointQueries {
                target,
                fx: fx.clone(),
                tasks,
                next: 0,
                throughput,
            }),
        ));
    }
    let settings = Settings {
        rounds,
        batch_target: Duration::from_millis(20),
        min_batch: 5,
        max_batch: 200,
        warmup: Duration::from_millis(300),
    };
    let (_pin, mut prepare) = if pinned {
        pin(&fx.url).await
    } else {
        (None, None)
    };
    let (measured, n) = compare(&settings, &mut contenders, None, prepare.as_mut()).await;
    drop(contenders);
    let notes = kept
        .iter()
        .filter_map(|(name, target)| pool_report(name, target))
        .collect();
    for (_, target) in kept {
        close(target).await;
    }
    let rows = measured
        .into_iter()
        .zip(throughputs)
        .map(|(m, t)| {
            let t = t.lock().unwrap().clone();
            // The warm-up's batches come first; only the rounds' count.
            let rounds_only = &t[t.len().saturating_sub(rounds)..];
            (m, median_f64(rounds_only))
        })
        .collect();
    Outcome {
        title,
        rows,
        n,
        notes,
    }
}

/// With 1 task, one phase: bare, strata's pool (default max 10),
/// `connect_single` and sqlx's pool. With more tasks, two phases: first bare
/// against strata's pool with one connection per task (and the default pool
/// and `connect_single`), then, with those connections closed, bare again
/// against sqlx's pool of one connection per task, the reference:
/// 32 + 32 + 32 server connections at once would not fit PostgreSQL's
/// `max_connections` of 100 next to other sessions.
async fn pool_comparison(
    fx: Arc<Fixture>,
    tasks: usize,
    rounds: usize,
    pinned: bool,
) -> Vec<Outcome> {
    let max = if tasks > 10 { tasks as u32 } else { 10 };
    let strata_pool = Db::connect_with(
        &fx.url,
        PoolOptions {
            max_connections: max,
            ..PoolOptions::default()
        },
    )
    .await
    .expect("strata pool");
    let mut targets = vec![
        (
            format!("bare sqlx PgConnection x{tasks}"),
            bare_connections(&fx, tasks).await,
        ),
        (
            format!("strata Db::connect, max {max}"),
            Target::Strata(strata_pool),
        ),
    ];
    if tasks > 10 {
        let default = Db::connect(&fx.url).await.expect("strata default pool");
        targets.push((
            "strata Db::connect, default (max 10)".into(),
            Target::Strata(default),
        ));
    }
    targets.push((
        "strata Db::connect_single".into(),
        Target::Strata(Db::connect_single(&fx.url).await.expect("single")),
    ));
    let sqlx_pool = || async {
        let options = sqlx::postgres::PgConnectOptions::from_str(&fx.url).expect("url");
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(max)
            .connect_with(options)
            .await
            .expect("sqlx pool");
        (
            format!("sqlx PgPool, sqlx defaults, max {max}"),
            Target::SqlxPool(pool),
        )
    };
    if tasks <= 10 {
        targets.push(sqlx_pool().await);
        let title = format!("{tasks} task(s)");
        return vec![phase(&fx, tasks, rounds, pinned, title, targets).await];
    }
    let first = phase(
        &fx,
        tasks,
        rounds,
        pinned,
        format!("{tasks} tasks, phase 1: strata"),
        targets,
    )
    .await;
    let targets = vec![
        (
            format!("bare sqlx PgConnection x{tasks}"),
            bare_connections(&fx, tasks).await,
        ),
        sqlx_pool().await,
    ];
    let second = phase(
        &fx,
        tasks,
        rounds,
        pinned,
        format!("{tasks} tasks, phase 2: sqlx's pool (reference)"),
        targets,
    )
    .await;
    vec![first, second]
}

fn median_f64(values: &[f64]) -> f64 {
    strata_bench::median_f64(values)
}

/// A database on `admin_url`'s server with 100 users, for the cache part.
async fn users_db(admin_url: &str) -> Option<String> {
    let name = "strata_bench_pool_cache";
    let (base, _) = admin_url.rsplit_once('/')?;
    let url = format!("{base}/{name}");
    if admin_url.starts_with("postgres") {
        let mut admin = PgConnection::connect(admin_url).await.ok()?;
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut admin)
                .await
                .ok()?;
        }
    } else {
        let mut admin = sqlx::MySqlConnection::connect(admin_url).await.ok()?;
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut admin)
                .await
                .ok()?;
        }
    }
    let db = Db::connect(&url).await.ok()?;
    db.push_schema::<BlogSchema>().await.ok()?;
    for i in 0..100 {
        User::create()
            .email(format!("user{i}@example.com"))
            .exec(&db)
            .await
            .ok()?;
    }
    db.close().await;
    Some(url)
}

struct ByEmail {
    db: Db,
    next: usize,
}

impl Contender for ByEmail {
    fn batch<'a>(&'a mut self, n: usize, out: &'a mut Vec<Duration>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            for _ in 0..n {
                self.next += 1;
                let email = format!("user{}@example.com", self.next % 100);
                let began = Instant::now();
                let user = User::find_unique(User::by_email(email))
                    .exec(&self.db)
                    .await
                    .expect("point query");
                out.push(began.elapsed());
                assert!(user.is_some());
            }
        })
    }
}

async fn cache_comparison(url: String, rounds: usize) -> Outcome {
    let mut contenders: Vec<(String, Box<dyn Contender>)> = Vec::new();
    for capacity in [100, 0] {
        let db = Db::connect_with(
            &url,
            PoolOptions {
                statement_cache_capacity: capacity,
                ..PoolOptions::default()
            },
        )
        .await
        .expect("strata pool");
        contenders.push((
            format!("strata pool, statement_cache_capacity {capacity}"),
            Box::new(ByEmail { db, next: 0 }),
        ));
    }
    let settings = Settings {
        rounds,
        batch_target: Duration::from_millis(20),
        min_batch: 5,
        max_batch: 200,
        warmup: Duration::from_millis(300),
    };
    let (_pin, mut prepare) = pin(&url).await;
    let (measured, n) = compare(&settings, &mut contenders, None, prepare.as_mut()).await;
    Outcome {
        title: String::new(),
        rows: measured.into_iter().map(|m| (m, f64::NAN)).collect(),
        n,
        notes: Vec::new(),
    }
}

fn print(title: &str, outcome: &Outcome) {
    println!("\n#### {title}\n");
    println!("n = {} per task per batch\n", outcome.n);
    println!("| contender | median | p99 | vs first (median, round-median ratio) | p99 vs first | queries/s (median batch) | time per query vs first (1/throughput) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let base = &outcome.rows[0].0;
    let base_qps = outcome.rows[0].1;
    for (m, qps) in &outcome.rows {
        let s = m.stats();
        let v = versus(m, base);
        let p99 = s.p99.as_secs_f64() / base.stats().p99.as_secs_f64();
        let (qps, per_query) = if qps.is_nan() {
            ("—".into(), "—".into())
        } else {
            (format!("{qps:.0}"), format!("{:.2}×", base_qps / qps))
        };
        println!(
            "| {} | {:.0} µs | {:.0} µs | {:.2}× ({:.2}×) | {:.2}× | {} | {} |",
            m.name,
            s.median.as_secs_f64() * 1e6,
            s.p99.as_secs_f64() * 1e6,
            v.ratio,
            v.round_ratio,
            p99,
            qps,
            per_query
        );
    }
    for note in &outcome.notes {
        println!("\n{note}");
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn main() {
    let cfg = Config::load();
    let started = Instant::now();
    println!("load average at the start: {}", loadavg());
    if cfg.parts.iter().any(|p| p == "pool") {
        let setup = Flavor::CurrentThread.runtime();
        eprintln!("seeding PostgreSQL");
        match setup.block_on(setup_at(
            Kind::Postgres,
            &cfg.pg_url,
            false,
            "strata_bench_pool",
        )) {
            None => eprintln!("skipping the pool part: no PostgreSQL"),
            Some(fx) => {
                drop(setup);
                let fx = Arc::new(fx);
                for flavor in &cfg.flavors {
                    for &tasks in &cfg.tasks {
                        eprintln!("pool: {} with {tasks} task(s)", flavor.name());
                        let rt = flavor.runtime();
                        // Pinned where it keeps the case's meaning: one task
                        // on a current-thread runtime uses one CPU anyway.
                        let pinned = *flavor == Flavor::CurrentThread && tasks == 1;
                        let outcomes = rt
                            .block_on(rt.spawn(pool_comparison(
                                fx.clone(),
                                tasks,
                                cfg.rounds,
                                pinned,
                            )))
                            .expect("pool comparison");
                        drop(rt);
                        for outcome in &outcomes {
                            print(
                                &format!(
                                    "PostgreSQL point query, {} — {}{}",
                                    outcome.title,
                                    flavor.title(),
                                    if *flavor == Flavor::CurrentThread && tasks == 1 {
                                        ", pinned to one CPU"
                                    } else {
                                        ""
                                    }
                                ),
                                outcome,
                            );
                        }
                    }
                }
            }
        }
    }
    if cfg.parts.iter().any(|p| p == "cache") {
        for (name, admin) in [("PostgreSQL", &cfg.pg_url), ("MariaDB", &cfg.mysql_url)] {
            let rt = Flavor::CurrentThread.runtime();
            let Some(url) = rt.block_on(users_db(admin)) else {
                eprintln!("skipping the cache part on {name}: no server at {admin}");
                continue;
            };
            eprintln!("cache: {name}");
            let outcome = rt
                .block_on(rt.spawn(cache_comparison(url, cfg.rounds)))
                .expect("cache comparison");
            print(
                &format!("{name} point query by unique email — statement cache, current-thread runtime, 1 task, pinned to one CPU (PostgreSQL: with its backends)"),
                &outcome,
            );
        }
    }
    println!("\nload average at the end: {}", loadavg());
    println!("(total {:.0} s)", started.elapsed().as_secs_f64());
}
