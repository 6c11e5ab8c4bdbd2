//! MySQL/MariaDB's statements for each change. Each `ALTER` on an existing
//! table states its online form (`ALGORITHM=INSTANT`, or `INPLACE` with
//! `LOCK=NONE`), so the server refuses a change that would copy the table
//! instead of silently locking it; the few changes that can only copy (a
//! type change, a foreign key or CHECK checked against every row) say so in
//! a comment and a `-- strata:allow(..)` line.
//!
//! MySQL commits every DDL statement as it runs: a migration is not atomic.
//! The diff orders additive changes before destructive ones, so a failure
//! half-way leaves every row in place; the runner records where it stopped.

use super::common::{self, allow, RENAMED_TABLE};
use super::create::{
    add_foreign_key, column_definition, create_index, create_table, drop_foreign_key, drop_table,
    write_index_parts,
};
use crate::migrate::diff::Change;
use crate::migrate::normalize;
use crate::migrate::schema::Column;
use crate::render::{Dialect, SqlWriter};

const MY: Dialect = Dialect::MySql;
const ONLINE: &str = ", ALGORITHM=INPLACE, LOCK=NONE";

pub(super) fn up(change: &Change) -> Vec<String> {
    match change {
        Change::CreateTable(t) => vec![create_table(MY, t)],
        Change::DropTable(t) => vec![allow(
            &["ban-drop-table"],
            "the models no longer have this table (its rows are lost; the down re-creates it empty)",
            drop_table(MY, &t.name),
        )],
        Change::RenameTable { from, to } => {
            let mut w = SqlWriter::new(MY);
            w.push("RENAME TABLE ");
            w.push_ident(from);
            w.push(" TO ");
            w.push_ident(to);
            vec![allow(
                &["mapped-table-removed"],
                RENAMED_TABLE,
                w.finish().sql,
            )]
        }
        Change::AddColumn { table, column } => vec![alter(table, |w| {
            w.push("ADD COLUMN ");
            w.push(&column_definition(MY, column));
            w.push(", ALGORITHM=INSTANT");
        })],
        Change::DropColumn { table, column } => vec![allow(
            &["ban-drop-column"],
            "the models no longer map this column (its values are lost; the down adds it back empty)",
            alter(table, |w| {
                w.push("DROP COLUMN ");
                w.push_ident(&column.name);
                // INSTANT refuses a column an index (even a foreign key's) covers.
                w.push(ONLINE);
            }),
        )],
        Change::RenameColumn { table, from, to } => vec![common::rename_column(MY, &["rename-in-one-step", "mapped-column-removed"], table, (from, to), ONLINE)],
        Change::AlterColumn { table, from, to } => vec![alter_column(table, from, to)],
        Change::AlterPrimaryKey { table, from, to } => {
            let mut parts = Vec::new();
            if from.is_some() {
                parts.push("DROP PRIMARY KEY".to_string());
            }
            if let Some(key) = to {
                let mut w = SqlWriter::new(MY);
                w.push("ADD PRIMARY KEY (");
                w.push_list(&key.columns, ", ", |w, c| w.push_ident(c));
                w.push(")");
                parts.push(w.finish().sql);
            }
            vec![alter(table, |w| {
                w.push(&parts.join(", "));
                w.push(ONLINE);
            })]
        }
        Change::AddUnique { table, unique } => vec![alter(table, |w| {
            w.push("ADD CONSTRAINT ");
            w.push_ident(&unique.name);
            w.push(" UNIQUE (");
            w.push_list(&unique.columns, ", ", |w, c| w.push_ident(c));
            w.push(")");
            w.push(ONLINE);
        })],
        Change::DropUnique { table, unique } => vec![alter(table, |w| {
            w.push("DROP INDEX ");
            w.push_ident(&unique.name);
            w.push(ONLINE);
        })],
        Change::AddForeignKey {
            table,
            foreign_key,
            new_table,
        } => {
            let add = add_foreign_key(MY, table, foreign_key);
            if *new_table {
                vec![add]
            } else {
                vec![allow(
                    &["mysql-online-alter"],
                    "MySQL checks a new foreign key against every row only with ALGORITHM=COPY (INPLACE would need foreign_key_checks=0 and skip the check): writes to the table wait while it is copied",
                    add,
                )]
            }
        }
        Change::DropForeignKey { table, foreign_key } => vec![format!(
            "{}{ONLINE}",
            drop_foreign_key(MY, table, &foreign_key.name)
        )],
        Change::CreateIndex {
            table,
            index,
            new_table,
        } => {
            let create = create_index(MY, table, index, false);
            if *new_table {
                vec![create]
            } else {
                vec![format!("{create} ALGORITHM=INPLACE LOCK=NONE")]
            }
        }
        // MariaDB's `DROP INDEX .. ON` takes no ALGORITHM: the ALTER form does.
        Change::DropIndex { table, index } => vec![alter(table, |w| {
            w.push("DROP INDEX ");
            w.push_ident(&index.name);
            w.push(ONLINE);
        })],
        Change::ReplaceIndex { table, to, .. } => vec![alter(table, |w| {
            w.push("DROP INDEX ");
            w.push_ident(&to.name);
            w.push(if to.unique {
                ", ADD UNIQUE INDEX "
            } else {
                ", ADD INDEX "
            });
            w.push_ident(&to.name);
            w.push(" (");
            write_index_parts(w, &to.parts);
            w.push(")");
            w.push(ONLINE);
        })],
        Change::AddCheck { table, check } => vec![allow(
            &["mysql-online-alter"],
            "MySQL checks a new CHECK against every row by copying the table: writes wait meanwhile",
            alter(table, |w| {
                w.push("ADD CONSTRAINT ");
                w.push_ident(&check.name);
                w.push(" CHECK (");
                w.push(&check.expression);
                w.push(")");
            }),
        )],
        Change::DropCheck { table, check } => vec![alter(table, |w| {
            w.push("DROP CONSTRAINT ");
            w.push_ident(&check.name);
            w.push(ONLINE);
        })],
        // PostgreSQL and SQLite only: the diff makes none for MySQL, whose
        // enums are column types (a label added is a column change).
        Change::CreateEnum(_)
        | Change::DropEnum(_)
        | Change::AddEnumValues { .. }
        | Change::ReplaceEnum { .. }
        | Change::RebuildTable { .. } => Vec::new(),
        // PostgreSQL only: MySQL has no row-level security.
        Change::EnableRowLevelSecurity { .. }
        | Change::DisableRowLevelSecurity { .. }
        | Change::CreatePolicy { .. }
        | Change::DropPolicy { .. } => Vec::new(),
    }
}

