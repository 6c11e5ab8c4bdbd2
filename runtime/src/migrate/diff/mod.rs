//! The diff: two schema descriptions (the last migration's recorded schema,
//! or a live database, and the models) into the changes that turn one into
//! the other, in an order the database accepts.
//!
//! Renames are never guessed. A rename happens only through a hint
//! ([`Rename`]); a removed and an added column of the same type in one table
//! without one is refused with [`Error::PossibleRename`], and any change that
//! drops data (a table, a column, a narrowing type change) is refused with
//! [`Error::DataLoss`] naming everything lost, unless
//! [`DiffOptions::allow_data_loss`] is set.
//!
//! On SQLite, whose `ALTER TABLE` only adds, renames and drops plain columns,
//! every other change to a table becomes one [`Change::RebuildTable`].

mod renames;
mod safety;
mod tables;

pub use renames::Rename;
pub(crate) use safety::loses_data;
pub(crate) use tables::create_table;

use super::normalize;
use super::schema::{
    Check, Column, DbSchema, EnumType, ForeignKey, Index, PrimaryKey, Table, TenantPolicy, Unique,
};
use crate::error::{Error, Result};
use crate::render::Dialect;

/// What the caller allows the diff to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Tables and columns renamed, not dropped and added.
    pub renames: Vec<Rename>,
    /// Drop tables and columns (and narrow types) even though their data is
    /// lost.
    pub allow_data_loss: bool,
}

/// One column of a PostgreSQL enum type, as a type swap converts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumColumn {
    pub table: String,
    pub column: String,
    /// The column's default before the change (restored by the down).
    pub default_before: Option<String>,
    /// Its default after the change.
    pub default_after: Option<String>,
}

/// One schema change. Every change knows enough to render its inverse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    CreateEnum(EnumType),
    DropEnum(EnumType),
    /// Labels added to a PostgreSQL enum type, the old ones kept in order.
    /// The down swaps the type back to `from` (PostgreSQL cannot drop a
    /// label), converting `columns`.
    AddEnumValues {
        from: EnumType,
        to: EnumType,
        columns: Vec<EnumColumn>,
    },
    /// A PostgreSQL enum type whose labels were removed or reordered: a new
    /// type replaces the old one and `columns` are converted to it.
    ReplaceEnum {
        from: EnumType,
        to: EnumType,
        columns: Vec<EnumColumn>,
    },
    CreateTable(Table),
    DropTable(Table),
    RenameTable {
        from: String,
        to: String,
    },
    AddColumn {
        table: String,
        column: Column,
    },
    DropColumn {
        table: String,
        column: Column,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    /// A type, nullability, default or identity change.
    AlterColumn {
        table: String,
        from: Column,
        to: Column,
    },
    AlterPrimaryKey {
        table: String,
        from: Option<PrimaryKey>,
        to: Option<PrimaryKey>,
    },
    AddUnique {
        table: String,
        unique: Unique,
    },
    DropUnique {
        table: String,
        unique: Unique,
    },
    /// `new_table`: the table is created by the same migration (empty), so
    /// nothing needs the lock-safe recipe.
    AddForeignKey {
        table: String,
        foreign_key: ForeignKey,
        new_table: bool,
    },
    DropForeignKey {
        table: String,
        foreign_key: ForeignKey,
    },
    CreateIndex {
        table: String,
        index: Index,
        new_table: bool,
    },
    DropIndex {
        table: String,
        index: Index,
    },
    /// MySQL: an index changed under the same name, dropped and added in one
    /// `ALTER TABLE` (a foreign key it serves never goes without one).
    ReplaceIndex {
        table: String,
        from: Index,
        to: Index,
    },
    AddCheck {
        table: String,
        check: Check,
    },
    DropCheck {
        table: String,
        check: Check,
    },
    /// SQLite: the table made anew from `to` and its rows copied from
    /// `from` (same column names: renames happen first), for every change
    /// its `ALTER TABLE` cannot make. `referenced`: another table (or
    /// itself) has a foreign key to it, so the rebuild must run with foreign
    /// keys off.
    RebuildTable {
        from: Table,
        to: Table,
        referenced: bool,
    },
    /// PostgreSQL: row-level security turned on for a tenant table
    /// (`ENABLE` and `FORCE`); its policy is a [`Change::CreatePolicy`].
    EnableRowLevelSecurity {
        table: String,
    },
    /// PostgreSQL: `NO FORCE` and `DISABLE`, after the policy is dropped.
    DisableRowLevelSecurity {
        table: String,
    },
    /// A tenant policy created; a changed one (another column or column
    /// type) is dropped before the columns change and created after.
    CreatePolicy {
        table: String,
        policy: TenantPolicy,
    },
    DropPolicy {
        table: String,
        policy: TenantPolicy,
    },
}

