//! PostgreSQL's statements for each change, with the lock-safe recipes for a
//! table that running code uses: indexes built and dropped `CONCURRENTLY`,
//! foreign keys and CHECKs added `NOT VALID` and validated afterwards (a
//! `SHARE UPDATE EXCLUSIVE` lock: reads and writes go on), `NOT NULL` set
//! through a validated CHECK (so `SET NOT NULL` need not scan the table
//! under an exclusive lock), UNIQUE built as an index first.
//!
//! A statement that still takes a strong lock because the model asked for
//! something no recipe avoids (a drop, a rename, a type change) carries a
//! `-- strata:allow(..)` line for the linter and a comment saying why.

use super::changes::{swap_defaults, without_comments, Phases, Steps};
use super::common::{self, allow, RENAMED_TABLE};
use super::create::{
    add_foreign_key, column_definition, column_type_sql, create_enum, create_index, create_table,
    drop_enum, drop_foreign_key, drop_index, drop_table,
};
use super::pg_enum::{add_enum_values, replace_enum};
use crate::migrate::diff::Change;
use crate::migrate::normalize;
use crate::migrate::schema::{Column, PrimaryKey, Unique};
use crate::render::{Dialect, SqlWriter};

const PG: Dialect = Dialect::Postgres;

pub(super) fn up(change: &Change, online: bool) -> Phases {
    let main = |statements: Vec<String>| Phases::main(statements);
    match change {
        Change::CreateEnum(e) => main(vec![create_enum(PG, e)]),
        Change::DropEnum(e) => main(vec![allow(
            &["ban-drop-type"],
            "no column uses the type any more",
            drop_enum(PG, &e.name),
        )]),
        Change::AddEnumValues { from, to, .. } => {
            let adds = add_enum_values(from, to);
            if online {
                Phases {
                    before: adds,
                    ..Phases::default()
                }
            } else {
                main(adds)
            }
        }
        Change::ReplaceEnum { from, to, columns } => main(replace_enum(from, to, columns)),
        Change::CreateTable(t) => main(vec![create_table(PG, t)]),
        Change::DropTable(t) => main(vec![allow(
            &["ban-drop-table"],
            "the models no longer have this table (its rows are lost; the down re-creates it empty)",
            drop_table(PG, &t.name),
        )]),
        Change::RenameTable { from, to } => main(vec![allow(
            &["renaming-table", "mapped-table-removed"],
            RENAMED_TABLE,
            alter(from, |w| {
                w.push("RENAME TO ");
                w.push_ident(to);
            }),
        )]),
        Change::AddColumn { table, column } => main(vec![alter(table, |w| {
            w.push("ADD COLUMN ");
            w.push(&column_definition(PG, column));
        })]),
        Change::DropColumn { table, column } => main(vec![allow(
            &["ban-drop-column"],
            "the models no longer map this column (its values are lost; the down adds it back empty)",
            alter(table, |w| {
                w.push("DROP COLUMN ");
                w.push_ident(&column.name);
            }),
        )]),
        Change::RenameColumn { table, from, to } => main(vec![common::rename_column(
            PG,
            &["renaming-column", "rename-in-one-step", "mapped-column-removed"],
            table,
            (from, to),
            "",
        )]),
        Change::AlterColumn { table, from, to } => alter_column(table, from, to, online),
        Change::AlterPrimaryKey { table, from, to } => {
            let name = |key: &PrimaryKey| key.name.clone().unwrap_or(format!("{table}_pkey"));
            // One statement: the table is never without a key in between.
            let statement = alter(table, |w| {
                if let Some(old) = from {
                    w.push("DROP CONSTRAINT ");
                    w.push_ident(&name(old));
                }
                if let Some(new) = to {
                    w.push(if from.is_some() { ", ADD CONSTRAINT " } else { "ADD CONSTRAINT " });
                    w.push_ident(&name(new));
                    w.push(" PRIMARY KEY (");
                    w.push_list(&new.columns, ", ", |w, c| w.push_ident(c));
                    w.push(")");
                }
            });
            main(vec![allow(
                &[
                    "adding-primary-key-constraint",
                    "adding-serial-primary-key-field",
                    "ban-drop-constraint",
                    "constraint-missing-not-valid",
                ],
                "the model changed the primary key: its index is built under an ACCESS EXCLUSIVE lock; on a large table build a unique index CONCURRENTLY first and add the key USING INDEX",
                statement,
            )])
        }
        Change::AddUnique { table, unique } if online => Phases {
            after: add_unique_online(table, unique),
            ..Phases::default()
        },
        Change::AddUnique { table, unique } => main(vec![alter(table, |w| {
            w.push("ADD CONSTRAINT ");
            w.push_ident(&unique.name);
            w.push(" UNIQUE (");
            w.push_list(&unique.columns, ", ", |w, c| w.push_ident(c));
            w.push(")");
        })]),
        Change::DropUnique { table, unique } => main(vec![allow(
            &["ban-drop-constraint"],
            "the models no longer declare this unique key (a renamed or changed one is added back below)",
            drop_constraint(table, &unique.name),
        )]),
        Change::AddForeignKey {
            table, foreign_key, ..
        } => main(vec![add_foreign_key(PG, table, foreign_key)]),
        Change::DropForeignKey { table, foreign_key } => {
            main(vec![allow(
                &["ban-drop-constraint"],
                "the models no longer declare this foreign key (a changed one is added back below)",
                drop_foreign_key(PG, table, &foreign_key.name),
            )])
        }
        Change::CreateIndex {
            table,
            index,
            new_table,
        } => {
            if online && !new_table {
                Phases {
                    after: vec![create_index(PG, table, index, true)],
                    ..Phases::default()
                }
            } else {
                main(vec![create_index(PG, table, index, false)])
            }
        }
        Change::DropIndex { table, index } => {
            if online {
                Phases {
                    before: vec![drop_index(PG, table, &index.name, true)],
                    ..Phases::default()
                }
            } else {
                main(vec![drop_index(PG, table, &index.name, false)])
            }
        }
        Change::AddCheck { table, check } => main(vec![alter(table, |w| {
            w.push("ADD CONSTRAINT ");
            w.push_ident(&check.name);
            w.push(" CHECK (");
            w.push(&check.expression);
            w.push(")");
        })]),
        Change::DropCheck { table, check } => main(vec![allow(
            &["ban-drop-constraint"],
            "the models no longer declare this CHECK (a changed one is added back below)",
            drop_constraint(table, &check.name),
        )]),
        Change::EnableRowLevelSecurity { table } => main(super::rls::enable(table)),
        Change::DisableRowLevelSecurity { table } => main(super::rls::disable(table)),
        Change::CreatePolicy { table, policy } => main(vec![super::rls::create_policy(table, policy)]),
        Change::DropPolicy { table, policy } => {
            main(vec![super::rls::drop_policy(table, &policy.name)])
        }
        // SQLite and MySQL only: the diff makes none for PostgreSQL.
        Change::RebuildTable { .. } | Change::ReplaceIndex { .. } => Phases::default(),
    }
}

