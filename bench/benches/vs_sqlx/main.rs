//! strata vs hand-written sqlx, on PostgreSQL and SQLite, interleaved in rounds.
//!
//!     cargo bench -p strata-bench --bench vs_sqlx                    # everything
//!     cargo bench -p strata-bench --bench vs_sqlx -- 'postgres/pool' # a filter on the case path
//!
//! For each database x connection strategy x tokio runtime flavor x case, strata
//! and sqlx alternate in rounds (see `strata_bench::compare`). The sqlx side runs
//! the SAME SQL text strata renders (written out by hand in
//! `strata_bench::vs_sqlx::sql` and checked against strata's rendering at
//! startup), with `query_as` into `#[derive(sqlx::FromRow)]` structs, binding the
//! same values, on the same kind of connection:
//!
//! - single connection: `Db::connect_single` vs a `PgConnection`/`SqliteConnection`;
//! - pool: `Db::connect` (strata's default `PoolOptions`) vs a `sqlx::Pool` built
//!   with the same settings.
//!
//! Each comparison runs in two halves on fresh connections, the second with
//! sqlx and strata connected and warmed up in swapped order (see
//! `connect_order`), and each half
//! runs with everything on one CPU: every thread of this process
//! (`strata_bench::pin::Pinned`; SQLite's connection worker threads inherit
//! it) and, on PostgreSQL, every backend process serving a connection to the
//! bench database, both sides' and the pools' alike
//! (`strata_bench::pin::PinnedBackends`: the pids from `pg_stat_activity`,
//! i.e. each connection's `pg_backend_pid()`, pinned with `sched_setaffinity`
//! before the warm-up, after it and before every round). Unpinned, whether a
//! connection's backend or worker shared the CPU of the thread awaiting it (a
//! context switch) or woke up on the other CPU (an IPI and an idle exit) was
//! decided early and stuck to the connection: the same PostgreSQL point query
//! took ~15 us on one connection and 50-70 us on another. STRATA_BENCH_PIN=0
//! turns pinning off.
//!
//! A "facts" comparison per database and runtime measures a point query through
//! sqlx's default pool, a pool without `test_before_acquire`, a single connection,
//! and strata's two strategies, for choosing strata's defaults.
//!
//! Knobs (environment): STRATA_BENCH_PG_URL (default
//! postgres://postgres@127.0.0.1:5432/postgres; the bench drops and recreates the
//! database `strata_bench` there), STRATA_BENCH_DBS (postgres,sqlite),
//! STRATA_BENCH_RUNTIMES (current-thread,multi-thread), STRATA_BENCH_ROUNDS (40),
//! STRATA_BENCH_BATCH_MS (5), STRATA_BENCH_FILTER (substring of the case path; a
//! positional argument works too), STRATA_BENCH_REPORT (also write the markdown
//! report to this file), STRATA_BENCH_ONLY (run only the contender with this
//! exact name, e.g. `strata` or `sqlx`, and report nothing: for `perf record`),
//! STRATA_BENCH_PIN=0 (no pinning), STRATA_BENCH_DURABLE=1 (commits wait for the disk; by
//! default the bench database has synchronous_commit = off and the SQLite file
//! is on tmpfs, so a ~4 ms fsync does not drown the client-side difference).

mod client;
mod report;

use std::sync::Arc;
use std::time::{Duration, Instant};
use strata_bench::pin::{Pinned, PinnedBackends};
use strata_bench::vs_sqlx::cases::{Case, Flavor, Kind, Strategy};
use strata_bench::vs_sqlx::fixture::{cleanup_for, remove_sqlite, setup, Fixture};
use strata_bench::vs_sqlx::sqlx_side::{SqlxConn, Variant};
use strata_bench::vs_sqlx::{contender, Side};
use strata_bench::{compare, BoxFuture, Cleanup, Contender, Measured, Settings, Versus};

// ---------------------------------------------------------------------------
// Configuration.

