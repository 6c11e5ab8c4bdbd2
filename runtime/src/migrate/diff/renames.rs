//! Rename hints: `--rename users.name=full_name` for a column,
//! `--rename people=users` for a table. The diff applies them to the old
//! schema first, so everything after compares like with like.

use std::fmt;
use std::str::FromStr;

use super::Change;
use crate::error::{Error, Result};
use crate::migrate::normalize::tokens::{join, tokenize, Token};
use crate::migrate::schema::{DbSchema, IndexPart, Table};
use crate::render::Dialect;

/// A table or column the models renamed (instead of dropping one and adding
/// another).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rename {
    /// `from=to`.
    Table { from: String, to: String },
    /// `table.from=to`; `table` is the table's old or new name.
    Column {
        table: String,
        from: String,
        to: String,
    },
}

impl FromStr for Rename {
    type Err = Error;

    /// `table.old=new` renames a column, `old=new` a table.
    fn from_str(hint: &str) -> Result<Rename> {
        let invalid = || Error::SchemaChange {
            object: format!("rename {hint:?}"),
            reason: "a rename hint is `table.old_column=new_column` or `old_table=new_table`"
                .into(),
        };
        let (old, new) = hint.split_once('=').ok_or_else(invalid)?;
        let (old, new) = (old.trim(), new.trim());
        if new.is_empty() || new.contains('.') {
            return Err(invalid());
        }
        match old.split_once('.') {
            Some((table, column)) if !table.is_empty() && !column.is_empty() => {
                Ok(Rename::Column {
                    table: table.into(),
                    from: column.into(),
                    to: new.into(),
                })
            }
            None if !old.is_empty() => Ok(Rename::Table {
                from: old.into(),
                to: new.into(),
            }),
            _ => Err(invalid()),
        }
    }
}

impl fmt::Display for Rename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rename::Table { from, to } => write!(f, "{from}={to}"),
            Rename::Column { table, from, to } => write!(f, "{table}.{from}={to}"),
        }
    }
}

/// The table's name after the table renames.
pub(super) fn renamed_table<'a>(renames: &'a [Rename], table: &'a str) -> &'a str {
    (renames.iter())
        .find_map(|r| match r {
            Rename::Table { from, to } if from == table => Some(to.as_str()),
            _ => None,
        })
        .unwrap_or(table)
}

/// The old name of the table a column hint names by its old or new name.
pub(super) fn old_table<'a>(renames: &'a [Rename], table: &'a str) -> &'a str {
    (renames.iter())
        .find_map(|r| match r {
            Rename::Table { from, to } if to == table => Some(from.as_str()),
            _ => None,
        })
        .unwrap_or(table)
}

/// The column's name after the renames, given its table's old name.
pub(super) fn renamed_column<'a>(renames: &'a [Rename], table: &str, column: &'a str) -> &'a str {
    (renames.iter())
        .find_map(|r| match r {
            Rename::Column { table: t, from, to }
                if from == column && old_table(renames, t) == table =>
            {
                Some(to.as_str())
            }
            _ => None,
        })
        .unwrap_or(column)
}

/// Every hint names something the old schema has and the new one has under
/// the new name.
pub(super) fn check(from: &DbSchema, to: &DbSchema, renames: &[Rename]) -> Result<()> {
    for rename in renames {
        let fail = |reason: String| {
            Err(Error::SchemaChange {
                object: format!("rename {rename}"),
                reason,
            })
        };
        match rename {
            Rename::Table { from: old, to: new } => {
                if from.table(old).is_none() {
                    return fail(format!("the previous schema has no table {old}"));
                }
                if to.table(new).is_none() {
                    return fail(format!("the models have no table {new}"));
                }
                if to.table(old).is_some() {
                    return fail(format!("the models still have a table {old}"));
                }
            }
            Rename::Column {
                table,
                from: old,
                to: new,
            } => {
                let old_name = old_table(renames, table);
                let Some(before) = from.table(old_name) else {
                    return fail(format!("the previous schema has no table {table}"));
                };
                let new_name = renamed_table(renames, old_name);
                let Some(after) = to.table(new_name) else {
                    return fail(format!("the models have no table {new_name}"));
                };
                if before.column(old).is_none() {
                    return fail(format!("{old_name} had no column {old}"));
                }
                if after.column(new).is_none() {
                    return fail(format!("the models' {new_name} has no column {new}"));
                }
                if after.column(old).is_some() {
                    return fail(format!("the models' {new_name} still has a column {old}"));
                }
            }
        }
    }
    Ok(())
}