/// A default alone changes in place; so do `NULL`/`NOT NULL`, a longer
/// `varchar` and labels appended to an enum. Any other type change copies
/// the table.
fn alter_column(table: &str, from: &Column, to: &Column) -> String {
    let same_type = normalize::column_type(MY, &from.ty) == normalize::column_type(MY, &to.ty);
    if same_type && from.nullable == to.nullable && from.generated == to.generated {
        return alter(table, |w| {
            w.push("ALTER COLUMN ");
            w.push_ident(&to.name);
            match &to.default {
                Some(default) => {
                    w.push(" SET DEFAULT ");
                    w.push(default);
                }
                None => w.push(" DROP DEFAULT"),
            }
            w.push(ONLINE);
        });
    }
    let modify = |online: bool| {
        alter(table, |w| {
            w.push("MODIFY COLUMN ");
            w.push(&column_definition(MY, to));
            if online {
                w.push(ONLINE);
            }
        })
    };
    if same_type || widens_in_place(from, to) {
        modify(true)
    } else {
        allow(
            &["changing-column-type", "mysql-online-alter"],
            "the model changed the column's type: MySQL copies the table to convert it, and writes wait meanwhile; on a large table use expand/contract or an online schema-change tool",
            modify(false),
        )
    }
}

/// A longer `varchar`, or enum labels appended: InnoDB changes only the
/// table's metadata.
fn widens_in_place(from: &Column, to: &Column) -> bool {
    let kind = |ty: &str| {
        let ty = normalize::column_type(MY, ty);
        if ty.starts_with("varchar(") {
            "varchar"
        } else if ty.starts_with("enum(") {
            "enum"
        } else {
            "other"
        }
    };
    kind(&from.ty) == kind(&to.ty)
        && kind(&to.ty) != "other"
        && !crate::migrate::diff::loses_data(MY, &from.ty, &to.ty)
}

fn alter(table: &str, rest: impl FnOnce(&mut SqlWriter)) -> String {
    common::alter(MY, table, rest)
}
