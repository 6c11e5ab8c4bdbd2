//! Context switches and CPU time per query, per thread, strata vs
//! hand-written sqlx: how each side's rows get from sqlx's SQLite worker
//! thread (or PostgreSQL's backend) to the client.
//!
//!     cargo build --release -p strata-bench --example handoff
//!     target/release/examples/handoff sqlite find-many-all 20 6
//!
//! `<postgres|sqlite> <case> <n> <rounds>` seeds the database
//! `strata_handoff` (SQLite: `/dev/shm/strata_handoff.db`) as the bench
//! does, pins every thread to one CPU as the bench does, then for `rounds`
//! rounds runs each side (a single connection; the side that goes first
//! alternates): a warm-up of 3 iterations, then `n` iterations of `case` on a
//! current-thread runtime. Around the `n` iterations it reads
//! `/proc/self/task/*/status` (voluntary and involuntary context switches)
//! and `/proc/self/task/*/schedstat` (time on the CPU) of every thread, and
//! prints per query: the wall time, the client's switches and CPU time (every
//! thread but SQLite's workers: on a current-thread runtime, the one thread
//! running it), and the same summed over SQLite's worker threads (sqlx names
//! them `sqlx-sqlite-worker-N`). By default each round connects each side
//! afresh; `HANDOFF_HELD=strata-first` (or `sqlx-first`) connects both once,
//! in that order, before the rounds, as a comparison half of the bench holds
//! them. `HANDOFF_POOL=1`: each side through a pool with strata's default
//! settings (`Db::connect`, and sqlx's pool built from them) instead of a
//! single connection. `HANDOFF_RUNTIME=multi-thread`: a multi-thread runtime
//! with 2 workers; "client" is then every thread but SQLite's workers.
//! `STRATA_BENCH_PIN=0`: no pinning.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata_bench::pin::Pinned;
use strata_bench::vs_sqlx::cases::{Case, Flavor, Kind, Strategy};
use strata_bench::vs_sqlx::fixture::{setup_at, Fixture};
use strata_bench::vs_sqlx::sqlx_side::{SqlxConn, Variant};
use strata_bench::vs_sqlx::{contender, Side};

const NAME: &str = "strata_handoff";

/// One thread's counters.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    /// A SQLite connection's worker thread (sqlx names them).
    worker: bool,
    voluntary: u64,
    involuntary: u64,
    cpu_ns: u64,
}

impl std::ops::Sub for Counters {
    type Output = Counters;
    fn sub(self, before: Counters) -> Counters {
        Counters {
            worker: self.worker,
            voluntary: self.voluntary.saturating_sub(before.voluntary),
            involuntary: self.involuntary.saturating_sub(before.involuntary),
            cpu_ns: self.cpu_ns.saturating_sub(before.cpu_ns),
        }
    }
}

/// Every thread of this process, by thread id.
fn snapshot() -> HashMap<u32, Counters> {
    let mut threads = HashMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return threads;
    };
    for task in tasks.flatten() {
        let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let mut c = Counters::default();
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        for line in status.lines() {
            let value = |l: &str| l.split_whitespace().nth(1).and_then(|v| v.parse().ok());
            if let Some(name) = line.strip_prefix("Name:") {
                c.worker = name.trim().starts_with("sqlx-sqlite");
            } else if line.starts_with("voluntary_ctxt_switches") {
                c.voluntary = value(line).unwrap_or(0);
            } else if line.starts_with("nonvoluntary_ctxt_switches") {
                c.involuntary = value(line).unwrap_or(0);
            }
        }
        let schedstat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        c.cpu_ns = (schedstat.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        threads.insert(tid, c);
    }
    threads
}

