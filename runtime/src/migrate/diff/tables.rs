//! The changes within one table, and SQLite's choice between `ALTER TABLE`
//! and a rebuild.

use super::renames::{self, Rename};
use super::{safety, same_expression, Change};
use crate::migrate::normalize;
use crate::migrate::schema::{Check, Column, DbSchema, Index, IndexPart, Table, TenantPolicy};
use crate::render::Dialect;

#[derive(Debug, Default)]
pub(super) struct TableDiff {
    pub changes: Vec<Change>,
    /// `table.column` of each column whose data the changes drop.
    pub lost: Vec<String>,
    /// `table.old=new` for each removed/added pair that looks like a rename.
    pub possible_renames: Vec<String>,
    /// `table.column` of each added NOT NULL column without a default: the
    /// existing rows would have no value for it.
    pub unfillable: Vec<String>,
}

/// The changes that turn `from` into `to` (the same table, renames applied
/// to `from`; `original` is `from` before them, which the drops name).
pub(super) fn diff_table(
    original: &Table,
    from: &Table,
    to: &Table,
    dialect: Dialect,
) -> TableDiff {
    let name = &to.name;
    let mut d = TableDiff {
        possible_renames: safety::possible_column_renames(dialect, from, to),
        ..TableDiff::default()
    };
    for column in &to.columns {
        match from.column(&column.name) {
            None => {
                if !column.nullable && column.default.is_none() && !column.generated {
                    d.unfillable.push(format!("{name}.{}", column.name));
                }
                d.changes.push(Change::AddColumn {
                    table: name.clone(),
                    column: column.clone(),
                });
            }
            Some(old) if column_differs(dialect, old, column) => {
                if safety::loses_data(dialect, &old.ty, &column.ty) {
                    d.lost.push(format!(
                        "{name}.{} ({} to {})",
                        column.name, old.ty, column.ty
                    ));
                }
                d.changes.push(Change::AlterColumn {
                    table: name.clone(),
                    from: old.clone(),
                    to: column.clone(),
                });
            }
            Some(_) => {}
        }
    }
    for old in from.columns.iter().filter(|c| to.column(&c.name).is_none()) {
        d.lost.push(format!("{name}.{}", old.name));
        d.changes.push(Change::DropColumn {
            table: name.clone(),
            column: old.clone(),
        });
    }
    let key = |t: &Table| {
        let pk = t.primary_key.as_ref();
        let named = dialect == Dialect::Postgres;
        pk.map(|k| (k.columns.clone(), k.name.clone().filter(|_| named)))
    };
    if key(from) != key(to) {
        d.changes.push(Change::AlterPrimaryKey {
            table: name.clone(),
            from: from.primary_key.clone(),
            to: to.primary_key.clone(),
        });
    }
    constraints(original, from, to, dialect, &mut d.changes);
    policies(original, from, to, dialect, &mut d.changes);
    d
}

/// Row-level security turned on or off, or its policy changed (dropped and
/// created again: the column or its type changed).
fn policies(
    original: &Table,
    from: &Table,
    to: &Table,
    dialect: Dialect,
    changes: &mut Vec<Change>,
) {
    let same = |a: &TenantPolicy, b: &TenantPolicy| {
        a.name == b.name
            && a.column == b.column
            && normalize::column_type(dialect, &a.ty) == normalize::column_type(dialect, &b.ty)
    };
    let (old, new) = (&from.row_level_security, &to.row_level_security);
    if let (Some(a), Some(b)) = (old, new) {
        if same(a, b) {
            return;
        }
    }
    if let Some(policy) = old {
        changes.push(Change::DropPolicy {
            table: original.name.clone(),
            policy: TenantPolicy::clone(policy),
        });
        if new.is_none() {
            changes.push(Change::DisableRowLevelSecurity {
                table: original.name.clone(),
            });
        }
    }
    if let Some(policy) = new {
        if old.is_none() {
            changes.push(Change::EnableRowLevelSecurity {
                table: to.name.clone(),
            });
        }
        changes.push(Change::CreatePolicy {
            table: to.name.clone(),
            policy: TenantPolicy::clone(policy),
        });
    }
}

fn column_differs(dialect: Dialect, a: &Column, b: &Column) -> bool {
    normalize::column_type(dialect, &a.ty) != normalize::column_type(dialect, &b.ty)
        || a.nullable != b.nullable
        || a.generated != b.generated
        || !same_expression(dialect, a.default.as_deref(), b.default.as_deref())
}