/// The changes whose online recipe spans two phases, with their downs.
pub(super) fn multi_phase(change: &Change) -> Option<Steps> {
    match change {
        Change::AddForeignKey {
            table,
            foreign_key,
            new_table: false,
        } => Some(not_valid_then_validate(
            table,
            &foreign_key.name,
            format!("{} NOT VALID", add_foreign_key(PG, table, foreign_key)),
        )),
        Change::AddCheck { table, check } => Some(not_valid_then_validate(
            table,
            &check.name,
            alter(table, |w| {
                w.push("ADD CONSTRAINT ");
                w.push_ident(&check.name);
                w.push(" CHECK (");
                w.push(&check.expression);
                w.push(") NOT VALID");
            }),
        )),
        Change::AlterColumn { table, from, to } if from.nullable && !to.nullable => {
            // If the `_indexes` part never ran, the CHECK is still there.
            let check = not_null_check(table, &to.name);
            let mut down = vec![alter(table, |w| {
                w.push("DROP CONSTRAINT IF EXISTS ");
                w.push_ident(&check);
            })];
            down.extend(alter_column(table, to, from, false).main);
            Some(Steps {
                up: alter_column(table, from, to, true),
                down: without_comments(Phases::main(down)),
            })
        }
        // PostgreSQL cannot drop a label: the down swaps the type back, in a
        // transaction of its own (the `_prepare` part has none).
        Change::AddEnumValues { from, to, columns } => {
            let mut down = vec!["BEGIN".to_string()];
            down.extend(replace_enum(to, from, &swap_defaults(columns)));
            down.push("COMMIT".into());
            Some(Steps {
                up: up(change, true),
                down: without_comments(Phases {
                    before: down,
                    ..Phases::default()
                }),
            })
        }
        _ => None,
    }
}

/// `ADD CONSTRAINT .. NOT VALID` takes a brief lock and checks only new
/// rows; `VALIDATE` then scans the old ones under a lock that lets reads and
/// writes go on, in its own transaction (the no-transaction `after` part).
fn not_valid_then_validate(table: &str, name: &str, add: String) -> Steps {
    Steps {
        up: Phases {
            main: vec![add],
            after: vec![validate(table, name)],
            ..Phases::default()
        },
        down: Phases::main(vec![drop_constraint(table, name)]),
    }
}

