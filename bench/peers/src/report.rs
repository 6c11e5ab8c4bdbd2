//! BENCHMARKS.md's peers section, from the records of one run: tables of
//! medians and p99 per case per library, ratios to hand-written sqlx, the
//! targets with the measured value beside each, Prisma and Drizzle beside
//! strata, and the compile-time results. Pure: `bin/peers-report.rs` does the
//! reading and writing.

use crate::case::Case;
use crate::record::Record;
use std::fmt::Write;

/// The markers the section sits between in BENCHMARKS.md; everything between
/// them is replaced on every run, everything outside is left alone.
pub const BEGIN: &str = "<!-- peers:begin -->";
pub const END: &str = "<!-- peers:end -->";

/// The baseline of every ratio.
pub const SQLX: &str = "sqlx (connection)";

/// strata's contenders, each with the sqlx contender holding connections the
/// same way: the pairs the 1.05x target is about.
pub const PAIRS: [(&str, &str); 2] = [
    ("strata (single connection)", "sqlx (connection)"),
    ("strata (pool)", "sqlx (pool, tuned)"),
];

/// The contender strata must beat on every case, and which strata it is
/// compared with (both hold a pool).
pub const SEA_ORM: (&str, &str) = ("sea-orm", "strata (pool)");

/// Targets from issue 10: median and p99 ratios to sqlx.
pub const MEDIAN_TARGET: f64 = 1.05;
pub const P99_TARGET: f64 = 1.10;

/// What the reader needs to know about where the numbers come from.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub date: String,
    pub commit: String,
    pub machine: String,
    pub versions: Vec<(String, String)>,
    /// The chart's path relative to BENCHMARKS.md.
    pub chart: Option<String>,
    /// bench/compile/RESULTS.md, included as it is.
    pub compile_results: Option<String>,
}

/// One target line: a ratio and whether it is within its bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub database: String,
    pub runtime: String,
    pub case: String,
    pub what: String,
    pub value: f64,
    pub bound: f64,
}

impl Verdict {
    pub fn met(&self) -> bool {
        self.value <= self.bound
    }
}

fn find<'r>(
    records: &'r [Record],
    db: &str,
    rt: &str,
    case: &str,
    lib: &str,
) -> Option<&'r Record> {
    records
        .iter()
        .find(|r| r.database == db && r.runtime == rt && r.case == case && r.library == lib)
}

/// The (database, runtime) groups present, in first-seen order.
fn groups(records: &[Record]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for r in records {
        let key = (r.database.clone(), r.runtime.clone());
        if !out.contains(&key) {
            out.push(key);
        }
    }
    out
}

/// Cases in [`Case::ALL`] order, then any others in first-seen order.
fn cases(records: &[Record]) -> Vec<String> {
    let mut out: Vec<String> = Case::ALL
        .iter()
        .map(|c| c.name())
        .filter(|n| records.iter().any(|r| &r.case == n))
        .collect();
    for r in records {
        if !out.contains(&r.case) {
            out.push(r.case.clone());
        }
    }
    out
}

fn libraries(records: &[Record]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in records {
        if !out.contains(&r.library) {
            out.push(r.library.clone());
        }
    }
    out
}

/// Every target of issue 10 that the records can speak to, Rust side only.
pub fn verdicts(records: &[Record]) -> Vec<Verdict> {
    let rust: Vec<Record> = records
        .iter()
        .filter(|r| r.runtime != "node")
        .cloned()
        .collect();
    let mut out = Vec::new();
    for (db, rt) in groups(&rust) {
        for case in cases(&rust) {
            let get = |lib: &str| find(&rust, &db, &rt, &case, lib);
            let mut push = |what: String, value: f64, bound: f64| {
                out.push(Verdict {
                    database: db.clone(),
                    runtime: rt.clone(),
                    case: case.clone(),
                    what,
                    value,
                    bound,
                })
            };
            for (strata, sqlx) in PAIRS {
                if let (Some(a), Some(b)) = (get(strata), get(sqlx)) {
                    push(
                        format!("{strata} median"),
                        a.median_us / b.median_us,
                        MEDIAN_TARGET,
                    );
                    push(format!("{strata} p99"), a.p99_us / b.p99_us, P99_TARGET);
                }
            }
            let (sea, strata) = SEA_ORM;
            if let (Some(a), Some(b)) = (get(strata), get(sea)) {
                // Below 1.0: strata faster.
                push(
                    format!("{strata} ÷ {sea} median"),
                    a.median_us / b.median_us,
                    1.0,
                );
            }
        }
    }
    out
}

