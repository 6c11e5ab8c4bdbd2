//! strata beside hand-written sqlx, tokio-postgres, Diesel (sync and
//! diesel-async) and SeaORM on diesel_bench's cases, interleaved in rounds in
//! one process on the same database.
//!
//!     bench/run                                   # everything, then BENCHMARKS.md
//!     cargo bench -p strata-peers-bench --bench peers -- associations   # a filter
//!
//! For each database x tokio runtime flavor x case: the fixture seeds the
//! case's rows, every contender runs the case once and their answers (each
//! converted into `strata_peers_bench::rows`) must be equal, then all of them
//! are timed with `strata_bench::compare` (rounds, rotating order) and one
//! `Record` per contender is written as a JSON line.
//!
//! As in `vs_sqlx`, every thread of the process and every PostgreSQL backend
//! serving the bench database run on one CPU during a comparison
//! (`strata_bench::pin`), so that where a wake-up lands does not decide a
//! contender's numbers; STRATA_BENCH_PIN=0 turns that off.
//!
//! Environment: STRATA_BENCH_PG_URL (default
//! postgres://postgres@127.0.0.1:5432/postgres; the bench drops and recreates
//! the database `strata_peers` there), STRATA_BENCH_DBS (postgres,sqlite),
//! STRATA_BENCH_RUNTIMES (current-thread,multi-thread), STRATA_BENCH_ROUNDS
//! (40), STRATA_BENCH_BATCH_MS (5), STRATA_BENCH_FILTER (substring of the case
//! name; a positional argument works too), STRATA_BENCH_PIN=0,
//! STRATA_PEERS_OUT (default target/bench-results/rust.jsonl).

mod fixture;
#[macro_use]
mod peer;
mod peers;

use fixture::{Database, Fixture};
use peer::Peer;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use strata_bench::pin::{Pinned, PinnedBackends};
use strata_bench::vs_sqlx::cases::Flavor;
use strata_bench::{compare, BoxFuture, Cleanup, Contender, Measured, Settings};
use strata_peers_bench::case::Case;
use strata_peers_bench::record::Record;
use strata_peers_bench::rows::Output;
use tokio::sync::Mutex;

struct Config {
    pg_url: String,
    databases: Vec<Database>,
    flavors: Vec<Flavor>,
    filter: Option<String>,
    settings: Settings,
    pin: bool,
    out: String,
}

impl Config {
    fn load() -> Config {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let mut settings = Settings::default();
        if let Some(r) = env("STRATA_BENCH_ROUNDS") {
            settings.rounds = r.parse().expect("STRATA_BENCH_ROUNDS: a number");
        }
        if let Some(ms) = env("STRATA_BENCH_BATCH_MS") {
            let ms = ms.parse().expect("STRATA_BENCH_BATCH_MS: a number");
            settings.batch_target = Duration::from_millis(ms);
        }
        let dbs = env("STRATA_BENCH_DBS").unwrap_or_else(|| "postgres,sqlite".into());
        let runtimes =
            env("STRATA_BENCH_RUNTIMES").unwrap_or_else(|| "current-thread,multi-thread".into());
        let positional = std::env::args().skip(1).find(|a| !a.starts_with('-'));
        Config {
            pg_url: env("STRATA_BENCH_PG_URL")
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            databases: [Database::Postgres, Database::Sqlite]
                .into_iter()
                .filter(|d| dbs.contains(d.name()))
                .collect(),
            flavors: [Flavor::CurrentThread, Flavor::MultiThread]
                .into_iter()
                .filter(|f| runtimes.contains(f.name()))
                .collect(),
            filter: positional.or_else(|| env("STRATA_BENCH_FILTER")),
            settings,
            pin: env("STRATA_BENCH_PIN").is_none_or(|v| v != "0"),
            out: env("STRATA_PEERS_OUT").unwrap_or_else(|| {
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../target/bench-results/rust.jsonl"
                )
                .into()
            }),
        }
    }
}

/// A peer, shared so that each case's contender can borrow it.
type SharedPeer = Arc<Mutex<Box<dyn Peer>>>;

/// One peer running one case: what `strata_bench::compare` times.
struct Running {
    peer: SharedPeer,
    case: Case,
}

impl Contender for Running {
    fn batch<'a>(&'a mut self, n: usize, out: &'a mut Vec<Duration>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut peer = self.peer.lock().await;
            peer.batch(self.case, n, out).await;
        })
    }
}

fn main() {
    let cfg = Config::load();
    if let Some(dir) = std::path::Path::new(&cfg.out).parent() {
        std::fs::create_dir_all(dir).expect("create the results directory");
    }
    let mut out = std::fs::File::create(&cfg.out).expect("create the results file");
    for &database in &cfg.databases {
        for &flavor in &cfg.flavors {
            let rt = flavor.runtime();
            let records = rt.block_on(async {
                // On a worker thread, so that a multi-thread runtime's
                // contenders run as an application's tasks would.
                let cfg = Arc::new(Config::load());
                tokio::spawn(run(cfg, database, flavor))
                    .await
                    .expect("the bench task")
            });
            for record in records {
                writeln!(out, "{}", record.to_line()).expect("write a record");
            }
        }
    }
    eprintln!("results: {}", cfg.out);
}

