//! Reads scanned MySQL and SQLite statements into [`Change`]s: the DDL forms
//! strata's model-aware rules look at (tables, columns, keys, indexes).

use super::changes::{Change, ChangeKind, Changes};
use super::scan::{has_top_level, split_top_level, Cursor, Scanned, Token};

/// Words that start a constraint or index in a table's definition list,
/// rather than a column.
const CONSTRAINT_WORDS: [&str; 10] = [
    "CONSTRAINT",
    "PRIMARY",
    "UNIQUE",
    "FOREIGN",
    "CHECK",
    "INDEX",
    "KEY",
    "FULLTEXT",
    "SPATIAL",
    "PERIOD",
];

pub(super) fn read(statements: &[Scanned]) -> Vec<Change> {
    let mut out = Changes::default();
    for (index, scanned) in statements.iter().enumerate() {
        out.statement = index;
        let mut c = Cursor::new(&scanned.tokens);
        if c.eat(&["CREATE"]) {
            let _ = c.eat(&["TEMPORARY"]) || c.eat(&["TEMP"]);
            if c.eat(&["TABLE"]) {
                create_table(&mut out, &mut c);
            } else {
                let _ = c.eat(&["UNIQUE"]);
                if c.eat(&["INDEX"]) {
                    create_index(&mut out, &mut c);
                }
            }
        } else if c.eat(&["DROP", "TABLE"]) {
            let _ = c.eat(&["IF", "EXISTS"]);
            for part in split_top_level(c.rest()) {
                if let Some(table) = Cursor::new(part).name() {
                    out.push(ChangeKind::DropTable { table });
                }
            }
        } else if c.eat(&["ALTER", "TABLE"]) {
            let _ = c.eat(&["IF", "EXISTS"]);
            if let Some(table) = c.name() {
                for action in split_top_level(c.rest()) {
                    alter_action(&mut out, &table, &mut Cursor::new(action));
                }
            }
        } else if c.eat(&["RENAME", "TABLE"]) {
            for pair in split_top_level(c.rest()) {
                let mut p = Cursor::new(pair);
                if let (Some(from), true, Some(to)) = (p.name(), p.eat(&["TO"]), p.name()) {
                    out.push(ChangeKind::RenameTable { from, to });
                }
            }
        }
    }
    out.list
}

fn create_table(out: &mut Changes, c: &mut Cursor<'_>) {
    let _ = c.eat(&["IF", "NOT", "EXISTS"]);
    let Some(table) = c.name() else {
        return;
    };
    out.push(ChangeKind::CreateTable {
        table: table.clone(),
    });
    let Some(definitions) = c.parenthesised() else {
        return;
    };
    for definition in split_top_level(definitions) {
        let mut d = Cursor::new(definition);
        if CONSTRAINT_WORDS.iter().any(|w| d.peek_is(w)) {
            constraint(out, &table, &mut d);
        } else if let Some(column) = d.name() {
            column_keys(out, &table, &column, d.rest());
        }
    }
}

/// `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (cols) [WHERE ..]`.
fn create_index(out: &mut Changes, c: &mut Cursor<'_>) {
    let _ = c.eat(&["IF", "NOT", "EXISTS"]);
    let _ = c.name();
    if !c.eat(&["ON"]) {
        return;
    }
    let Some(table) = c.name() else {
        return;
    };
    let columns = c.column_list();
    if !columns.is_empty() && !has_top_level(c.rest(), "WHERE") {
        out.push(ChangeKind::AddIndex { table, columns });
    }
}