/// The rename statements, tables first (column renames name the new table).
pub(super) fn changes(renames: &[Rename]) -> Vec<Change> {
    let tables = renames.iter().filter_map(|r| match r {
        Rename::Table { from, to } => Some(Change::RenameTable {
            from: from.clone(),
            to: to.clone(),
        }),
        Rename::Column { .. } => None,
    });
    let columns = renames.iter().filter_map(|r| match r {
        Rename::Column { table, from, to } => Some(Change::RenameColumn {
            table: renamed_table(renames, old_table(renames, table)).to_string(),
            from: from.clone(),
            to: to.clone(),
        }),
        Rename::Table { .. } => None,
    });
    tables.chain(columns).collect()
}

/// `schema` as it is after the renames: tables, columns, and every key,
/// index, CHECK and foreign key that names them.
pub(super) fn apply(schema: &DbSchema, renames: &[Rename], dialect: Dialect) -> DbSchema {
    let mut renamed = schema.clone();
    for rename in renames {
        match rename {
            Rename::Table { from, to } => {
                for table in &mut renamed.tables {
                    if table.name == *from {
                        table.name = to.clone();
                    }
                    for fk in &mut table.foreign_keys {
                        if fk.referenced_table == *from {
                            fk.referenced_table = to.clone();
                        }
                    }
                }
            }
            Rename::Column { .. } => {}
        }
    }
    for rename in renames {
        if let Rename::Column { table, from, to } = rename {
            let name = renamed_table(renames, old_table(renames, table));
            for t in &mut renamed.tables {
                if t.name == name {
                    rename_in_table(t, from, to, dialect);
                }
                for fk in &mut t.foreign_keys {
                    if fk.referenced_table == name {
                        rename_in(&mut fk.referenced_columns, from, to);
                    }
                }
            }
        }
    }
    renamed.sort();
    renamed
}

fn rename_in_table(table: &mut Table, from: &str, to: &str, dialect: Dialect) {
    for column in &mut table.columns {
        if column.name == from {
            column.name = to.into();
        }
    }
    if let Some(pk) = &mut table.primary_key {
        rename_in(&mut pk.columns, from, to);
    }
    for unique in &mut table.uniques {
        rename_in(&mut unique.columns, from, to);
    }
    for fk in &mut table.foreign_keys {
        rename_in(&mut fk.columns, from, to);
    }
    for index in &mut table.indexes {
        for part in &mut index.parts {
            match part {
                IndexPart::Column { name, .. } if name == from => *name = to.into(),
                IndexPart::Expression(sql) => *sql = rename_identifier(sql, from, to, dialect),
                IndexPart::Column { .. } => {}
            }
        }
        rename_in(&mut index.include, from, to);
        if let Some(predicate) = &mut index.predicate {
            *predicate = rename_identifier(predicate, from, to, dialect);
        }
    }
    for check in &mut table.checks {
        check.expression = rename_identifier(&check.expression, from, to, dialect);
    }
}

fn rename_in(names: &mut [String], from: &str, to: &str) {
    for name in names.iter_mut().filter(|n| *n == from) {
        *name = to.into();
    }
}

/// `sql` with the identifier `from` (bare or quoted) written as `to`; the
/// text as written when it does not name `from`.
fn rename_identifier(sql: &str, from: &str, to: &str, dialect: Dialect) -> String {
    let tokens = tokenize(sql);
    let names_it = |t: &Token| match t {
        Token::Word(w) => w.eq_ignore_ascii_case(from),
        Token::Quoted(q) => q == from,
        _ => false,
    };
    if !tokens.iter().any(names_it) {
        return sql.to_string();
    }
    let renamed: Vec<Token> = (tokens.into_iter())
        .map(|t| {
            if names_it(&t) {
                Token::Quoted(to.into())
            } else {
                t
            }
        })
        .collect();
    join(&renamed, if dialect == Dialect::MySql { '`' } else { '"' })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_parse_and_print_back() {
        let column: Rename = "users.name=full_name".parse().unwrap();
        assert_eq!(
            column,
            Rename::Column {
                table: "users".into(),
                from: "name".into(),
                to: "full_name".into()
            }
        );
        assert_eq!(column.to_string(), "users.name=full_name");
        let table: Rename = " people = users ".parse().unwrap();
        assert_eq!(table.to_string(), "people=users");
        for bad in ["users.name", "=x", "users.=x", ".name=x", "a=b.c", "a="] {
            assert!(bad.parse::<Rename>().is_err(), "{bad}");
        }
    }

    #[test]
    fn expressions_follow_a_renamed_column() {
        let sql = rename_identifier(
            "\"views\" >= 0 AND views_total > 0",
            "views",
            "hits",
            Dialect::Postgres,
        );
        assert!(
            sql.contains("\"hits\"") && sql.contains("views_total"),
            "{sql}"
        );
        let untouched = "lower(email)";
        assert_eq!(
            rename_identifier(untouched, "name", "x", Dialect::Postgres),
            untouched
        );
    }
}