#[derive(Debug, Clone)]
pub struct Config {
    pg_url: String,
    kinds: Vec<Kind>,
    flavors: Vec<Flavor>,
    filter: Option<String>,
    /// Only the contender with this exact name (for profiling one side with
    /// `perf`); such a run reports nothing.
    only: Option<String>,
    settings: Settings,
    report: Option<String>,
    /// Commits wait for the disk (PostgreSQL `synchronous_commit` on, the SQLite
    /// file on disk rather than tmpfs). Off by default: see `fixture::setup`.
    durable: bool,
    /// Every comparison runs with the process pinned to one CPU, and on
    /// PostgreSQL the backends of its connections pinned to the same CPU
    /// (`strata_bench::pin`); STRATA_BENCH_PIN=0 turns it off.
    pin: bool,
}

impl Config {
    fn load() -> Config {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let list = |k: &str| env(k).map(|v| v.to_lowercase());
        let mut settings = Settings::default();
        if let Some(r) = env("STRATA_BENCH_ROUNDS") {
            settings.rounds = r.parse().expect("STRATA_BENCH_ROUNDS: a number");
        }
        if let Some(ms) = env("STRATA_BENCH_BATCH_MS") {
            settings.batch_target =
                Duration::from_millis(ms.parse().expect("STRATA_BENCH_BATCH_MS: a number"));
        }
        let kinds = match list("STRATA_BENCH_DBS") {
            None => vec![Kind::Postgres, Kind::Sqlite],
            Some(v) => [Kind::Postgres, Kind::Sqlite]
                .into_iter()
                .filter(|k| v.contains(k.name()) || (*k == Kind::Postgres && v.contains("pg")))
                .collect(),
        };
        let flavors = match list("STRATA_BENCH_RUNTIMES") {
            None => vec![Flavor::CurrentThread, Flavor::MultiThread],
            Some(v) => [Flavor::CurrentThread, Flavor::MultiThread]
                .into_iter()
                .filter(|f| v.contains(f.name()))
                .collect(),
        };
        // `cargo bench` passes `--bench`; a positional argument is a filter.
        let positional = std::env::args().skip(1).find(|a| !a.starts_with('-'));
        Config {
            pg_url: env("STRATA_BENCH_PG_URL")
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            kinds,
            flavors,
            filter: positional.or_else(|| env("STRATA_BENCH_FILTER")),
            only: env("STRATA_BENCH_ONLY"),
            settings,
            report: env("STRATA_BENCH_REPORT"),
            durable: env("STRATA_BENCH_DURABLE").is_some_and(|v| v != "0"),
            pin: env("STRATA_BENCH_PIN").is_none_or(|v| v != "0"),
        }
    }

    fn selected(&self, path: &str) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|f| path.contains(f.as_str()))
    }
}

// ---------------------------------------------------------------------------
// What each comparison runs.

/// The facts comparison: one point query through every way of holding a
/// connection; the first is the baseline.
fn facts() -> Vec<(&'static str, Side)> {
    let plain = |how| Side::Sqlx(how, Variant::Plain);
    vec![
        ("sqlx single connection", plain(SqlxConn::Single)),
        (
            "sqlx pool, sqlx defaults (test_before_acquire on)",
            plain(SqlxConn::PoolSqlxDefaults),
        ),
        (
            "sqlx pool, test_before_acquire(false)",
            plain(SqlxConn::PoolNoTest),
        ),
        ("strata Db::connect_single", Side::Strata(Strategy::Single)),
        (
            "strata Db::connect (default PoolOptions)",
            Side::Strata(Strategy::Pool),
        ),
    ]
}