fn fmt_us(us: f64) -> String {
    if us >= 100.0 {
        format!("{:.0}", us)
    } else {
        format!("{:.1}", us)
    }
}

/// The whole section, markers included.
pub fn section(records: &[Record], ctx: &Context) -> String {
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "{BEGIN}");
    let _ = writeln!(
        w,
        "## strata beside sqlx, tokio-postgres, Diesel, SeaORM, Prisma and Drizzle\n"
    );
    let _ = writeln!(
        w,
        "Written by `bench/run` (do not edit between the markers; the code is bench/peers/src/report.rs). \
         The cases are diesel_bench's (diesel-rs/diesel `diesel_bench`): `trivial_query/N` reads all N users, \
         `medium_complex_query/N` is users LEFT JOIN posts filtered on hair colour over N users, `insert/N` \
         inserts N users in one statement, `associations` loads 100 users → 1,000 posts → 10,000 comments. \
         Every library's answer is converted to the same rows and checked equal before anything is timed. \
         The contenders run interleaved in rounds in one process (`strata_bench::compare`: each round runs a batch \
         of every contender, rotating who goes first), with the process and the PostgreSQL backends pinned to one \
         CPU; medians and nearest-rank p99 are over every timed iteration. Only numbers from one run are compared.\n"
    );
    let _ = writeln!(w, "- Run: {} at commit `{}`", ctx.date, ctx.commit);
    let _ = writeln!(w, "- Machine: {}", ctx.machine);
    if !ctx.versions.is_empty() {
        let list: Vec<String> = ctx
            .versions
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(w, "- Versions: {}", list.join(", "));
    }
    let _ = writeln!(w, "- Reproduce: `bench/run` (Rust peers, then the Node harness, then this section and the chart); `bench/run --compile` also re-runs the compile-time benchmark (~30 min).\n");
    if let Some(chart) = &ctx.chart {
        let _ = writeln!(
            w,
            "![Median per case, relative to hand-written sqlx on one connection]({chart})\n"
        );
    }
    targets(w, records);
    for (db, rt) in groups(records) {
        if rt == "node" {
            continue;
        }
        table(w, records, &db, &rt);
    }
    node(w, records);
    if let Some(compile) = &ctx.compile_results {
        let _ = writeln!(w, "{}\n", compile.trim());
    }
    let _ = writeln!(w, "{END}");
    s
}

fn targets(w: &mut String, records: &[Record]) {
    let verdicts = verdicts(records);
    if verdicts.is_empty() {
        return;
    }
    let met = verdicts.iter().filter(|v| v.met()).count();
    let _ = writeln!(
        w,
        "### Targets: {met} of {} met\n\nstrata's median ≤ {MEDIAN_TARGET}× and p99 ≤ {P99_TARGET}× the sqlx contender holding connections the same way (`strata (single connection)` ÷ `sqlx (connection)`, `strata (pool)` ÷ `sqlx (pool, tuned)`), and `strata (pool)` faster than `sea-orm` (below 1.00). A miss is in **bold**.\n",
        verdicts.len()
    );
    let columns: Vec<String> = {
        let mut c: Vec<String> = Vec::new();
        for v in &verdicts {
            if !c.contains(&v.what) {
                c.push(v.what.clone());
            }
        }
        c
    };
    let _ = writeln!(w, "| database | runtime | case | {} |", columns.join(" | "));
    let _ = writeln!(w, "|---|---|---|{}", "---:|".repeat(columns.len()));
    let mut rows: Vec<(&str, &str, &str)> = Vec::new();
    for v in &verdicts {
        let key = (v.database.as_str(), v.runtime.as_str(), v.case.as_str());
        if !rows.contains(&key) {
            rows.push(key);
        }
    }
    for (db, rt, case) in rows {
        let mut line = format!("| {db} | {rt} | {case} |");
        for column in &columns {
            let cell = verdicts
                .iter()
                .find(|v| {
                    v.database == db && v.runtime == rt && v.case == case && &v.what == column
                })
                .map_or(" – |".to_string(), |v| {
                    if v.met() {
                        format!(" {:.3} |", v.value)
                    } else {
                        format!(" **{:.3}** |", v.value)
                    }
                });
            line.push_str(&cell);
        }
        let _ = writeln!(w, "{line}");
    }
    let _ = writeln!(w);
}

