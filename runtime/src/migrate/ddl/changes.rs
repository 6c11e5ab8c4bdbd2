//! Each diff change as up and down statements, split into the phases a
//! generated migration has:
//!
//! - `before`: PostgreSQL statements that must run outside a transaction
//!   and before the main part (`DROP INDEX CONCURRENTLY`, and
//!   `ALTER TYPE .. ADD VALUE`, whose label a transaction cannot use in the
//!   statement's own transaction);
//! - `main`: the transactional part (every statement on SQLite and MySQL);
//! - `after`: PostgreSQL statements that must run outside a transaction
//!   after it (`CREATE INDEX CONCURRENTLY`, and `VALIDATE CONSTRAINT` of the
//!   foreign keys and CHECKs the main part added `NOT VALID`).
//!
//! The down statements of a change go in the phase its up statements are in,
//! so rolling the migrations back in reverse order undoes them in reverse.

use super::{mysql, postgres, sqlite};
use crate::migrate::diff::{create_table, Change, EnumColumn};
use crate::render::Dialect;

/// Statements (each perhaps led by `--` comment lines, without a `;`) per phase.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phases {
    pub before: Vec<String>,
    pub main: Vec<String>,
    pub after: Vec<String>,
}

impl Phases {
    pub fn main(statements: Vec<String>) -> Phases {
        Phases {
            main: statements,
            ..Phases::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.before.is_empty() && self.main.is_empty() && self.after.is_empty()
    }

    fn all(self) -> Vec<String> {
        let mut all = self.before;
        all.extend(self.main);
        all.extend(self.after);
        all
    }

    fn extend(&mut self, other: Phases) {
        self.before.extend(other.before);
        self.main.extend(other.main);
        self.after.extend(other.after);
    }
}

/// One change's up statements and the down statements that undo them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Steps {
    pub up: Phases,
    pub down: Phases,
}

/// How a change is rendered: `online` uses the lock-safe recipes (for a
/// table running code uses); off, the plain statements (a down that runs in
/// a transaction, or a table nothing reads yet).
pub(super) fn up(dialect: Dialect, change: &Change, online: bool) -> Phases {
    match dialect {
        Dialect::Postgres => postgres::up(change, online),
        Dialect::Sqlite => Phases::main(sqlite::up(change)),
        Dialect::MySql => Phases::main(mysql::up(change)),
    }
}

/// `change` rendered up and down on `dialect`.
pub fn render(dialect: Dialect, change: &Change) -> Steps {
    if dialect == Dialect::Postgres {
        if let Some(steps) = postgres::multi_phase(change) {
            return steps;
        }
    }
    let up_phases = up(dialect, change, true);
    let mut down = Phases::default();
    for inverse in inverse(dialect, change) {
        // A down put in a no-transaction phase may use the online recipes; one
        // in the transactional phase may not.
        let in_main = up_phases.before.is_empty() && up_phases.after.is_empty();
        let statements = up(dialect, &inverse, !in_main).all();
        if !up_phases.before.is_empty() {
            down.before.extend(statements);
        } else if !up_phases.after.is_empty() {
            down.after.extend(statements);
        } else {
            down.main.extend(statements);
        }
    }
    Steps {
        up: up_phases,
        down: without_comments(down),
    }
}

/// The up statements' comments explain the up; a down says nothing of them.
pub(super) fn without_comments(phases: Phases) -> Phases {
    let strip = |statements: Vec<String>| -> Vec<String> {
        (statements.into_iter())
            .map(|s| {
                let kept: Vec<&str> = s.lines().skip_while(|l| l.starts_with("--")).collect();
                kept.join("\n")
            })
            .collect()
    };
    Phases {
        before: strip(phases.before),
        main: strip(phases.main),
        after: strip(phases.after),
    }
}