/// UNIQUE constraints, foreign keys, indexes and CHECKs, matched by name: a
/// changed one is dropped and added again.
fn constraints(
    original: &Table,
    from: &Table,
    to: &Table,
    dialect: Dialect,
    changes: &mut Vec<Change>,
) {
    let table = || to.name.clone();
    // A drop runs before the renames: the table and object as they were.
    let old_table = || original.name.clone();
    for old in &from.uniques {
        if !to.uniques.contains(old) {
            let was = original.uniques.iter().find(|u| u.name == old.name);
            changes.push(Change::DropUnique {
                table: old_table(),
                unique: was.unwrap_or(old).clone(),
            });
        }
    }
    for new in to.uniques.iter().filter(|u| !from.uniques.contains(u)) {
        changes.push(Change::AddUnique {
            table: table(),
            unique: new.clone(),
        });
    }
    for old in &from.foreign_keys {
        if !to.foreign_keys.contains(old) {
            let was = original.foreign_keys.iter().find(|f| f.name == old.name);
            changes.push(Change::DropForeignKey {
                table: old_table(),
                foreign_key: was.unwrap_or(old).clone(),
            });
        }
    }
    for new in (to.foreign_keys.iter()).filter(|f| !from.foreign_keys.contains(f)) {
        changes.push(Change::AddForeignKey {
            table: table(),
            foreign_key: new.clone(),
            new_table: false,
        });
    }
    let same_index = |a: &Index, b: &Index| canonical(dialect, a) == canonical(dialect, b);
    let replaced = |old: &Index| {
        let new = to.indexes.iter().find(|new| new.name == old.name)?;
        (dialect == Dialect::MySql && !same_index(old, new)).then_some(new)
    };
    for old in &from.indexes {
        if let Some(new) = replaced(old) {
            changes.push(Change::ReplaceIndex {
                table: table(),
                from: old.clone(),
                to: new.clone(),
            });
        } else if !to.indexes.iter().any(|new| same_index(old, new)) {
            let was = original.indexes.iter().find(|i| i.name == old.name);
            changes.push(Change::DropIndex {
                table: old_table(),
                index: was.unwrap_or(old).clone(),
            });
        }
    }
    for new in &to.indexes {
        let replaces = from
            .indexes
            .iter()
            .any(|old| replaced(old).is_some_and(|n| n == new));
        if !replaces && !from.indexes.iter().any(|old| same_index(old, new)) {
            changes.push(Change::CreateIndex {
                table: table(),
                index: new.clone(),
                new_table: false,
            });
        }
    }
    let same_check = |a: &Check, b: &Check| {
        a.name == b.name && same_expression(dialect, Some(&a.expression), Some(&b.expression))
    };
    for old in &from.checks {
        if !to.checks.iter().any(|new| same_check(old, new)) {
            let was = original.checks.iter().find(|c| c.name == old.name);
            changes.push(Change::DropCheck {
                table: old_table(),
                check: was.unwrap_or(old).clone(),
            });
        }
    }
    for new in &to.checks {
        if !from.checks.iter().any(|old| same_check(old, new)) {
            changes.push(Change::AddCheck {
                table: table(),
                check: new.clone(),
            });
        }
    }
}

/// The index with its expressions in canonical form, for comparison.
fn canonical(dialect: Dialect, index: &Index) -> Index {
    let mut index = index.clone();
    for part in &mut index.parts {
        if let IndexPart::Expression(sql) = part {
            *sql = normalize::expression(dialect, sql);
        }
    }
    index.predicate = (index.predicate).map(|p| normalize::expression(dialect, &p));
    index
}

/// A new table: created with its keys and CHECKs, then its foreign keys (so
/// tables that reference each other can be created) and indexes. SQLite
/// declares foreign keys only inside `CREATE TABLE`.
pub(crate) fn create_table(table: &Table, dialect: Dialect) -> Vec<Change> {
    let mut changes = vec![Change::CreateTable(table.clone())];
    if dialect != Dialect::Sqlite {
        changes.extend(table.foreign_keys.iter().map(|fk| Change::AddForeignKey {
            table: table.name.clone(),
            foreign_key: fk.clone(),
            new_table: true,
        }));
    }
    changes.extend(table.indexes.iter().map(|index| Change::CreateIndex {
        table: table.name.clone(),
        index: index.clone(),
        new_table: true,
    }));
    if let (Some(policy), Dialect::Postgres) = (&table.row_level_security, dialect) {
        changes.push(Change::EnableRowLevelSecurity {
            table: table.name.clone(),
        });
        changes.push(Change::CreatePolicy {
            table: table.name.clone(),
            policy: TenantPolicy::clone(policy),
        });
    }
    changes
}

