//! Writes BENCHMARKS.md's peers section and the chart beside it from the
//! records of one `bench/run`.
//!
//!     peers-report <results dir> <BENCHMARKS.md> <chart.svg> [compile RESULTS.md]
//!
//! Reads every `*.jsonl` in the results directory (the Rust run's and the
//! Node harness's), gathers the machine and versions, and rewrites only the
//! part of BENCHMARKS.md between the peers markers.

use std::path::Path;
use std::process::Command;
use strata_peers_bench::record::Record;
use strata_peers_bench::report::{section, splice, Context};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [results, benchmarks, chart, rest @ ..] = args.as_slice() else {
        eprintln!(
            "usage: peers-report <results dir> <BENCHMARKS.md> <chart.svg> [compile RESULTS.md]"
        );
        std::process::exit(2);
    };
    let mut records = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(results)
        .unwrap_or_else(|e| fail(&format!("read {results}: {e}")))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    for file in &files {
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| fail(&format!("{}: {e}", file.display())));
        records.extend(
            Record::parse_lines(&text)
                .unwrap_or_else(|e| fail(&format!("{}: {e}", file.display()))),
        );
    }
    if records.is_empty() {
        fail(&format!(
            "no records in {results}/*.jsonl: run the benches first"
        ));
    }
    let svg =
        strata_peers_bench::chart::svg(&records).unwrap_or_else(|e| fail(&format!("chart: {e}")));
    std::fs::write(chart, svg).unwrap_or_else(|e| fail(&format!("write {chart}: {e}")));
    let ctx = Context {
        date: run(&["date", "-u", "+%Y-%m-%d %H:%M UTC"]),
        commit: run(&["git", "rev-parse", "--short", "HEAD"]),
        machine: machine(),
        versions: versions(),
        chart: relative(chart, benchmarks),
        compile_results: rest.first().and_then(|p| std::fs::read_to_string(p).ok()),
    };
    let doc = std::fs::read_to_string(benchmarks).unwrap_or_default();
    let doc = splice(&doc, &section(&records, &ctx))
        .unwrap_or_else(|e| fail(&format!("{benchmarks}: {e}")));
    std::fs::write(benchmarks, doc).unwrap_or_else(|e| fail(&format!("write {benchmarks}: {e}")));
    eprintln!(
        "wrote {benchmarks} and {chart} from {} records",
        records.len()
    );
}

fn fail(why: &str) -> ! {
    eprintln!("peers-report: {why}");
    std::process::exit(1);
}

/// A command's trimmed stdout, or `unknown`.
fn run(argv: &[&str]) -> String {
    Command::new(argv[0])
        .args(&argv[1..])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or("? GiB".into(), |kb| format!("{} GiB", kb / 1024 / 1024));
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    format!(
        "{} cores ({cpu}), {mem}, load average {load} at report time; PostgreSQL {} and the bench on the same host",
        run(&["nproc"]),
        run(&["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"]),
    )
}

/// Versions of the toolchain and of each contender, from Cargo.lock and the
/// Node harness's package-lock.json.
fn versions() -> Vec<(String, String)> {
    let mut out = vec![(
        "rustc".to_string(),
        run(&["rustc", "--version"]).replace("rustc ", ""),
    )];
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    for krate in [
        "sqlx",
        "tokio",
        "tokio-postgres",
        "diesel",
        "diesel-async",
        "sea-orm",
        "libsqlite3-sys",
    ] {
        if let Some(v) = lock_version(&lock, krate) {
            out.push((krate.into(), v));
        }
    }
    out.push(("node".into(), run(&["node", "--version"])));
    let npm = std::fs::read_to_string("bench/node/package-lock.json").unwrap_or_default();
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(&npm) {
        for pkg in ["pg", "drizzle-orm", "prisma", "@prisma/client"] {
            if let Some(v) = json["packages"][format!("node_modules/{pkg}")]["version"].as_str() {
                out.push((pkg.into(), v.into()));
            }
        }
    }
    out
}

/// The first `version` after `name = "<krate>"` in a Cargo.lock.
fn lock_version(lock: &str, krate: &str) -> Option<String> {
    let needle = format!("name = \"{krate}\"\nversion = \"");
    let start = lock.find(&needle)? + needle.len();
    Some(lock[start..].split('"').next()?.to_string())
}

/// `target` relative to the directory of `doc` when it is inside it.
fn relative(target: &str, doc: &str) -> Option<String> {
    let dir = Path::new(doc)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let target = Path::new(target);
    Some(
        target
            .strip_prefix(dir)
            .unwrap_or(target)
            .to_string_lossy()
            .into_owned(),
    )
}
