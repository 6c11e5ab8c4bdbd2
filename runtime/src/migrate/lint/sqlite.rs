//! SQLite: one write lock for the whole database, so anything that copies a
//! table (a rebuild, `DROP COLUMN`, `VACUUM`) stops every writer of every
//! table until it is done.

use super::changes::{created_before, rebuilt, ChangeKind};
use super::scan::{self, Cursor};
use super::{recipes, scan_changes, Analysis, RawFinding, Severity};

pub(super) fn analyze(sql: &str) -> Analysis {
    let scanned = scan::statements(sql);
    let changes = scan_changes::read(&scanned);
    let mut findings = Vec::new();
    for (at, statement) in scanned.iter().enumerate() {
        if Cursor::new(&statement.tokens).eat(&["VACUUM"]) {
            findings.push(recipes::table_rewrite(at, "SQLite"));
        }
    }
    for change in &changes {
        let at = change.statement;
        let message = match &change.kind {
            ChangeKind::DropColumn { table, column } if !created_before(&changes, table, at) => {
                format!("SQLite's `DROP COLUMN` rewrites every row of `{table}` to remove `{column}`, holding the database's only write lock meanwhile: writes to every table wait (and fail with SQLITE_BUSY past their busy_timeout).")
            }
            ChangeKind::DropTable { table } | ChangeKind::RenameTable { from: table, .. }
                if rebuilt(&changes, table, at) && !created_before(&changes, table, at) =>
            {
                format!("This rebuilds `{table}` (a new table, every row copied, the old one dropped), holding the database's only write lock from the copy to the commit: writes to every table wait (and fail with SQLITE_BUSY past their busy_timeout).")
            }
            _ => continue,
        };
        findings.push(RawFinding {
            statement: at,
            rule: "sqlite-table-rebuild".into(),
            severity: Severity::Error,
            message,
            recipe: recipes::SQLITE_REBUILD.into(),
        });
    }
    Analysis {
        statements: scanned.into_iter().map(|s| s.statement).collect(),
        changes,
        findings,
    }
}