/// The changes that undo `change`, in order.
pub fn inverse(dialect: Dialect, change: &Change) -> Vec<Change> {
    let one = match change {
        // The down drops the table they belong to, and them with it (MySQL
        // would refuse to drop an index a foreign key still needs).
        Change::AddForeignKey {
            new_table: true, ..
        }
        | Change::CreateIndex {
            new_table: true, ..
        } => return Vec::new(),
        Change::CreateEnum(e) => Change::DropEnum(e.clone()),
        Change::DropEnum(e) => Change::CreateEnum(e.clone()),
        Change::AddEnumValues { from, to, columns } => Change::ReplaceEnum {
            from: to.clone(),
            to: from.clone(),
            columns: swap_defaults(columns),
        },
        Change::ReplaceEnum { from, to, columns } => Change::ReplaceEnum {
            from: to.clone(),
            to: from.clone(),
            columns: swap_defaults(columns),
        },
        Change::CreateTable(t) => Change::DropTable(t.clone()),
        // A dropped table made again (without its rows), as a new one is.
        Change::DropTable(t) => return create_table(t, dialect),
        Change::RenameTable { from, to } => Change::RenameTable {
            from: to.clone(),
            to: from.clone(),
        },
        Change::AddColumn { table, column } => Change::DropColumn {
            table: table.clone(),
            column: column.clone(),
        },
        Change::DropColumn { table, column } => Change::AddColumn {
            table: table.clone(),
            column: column.clone(),
        },
        Change::RenameColumn { table, from, to } => Change::RenameColumn {
            table: table.clone(),
            from: to.clone(),
            to: from.clone(),
        },
        Change::AlterColumn { table, from, to } => Change::AlterColumn {
            table: table.clone(),
            from: to.clone(),
            to: from.clone(),
        },
        Change::AlterPrimaryKey { table, from, to } => Change::AlterPrimaryKey {
            table: table.clone(),
            from: to.clone(),
            to: from.clone(),
        },
        Change::AddUnique { table, unique } => Change::DropUnique {
            table: table.clone(),
            unique: unique.clone(),
        },
        Change::DropUnique { table, unique } => Change::AddUnique {
            table: table.clone(),
            unique: unique.clone(),
        },
        Change::AddForeignKey {
            table, foreign_key, ..
        } => Change::DropForeignKey {
            table: table.clone(),
            foreign_key: foreign_key.clone(),
        },
        Change::DropForeignKey { table, foreign_key } => Change::AddForeignKey {
            table: table.clone(),
            foreign_key: foreign_key.clone(),
            new_table: false,
        },
        Change::CreateIndex { table, index, .. } => Change::DropIndex {
            table: table.clone(),
            index: index.clone(),
        },
        Change::DropIndex { table, index } => Change::CreateIndex {
            table: table.clone(),
            index: index.clone(),
            new_table: false,
        },
        Change::ReplaceIndex { table, from, to } => Change::ReplaceIndex {
            table: table.clone(),
            from: to.clone(),
            to: from.clone(),
        },
        Change::AddCheck { table, check } => Change::DropCheck {
            table: table.clone(),
            check: check.clone(),
        },
        Change::DropCheck { table, check } => Change::AddCheck {
            table: table.clone(),
            check: check.clone(),
        },
        Change::RebuildTable {
            from,
            to,
            referenced,
        } => Change::RebuildTable {
            from: to.clone(),
            to: from.clone(),
            referenced: *referenced,
        },
        Change::EnableRowLevelSecurity { table } => Change::DisableRowLevelSecurity {
            table: table.clone(),
        },
        Change::DisableRowLevelSecurity { table } => Change::EnableRowLevelSecurity {
            table: table.clone(),
        },
        Change::CreatePolicy { table, policy } => Change::DropPolicy {
            table: table.clone(),
            policy: policy.clone(),
        },
        Change::DropPolicy { table, policy } => Change::CreatePolicy {
            table: table.clone(),
            policy: policy.clone(),
        },
    };
    vec![one]
}

pub(super) fn swap_defaults(columns: &[EnumColumn]) -> Vec<EnumColumn> {
    (columns.iter())
        .map(|c| EnumColumn {
            default_before: c.default_after.clone(),
            default_after: c.default_before.clone(),
            ..c.clone()
        })
        .collect()
}

/// Every change's steps, phase by phase: up in order, down in reverse.
pub fn render_all(dialect: Dialect, changes: &[Change]) -> Steps {
    let steps: Vec<Steps> = changes.iter().map(|c| render(dialect, c)).collect();
    let mut all = Steps::default();
    for step in &steps {
        all.up.extend(step.up.clone());
    }
    for step in steps.into_iter().rev() {
        all.down.extend(step.down);
    }
    all
}
