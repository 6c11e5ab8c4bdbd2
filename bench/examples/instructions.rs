//! Instructions per operation, strata vs hand-written sqlx, counted by
//! callgrind: deterministic where wall-clock time on a shared machine is not.
//!
//!     cargo build --release -p strata-bench --example instructions
//!     target/release/examples/instructions table            # every case, both databases
//!     target/release/examples/instructions table sqlite create create-many
//!
//! `table [postgres|sqlite].. [pool] [case]..` runs, for each database, case and
//! side (strata and sqlx, each on one connection; with `pool`, each through a
//! pool with strata's default settings: `strata-pool` and `sqlx-pool`), this
//! program under
//! `valgrind --tool=callgrind` twice, with `N1` and `N2` iterations, on a
//! freshly seeded database, and prints a markdown table of instructions per
//! operation:
//!
//! - "client thread": the thread that builds, sends and decodes (every
//!   iteration runs on it, on a current-thread runtime), counted exactly
//!   between two marker functions (`--zero-before`/`--dump-before`), divided
//!   by the iterations;
//! - "all threads": also SQLite's worker thread, where sqlx runs the
//!   statement and copies rows out of SQLite (PostgreSQL's server is another
//!   process, not counted), from the difference between the two runs.
//!
//! The pieces, for `callgrind_annotate` on one side:
//!
//!     instructions seed <postgres|sqlite>
//!     valgrind --tool=callgrind --zero-before=strata_bench_measure_start \
//!         --dump-before=strata_bench_measure_end \
//!         target/release/examples/instructions run sqlite strata create 200
//!     callgrind_annotate --inclusive=yes callgrind.out.<pid>.1
//!
//! `seed` seeds the database `strata_instructions` (SQLite:
//! `/dev/shm/strata_instructions.db`) as the bench does; `run <db> <side>
//! <case> <n>` opens it, warms up, then runs `n` iterations between the two
//! marker functions on a current-thread runtime. Sides: `strata`, `sqlx`,
//! `strata-pool`, `sqlx-pool` (strata's default pool settings on both). Cases:
//! `find-by-id`, `find-many-100`, `find-many-all`, `create`, `create-many`,
//! `update-by-id`. `STRATA_BENCH_PG_URL` as for the bench; `N1`/`N2` set the
//! iterations (default 40 and 120, a tenth of that for `create-many` and
//! `find-many-all`).

use std::sync::Arc;
use std::time::Duration;
use strata_bench::callgrind::{strata_bench_measure_end, strata_bench_measure_start};
use strata_bench::vs_sqlx::cases::{Case, Flavor, Kind, Strategy};
use strata_bench::vs_sqlx::fixture::{cleanup_for, setup_at, Fixture};
use strata_bench::vs_sqlx::sqlx_side::{SqlxConn, Variant};
use strata_bench::vs_sqlx::{contender, Side};

const NAME: &str = "strata_instructions";

fn usage() -> ! {
    eprintln!(
        "usage: instructions table [postgres|sqlite].. [pool] [case]..\n       instructions seed <postgres|sqlite>\n       instructions run <postgres|sqlite> <strata|sqlx|strata-pool|sqlx-pool> <case> <n>"
    );
    std::process::exit(2)
}

fn kind(s: &str) -> Kind {
    match s {
        "postgres" | "pg" => Kind::Postgres,
        "sqlite" => Kind::Sqlite,
        _ => usage(),
    }
}

