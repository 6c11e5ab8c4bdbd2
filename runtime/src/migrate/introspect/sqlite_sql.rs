//! What SQLite's pragmas do not say, read from the `CREATE TABLE` and
//! `CREATE INDEX` text it keeps in `sqlite_master`: constraint names, CHECK
//! expressions, AUTOINCREMENT, and index expressions and predicates.

use crate::migrate::normalize::tokens::{closing_paren, join, split_top_level, tokenize, Token};

/// The parts of a `CREATE TABLE` the pragmas leave out.
#[derive(Debug, Default)]
pub(super) struct TableSql {
    /// Named or unnamed `UNIQUE (..)` table constraints: name, columns.
    pub uniques: Vec<(Option<String>, Vec<String>)>,
    /// `FOREIGN KEY (..)` table constraints: name, columns.
    pub foreign_keys: Vec<(Option<String>, Vec<String>)>,
    /// CHECKs: name (generated for unnamed column checks), expression.
    pub checks: Vec<(Option<String>, String)>,
    /// The column declared `AUTOINCREMENT`, if any.
    pub autoincrement: Option<String>,
}

pub(super) fn parse_table(sql: &str) -> TableSql {
    let tokens = tokenize(sql);
    let mut parsed = TableSql::default();
    let Some(open) = tokens.iter().position(|t| t.is_symbol("(")) else {
        return parsed;
    };
    let close = closing_paren(&tokens, open).unwrap_or(tokens.len());
    for element in split_top_level(&tokens[open + 1..close]) {
        let (name, rest) = match element {
            [first, name, rest @ ..] if first.is_word("constraint") => {
                (name.ident().map(str::to_owned), rest)
            }
            _ => (None, element),
        };
        let Some(first) = rest.first() else { continue };
        if first.is_word("unique") {
            parsed.uniques.push((name, idents_in_parens(rest)));
        } else if first.is_word("foreign") {
            parsed.foreign_keys.push((name, idents_in_parens(rest)));
        } else if first.is_word("check") {
            parsed.checks.push((name, parenthesised(rest, 1)));
        } else if first.is_word("primary") {
            // The pragmas report the primary key.
        } else {
            column_constraints(element, &mut parsed);
        }
    }
    parsed
}

/// AUTOINCREMENT and CHECKs declared on a column.
fn column_constraints(element: &[Token], parsed: &mut TableSql) {
    let Some(column) = element.first().and_then(Token::ident) else {
        return;
    };
    if element.iter().any(|t| t.is_word("autoincrement")) {
        parsed.autoincrement = Some(column.to_owned());
    }
    for (i, token) in element.iter().enumerate() {
        if token.is_word("check") {
            let name = (i >= 2 && element[i - 2].is_word("constraint"))
                .then(|| element[i - 1].ident().map(str::to_owned))
                .flatten();
            parsed.checks.push((name, parenthesised(element, i + 1)));
        }
    }
}

/// The identifiers inside the first parentheses of `tokens`.
fn idents_in_parens(tokens: &[Token]) -> Vec<String> {
    let Some(open) = tokens.iter().position(|t| t.is_symbol("(")) else {
        return Vec::new();
    };
    let close = closing_paren(tokens, open).unwrap_or(tokens.len());
    (tokens[open + 1..close].iter())
        .filter_map(Token::ident)
        .map(str::to_owned)
        .collect()
}

/// The text inside the parentheses opening at `open`, as SQL.
fn parenthesised(tokens: &[Token], open: usize) -> String {
    if !tokens.get(open).is_some_and(|t| t.is_symbol("(")) {
        return String::new();
    }
    let close = closing_paren(tokens, open).unwrap_or(tokens.len());
    join(&tokens[open + 1..close], '"')
}

/// One key of a `CREATE INDEX`: a column (with its order) or an expression.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum KeySql {
    Column { name: String, descending: bool },
    Expression { sql: String, descending: bool },
}

/// The keys and the `WHERE` predicate of a `CREATE INDEX`.
pub(super) fn parse_index(sql: &str) -> (Vec<KeySql>, Option<String>) {
    let tokens = tokenize(sql);
    let Some(on) = tokens.iter().position(|t| t.is_word("on")) else {
        return (Vec::new(), None);
    };
    let Some(open) = (on..tokens.len()).find(|&i| tokens[i].is_symbol("(")) else {
        return (Vec::new(), None);
    };
    let close = closing_paren(&tokens, open).unwrap_or(tokens.len());
    let keys = split_top_level(&tokens[open + 1..close])
        .into_iter()
        .map(key)
        .collect();
    let predicate = (tokens.get(close + 1))
        .filter(|t| t.is_word("where"))
        .map(|_| join(&tokens[close + 2..], '"'));
    (keys, predicate)
}

fn key(mut tokens: &[Token]) -> KeySql {
    let mut descending = false;
    if let [rest @ .., last] = tokens {
        if last.is_word("desc") || last.is_word("asc") {
            descending = last.is_word("desc");
            tokens = rest;
        }
    }
    if let [rest @ .., collate, _] = tokens {
        if collate.is_word("collate") {
            tokens = rest;
        }
    }
    match tokens {
        [single] if single.ident().is_some() => KeySql::Column {
            name: single.ident().unwrap_or_default().to_owned(),
            descending,
        },
        // strata writes expression keys in parentheses.
        [open, inner @ .., close]
            if open.is_symbol("(")
                && close.is_symbol(")")
                && closing_paren(tokens, 0) == Some(tokens.len() - 1) =>
        {
            KeySql::Expression {
                sql: join(inner, '"'),
                descending,
            }
        }
        _ => KeySql::Expression {
            sql: join(tokens, '"'),
            descending,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_constraints_and_autoincrement_from_create_table() {
        let parsed = parse_table(
            r#"CREATE TABLE "t" (
              "id" integer PRIMARY KEY AUTOINCREMENT,
              "n" integer NOT NULL CHECK (n > 0),
              CONSTRAINT "t_n_key" UNIQUE ("n"),
              CONSTRAINT "t_c" CHECK ("n" IN ('a', 'b')),
              CONSTRAINT "t_fk" FOREIGN KEY ("n") REFERENCES "u" ("id") ON DELETE CASCADE
            )"#,
        );
        assert_eq!(parsed.autoincrement.as_deref(), Some("id"));
        assert_eq!(
            parsed.uniques,
            vec![(Some("t_n_key".into()), vec!["n".into()])]
        );
        assert_eq!(
            parsed.foreign_keys,
            vec![(Some("t_fk".into()), vec!["n".into()])]
        );
        assert_eq!(
            parsed.checks,
            vec![
                (None, "n > 0".into()),
                (Some("t_c".into()), "\"n\" IN ('a', 'b')".into())
            ]
        );
    }

    #[test]
    fn reads_index_keys_and_predicate() {
        let (keys, predicate) = parse_index(
            r#"CREATE UNIQUE INDEX "i" ON "t" ("a" DESC, (lower(email)), b) WHERE "published""#,
        );
        assert_eq!(
            keys,
            vec![
                KeySql::Column {
                    name: "a".into(),
                    descending: true
                },
                KeySql::Expression {
                    sql: "lower(email)".into(),
                    descending: false
                },
                KeySql::Column {
                    name: "b".into(),
                    descending: false
                },
            ]
        );
        assert_eq!(predicate.as_deref(), Some("\"published\""));
    }
}
