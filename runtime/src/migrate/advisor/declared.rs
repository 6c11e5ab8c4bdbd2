//! The models' indexes against the database's, on the tables both have: an
//! index or unique key a model declares that the database lacks or has in
//! another form, and one the database has that no model declares. The DDL
//! comes from the migrations' own path (`ddl::render` of the diff's
//! changes), so it is what a generated migration would run.

use super::finding::Finding;
use super::Declared;
use crate::migrate::ddl;
use crate::migrate::diff::Change;
use crate::migrate::normalize;
use crate::migrate::schema::{DbSchema, Index, IndexPart, Table, Unique};
use crate::render::Dialect;

pub(super) fn findings(
    dialect: Dialect,
    models: &DbSchema,
    database: &DbSchema,
    declared: &Declared,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for wanted in &models.tables {
        if let Some(actual) = database.table(&wanted.name) {
            compare(dialect, wanted, actual, declared, &mut findings);
        }
    }
    findings
}

fn compare(
    dialect: Dialect,
    wanted: &Table,
    actual: &Table,
    declared: &Declared,
    findings: &mut Vec<Finding>,
) {
    let table = || wanted.name.clone();
    let model = |name: &str| declared.model(&wanted.name, name).unwrap_or("?");
    for index in &wanted.indexes {
        let found = actual.indexes.iter().find(|i| i.name == index.name);
        let changes = match found {
            Some(a) if canonical(dialect, a) == canonical(dialect, index) => continue,
            Some(a) => replace_index(dialect, &wanted.name, a, index),
            None if has_unique(actual, &index.name) => {
                let mut changes = vec![drop_unique(actual, &index.name)];
                changes.push(create_index(&wanted.name, index));
                changes
            }
            None => vec![create_index(&wanted.name, index)],
        };
        findings.push(missing_or_changed(
            found.is_none() && !has_unique(actual, &index.name),
            table(),
            &index.name,
            model(&index.name),
            script(dialect, &changes),
        ));
    }
    for unique in &wanted.uniques {
        let found = actual.uniques.iter().find(|u| u.name == unique.name);
        let add = Change::AddUnique {
            table: table(),
            unique: unique.clone(),
        };
        let changes = match found {
            Some(u) if u.columns == unique.columns => continue,
            Some(u) => vec![
                Change::DropUnique {
                    table: table(),
                    unique: u.clone(),
                },
                add,
            ],
            None => match actual.indexes.iter().find(|i| i.name == unique.name) {
                Some(index) => vec![drop_index(&wanted.name, index), add],
                None => vec![add],
            },
        };
        let missing = found.is_none() && !actual.indexes.iter().any(|i| i.name == unique.name);
        findings.push(missing_or_changed(
            missing,
            table(),
            &unique.name,
            model(&unique.name),
            script(dialect, &changes),
        ));
    }
    let declares = |name: &str| {
        wanted.indexes.iter().any(|i| i.name == name)
            || wanted.uniques.iter().any(|u| u.name == name)
            || (wanted.primary_key.iter()).any(|pk| pk.name.as_deref() == Some(name))
    };
    for index in actual.indexes.iter().filter(|i| !declares(&i.name)) {
        findings.push(Finding::UndeclaredIndex {
            table: table(),
            index: index.name.clone(),
            ddl: script(dialect, &[drop_index(&wanted.name, index)]),
        });
    }
    for unique in actual.uniques.iter().filter(|u| !declares(&u.name)) {
        findings.push(Finding::UndeclaredIndex {
            table: table(),
            index: unique.name.clone(),
            ddl: script(dialect, &[drop_unique(actual, &unique.name)]),
        });
    }
}

fn missing_or_changed(
    missing: bool,
    table: String,
    index: &str,
    model: &'static str,
    ddl: String,
) -> Finding {
    let index = index.to_owned();
    match missing {
        true => Finding::MissingIndex {
            table,
            index,
            model,
            ddl,
        },
        false => Finding::ChangedIndex {
            table,
            index,
            model,
            ddl,
        },
    }
}

/// The changes that turn index `from` into `to` of the same name: MySQL
/// swaps them in one `ALTER TABLE` (a foreign key it serves is never left
/// without one); elsewhere the old one is dropped, then the new one built.
fn replace_index(dialect: Dialect, table: &str, from: &Index, to: &Index) -> Vec<Change> {
    match dialect {
        Dialect::MySql => vec![Change::ReplaceIndex {
            table: table.into(),
            from: from.clone(),
            to: to.clone(),
        }],
        _ => vec![drop_index(table, from), create_index(table, to)],
    }
}

fn create_index(table: &str, index: &Index) -> Change {
    Change::CreateIndex {
        table: table.into(),
        index: index.clone(),
        new_table: false,
    }
}

fn drop_index(table: &str, index: &Index) -> Change {
    Change::DropIndex {
        table: table.into(),
        index: index.clone(),
    }
}

fn has_unique(table: &Table, name: &str) -> bool {
    table.uniques.iter().any(|u| u.name == name)
}

fn drop_unique(table: &Table, name: &str) -> Change {
    let unique = (table.uniques.iter().find(|u| u.name == name).cloned()).unwrap_or(Unique {
        name: name.into(),
        columns: Vec::new(),
    });
    Change::DropUnique {
        table: table.name.clone(),
        unique,
    }
}

/// The up statements of `changes`, in phase order, as one script. The
/// recipes' comments explain a migration, not this advice: left out.
fn script(dialect: Dialect, changes: &[Change]) -> String {
    let mut statements = Vec::new();
    for change in changes {
        let up = ddl::render(dialect, change).up;
        statements.extend(up.before.into_iter().chain(up.main).chain(up.after));
    }
    let lines: Vec<String> = (statements.iter())
        .map(|s| {
            let kept: Vec<&str> = s.lines().filter(|l| !l.starts_with("--")).collect();
            kept.join("\n")
        })
        .filter(|s| !s.trim().is_empty())
        .map(|s| format!("{s};"))
        .collect();
    if lines.is_empty() {
        // SQLite changes a table's UNIQUE constraints only by rebuilding it.
        return "-- SQLite changes a table's UNIQUE constraints only by rebuilding the \
                table: generate a migration (`strata migrate generate`)"
            .to_owned();
    }
    lines.join("\n")
}

/// The index as the diff compares it: expressions and predicate normalised,
/// the default method unnamed.
fn canonical(dialect: Dialect, index: &Index) -> Index {
    let mut index = index.clone();
    for part in &mut index.parts {
        if let IndexPart::Expression(text) = part {
            *text = normalize::expression(dialect, text);
        }
    }
    index.predicate = index.predicate.map(|p| normalize::expression(dialect, &p));
    if index.method.as_deref() == Some("btree") {
        index.method = None;
    }
    index
}