/// Every selected case on one database and runtime.
async fn run(cfg: Arc<Config>, database: Database, flavor: Flavor) -> Vec<Record> {
    let fixture = Arc::new(Fixture::create(database, &cfg.pg_url).await);
    let peers: Vec<SharedPeer> = peers::connect_all(&fixture)
        .await
        .into_iter()
        .map(|p| Arc::new(Mutex::new(p)))
        .collect();
    let mut records = Vec::new();
    for case in Case::ALL {
        let name = case.name();
        if cfg
            .filter
            .as_ref()
            .is_some_and(|f| !name.contains(f.as_str()))
        {
            continue;
        }
        eprintln!("{} / {} / {name}", database.name(), flavor.name());
        fixture.seed(case).await;
        check_equal(&fixture, &peers, case).await;
        let measured = time(&cfg, &fixture, &peers, case).await;
        records.extend(report(database, flavor, case, &measured));
    }
    records
}

/// Every peer's answer to `case` must equal the first's; for inserts, so must
/// the rows each left in the table.
async fn check_equal(fixture: &Fixture, peers: &[SharedPeer], case: Case) {
    // (peer, its answer, the users an insert left): the first peer's.
    type Answer = (String, Output, Vec<(String, Option<String>)>);
    let mut expected: Option<Answer> = None;
    for peer in peers {
        let mut peer = peer.lock().await;
        let output = peer.output(case).await;
        let left = if let Case::Insert(_) = case {
            let left = fixture.user_names().await;
            fixture.empty().await;
            left
        } else {
            Vec::new()
        };
        assert!(
            !output.is_empty() || matches!(case, Case::MediumComplexQuery(1)),
            "{} returned nothing for {}",
            peer.name(),
            case.name()
        );
        match &expected {
            None => expected = Some((peer.name().to_string(), output, left)),
            Some((first, want, want_left)) => {
                assert!(
                    *want == output && *want_left == left,
                    "{} and {} disagree on {}:\n{first}: {want:?}\n{}: {output:?}",
                    first,
                    peer.name(),
                    case.name(),
                    peer.name()
                );
            }
        }
    }
}

/// The interleaved comparison of every peer on `case`, pinned (see the
/// module docs).
async fn time(
    cfg: &Config,
    fixture: &Arc<Fixture>,
    peers: &[SharedPeer],
    case: Case,
) -> Vec<Measured> {
    let pinned = if cfg.pin {
        Pinned::to_current_cpu()
    } else {
        None
    };
    let backends = match (&pinned, fixture.database) {
        (Some(pinned), Database::Postgres) => {
            PinnedBackends::connect(&fixture.url, pinned.cpu()).await
        }
        _ => None,
    };
    let mut prepare: Option<Cleanup> = backends.map(PinnedBackends::into_prepare);
    let mut cleanup: Option<Cleanup> = matches!(case, Case::Insert(_)).then(|| -> Cleanup {
        let fixture = fixture.clone();
        Box::new(move || -> BoxFuture<'static, ()> {
            let fixture = fixture.clone();
            Box::pin(async move { fixture.empty().await })
        })
    });
    let mut contenders: Vec<(String, Box<dyn Contender>)> = Vec::new();
    for peer in peers {
        let name = peer.lock().await.name().to_string();
        let running = Running {
            peer: peer.clone(),
            case,
        };
        contenders.push((name, Box::new(running)));
    }
    let (measured, _n) = compare(
        &cfg.settings,
        &mut contenders,
        cleanup.as_mut(),
        prepare.as_mut(),
    )
    .await;
    drop(pinned);
    measured
}

/// One record per contender; ratios against the hand-written sqlx
/// contender on the same kind of connection as the first (see `peers`).
fn report(database: Database, flavor: Flavor, case: Case, measured: &[Measured]) -> Vec<Record> {
    let baseline = measured
        .iter()
        .find(|m| m.name == peers::BASELINE)
        .expect("the sqlx baseline ran");
    measured
        .iter()
        .map(|m| {
            let stats = m.stats();
            let us = |d: Duration| d.as_secs_f64() * 1e6;
            let is_base = m.name == baseline.name;
            let record = Record {
                database: database.name().into(),
                runtime: flavor.name().into(),
                case: case.name(),
                library: m.name.clone(),
                median_us: us(stats.median),
                p99_us: us(stats.p99),
                samples: stats.count,
                round_ratio: (!is_base).then(|| strata_bench::versus(m, baseline).round_ratio),
                baseline: (!is_base).then(|| baseline.name.clone()),
            };
            eprintln!(
                "  {:<34} median {:>10.1} µs  p99 {:>10.1} µs  {}",
                record.library,
                record.median_us,
                record.p99_us,
                record
                    .round_ratio
                    .map_or(String::new(), |r| format!("{r:.3}× {}", peers::BASELINE))
            );
            record
        })
        .collect()
}