/// The changes that turn `from` into `to` on `dialect`, ordered so the
/// database accepts them one after the other. Empty when the two describe
/// the same schema.
pub fn diff(
    from: &DbSchema,
    to: &DbSchema,
    dialect: Dialect,
    options: &DiffOptions,
) -> Result<Vec<Change>> {
    renames::check(from, to, &options.renames)?;
    let renamed = renames::apply(from, &options.renames, dialect);
    let mut changes = renames::changes(&options.renames);
    let mut lost = Vec::new();
    for change in enums(from, to, dialect, &options.renames) {
        if let Change::ReplaceEnum { from, to, .. } = &change {
            // Rows holding a removed label cannot be converted.
            let removed = from.values.iter().filter(|v| !to.values.contains(v));
            lost.extend(removed.map(|v| format!("{} (the enum label {v})", from.name)));
        }
        changes.push(change);
    }
    let mut possible_renames = Vec::new();
    let mut unfillable = Vec::new();
    for table in &renamed.tables {
        // Drops run before the renames: they name things as they were.
        let original = from.table(renames::old_table(&options.renames, &table.name));
        match to.table(&table.name) {
            Some(target) => {
                let diffed = tables::diff_table(original.unwrap_or(table), table, target, dialect);
                lost.extend(diffed.lost);
                possible_renames.extend(diffed.possible_renames);
                unfillable.extend(diffed.unfillable);
                changes.extend(diffed.changes);
            }
            None => {
                lost.push(format!("{} (the whole table)", table.name));
                changes.push(Change::DropTable(table.clone()));
            }
        }
    }
    possible_renames.extend(safety::possible_table_renames(dialect, &renamed, to));
    for table in (to.tables.iter()).filter(|t| renamed.table(&t.name).is_none()) {
        changes.extend(tables::create_table(table, dialect));
    }
    if !options.allow_data_loss && !possible_renames.is_empty() {
        return Err(Error::PossibleRename {
            renames: possible_renames,
        });
    }
    if let Some(column) = unfillable.into_iter().next() {
        return Err(Error::SchemaChange {
            object: column,
            reason: "a new NOT NULL column without a default has no value for the rows the \
                     table already holds. Give it a default, or expand/contract: add it \
                     nullable (an Option), backfill it, then make it required in a later \
                     migration"
                .into(),
        });
    }
    if !options.allow_data_loss && !lost.is_empty() {
        return Err(Error::DataLoss { lost });
    }
    if dialect == Dialect::Sqlite {
        tables::sqlite_rebuilds(&renamed, to, &options.renames, &mut changes);
    }
    Ok(order(changes, &renamed, to))
}

/// PostgreSQL enum types: created, dropped, a label added in place, or
/// replaced (a label removed or moved). They change before the renames, so
/// their columns have their old names.
fn enums(from: &DbSchema, to: &DbSchema, dialect: Dialect, hints: &[Rename]) -> Vec<Change> {
    let mut changes = Vec::new();
    if dialect != Dialect::Postgres {
        return changes;
    }
    for target in &to.enums {
        let Some(old) = from.enum_type(&target.name) else {
            changes.push(Change::CreateEnum(target.clone()));
            continue;
        };
        if old.values == target.values {
            continue;
        }
        let columns = enum_columns(from, to, &old.name, hints);
        if is_subsequence(&old.values, &target.values) {
            changes.push(Change::AddEnumValues {
                from: old.clone(),
                to: target.clone(),
                columns,
            });
        } else {
            changes.push(Change::ReplaceEnum {
                from: old.clone(),
                to: target.clone(),
                columns,
            });
        }
    }
    for old in &from.enums {
        if to.enum_type(&old.name).is_none() {
            changes.push(Change::DropEnum(old.clone()));
        }
    }
    changes
}