fn pg_url() -> String {
    std::env::var("STRATA_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn url(kind: Kind) -> String {
    match kind {
        Kind::Postgres => {
            let base = pg_url();
            let (base, _) = base.rsplit_once('/').expect("a database in the URL");
            format!("{base}/{NAME}")
        }
        Kind::Sqlite => format!("sqlite:///dev/shm/{NAME}.db"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = Flavor::CurrentThread.runtime();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["seed", db] => {
            let kind = kind(db);
            let fx = rt.block_on(setup_at(kind, &pg_url(), false, NAME));
            let fx = fx.expect("the database server");
            assert_eq!(fx.url, url(kind), "seeded where `run` looks");
            eprintln!("seeded {}", fx.url);
        }
        ["run", db, side, case, n] => {
            let kind = kind(db);
            let side = match side {
                "strata" => Side::Strata(Strategy::Single),
                "strata-pool" => Side::Strata(Strategy::Pool),
                "sqlx" => Side::Sqlx(SqlxConn::Single, Variant::Plain),
                "sqlx-pool" => Side::Sqlx(SqlxConn::PoolLikeStrata, Variant::Plain),
                _ => usage(),
            };
            let case = Case::parse(case).unwrap_or_else(|| usage());
            let n: usize = n.parse().unwrap_or_else(|_| usage());
            rt.block_on(run(kind, side, case, n));
        }
        ["table", ..] => table(&args[1..]),
        _ => usage(),
    }
}

/// One callgrind run's counts.
struct Counted {
    /// The client thread between the markers.
    client: u64,
    /// Every thread, from its start (the client thread: from the first marker).
    all: u64,
}

/// Seeds `kind` afresh and runs `side` `n` times under callgrind.
fn counted(kind: Kind, side: &str, case: Case, n: usize, dir: &std::path::Path) -> Counted {
    let exe = std::env::current_exe().expect("this program");
    let status = std::process::Command::new(&exe)
        .args(["seed", kind.name()])
        .stderr(std::process::Stdio::null())
        .status()
        .expect("seed");
    assert!(status.success(), "seeding {}", kind.name());
    let prefix = format!("{}-{}-{side}-{n}", kind.name(), case.slug());
    let status = std::process::Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--separate-threads=yes",
            "--zero-before=strata_bench_measure_start",
            "--dump-before=strata_bench_measure_end",
        ])
        .arg(format!(
            "--callgrind-out-file={}/{prefix}.%p",
            dir.display()
        ))
        .arg(&exe)
        .args(["run", kind.name(), side, case.slug(), &n.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .expect("valgrind");
    assert!(status.success(), "callgrind run {prefix}");
    let mut counted = Counted { client: 0, all: 0 };
    for entry in std::fs::read_dir(dir).expect("callgrind output") {
        let path = entry.expect("callgrind output").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with(&format!("{prefix}.")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("callgrind output");
        let totals: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("totals: "))
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        // `<prefix>.<pid>.1-01` is the dump at the second marker (thread 1);
        // `<prefix>.<pid>-NN` each thread's counts at exit.
        if name.contains(".1-") {
            counted.client += totals;
        }
        counted.all += totals;
        std::fs::remove_file(&path).ok();
    }
    counted
}

/// The markdown table of instructions per operation.
fn table(args: &[String]) {
    let mut kinds: Vec<Kind> = args
        .iter()
        .filter_map(|a| match a.as_str() {
            "postgres" | "pg" => Some(Kind::Postgres),
            "sqlite" => Some(Kind::Sqlite),
            _ => None,
        })
        .collect();
    if kinds.is_empty() {
        kinds = vec![Kind::Postgres, Kind::Sqlite];
    }
    let pool = args.iter().any(|a| a == "pool");
    let mut cases: Vec<Case> = args.iter().filter_map(|a| Case::parse(a)).collect();
    if cases.is_empty() {
        cases = Case::ALL.to_vec();
    }
    let env = |k: &str, default: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let dir = std::env::temp_dir().join(format!("strata-instructions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("output directory");
    println!("| database | case | strata client thread | sqlx client thread | × | strata all threads | sqlx all threads | × |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for &kind in &kinds {
        for &case in &cases {
            let scale = match case {
                Case::CreateMany | Case::FindManyAll => 10,
                _ => 1,
            };
            let (n1, n2) = (env("N1", 40) / scale, env("N2", 120) / scale);
            let per_op = |side: &str| {
                let a = counted(kind, side, case, n1.max(1), &dir);
                let b = counted(kind, side, case, n2.max(2), &dir);
                let client = b.client as f64 / n2.max(2) as f64;
                let all = (b.all as f64 - a.all as f64) / (n2.max(2) - n1.max(1)) as f64;
                (client, all)
            };
            let (strata, sqlx) = if pool {
                (per_op("strata-pool"), per_op("sqlx-pool"))
            } else {
                (per_op("strata"), per_op("sqlx"))
            };
            println!(
                "| {}{} | {} | {:.0} | {:.0} | {:.2} | {:.0} | {:.0} | {:.2} |",
                kind.title(),
                if pool { " (pool)" } else { "" },
                case.name(),
                strata.0,
                sqlx.0,
                strata.0 / sqlx.0,
                strata.1,
                sqlx.1,
                strata.1 / sqlx.1
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

async fn run(kind: Kind, side: Side, case: Case, n: usize) {
    let fx = Arc::new(Fixture::open(kind, &url(kind)).await);
    let mut cleanup = match case.writes_posts() {
        true => Some(cleanup_for(&fx).await),
        false => None,
    };
    // Rows an earlier run wrote; none are deleted after this one, so the only
    // work on other threads after the start is the measured side's.
    if let Some(cleanup) = cleanup.as_mut() {
        cleanup().await;
    }
    let mut contender = contender(&fx, side, case).await;
    let mut latencies: Vec<Duration> = Vec::with_capacity(n + 10);
    // Warm-up: prepared statements, the lent connection, first allocations.
    contender.batch(10, &mut latencies).await;
    latencies.clear();
    strata_bench_measure_start();
    contender.batch(n, &mut latencies).await;
    strata_bench_measure_end();
    assert_eq!(latencies.len(), n);
}