/// A case's comparison on `strategy`: sqlx (the baseline), strata, then the
/// attribution contenders that isolate one difference each.
fn case_contenders(case: Case, strategy: Strategy) -> Vec<(&'static str, Side)> {
    let how = match strategy {
        Strategy::Single => SqlxConn::Single,
        Strategy::Pool => SqlxConn::PoolLikeStrata,
    };
    let sqlx = |variant| Side::Sqlx(how, variant);
    let mut sides = vec![
        ("sqlx", sqlx(Variant::Plain)),
        ("strata", Side::Strata(strategy)),
    ];
    if case == Case::FindById {
        // Separates strata's own code from the shape of its sqlx call.
        sides.push((
            "sqlx in strata's call shape (owned SQL, try_map by position, fetch_all)",
            sqlx(Variant::StrataShape),
        ));
    }
    if matches!(case, Case::FindById | Case::Create | Case::UpdateById) {
        // Attributes strata reading its one row through `fetch_all`.
        sides.push((
            "sqlx, fetch_all and take the first row",
            sqlx(Variant::FetchAll),
        ));
    }
    if strategy == Strategy::Pool && case == Case::FindMany100 {
        // strata lends one cached connection to every statement of a serial
        // workload; sqlx's pool hands out whichever is idle.
        sides.push((
            "sqlx pool, one connection acquired once and held (as strata lends its cached one)",
            Side::Sqlx(SqlxConn::PoolHeld, Variant::Plain),
        ));
    }
    if strategy == Strategy::Pool && case == Case::FindManyAll {
        // The 10,000-row read on SQLite is bimodal per connection: which
        // hand-off pattern a connection's worker thread falls into sticks to
        // it for the comparison (BENCHMARKS.md). strata lends one connection,
        // sqlx's pool rotates over several. These three separate that from
        // the code: sqlx on one held connection (strata's strategy), and a
        // second instance of each side (same code, other threads: the spread
        // the placement alone gives).
        sides.push((
            "sqlx pool, one connection acquired once and held (as strata lends its cached one)",
            Side::Sqlx(SqlxConn::PoolHeld, Variant::Plain),
        ));
        sides.push((
            "sqlx, a second pool (same code: placement only)",
            sqlx(Variant::Plain),
        ));
        sides.push((
            "strata, a second Db (same code: placement only)",
            Side::Strata(strategy),
        ));
    }
    if case == Case::CreateMany {
        // Attributes strata's BEGIN/COMMIT around its one INSERT.
        sides.push((
            "sqlx, the INSERT inside BEGIN/COMMIT",
            sqlx(Variant::InTransaction),
        ));
        // Attributes the explicit NULLs strata sends for unset columns.
        sides.push((
            "sqlx, 6-column INSERT (unset columns left out)",
            sqlx(Variant::Narrow),
        ));
    }
    sides
}

// ---------------------------------------------------------------------------
// Running.

/// One comparison's results. `measured[0]` is the baseline.
#[derive(Debug, Clone)]
pub struct Outcome {
    kind: Kind,
    /// `None` for the pool-vs-connection facts.
    strategy: Option<Strategy>,
    flavor: Flavor,
    case: Case,
    /// The batch size of each half.
    n: Vec<usize>,
    /// Each contender's rounds from both halves.
    measured: Vec<Measured>,
    /// Each half on its own, contenders in the same order.
    halves: Vec<Vec<Measured>>,
}

impl Outcome {
    /// Contender `a` against contender `b`, each half compared on its own
    /// and the halves combined (`strata_bench::combine`).
    fn versus(&self, a: usize, b: usize) -> Versus {
        let halves: Vec<Versus> = (self.halves.iter())
            .map(|h| strata_bench::versus(&h[a], &h[b]))
            .collect();
        strata_bench::combine(&halves)
    }