fn pg_url() -> String {
    std::env::var("STRATA_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, case, n, rounds] = &args[..] else {
        eprintln!("usage: handoff <postgres|sqlite> <case> <n> <rounds>");
        std::process::exit(2)
    };
    let kind = match db.as_str() {
        "postgres" | "pg" => Kind::Postgres,
        _ => Kind::Sqlite,
    };
    let case = Case::parse(case).expect("a case");
    let n: usize = n.parse().expect("n");
    let rounds: usize = rounds.parse().expect("rounds");
    let flavor = match std::env::var("HANDOFF_RUNTIME").as_deref() {
        Ok("multi-thread") => Flavor::MultiThread,
        _ => Flavor::CurrentThread,
    };
    let pool = std::env::var("HANDOFF_POOL").is_ok_and(|v| v == "1");
    let rt = flavor.runtime();
    let fx = rt
        .block_on(setup_at(kind, &pg_url(), false, NAME))
        .expect("the database server");
    let fx = Arc::new(fx);
    let _pinned = match std::env::var("STRATA_BENCH_PIN").as_deref() {
        Ok("0") => None,
        _ => Pinned::to_current_cpu(),
    };
    let sides = if pool {
        [
            ("strata", Side::Strata(Strategy::Pool)),
            ("sqlx", Side::Sqlx(SqlxConn::PoolLikeStrata, Variant::Plain)),
        ]
    } else {
        [
            ("strata", Side::Strata(Strategy::Single)),
            ("sqlx", Side::Sqlx(SqlxConn::Single, Variant::Plain)),
        ]
    };
    let held = std::env::var("HANDOFF_HELD").ok();
    println!("| round | side | wall µs/query | client vol/query | client invol/query | client CPU µs/query | workers vol/query | workers invol/query | workers CPU µs/query |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    // Spawned, as the bench runs its suite: on the multi-thread runtime the
    // task runs on the runtime's workers.
    let task = rt.spawn(rounds_of(fx, sides, case, n, rounds, held));
    rt.block_on(task).expect("the rounds");
}

/// Every round of both sides; see the module documentation.
async fn rounds_of(
    fx: Arc<Fixture>,
    sides: [(&'static str, Side); 2],
    case: Case,
    n: usize,
    rounds: usize,
    held: Option<String>,
) {
    // `held`: both sides connected once, before the rounds (in the order
    // given), as the bench holds them during a comparison half; otherwise
    // each round connects each side afresh.
    let mut contenders = Vec::new();
    if let Some(order) = held.as_deref() {
        let order: Vec<_> = match order {
            "sqlx-first" => sides.iter().rev().collect(),
            _ => sides.iter().collect(),
        };
        for (name, side) in order {
            let mut c = contender(&fx, *side, case).await;
            c.batch(3, &mut Vec::new()).await;
            contenders.push((*name, c));
        }
        eprintln!(
            "both sides held; connected in the order {}",
            held.as_deref().unwrap_or("")
        );
    }
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..sides.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let (name, side) = sides[i];
            let mut fresh = None;
            let contender = match contenders.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => c,
                None => fresh.insert(contender(&fx, side, case).await),
            };
            let mut latencies: Vec<Duration> = Vec::with_capacity(n + 3);
            contender.batch(3, &mut latencies).await;
            let before = snapshot();
            let start = Instant::now();
            contender.batch(n, &mut latencies).await;
            let wall = start.elapsed();
            let after = snapshot();
            // Client: every thread but SQLite's workers (the runtime's).
            let mut client_c = Counters::default();
            let mut workers = Counters::default();
            for (tid, now) in &after {
                let Some(then) = before.get(tid) else {
                    continue;
                };
                let d = *now - *then;
                let sum = if d.worker {
                    &mut workers
                } else {
                    &mut client_c
                };
                sum.voluntary += d.voluntary;
                sum.involuntary += d.involuntary;
                sum.cpu_ns += d.cpu_ns;
            }
            let per = |v: u64| v as f64 / n as f64;
            println!(
                "| {round} | {name} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.0} |",
                wall.as_secs_f64() * 1e6 / n as f64,
                per(client_c.voluntary),
                per(client_c.involuntary),
                per(client_c.cpu_ns) / 1e3,
                per(workers.voluntary),
                per(workers.involuntary),
                per(workers.cpu_ns) / 1e3,
            );
        }
    }
}
