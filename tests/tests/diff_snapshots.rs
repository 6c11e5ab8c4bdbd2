//! The SQL the diff generates for each kind of change, per dialect: up and
//! down of every migration folder, or the refusal's message. The cases are
//! `diff_cases`: a small `users`/`posts` schema changed one thing at a time;
//! `generate.rs` applies each of them to the real databases.

mod diff_cases;

use strata::migrate::ddl::plan;
use strata::migrate::diff::{diff, DiffOptions};
use strata::migrate::DbSchema;
use strata::Dialect;
use strata_tests::DIALECTS;

/// The migration folders (or the refusal) as text.
fn generated(d: Dialect, from: &DbSchema, to: &DbSchema, options: &DiffOptions) -> String {
    let changes = match diff(from, to, d, options) {
        Ok(changes) => changes,
        Err(e) => return format!("refused: {e}\n"),
    };
    let mut text = String::new();
    for m in plan(d, &changes) {
        let kind = if m.no_transaction {
            " (no transaction)"
        } else {
            ""
        };
        text.push_str(&format!(
            "==== {{slug}}{}{kind}: up.sql ====\n{}\n==== down.sql ====\n{}\n",
            m.suffix, m.up, m.down
        ));
    }
    text
}

#[test]
fn every_case_per_dialect() {
    for case in diff_cases::all() {
        for (d, suffix) in DIALECTS {
            if !case.dialects.contains(&d) {
                continue;
            }
            let (from, to) = case.schemas(d);
            let text = generated(d, &from, &to, &case.options);
            insta::assert_snapshot!(format!("{}@{suffix}", case.name), text);
        }
    }
}
