//! Splitting a no-transaction migration into statements. PostgreSQL runs a
//! multi-statement query string as one implicit transaction, where
//! `CREATE INDEX CONCURRENTLY` is refused, so such a migration is sent one
//! statement at a time. A `;` ends a statement unless it is inside a string,
//! a quoted identifier, a comment or a PostgreSQL dollar-quoted body.

use crate::render::Dialect;

/// The statements of `sql`, trimmed, without empty ones or ones that are
/// only comments.
pub(super) fn statements(sql: &str, dialect: Dialect) -> Vec<&str> {
    // Only MySQL strings take backslash escapes by default.
    let backslash = dialect == Dialect::MySql;
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        i = match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => skip_quoted(bytes, i, quote, backslash),
            b'-' if bytes.get(i + 1) == Some(&b'-') => skip_until(bytes, i, b"\n"),
            b'/' if bytes.get(i + 1) == Some(&b'*') => skip_until(bytes, i + 2, b"*/"),
            b'$' => skip_dollar_quoted(sql, i),
            b';' => {
                push_statement(&mut out, &sql[start..i]);
                start = i + 1;
                i + 1
            }
            _ => i + 1,
        };
    }
    push_statement(&mut out, sql.get(start..).unwrap_or_default());
    out
}

fn push_statement<'a>(out: &mut Vec<&'a str>, text: &'a str) {
    let text = text.trim();
    if !only_comments(text) {
        out.push(text);
    }
}

fn only_comments(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .all(|line| line.is_empty() || line.starts_with("--"))
}

/// Past the closing quote; a doubled quote is an escaped one.
fn skip_quoted(bytes: &[u8], open: usize, quote: u8, backslash: bool) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        if backslash && bytes[i] == b'\\' && quote == b'\'' {
            i += 2;
            continue;
        }
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// Past the end of `close` (or the end of the text).
fn skip_until(bytes: &[u8], from: usize, close: &[u8]) -> usize {
    bytes[from.min(bytes.len())..]
        .windows(close.len())
        .position(|w| w == close)
        .map_or(bytes.len(), |at| from + at + close.len())
}

/// Past a `$tag$ .. $tag$` body, or one byte on if this `$` opens none
/// (a `$1` parameter).
fn skip_dollar_quoted(sql: &str, open: usize) -> usize {
    let rest = &sql[open + 1..];
    let tag_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    if rest.as_bytes().get(tag_len) != Some(&b'$') || rest.starts_with(|c: char| c.is_ascii_digit())
    {
        return open + 1;
    }
    let tag = &sql[open..open + tag_len + 2];
    let body = open + tag.len();
    sql[body..]
        .find(tag)
        .map_or(sql.len(), |at| body + at + tag.len())
}

#[cfg(test)]
mod tests {
    use super::statements;
    use crate::render::Dialect::{MySql, Postgres};

    #[test]
    fn splits_on_semicolons_outside_quotes_comments_and_bodies() {
        let sql = "-- strata:no-transaction\n\
                   CREATE INDEX CONCURRENTLY \"a;b\" ON t (x);\n\
                   INSERT INTO t VALUES ('it''s; fine', `q;`); /* c; */\n\
                   CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n\
                   SELECT $1;\n\
                   -- trailing comment; with a semicolon\n";
        assert_eq!(
            statements(sql, MySql),
            vec![
                "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY \"a;b\" ON t (x)",
                "INSERT INTO t VALUES ('it''s; fine', `q;`)",
                "/* c; */\nCREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql",
                "SELECT $1",
            ]
        );
        assert!(statements("  \n-- nothing\n", Postgres).is_empty());
        assert_eq!(
            statements("SELECT 'unterminated;", Postgres),
            vec!["SELECT 'unterminated;"]
        );
        assert_eq!(
            statements(r"SELECT 'C:\'; SELECT 'a\'b;c'", Postgres),
            vec![r"SELECT 'C:\'", r"SELECT 'a\'b", "c'"]
        );
        assert_eq!(
            statements(r"SELECT 'a\'b;c'; SELECT 2", MySql),
            vec![r"SELECT 'a\'b;c'", "SELECT 2"]
        );
    }
}
