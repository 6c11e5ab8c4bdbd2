//! Changes into the text of migration folders.
//!
//! PostgreSQL: up to three folders, applied in this order:
//! `{slug}_prepare` (no transaction: `DROP INDEX CONCURRENTLY`, enum labels
//! added), `{slug}` (one transaction: everything else) and `{slug}_indexes`
//! (no transaction: `CREATE INDEX CONCURRENTLY`, `VALIDATE CONSTRAINT`, the
//! end of the `SET NOT NULL` recipe). Each starts with `SET lock_timeout`, so
//! a statement waiting for a lock gives up instead of queueing every other
//! query of the table behind it.
//!
//! SQLite: one folder. When it rebuilds a table it runs outside the runner's
//! transaction (`PRAGMA foreign_keys` cannot change inside one) and opens
//! its own, with foreign keys off and a foreign key check before the commit.
//!
//! MySQL: one folder; its DDL commits statement by statement (see `mysql.rs`).

use super::changes::{render_all, Phases};
use crate::migrate::diff::Change;
use crate::migrate::files::NO_TRANSACTION_MARKER;
use crate::render::Dialect;

/// How long a generated PostgreSQL statement waits for a lock.
pub const LOCK_TIMEOUT: &str = "5s";

/// One migration folder's SQL, before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMigration {
    /// Appended to the migration's name: `""`, `"_prepare"` or `"_indexes"`.
    pub suffix: &'static str,
    /// Runs outside a transaction; `up` does not carry the marker line
    /// (`MigrationsDir::write` adds it), `down` does when it needs it.
    pub no_transaction: bool,
    pub up: String,
    pub down: String,
}

/// The folders `changes` make on `dialect`, in the order they apply.
/// Empty for no changes.
pub fn plan(dialect: Dialect, changes: &[Change]) -> Vec<PlannedMigration> {
    if changes.is_empty() {
        return Vec::new();
    }
    let steps = render_all(dialect, changes);
    match dialect {
        Dialect::Postgres => postgres(steps.up, steps.down),
        Dialect::Sqlite => {
            let rebuilds = changes
                .iter()
                .any(|c| matches!(c, Change::RebuildTable { .. }));
            vec![sqlite(steps.up.main, steps.down.main, rebuilds)]
        }
        Dialect::MySql => vec![PlannedMigration {
            suffix: "",
            no_transaction: false,
            up: file(&[MYSQL_NOTE], &steps.up.main),
            down: file(&[MYSQL_NOTE], &steps.down.main),
        }],
    }
}

const MYSQL_NOTE: &str =
    "MySQL commits each statement as it runs, so this migration is not atomic: \
the additive changes come first and the drops last, so a failure half-way loses no rows. \
If one fails, the statements above it are applied: finish or undo them by hand, then \
`strata migrate resolve`.";

const PREPARE_NOTE: &str = "Runs outside a transaction, before the main migration: \
DROP INDEX CONCURRENTLY cannot run inside one, and an enum label added inside a transaction \
cannot be used until it commits. Each statement commits on its own.";

const INDEXES_NOTE: &str = "Runs outside a transaction, after the main migration: \
CREATE INDEX CONCURRENTLY builds without blocking writes, and VALIDATE CONSTRAINT checks the \
existing rows under a lock that lets reads and writes go on. Each statement commits on its \
own; a concurrent build that fails leaves an invalid index, which the runner reports with the \
DROP INDEX CONCURRENTLY that clears it.";

const MAIN_NOTE: &str = "Runs in one transaction: all of it applies, or none.";

fn postgres(up: Phases, down: Phases) -> Vec<PlannedMigration> {
    let lock_timeout = format!("SET lock_timeout = '{LOCK_TIMEOUT}'");
    let with_timeout = |statements: &[String]| {
        let mut all = vec![lock_timeout.clone()];
        all.extend_from_slice(statements);
        all
    };
    let parts = [
        ("_prepare", true, PREPARE_NOTE, &up.before, &down.before),
        ("", false, MAIN_NOTE, &up.main, &down.main),
        ("_indexes", true, INDEXES_NOTE, &up.after, &down.after),
    ];
    (parts.into_iter())
        .filter(|(.., up, _)| !up.is_empty())
        .map(|(suffix, no_transaction, note, up, down)| {
            let down_text = file(&[note], &with_timeout(down));
            PlannedMigration {
                suffix,
                no_transaction,
                up: file(&[note], &with_timeout(up)),
                down: if no_transaction {
                    format!("{NO_TRANSACTION_MARKER}\n{down_text}")
                } else {
                    down_text
                },
            }
        })
        .collect()
}

const SQLITE_REBUILD_NOTE: &str = "This migration rebuilds tables, which needs foreign keys \
off (dropping the old table must neither cascade nor fail), and SQLite ignores PRAGMA \
foreign_keys inside a transaction. So it runs outside the runner's transaction and opens its \
own: foreign keys off, the changes, a foreign key check that fails the migration (rolling all \
of it back) if a row no longer matches, the commit, foreign keys on.";

fn sqlite(up: Vec<String>, down: Vec<String>, rebuilds: bool) -> PlannedMigration {
    if !rebuilds {
        return PlannedMigration {
            suffix: "",
            no_transaction: false,
            up: file(&[MAIN_NOTE], &up),
            down: file(&[MAIN_NOTE], &down),
        };
    }
    let wrap = |statements: Vec<String>| {
        let mut all = vec![
            "PRAGMA foreign_keys = OFF".to_string(),
            "BEGIN IMMEDIATE".to_string(),
        ];
        all.extend(statements);
        all.extend(foreign_key_check());
        all.push("COMMIT".into());
        all.push("PRAGMA foreign_keys = ON".into());
        file(&[SQLITE_REBUILD_NOTE], &all)
    };
    PlannedMigration {
        suffix: "",
        no_transaction: true,
        up: wrap(up),
        down: format!("{NO_TRANSACTION_MARKER}\n{}", wrap(down)),
    }
}

/// `PRAGMA foreign_key_check` only lists violations; counting them into a
/// table whose CHECK wants zero turns any into an error.
fn foreign_key_check() -> Vec<String> {
    vec![
        "-- Fails (and rolls back) if a row no longer matches a foreign key.\n\
         CREATE TEMP TABLE \"_strata_foreign_key_check\" (violations integer NOT NULL \
         CONSTRAINT \"foreign keys violated: run PRAGMA foreign_key_check\" CHECK (violations = 0))"
            .into(),
        "INSERT INTO \"_strata_foreign_key_check\" SELECT count(*) FROM pragma_foreign_key_check"
            .into(),
        "DROP TABLE \"_strata_foreign_key_check\"".into(),
    ]
}

/// The file: `--` note lines, then each statement and its `;`.
fn file(notes: &[&str], statements: &[String]) -> String {
    let mut text = String::new();
    for note in notes {
        text.push_str(&comment(note));
    }
    if statements.iter().all(|s| s.starts_with("SET ")) {
        text.push_str("-- Nothing to undo here: the migration before this one undoes its part.\n");
    }
    for statement in statements {
        text.push_str(statement);
        text.push_str(";\n");
    }
    text
}

/// `text` as `--` lines of at most ~90 characters.
fn comment(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::from("--");
    for word in text.split_whitespace() {
        if line.len() + word.len() > 90 && line.len() > 2 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("--");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}