fn table(w: &mut String, records: &[Record], db: &str, rt: &str) {
    let here: Vec<Record> = records
        .iter()
        .filter(|r| r.database == db && r.runtime == rt)
        .cloned()
        .collect();
    let cases = cases(&here);
    let _ = writeln!(w, "### {db}, {rt} runtime: median µs (× {SQLX}) / p99 µs\n");
    let _ = writeln!(w, "| library | {} |", cases.join(" | "));
    let _ = writeln!(w, "|---|{}", "---:|".repeat(cases.len()));
    for lib in libraries(&here) {
        let mut row = format!("| {lib} |");
        for case in &cases {
            let cell = match (
                find(&here, db, rt, case, &lib),
                find(&here, db, rt, case, SQLX),
            ) {
                (Some(r), Some(base)) => format!(
                    " {} ({:.2}×) / {} |",
                    fmt_us(r.median_us),
                    r.median_us / base.median_us,
                    fmt_us(r.p99_us)
                ),
                (Some(r), None) => format!(" {} / {} |", fmt_us(r.median_us), fmt_us(r.p99_us)),
                _ => " – |".into(),
            };
            row.push_str(&cell);
        }
        let _ = writeln!(w, "{row}");
    }
    let _ = writeln!(w);
}

fn node(w: &mut String, records: &[Record]) {
    let node: Vec<&Record> = records.iter().filter(|r| r.runtime == "node").collect();
    if node.is_empty() {
        return;
    }
    let node_owned: Vec<Record> = node.iter().map(|r| (*r).clone()).collect();
    let libs = libraries(&node_owned);
    let base = "node-pg";
    let _ = writeln!(
        w,
        "### Prisma and Drizzle (Node.js), beside strata\n\nThe same cases on the same PostgreSQL database, run by `bench/node/` right after the Rust run (its own process, interleaved the same way). Node medians are µs with the ratio to raw `pg` (node-pg); strata and sqlx are the current-thread runtime's single-connection contenders from the table above.\n"
    );
    let mut head = String::from("| case |");
    for lib in &libs {
        let _ = write!(head, " {lib} |");
    }
    head.push_str(" strata (single connection) | sqlx (connection) |");
    let _ = writeln!(w, "{head}");
    let _ = writeln!(w, "|---|{}", "---:|".repeat(libs.len() + 2));
    for case in cases(&node_owned) {
        let mut row = format!("| {case} |");
        let base_median = find(&node_owned, "postgres", "node", &case, base).map(|r| r.median_us);
        for lib in &libs {
            let cell = match (
                find(&node_owned, "postgres", "node", &case, lib),
                base_median,
            ) {
                (Some(r), Some(b)) if lib != base => {
                    format!(" {} ({:.2}×) |", fmt_us(r.median_us), r.median_us / b)
                }
                (Some(r), _) => format!(" {} |", fmt_us(r.median_us)),
                _ => " – |".into(),
            };
            row.push_str(&cell);
        }
        for lib in ["strata (single connection)", SQLX] {
            let cell = find(records, "postgres", "current-thread", &case, lib)
                .map_or(" – |".into(), |r| format!(" {} |", fmt_us(r.median_us)));
            row.push_str(&cell);
        }
        let _ = writeln!(w, "{row}");
    }
    let _ = writeln!(w);
}