    /// Each half's ratio of medians, `a` over `b`: "1.020 / 0.990".
    fn half_ratios(&self, a: usize, b: usize) -> String {
        (self.halves.iter())
            .map(|h| format!("{:.3}", strata_bench::versus(&h[a], &h[b]).ratio))
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

/// Runs one comparison in two halves of the rounds, each on fresh
/// connections, the second connected and warmed up in another order
/// (`Order`), and joins the halves per contender. Returns the
/// measurements in the order of `sides` and each half's batch size; with
/// STRATA_BENCH_ONLY only the matching contender runs, and nothing is
/// returned (a profiling run).
///
/// Why halves: on SQLite, which connection of a comparison is slower stuck to
/// the connection for the whole comparison, whatever code ran on it. Two
/// connections running the same hand-written sqlx, same case, measured
/// 1.15-1.3x apart pinned to one CPU and up to 4x apart unpinned, the one
/// warmed up second being the slow one in most runs (BENCHMARKS.md, "The
/// order effect"). A fixed order handed that to one side in every
/// comparison; now each side has each place for half the rounds.
async fn run_compare(
    cfg: &Config,
    fx: &Arc<Fixture>,
    case: Case,
    sides: Vec<(&'static str, Side)>,
    second_half: Order,
) -> Option<(Vec<Vec<Measured>>, Vec<usize>)> {
    let rounds = cfg.settings.rounds;
    let halves = if rounds >= 2 {
        [rounds.div_ceil(2), rounds / 2]
    } else {
        [rounds, 0]
    };
    let mut halves_measured: Vec<Vec<Measured>> = Vec::new();
    let mut batches = Vec::new();
    for (half, rounds) in halves.into_iter().enumerate() {
        if rounds == 0 {
            continue;
        }
        let reversed = half == 1;
        // Every thread, SQLite's connection workers included, on one CPU; on
        // PostgreSQL, every backend process of the bench database on that CPU
        // too, pinned again before every round for connections opened since
        // (a pool's). Both sides get the same treatment.
        let pinned = if cfg.pin {
            Pinned::to_current_cpu()
        } else {
            None
        };
        let backends = match (&pinned, fx.kind) {
            (Some(pinned), Kind::Postgres) => PinnedBackends::connect(&fx.url, pinned.cpu())
                .await
                .map(|b| Arc::new(tokio::sync::Mutex::new(b))),
            _ => None,
        };
        let mut prepare: Option<Cleanup> = backends.clone().map(|backends| -> Cleanup {
            Box::new(move || -> BoxFuture<'static, ()> {
                let backends = backends.clone();
                Box::pin(async move {
                    backends.lock().await.pin_all().await;
                })
            })
        });
        let order = connect_order(sides.len(), reversed, second_half);
        let mut contenders: Vec<(String, Box<dyn Contender>)> = Vec::new();
        for &i in &order {
            let (name, side) = sides[i];
            contenders.push((name.into(), contender(fx, side, case).await));
        }
        let mut cleanup: Option<Cleanup> = if case.writes_posts() {
            Some(cleanup_for(fx).await)
        } else {
            None
        };
        let settings = Settings {
            rounds,
            ..cfg.settings
        };
        if let Some(only) = &cfg.only {
            contenders.retain(|(name, _)| name == only);
            if contenders.is_empty() {
                return None;
            }
        }
        let (mut measured, n) = compare(
            &settings,
            &mut contenders,
            cleanup.as_mut(),
            prepare.as_mut(),
        )
        .await;
        if let Some(backends) = &backends {
            let backends = backends.lock().await;
            for (pid, why) in backends.failed() {
                eprintln!("  could not pin PostgreSQL backend {pid}: {why}");
            }
        }
        if cfg.only.is_none() {
            // Back to the order of `sides`.
            let mut by_side: Vec<Option<Measured>> = vec![None; sides.len()];
            for (m, &i) in measured.into_iter().zip(&order) {
                by_side[i] = Some(m);
            }
            measured = by_side.into_iter().flatten().collect();
        }
        batches.push(n);
        halves_measured.push(measured);
    }
    if cfg.only.is_some() {
        for m in joined(halves_measured.clone())? {
            eprintln!(
                "{}: {} iterations, median {} µs, client CPU {} µs",
                m.name,
                m.samples.len(),
                report::fmt_us(m.stats().median),
                m.cpu_per_iteration().map_or("?".into(), report::fmt_us)
            );
        }
        return None;
    }
    Some((halves_measured, batches))
}

/// How the second half of a comparison orders its connections.
#[derive(Debug, Clone, Copy)]
enum Order {
    /// The whole list reversed (the facts table, which has no one pair).
    Reversed,
    /// The compared pair (`sides[0]` and `sides[1]`: sqlx and strata)
    /// swapped, the attribution contenders after it, reversed, so the pair
    /// holds exactly each other's places. Reversing the whole list instead
    /// gave sqlx the first and last places and strata the ones in between
    /// whenever a comparison had attribution contenders; on SQLite a
    /// connection's place in the order decided its hand-off pattern in the
    /// 2026-11-25 measurements (BENCHMARKS.md).
    PairSwapped,
}

/// The order in which a half connects and warms up `n` contenders (indices
/// into `sides`): as listed in the first half, by `second_half` in the second.
fn connect_order(n: usize, reversed: bool, second_half: Order) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    match (reversed, second_half) {
        (false, _) => {}
        (true, Order::Reversed) => order.reverse(),
        (true, Order::PairSwapped) => {
            let pair = n.min(2);
            order[..pair].reverse();
            order[pair..].reverse();
        }
    }
    order
}

/// Each contender's rounds from every half, in order.
fn joined(halves: Vec<Vec<Measured>>) -> Option<Vec<Measured>> {
    let mut halves = halves.into_iter();
    let mut total = halves.next()?;
    for half in halves {
        for (all, more) in total.iter_mut().zip(half) {
            all.append(more);
        }
    }
    Some(total)
}

async fn run_suite(fx: Arc<Fixture>, flavor: Flavor, cfg: Arc<Config>) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let prefix = format!("{}/", fx.kind.name());