/// The columns of `from` whose type is the enum `name`, with their defaults
/// before and after (found in `to` under their new names).
fn enum_columns(from: &DbSchema, to: &DbSchema, name: &str, hints: &[Rename]) -> Vec<EnumColumn> {
    let mut columns = Vec::new();
    for table in &from.tables {
        let new_table = renames::renamed_table(hints, &table.name);
        for column in table.columns.iter().filter(|c| c.ty == name) {
            let new_column = renames::renamed_column(hints, &table.name, &column.name);
            let after = to.table(new_table).and_then(|t| t.column(new_column));
            columns.push(EnumColumn {
                table: table.name.clone(),
                column: column.name.clone(),
                default_before: column.default.clone(),
                default_after: after.map_or(column.default.clone(), |c| c.default.clone()),
            });
        }
    }
    columns
}

/// Whether `short` is `long` with items left out, in the same order.
fn is_subsequence(short: &[String], long: &[String]) -> bool {
    let mut rest = long.iter();
    short
        .iter()
        .all(|item| rest.any(|candidate| candidate == item))
}

/// Where a change goes: dependencies before dependants, drops of what
/// references a thing before the thing, additive changes before the
/// destructive ones (so a failure half-way on MySQL, which cannot roll DDL
/// back, leaves the data in place).
fn rank(change: &Change) -> u8 {
    match change {
        Change::CreateEnum(_) | Change::AddEnumValues { .. } | Change::ReplaceEnum { .. } => 0,
        // A policy names its column: it goes before the column changes
        // (PostgreSQL refuses to alter or drop a column a policy uses).
        Change::DropForeignKey { .. }
        | Change::DropPolicy { .. }
        | Change::DisableRowLevelSecurity { .. } => 1,
        Change::DropIndex { .. } | Change::DropUnique { .. } | Change::DropCheck { .. } => 2,
        Change::RenameTable { .. } => 3,
        Change::RenameColumn { .. } => 4,
        Change::CreateTable(_) => 5,
        Change::AddColumn { .. } => 6,
        Change::AlterColumn { .. } | Change::AlterPrimaryKey { .. } => 7,
        Change::RebuildTable { .. } => 8,
        Change::AddUnique { .. } | Change::AddCheck { .. } => 9,
        // An index before the foreign key it serves: MySQL would otherwise
        // make its own, and refuses to drop the index while the key needs it.
        Change::CreateIndex { .. } | Change::ReplaceIndex { .. } => 10,
        Change::AddForeignKey { .. }
        | Change::EnableRowLevelSecurity { .. }
        | Change::CreatePolicy { .. } => 11,
        Change::DropColumn { .. } => 12,
        Change::DropTable(_) => 13,
        Change::DropEnum(_) => 14,
    }
}

fn order(mut changes: Vec<Change>, from: &DbSchema, to: &DbSchema) -> Vec<Change> {
    // Tables are created referenced-first and dropped dependants-first.
    let create_order = names_in_order(&to.tables);
    let drop_order = names_in_order(&from.tables);
    let position = |names: &[String], table: &str| names.iter().position(|n| n == table);
    changes.sort_by_key(|change| {
        let within = match change {
            Change::CreateTable(t) => position(&create_order, &t.name),
            Change::RebuildTable { to: t, .. } => position(&create_order, &t.name),
            Change::DropTable(t) => position(&drop_order, &t.name).map(|p| usize::MAX - p),
            _ => None,
        };
        (rank(change), within.unwrap_or(0))
    });
    changes
}

fn names_in_order(tables: &[Table]) -> Vec<String> {
    super::ddl::create::dependency_order(tables)
        .into_iter()
        .map(|t| t.name.clone())
        .collect()
}

/// Whether two expressions mean the same on `dialect`.
fn same_expression(dialect: Dialect, a: Option<&str>, b: Option<&str>) -> bool {
    a.map(|a| normalize::expression(dialect, a)) == b.map(|b| normalize::expression(dialect, b))
}
