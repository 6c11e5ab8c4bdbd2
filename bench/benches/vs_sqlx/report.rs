//! The markdown report: the machine, one table per database, strategy and
//! runtime, the attribution contenders, the client-side costs and the misses.

use crate::client::ClientCost;
use crate::{Config, Outcome};
use chrono::Utc;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;
use strata::Dialect;
use strata_bench::vs_sqlx::cases::{Case, Flavor, Kind, Strategy};
use strata_bench::vs_sqlx::fixture::Fixture;
use strata_bench::Measured;

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The client CPU per query as a table cell: only on the current-thread runtime,
/// where the contender's task never leaves the measuring thread.
fn fmt_cpu(m: &Measured, flavor: Flavor) -> String {
    match (flavor, m.cpu_per_iteration()) {
        (Flavor::CurrentThread, Some(cpu)) => fmt_us(cpu),
        _ => "–".into(),
    }
}

/// The batch size of each half of a comparison: one number if they agree.
fn batches(n: &[usize], sep: &str) -> String {
    match n {
        [a, b] if a != b => format!("{a}{sep}{b}"),
        [a, ..] => a.to_string(),
        [] => "–".into(),
    }
}

pub fn fmt_us(d: Duration) -> String {
    let v = us(d);
    if v >= 1000.0 {
        format!("{:.0}", v)
    } else {
        format!("{:.1}", v)
    }
}

/// `/proc/loadavg`'s first three fields: how busy the shared machine was.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn machine(fixtures: &[Arc<Fixture>], load_start: &str) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty =
        git(&["status", "--porcelain", "--", "runtime", "macros"]).is_some_and(|s| !s.is_empty());
    let mut s = String::new();
    writeln!(s, "- date: {} (UTC)", Utc::now().format("%Y-%m-%d %H:%M")).unwrap();
    writeln!(
        s,
        "- strata at commit {commit}{}",
        if dirty {
            " (with uncommitted changes in runtime/ or macros/)"
        } else {
            ""
        }
    )
    .unwrap();
    writeln!(
        s,
        "- CPU: {cpu}, {cores} cores available (nproc); Linux {kernel}"
    )
    .unwrap();
    writeln!(
        s,
        "- load average (1, 5, 15 min): {load_start} at the start of the run, {} at the end",
        loadavg()
    )
    .unwrap();
    for fx in fixtures {
        writeln!(s, "- {} {}", fx.kind.title(), fx.server_version).unwrap();
    }
    s
}