    let path = format!("{prefix}facts/{}/point query", flavor.name());
    if cfg.selected(&path) {
        eprintln!("running {path}");
        let case = Case::FindById;
        let Some((halves, n)) = run_compare(&cfg, &fx, case, facts(), Order::Reversed).await else {
            return outcomes;
        };
        outcomes.push(Outcome {
            kind: fx.kind,
            strategy: None,
            flavor,
            case,
            n,
            measured: joined(halves.clone()).expect("two halves"),
            halves,
        });
    }

    for strategy in [Strategy::Single, Strategy::Pool] {
        for case in Case::ALL {
            let path = format!(
                "{prefix}{}/{}/{}",
                strategy.name(),
                flavor.name(),
                case.name()
            );
            if !cfg.selected(&path) {
                continue;
            }
            eprintln!("running {path}");
            let sides = case_contenders(case, strategy);
            let Some((halves, n)) = run_compare(&cfg, &fx, case, sides, Order::PairSwapped).await
            else {
                continue;
            };
            outcomes.push(Outcome {
                kind: fx.kind,
                strategy: Some(strategy),
                flavor,
                case,
                n,
                measured: joined(halves.clone()).expect("two halves"),
                halves,
            });
        }
    }
    outcomes
}

fn main() {
    let cfg = Arc::new(Config::load());
    let started = Instant::now();
    let load_start = report::loadavg();
    eprintln!("load average at the start: {load_start}");
    let mut fixtures = Vec::new();
    let mut outcomes = Vec::new();
    for kind in cfg.kinds.clone() {
        let setup_rt = Flavor::CurrentThread.runtime();
        eprintln!("seeding {}", kind.title());
        let Some(fx) = setup_rt.block_on(setup(kind, &cfg.pg_url, cfg.durable)) else {
            continue;
        };
        drop(setup_rt);
        let fx = Arc::new(fx);
        for flavor in cfg.flavors.clone() {
            let rt = flavor.runtime();
            // Spawned, so on the multi-thread runtime the loop runs on a worker
            // like a server's request handlers.
            let task = rt.spawn(run_suite(fx.clone(), flavor, cfg.clone()));
            outcomes.extend(rt.block_on(task).expect("suite"));
            // Pools' background tasks end with the runtime.
            drop(rt);
        }
        fixtures.push(fx);
    }
    let renders = if cfg.selected("client") || cfg.filter.is_none() {
        eprintln!("running client-side costs");
        client::client_costs("writer-id")
    } else {
        Vec::new()
    };
    let text = report::report(&cfg, &fixtures, &outcomes, &renders, &load_start);
    println!("{text}");
    println!("(total {:.0} s)", started.elapsed().as_secs_f64());
    if let Some(path) = &cfg.report {
        std::fs::write(path, &text).expect("STRATA_BENCH_REPORT");
    }
    for fx in &fixtures {
        if fx.kind == Kind::Sqlite {
            remove_sqlite(&fx.url);
        }
    }
}