fn alter_action(out: &mut Changes, table: &str, c: &mut Cursor<'_>) {
    let table = table.to_string();
    if c.eat(&["RENAME"]) {
        if c.eat(&["COLUMN"]) {
            if let (Some(from), true, Some(to)) = (c.name(), c.eat(&["TO"]), c.name()) {
                out.push(ChangeKind::RenameColumn { table, from, to });
            }
        } else if c.eat(&["TO"])
            || c.eat(&["AS"])
            || !["INDEX", "KEY", "CONSTRAINT"].iter().any(|w| c.peek_is(w))
        {
            if let Some(to) = c.name() {
                out.push(ChangeKind::RenameTable { from: table, to });
            }
        }
    } else if c.eat(&["ADD"]) {
        if CONSTRAINT_WORDS.iter().any(|w| c.peek_is(w)) {
            constraint(out, &table, c);
            return;
        }
        let _ = c.eat(&["COLUMN"]);
        let _ = c.eat(&["IF", "NOT", "EXISTS"]);
        let Some(column) = c.name() else {
            return;
        };
        let rest = c.rest();
        let not_null = rest.windows(2).any(|w| w[0].is("NOT") && w[1].is("NULL"));
        let has_default = ["DEFAULT", "GENERATED", "AS"]
            .iter()
            .any(|w| has_top_level(rest, w));
        column_keys(out, &table, &column, rest);
        out.push(ChangeKind::AddColumn {
            table,
            column,
            not_null,
            has_default,
        });
    } else if c.eat(&["DROP"]) {
        let other = ["INDEX", "KEY", "FOREIGN", "PRIMARY", "CONSTRAINT", "CHECK"];
        if other.iter().any(|w| c.peek_is(w)) {
            return;
        }
        let _ = c.eat(&["COLUMN"]);
        let _ = c.eat(&["IF", "EXISTS"]);
        if let Some(column) = c.name() {
            out.push(ChangeKind::DropColumn { table, column });
        }
    } else if c.eat(&["CHANGE"]) {
        let _ = c.eat(&["COLUMN"]);
        if let (Some(from), Some(to)) = (c.name(), c.name()) {
            if !from.eq_ignore_ascii_case(&to) {
                out.push(ChangeKind::RenameColumn { table, from, to });
            }
        }
    }
}

/// A table-level constraint or index: `[CONSTRAINT name] PRIMARY KEY (..)`,
/// `UNIQUE [KEY|INDEX] [name] (..)`, `INDEX|KEY [name] (..)`,
/// `FOREIGN KEY [name] (..) REFERENCES ..`.
fn constraint(out: &mut Changes, table: &str, c: &mut Cursor<'_>) {
    let kinds = ["PRIMARY", "UNIQUE", "FOREIGN", "CHECK"];
    if c.eat(&["CONSTRAINT"]) && !kinds.iter().any(|w| c.peek_is(w)) {
        let _ = c.name();
    }
    let foreign = c.eat(&["FOREIGN", "KEY"]);
    let indexed = if foreign || c.eat(&["PRIMARY", "KEY"]) {
        true
    } else if c.eat(&["UNIQUE"]) {
        let _ = c.eat(&["KEY"]) || c.eat(&["INDEX"]);
        true
    } else {
        c.eat(&["INDEX"]) || c.eat(&["KEY"])
    };
    if !indexed {
        return;
    }
    if c.peek() != Some(&Token::Punct('(')) {
        let _ = c.name();
    }
    let columns = c.column_list();
    if columns.is_empty() {
        return;
    }
    let table = table.to_string();
    out.push(if foreign {
        ChangeKind::AddForeignKey { table, columns }
    } else {
        ChangeKind::AddIndex { table, columns }
    });
}

/// Keys written on a column definition: `PRIMARY KEY`, `UNIQUE`, `REFERENCES`.
fn column_keys(out: &mut Changes, table: &str, column: &str, rest: &[Token]) {
    let columns = vec![column.to_string()];
    let table = table.to_string();
    if has_top_level(rest, "REFERENCES") {
        out.push(ChangeKind::AddForeignKey {
            table: table.clone(),
            columns: columns.clone(),
        });
    }
    if has_top_level(rest, "UNIQUE") || has_top_level(rest, "PRIMARY") {
        out.push(ChangeKind::AddIndex { table, columns });
    }
}