/// SQLite: replaces the changes of each table its `ALTER TABLE` cannot make
/// with one rebuild of that table (renames stay: they run first).
pub(super) fn sqlite_rebuilds(
    from: &DbSchema,
    to: &DbSchema,
    hints: &[Rename],
    changes: &mut Vec<Change>,
) {
    // Drops name a renamed table by its old name.
    let current = |table: &str| renames::renamed_table(hints, table).to_string();
    let mut rebuilt: Vec<String> = Vec::new();
    for change in changes.iter() {
        let Some(table) = existing_table_of(change).map(current) else {
            continue;
        };
        let Some(old) = from.table(&table) else {
            continue;
        };
        if !sqlite_alters(change, old) && !rebuilt.contains(&table) {
            rebuilt.push(table);
        }
    }
    changes.retain(|c| existing_table_of(c).is_none_or(|t| !rebuilt.contains(&current(t))));
    for name in rebuilt {
        if let (Some(old), Some(new)) = (from.table(&name), to.table(&name)) {
            let referenced = (from.tables.iter().chain(&to.tables))
                .flat_map(|t| &t.foreign_keys)
                .any(|fk| fk.referenced_table == name);
            changes.push(Change::RebuildTable {
                from: old.clone(),
                to: new.clone(),
                referenced,
            });
        }
    }
}

/// The existing table a change alters in place (not creates, drops or
/// renames).
fn existing_table_of(change: &Change) -> Option<&str> {
    match change {
        Change::AddColumn { table, .. }
        | Change::DropColumn { table, .. }
        | Change::AlterColumn { table, .. }
        | Change::AlterPrimaryKey { table, .. }
        | Change::AddUnique { table, .. }
        | Change::DropUnique { table, .. }
        | Change::DropForeignKey { table, .. }
        | Change::DropIndex { table, .. }
        | Change::ReplaceIndex { table, .. }
        | Change::AddCheck { table, .. }
        | Change::DropCheck { table, .. } => Some(table),
        Change::AddForeignKey {
            table, new_table, ..
        }
        | Change::CreateIndex {
            table, new_table, ..
        } => (!new_table).then_some(table.as_str()),
        _ => None,
    }
}

/// Whether SQLite's `ALTER TABLE` (or `CREATE`/`DROP INDEX`) makes `change`
/// to `table`: adding a column with a constant default (or none), dropping
/// a column no key, index or CHECK uses that could be added back the same
/// way, and indexes.
fn sqlite_alters(change: &Change, table: &Table) -> bool {
    let addable =
        |c: &Column| !c.generated && c.default.as_deref().map_or(c.nullable, safety::is_constant);
    match change {
        Change::CreateIndex { .. } | Change::DropIndex { .. } => true,
        Change::AddColumn { column, .. } => addable(column),
        Change::DropColumn { column, .. } => addable(column) && !is_used(table, &column.name),
        _ => false,
    }
}

/// Whether a key, index or CHECK of `table` names `column`.
fn is_used(table: &Table, column: &str) -> bool {
    let named = |names: &[String]| names.iter().any(|n| n == column);
    let mentions = |sql: &str| {
        crate::migrate::normalize::tokens::tokenize(sql)
            .iter()
            .any(|t| t.ident().is_some_and(|i| i.eq_ignore_ascii_case(column)))
    };
    table
        .primary_key
        .as_ref()
        .is_some_and(|k| named(&k.columns))
        || table.uniques.iter().any(|u| named(&u.columns))
        || table.foreign_keys.iter().any(|f| named(&f.columns))
        || table.checks.iter().any(|c| mentions(&c.expression))
        || table.indexes.iter().any(|i| {
            named(&i.include)
                || i.predicate.as_deref().is_some_and(mentions)
                || i.parts.iter().any(|p| match p {
                    IndexPart::Column { name, .. } => name == column,
                    IndexPart::Expression(sql) => mentions(sql),
                })
        })
}