/// `doc` with the section between the markers replaced by `section`, or
/// `section` put after the first heading line if neither marker is there.
/// One marker without the other (or the two out of order) is an error: the
/// end of the generated text is unknown, and splicing anyway would leave the
/// old section behind (or cut a hand-written one).
pub fn splice(doc: &str, section: &str) -> Result<String, String> {
    match (doc.find(BEGIN), doc.find(END)) {
        (Some(b), Some(e)) if b < e => {
            let end = e + END.len();
            let rest = doc[end..].strip_prefix('\n').unwrap_or(&doc[end..]);
            Ok(format!("{}{}{}", &doc[..b], section, rest))
        }
        (None, None) => Ok(match doc.find('\n') {
            Some(i) if doc.starts_with('#') => format!(
                "{}\n\n{}\n{}",
                &doc[..i],
                section,
                doc[i + 1..].trim_start_matches('\n')
            ),
            _ => format!("{section}\n{doc}"),
        }),
        (b, e) => Err(format!(
            "the generated section's markers are broken ({BEGIN} {}, {END} {}): \
             put them back around the old section by hand, then run the report again",
            b.map_or("missing".to_string(), |b| format!("at byte {b}")),
            e.map_or("missing".to_string(), |e| format!("at byte {e}")),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(db: &str, rt: &str, case: &str, lib: &str, median: f64, p99: f64) -> Record {
        Record {
            database: db.into(),
            runtime: rt.into(),
            case: case.into(),
            library: lib.into(),
            median_us: median,
            p99_us: p99,
            samples: 100,
            round_ratio: None,
            baseline: None,
        }
    }

    #[test]
    fn verdicts_pair_strata_with_the_matching_sqlx_and_sea_orm() {
        let records = vec![
            rec(
                "postgres",
                "current-thread",
                "associations",
                "sqlx (connection)",
                100.0,
                200.0,
            ),
            rec(
                "postgres",
                "current-thread",
                "associations",
                "strata (single connection)",
                104.0,
                230.0,
            ),
            rec(
                "postgres",
                "current-thread",
                "associations",
                "sqlx (pool, tuned)",
                110.0,
                200.0,
            ),
            rec(
                "postgres",
                "current-thread",
                "associations",
                "strata (pool)",
                120.0,
                210.0,
            ),
            rec(
                "postgres",
                "current-thread",
                "associations",
                "sea-orm",
                300.0,
                400.0,
            ),
        ];
        let v = verdicts(&records);
        let by = |what: &str| v.iter().find(|v| v.what.starts_with(what)).unwrap();
        assert_eq!(v.len(), 5);
        assert!(by("strata (single connection) median").met());
        assert!(!by("strata (single connection) p99").met());
        assert!(!by("strata (pool) median").met());
        assert!((by("strata (pool) ÷ sea-orm").value - 0.4).abs() < 1e-9);
    }

    #[test]
    fn splice_replaces_only_between_the_markers() {
        let doc = format!("# Benchmarks\n\nintro\n{BEGIN}\nold\n{END}\nhistory\n");
        let out = splice(&doc, &format!("{BEGIN}\nnew\n{END}\n")).unwrap();
        assert_eq!(
            out,
            format!("# Benchmarks\n\nintro\n{BEGIN}\nnew\n{END}\nhistory\n")
        );
        let fresh = splice(
            "# Benchmarks\n\nhistory\n",
            &format!("{BEGIN}\nnew\n{END}\n"),
        )
        .unwrap();
        assert_eq!(
            fresh,
            format!("# Benchmarks\n\n{BEGIN}\nnew\n{END}\n\nhistory\n")
        );
    }

    #[test]
    fn splice_refuses_a_lone_marker() {
        let section = format!("{BEGIN}\nnew\n{END}\n");
        for doc in [
            format!("# Benchmarks\n{BEGIN}\nold\nhistory\n"),
            format!("# Benchmarks\nold\n{END}\nhistory\n"),
            format!("# Benchmarks\n{END}\nold\n{BEGIN}\nhistory\n"),
        ] {
            let err = splice(&doc, &section).unwrap_err();
            assert!(err.contains("markers are broken"), "{err}");
        }
    }

    #[test]
    fn section_shows_each_group_and_the_node_side() {
        let records = vec![
            rec(
                "postgres",
                "current-thread",
                "insert/1",
                "sqlx (connection)",
                50.0,
                80.0,
            ),
            rec(
                "postgres",
                "current-thread",
                "insert/1",
                "strata (single connection)",
                51.0,
                82.0,
            ),
            rec("postgres", "node", "insert/1", "node-pg", 60.0, 90.0),
            rec("postgres", "node", "insert/1", "prisma 7", 150.0, 300.0),
        ];
        let s = section(&records, &Context::default());
        assert!(s.contains("### postgres, current-thread runtime"));
        assert!(s.contains("| strata (single connection) | 51.0 (1.02×) / 82.0 |"));
        assert!(s.contains("| insert/1 | 60.0 | 150 (2.50×) | 51.0 | 50.0 |"));
        assert!(s.contains("Targets: 2 of 2 met"));
    }
}