fn alter_column(table: &str, from: &Column, to: &Column, online: bool) -> Phases {
    let mut phases = Phases::default();
    let column = &to.name;
    let set_default = |default: &Option<String>| {
        let statement = alter(table, |w| {
            w.push("ALTER COLUMN ");
            w.push_ident(column);
            match default {
                Some(d) => {
                    w.push(" SET DEFAULT ");
                    w.push(d);
                }
                None => w.push(" DROP DEFAULT"),
            }
        });
        match default {
            Some(_) => statement,
            None => allow(
                &["ban-drop-default"],
                "the model has no default here: inserts that leave the column out must give it from now on",
                statement,
            ),
        }
    };
    let type_changes = normalize::column_type(PG, &from.ty) != normalize::column_type(PG, &to.ty);
    if type_changes {
        // An enum default does not cast to another type by itself: drop it
        // before, set it again after.
        let through_text = is_user_type(&from.ty) || is_user_type(&to.ty);
        if through_text && from.default.is_some() {
            phases.main.push(set_default(&None));
        }
        let ty = column_type_sql(PG, &to.ty);
        phases.main.push(allow(
            &["changing-column-type"],
            "the model changed the column's type: PostgreSQL rewrites the table under an ACCESS EXCLUSIVE lock (unless the new type is binary-compatible, like a longer varchar); on a large table use expand/contract instead",
            alter(table, |w| {
                w.push("ALTER COLUMN ");
                w.push_ident(column);
                w.push(" TYPE ");
                w.push(&ty);
                w.push(" USING ");
                w.push_ident(column);
                if is_user_type(&to.ty) {
                    w.push("::text");
                }
                w.push("::");
                w.push(&ty);
            }),
        ));
        if (through_text && to.default.is_some()) || (!through_text && !same_default(from, to)) {
            phases.main.push(set_default(&to.default));
        }
    } else if !same_default(from, to) {
        phases.main.push(set_default(&to.default));
    }
    if from.nullable && !to.nullable {
        let set_not_null = alter(table, |w| {
            w.push("ALTER COLUMN ");
            w.push_ident(column);
            w.push(" SET NOT NULL");
        });
        if online {
            let check = not_null_check(table, column);
            phases.main.push(alter(table, |w| {
                w.push("ADD CONSTRAINT ");
                w.push_ident(&check);
                w.push(" CHECK (");
                w.push_ident(column);
                w.push(" IS NOT NULL) NOT VALID");
            }));
            phases.after.push(validate(table, &check));
            // PostgreSQL 12+ sees the validated CHECK and skips the scan.
            phases.after.push(set_not_null);
            phases.after.push(drop_constraint(table, &check));
        } else {
            phases.main.push(set_not_null);
        }
    } else if !from.nullable && to.nullable {
        phases.main.push(allow(
            &["ban-drop-not-null"],
            "the model made the column optional: code that reads it must expect NULL from now on",
            alter(table, |w| {
                w.push("ALTER COLUMN ");
                w.push_ident(column);
                w.push(" DROP NOT NULL");
            }),
        ));
    }
    if from.generated != to.generated {
        phases.main.push(alter(table, |w| {
            w.push("ALTER COLUMN ");
            w.push_ident(column);
            w.push(if to.generated {
                " ADD GENERATED BY DEFAULT AS IDENTITY"
            } else {
                " DROP IDENTITY"
            });
        }));
    }
    phases
}

fn same_default(a: &Column, b: &Column) -> bool {
    let canonical = |c: &Column| c.default.as_deref().map(|d| normalize::expression(PG, d));
    canonical(a) == canonical(b)
}

/// The temporary CHECK of the `SET NOT NULL` recipe.
fn not_null_check(table: &str, column: &str) -> String {
    format!("{table}_{column}_not_null")
}

/// A name that is not a built-in type: an enum, cast through text.
fn is_user_type(ty: &str) -> bool {
    column_type_sql(PG, ty).starts_with('"')
}

/// `CREATE UNIQUE INDEX CONCURRENTLY`, then the constraint over that index
/// (a brief lock instead of a build under an exclusive one).
fn add_unique_online(table: &str, unique: &Unique) -> Vec<String> {
    let mut index = SqlWriter::new(PG);
    index.push("CREATE UNIQUE INDEX CONCURRENTLY ");
    index.push_ident(&unique.name);
    index.push(" ON ");
    index.push_ident(table);
    index.push(" (");
    index.push_list(&unique.columns, ", ", |w, c| w.push_ident(c));
    index.push(")");
    let constraint = alter(table, |w| {
        w.push("ADD CONSTRAINT ");
        w.push_ident(&unique.name);
        w.push(" UNIQUE USING INDEX ");
        w.push_ident(&unique.name);
    });
    vec![index.finish().sql, constraint]
}

fn validate(table: &str, name: &str) -> String {
    alter(table, |w| {
        w.push("VALIDATE CONSTRAINT ");
        w.push_ident(name);
    })
}

fn drop_constraint(table: &str, name: &str) -> String {
    alter(table, |w| {
        w.push("DROP CONSTRAINT ");
        w.push_ident(name);
    })
}

pub(super) fn alter(table: &str, rest: impl FnOnce(&mut SqlWriter)) -> String {
    common::alter(PG, table, rest)
}
