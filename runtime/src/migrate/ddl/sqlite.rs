//! SQLite's statements for each change: `ALTER TABLE` for what it can do
//! (add a column, rename a column or table, drop a plain column), and the
//! documented table rebuild for everything else
//! (<https://www.sqlite.org/lang_altertable.html#otheralter>): a new table
//! made from the target description, the rows copied, the old table dropped,
//! the new one renamed into its place, its indexes created. `plan` wraps a
//! migration with a rebuild in `PRAGMA foreign_keys = OFF`, its own
//! transaction and a foreign key check.

use super::common::{self, allow, RENAMED_TABLE};
use super::create::{column_definition, create_index, create_table, drop_index, drop_table};
use crate::migrate::diff::Change;
use crate::migrate::schema::Table;
use crate::render::{Dialect, SqlWriter};

const SQLITE: Dialect = Dialect::Sqlite;

pub(super) fn up(change: &Change) -> Vec<String> {
    match change {
        Change::CreateTable(t) => vec![create_table(SQLITE, t)],
        Change::DropTable(t) => vec![allow(
            &["ban-drop-table"],
            "the models no longer have this table (its rows are lost; the down re-creates it empty)",
            drop_table(SQLITE, &t.name),
        )],
        Change::RenameTable { from, to } => vec![allow(
            &["mapped-table-removed"],
            RENAMED_TABLE,
            alter(from, |w| {
                w.push("RENAME TO ");
                w.push_ident(to);
            }),
        )],
        Change::AddColumn { table, column } => vec![alter(table, |w| {
            w.push("ADD COLUMN ");
            w.push(&column_definition(SQLITE, column));
        })],
        Change::DropColumn { table, column } => vec![allow(
            &["ban-drop-column", "sqlite-table-rebuild"],
            "the models no longer map this column (its values are lost; the down adds it back empty); SQLite rewrites the table to drop it",
            alter(table, |w| {
                w.push("DROP COLUMN ");
                w.push_ident(&column.name);
            }),
        )],
        Change::RenameColumn { table, from, to } => vec![common::rename_column(SQLITE, &["rename-in-one-step", "mapped-column-removed"], table, (from, to), "")],
        Change::CreateIndex { table, index, .. } => vec![create_index(SQLITE, table, index, false)],
        Change::DropIndex { table, index } => vec![drop_index(SQLITE, table, &index.name, false)],
        Change::RebuildTable { from, to, .. } => rebuild(from, to),
        // The diff turns every other change to an existing SQLite table into
        // a rebuild, and makes no enum types.
        _ => Vec::new(),
    }
}

/// The 12-step rebuild's statements (steps 4-8 and 10: the PRAGMAs, the
/// transaction and the foreign key check are the whole migration's).
fn rebuild(from: &Table, to: &Table) -> Vec<String> {
    let temporary = format!("_strata_new_{}", to.name);
    let mut new_table = to.clone();
    new_table.name.clone_from(&temporary);
    let copied: Vec<&String> = (to.columns.iter())
        .map(|c| &c.name)
        .filter(|name| from.column(name).is_some())
        .collect();
    let mut statements = vec![format!(
        "-- Rebuilds {}: SQLite's ALTER TABLE cannot make this change \
         (https://www.sqlite.org/lang_altertable.html#otheralter)\n{}",
        to.name,
        create_table(SQLITE, &new_table)
    )];
    let mut copy = SqlWriter::new(SQLITE);
    copy.push("INSERT INTO ");
    copy.push_ident(&temporary);
    copy.push(" (");
    copy.push_list(&copied, ", ", |w, c| w.push_ident(c));
    copy.push(") SELECT ");
    copy.push_list(&copied, ", ", |w, c| w.push_ident(c));
    copy.push(" FROM ");
    copy.push_ident(&from.name);
    statements.push(copy.finish().sql);
    statements.push(allow(
        &["sqlite-table-rebuild", "ban-drop-table"],
        "the rows are in the new table; this holds the database's write lock until the commit",
        drop_table(SQLITE, &from.name),
    ));
    statements.push(allow(
        &["sqlite-table-rebuild"],
        "the new table takes the old one's name (and the foreign keys that name it)",
        alter(&temporary, |w| {
            w.push("RENAME TO ");
            w.push_ident(&to.name);
        }),
    ));
    for index in &to.indexes {
        statements.push(create_index(SQLITE, &to.name, index, false));
    }
    statements
}

fn alter(table: &str, rest: impl FnOnce(&mut SqlWriter)) -> String {
    common::alter(SQLITE, table, rest)
}