pub fn report(
    cfg: &Config,
    fixtures: &[Arc<Fixture>],
    outcomes: &[Outcome],
    renders: &[ClientCost],
    load_start: &str,
) -> String {
    let mut s = String::new();
    writeln!(s, "# strata vs hand-written sqlx\n").unwrap();
    s.push_str(&machine(fixtures, load_start));
    writeln!(
        s,
        "- settings: {} rounds per comparison, batches of ~{} ms per contender per round, order rotating each round; \
         each comparison in two halves on fresh connections, the second with strata and sqlx connected and warmed up in swapped order (attribution contenders after them, reversed; the facts tables: all reversed); \
         ratios are the geometric mean of the two halves' ratios, overheads their mean; {}",
        cfg.settings.rounds,
        cfg.settings.batch_target.as_millis(),
        if cfg.pin {
            "every comparison pinned to one CPU: all threads of the bench, and on PostgreSQL \
             every backend process of the bench database (both sides' connections, pools' included)"
        } else {
            "not pinned to a CPU (STRATA_BENCH_PIN=0)"
        }
    )
    .unwrap();
    writeln!(
        s,
        "- commits: {}",
        if cfg.durable {
            "durable (PostgreSQL synchronous_commit on; SQLite file on disk)"
        } else {
            "not waiting for the disk (PostgreSQL synchronous_commit = off on the bench database; SQLite file on tmpfs)"
        }
    )
    .unwrap();
    if let Some(f) = &cfg.filter {
        writeln!(s, "- filter: `{f}`").unwrap();
    }

    let mut misses = Vec::new();
    for kind in [Kind::Postgres, Kind::Sqlite] {
        for flavor in [Flavor::CurrentThread, Flavor::MultiThread] {
            let facts: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| o.kind == kind && o.flavor == flavor && o.strategy.is_none())
                .collect();
            for o in facts {
                writeln!(
                    s,
                    "\n## {} — point query by id through each connection strategy — {}\n",
                    kind.title(),
                    flavor.title()
                )
                .unwrap();
                writeln!(
                    s,
                    "{} iterations per contender ({} per batch).\n",
                    o.measured[0].samples.len(),
                    batches(&o.n, " and ")
                )
                .unwrap();
                writeln!(
                    s,
                    "| contender | median µs | p99 µs | × sqlx single connection | per-round × | client CPU µs |"
                )
                .unwrap();
                writeln!(s, "|---|---:|---:|---:|---:|---:|").unwrap();
                for (i, m) in o.measured.iter().enumerate() {
                    let st = m.stats();
                    let v = o.versus(i, 0);
                    writeln!(
                        s,
                        "| {} | {} | {} | {:.2} | {:.2} | {} |",
                        m.name,
                        fmt_us(st.median),
                        fmt_us(st.p99),
                        v.ratio,
                        v.round_ratio,
                        fmt_cpu(m, flavor)
                    )
                    .unwrap();
                }
            }
            for strategy in [Strategy::Single, Strategy::Pool] {
                let rows: Vec<&Outcome> = outcomes
                    .iter()
                    .filter(|o| {
                        o.kind == kind && o.flavor == flavor && o.strategy == Some(strategy)
                    })
                    .collect();
                if rows.is_empty() {
                    continue;
                }
                writeln!(
                    s,
                    "\n## {} — {} — {}\n",
                    kind.title(),
                    strategy.title(),
                    flavor.title()
                )
                .unwrap();
                writeln!(
                    s,
                    "| case | n × rounds | strata median µs | strata p99 µs | sqlx median µs | sqlx p99 µs | ratio | halves | per-round ratio | overhead µs | strata CPU µs | sqlx CPU µs |"
                )
                .unwrap();
                writeln!(
                    s,
                    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
                )
                .unwrap();
                let mut extras = Vec::new();
                for o in &rows {
                    let (sqlx, strata) = (&o.measured[0], &o.measured[1]);
                    let (a, b) = (strata.stats(), sqlx.stats());
                    let v = o.versus(1, 0);
                    let flag = if v.ratio > 1.05 { " **>1.05**" } else { "" };
                    writeln!(
                        s,
                        "| {} | {} × {} | {} | {} | {} | {} | {:.3}{} | {} | {:.3} | {:+.1} | {} | {} |",
                        o.case.name(),
                        batches(&o.n, "/"),
                        cfg.settings.rounds,
                        fmt_us(a.median),
                        fmt_us(a.p99),
                        fmt_us(b.median),
                        fmt_us(b.p99),
                        v.ratio,
                        flag,
                        o.half_ratios(1, 0),
                        v.round_ratio,
                        v.overhead_us,
                        fmt_cpu(strata, flavor),
                        fmt_cpu(sqlx, flavor)
                    )
                    .unwrap();
                    if v.ratio > 1.05 {
                        misses.push(format!(
                            "{} / {} / {} / {}: {:.3}× (per-round {:.3}×, {:+.1} µs)",
                            kind.title(),
                            strategy.name(),
                            flavor.name(),
                            o.case.name(),
                            v.ratio,
                            v.round_ratio,
                            v.overhead_us
                        ));
                    }
                    for (i, extra) in o.measured.iter().enumerate().skip(2) {
                        extras.push((o, i, extra));
                    }
                }
                for (o, i, extra) in extras {
                    let case = o.case;
                    let e = extra.stats();
                    let v = o.versus(i, 0);
                    let vs = o.versus(1, i);
                    writeln!(
                        s,
                        "\n{}: {} median {} µs, p99 {} µs, client CPU {} µs: {:.3}× plain sqlx (halves {}, {:+.1} µs); strata is {:.3}× this (halves {}, {:+.1} µs).",
                        case.name(),
                        extra.name,
                        fmt_us(e.median),
                        fmt_us(e.p99),
                        fmt_cpu(extra, flavor),
                        v.ratio,
                        o.half_ratios(i, 0),
                        v.overhead_us,
                        vs.ratio,
                        o.half_ratios(1, i),
                        vs.overhead_us
                    )
                    .unwrap();
                }
            }
        }
    }

    if !renders.is_empty() {
        writeln!(
            s,
            "\n## Client-side work per query, without a database\n\n\
             strata: the builder calls, the AST and `render` (its binds are encoded for the \
             driver later, during execution, and are not included). sqlx: `query_as(..)` \
             with its `.bind(..)` calls, which encode the values. Median over 15 alternating \
             rounds of the mean per query, µs.\n"
        )
        .unwrap();
        writeln!(
            s,
            "| case | strata PostgreSQL | sqlx PostgreSQL | strata SQLite | sqlx SQLite |"
        )
        .unwrap();
        writeln!(s, "|---|---:|---:|---:|---:|").unwrap();
        for case in Case::ALL {
            let get = |d: Dialect| {
                renders
                    .iter()
                    .find(|r| r.dialect == d && r.case == case)
                    .map_or((f64::NAN, f64::NAN), |r| {
                        (r.strata_ns / 1000.0, r.sqlx_ns / 1000.0)
                    })
            };
            let (pg, lite) = (get(Dialect::Postgres), get(Dialect::Sqlite));
            writeln!(
                s,
                "| {} | {:.2} | {:.2} | {:.2} | {:.2} |",
                case.name(),
                pg.0,
                pg.1,
                lite.0,
                lite.1
            )
            .unwrap();
        }
    }

    writeln!(s, "\n## Cases over 1.05×\n").unwrap();
    if misses.is_empty() {
        writeln!(s, "None.").unwrap();
    }
    for m in misses {
        writeln!(s, "- {m}").unwrap();
    }
    s
}
