//! What the diff must not do silently: lose data in a type change, or take
//! a rename for a drop and an add.

use crate::migrate::normalize::{self, tokens::tokenize, tokens::Token};
use crate::migrate::schema::{DbSchema, Table};
use crate::render::Dialect;

/// Whether converting a column from type `from` to `to` can lose or refuse
/// stored values. Only the widenings every row survives are safe: a larger
/// integer or float, a longer `varchar`, any string to `text`, and enum
/// labels appended (MySQL).
pub(crate) fn loses_data(dialect: Dialect, from: &str, to: &str) -> bool {
    let (from, to) = (
        normalize::column_type(dialect, from),
        normalize::column_type(dialect, to),
    );
    if from == to {
        return false;
    }
    const INTEGERS: [&str; 6] = [
        "tinyint",
        "smallint",
        "mediumint",
        "int",
        "integer",
        "bigint",
    ];
    const FLOATS: [&str; 4] = ["real", "float", "double precision", "double"];
    let rank = |list: &[&str], ty: &str| list.iter().position(|t| *t == ty);
    if let (Some(a), Some(b)) = (rank(&INTEGERS, &from), rank(&INTEGERS, &to)) {
        return b < a;
    }
    if let (Some(a), Some(b)) = (rank(&FLOATS, &from), rank(&FLOATS, &to)) {
        return b < a;
    }
    let text_types = ["text", "longtext", "mediumtext"];
    if text_types.contains(&to.as_str()) && (from.starts_with("varchar") || from == "text") {
        return false;
    }
    match (length_of(&from, "varchar"), length_of(&to, "varchar")) {
        (Some(a), Some(b)) => return b < a,
        (None, Some(_)) | (Some(_), None) => return true,
        (None, None) => {}
    }
    match (enum_labels(&from), enum_labels(&to)) {
        (Some(a), Some(b)) => !b.starts_with(&a),
        _ => true,
    }
}

/// `n` of `name(n)`.
fn length_of(ty: &str, name: &str) -> Option<u64> {
    ty.strip_prefix(name)?
        .strip_prefix('(')?
        .strip_suffix(')')?
        .parse()
        .ok()
}

/// The labels of MySQL's `enum('a','b')`.
fn enum_labels(ty: &str) -> Option<Vec<String>> {
    let inner = ty.strip_prefix("enum(")?.strip_suffix(')')?;
    Some(
        tokenize(inner)
            .into_iter()
            .filter_map(|t| match t {
                Token::Str(s) => Some(s),
                _ => None,
            })
            .collect(),
    )
}

/// Whether a default is a constant SQLite can add a column with: a number,
/// string, `NULL`, `TRUE`/`FALSE`, perhaps signed or parenthesised (SQLite
/// evaluates no operator there: `1 + 1` is "non-constant").
pub(super) fn is_constant(default: &str) -> bool {
    let tokens = tokenize(default);
    let mut previous: Option<&Token> = None;
    tokens.iter().all(|t| {
        let ok = match t {
            Token::Number(_) | Token::Str(_) => true,
            Token::Symbol(s) if s == "(" || s == ")" => true,
            Token::Symbol(s) if s == "-" || s == "+" => previous.is_none_or(|p| p.is_symbol("(")),
            Token::Word(w) => ["null", "true", "false"].contains(&w.to_ascii_lowercase().as_str()),
            Token::Symbol(_) | Token::Quoted(_) => false,
        };
        previous = Some(t);
        ok
    })
}

/// Columns of one table removed and added with the same type: each
/// `table.old=new`, the hint that would make it a rename.
pub(super) fn possible_column_renames(dialect: Dialect, from: &Table, to: &Table) -> Vec<String> {
    let removed = from.columns.iter().filter(|c| to.column(&c.name).is_none());
    let mut added: Vec<_> = (to.columns.iter())
        .filter(|c| from.column(&c.name).is_none())
        .collect();
    let mut hints = Vec::new();
    for old in removed {
        let ty = normalize::column_type(dialect, &old.ty);
        if let Some(at) = (added.iter()).position(|c| normalize::column_type(dialect, &c.ty) == ty)
        {
            let new = added.remove(at);
            hints.push(format!("{}.{}={}", to.name, old.name, new.name));
        }
    }
    hints
}

/// Tables removed and added with the same columns (names and types):
/// each `old=new`.
pub(super) fn possible_table_renames(
    dialect: Dialect,
    from: &DbSchema,
    to: &DbSchema,
) -> Vec<String> {
    let shape = |t: &Table| {
        (t.columns.iter())
            .map(|c| (c.name.clone(), normalize::column_type(dialect, &c.ty)))
            .collect::<Vec<_>>()
    };
    let mut added: Vec<&Table> = (to.tables.iter())
        .filter(|t| from.table(&t.name).is_none())
        .collect();
    let mut hints = Vec::new();
    for old in from.tables.iter().filter(|t| to.table(&t.name).is_none()) {
        if let Some(at) = added.iter().position(|t| shape(t) == shape(old)) {
            let new = added.remove(at);
            hints.push(format!("{}={}", old.name, new.name));
        }
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_widenings_keep_every_value() {
        let pg = Dialect::Postgres;
        assert!(!loses_data(pg, "integer", "bigint"));
        assert!(
            !loses_data(pg, "int4", "integer"),
            "the same type spelled twice"
        );
        assert!(!loses_data(pg, "varchar(50)", "varchar(255)"));
        assert!(!loses_data(pg, "varchar(50)", "text"));
        assert!(!loses_data(pg, "real", "double precision"));
        assert!(loses_data(pg, "bigint", "integer"));
        assert!(loses_data(pg, "varchar(255)", "varchar(50)"));
        assert!(loses_data(pg, "text", "varchar(50)"));
        assert!(loses_data(pg, "text", "integer"));
        let my = Dialect::MySql;
        assert!(!loses_data(my, "enum('a','b')", "enum('a','b','c')"));
        assert!(loses_data(my, "enum('a','b')", "enum('a')"));
        assert!(loses_data(my, "enum('a','b')", "enum('b','a')"));
    }

    #[test]
    fn constants_are_literals() {
        for constant in ["0", "-1", "(1.5)", "'each'", "NULL", "TRUE", "false"] {
            assert!(is_constant(constant), "{constant}");
        }
        for not in [
            "CURRENT_TIMESTAMP",
            "(strftime('%s', 'now'))",
            "1 + 1",
            "\"x\"",
        ] {
            assert!(!is_constant(not), "{not}");
        }
    }
}
