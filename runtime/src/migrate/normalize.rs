//! Canonical text for what databases spell in several ways: column types
//! ([`column_type`]) and expressions ([`expression`]: defaults, CHECKs,
//! partial-index predicates, index expressions), so that what a model asks
//! for and what introspection reads back compare equal when they mean the
//! same. [`same_schema`] compares two whole descriptions that way.
//!
//! The expression normaliser works on tokens: identifier quoting, keyword
//! case and whitespace go; PostgreSQL's casts on literals (`'draft'::post_status`)
//! and its `= ANY (ARRAY[..])` spelling of `IN (..)` are undone; parentheses
//! that precedence makes redundant (`((views >= 0))`) are dropped; and the
//! spellings of "now" and of booleans are unified per dialect.

mod compare;
mod parens;
pub(crate) mod tokens;

pub use compare::same_schema;

use crate::render::Dialect;
use tokens::{tokenize, Token};

/// The canonical spelling of a column type on `dialect`: lower case, no
/// spaces inside parentheses, and one name per type (PostgreSQL `int4` and
/// `integer` are `integer`, `timestamp with time zone` is `timestamptz`,
/// `character varying(255)` is `varchar(255)`; MySQL `bigint(20)` is
/// `bigint` and `tinyint(1)` is `boolean`). Enum labels keep their case.
pub fn column_type(dialect: Dialect, raw: &str) -> String {
    let mut words: Vec<Token> = tokenize(raw)
        .into_iter()
        .map(|token| match token {
            Token::Word(w) => Token::Word(w.to_ascii_lowercase()),
            other => other,
        })
        .collect();
    let name_len = words
        .iter()
        .take_while(|t| matches!(t, Token::Word(_)))
        .count();
    let name: Vec<&str> = words[..name_len].iter().filter_map(Token::ident).collect();
    let args = &words[name_len..];
    let raw_name = name.join(" ");
    let canonical = canonical_name(dialect, &raw_name, args);
    if let Some(name) = canonical {
        words.splice(..name_len, name.split(' ').map(|w| Token::Word(w.into())));
        // Display widths (`int(11)`) mean nothing for storage.
        if dialect == Dialect::MySql && is_mysql_integer(&raw_name) {
            if let Some(close) = tokens::closing_paren(&words, 1) {
                if words.get(1).is_some_and(|t| t.is_symbol("(")) {
                    words.drain(1..=close);
                }
            }
        }
    }
    compact(&words)
}

fn is_mysql_integer(name: &str) -> bool {
    matches!(
        name,
        "tinyint" | "smallint" | "mediumint" | "int" | "bigint"
    ) || name.starts_with("int ")
        || name.starts_with("bigint ")
}

/// The one name for an alias, or `None` to keep the type as written.
fn canonical_name(dialect: Dialect, name: &str, args: &[Token]) -> Option<&'static str> {
    let one_arg = |n: &str| {
        args.len() == 3 && matches!(&args[1], Token::Number(x) if x == n) && args[0].is_symbol("(")
    };
    Some(match (dialect, name) {
        (Dialect::Postgres, "int" | "int4" | "integer") => "integer",
        (Dialect::Postgres, "int2" | "smallint") => "smallint",
        (Dialect::Postgres, "int8" | "bigint") => "bigint",
        (Dialect::Postgres, "float4" | "real") => "real",
        (Dialect::Postgres, "float8" | "double precision") => "double precision",
        (Dialect::Postgres, "bool" | "boolean") => "boolean",
        (Dialect::Postgres, "character varying") => "varchar",
        (Dialect::Postgres, "character" | "bpchar") => "char",
        (Dialect::Postgres, "timestamp with time zone") => "timestamptz",
        (Dialect::Postgres, "timestamp without time zone") => "timestamp",
        (Dialect::Postgres, "time with time zone") => "timetz",
        (Dialect::Postgres, "time without time zone") => "time",
        (Dialect::Postgres, "decimal") => "numeric",
        (Dialect::MySql, "tinyint") if one_arg("1") => "boolean",
        (Dialect::MySql, "bool" | "boolean") => "boolean",
        (Dialect::MySql, "integer") => "int",
        (Dialect::MySql, "integer unsigned") => "int unsigned",
        (Dialect::MySql, "double precision" | "real") => "double",
        (Dialect::MySql, "dec" | "numeric" | "fixed") => "decimal",
        (Dialect::MySql, n) if is_mysql_integer(n) => match n {
            "tinyint" => "tinyint",
            "smallint" => "smallint",
            "mediumint" => "mediumint",
            "int" => "int",
            "bigint" => "bigint",
            _ => return None,
        },
        _ => return None,
    })
}

/// Tokens written without spaces around punctuation, one space between words.
fn compact(tokens: &[Token]) -> String {
    let mut out = String::new();
    let mut previous_word = false;
    for token in tokens {
        let word = matches!(token, Token::Word(_) | Token::Quoted(_) | Token::Number(_));
        if word && previous_word {
            out.push(' ');
        }
        match token {
            Token::Word(w) | Token::Quoted(w) | Token::Number(w) | Token::Symbol(w) => {
                out.push_str(w)
            }
            Token::Str(s) => {
                out.push('\'');
                out.push_str(&s.replace('\'', "''"));
                out.push('\'');
            }
        }
        previous_word = word;
    }
    out
}

/// The canonical text of an expression on `dialect`: two expressions that a
/// model and a database write differently but mean the same (quoting, case,
/// spacing, redundant parentheses, casts on literals, `now()` for
/// `CURRENT_TIMESTAMP`, `= ANY (ARRAY[..])` for `IN (..)`) come out equal.
pub fn expression(dialect: Dialect, raw: &str) -> String {
    let mut tokens: Vec<Token> = tokenize(raw)
        .into_iter()
        .map(|t| canonical_token(dialect, t))
        .collect();
    tokens = drop_casts(tokens);
    tokens = merge_signs(tokens);
    tokens = rewrite_calls(dialect, tokens);
    tokens = parens::simplify(tokens);
    tokens = any_array_to_in(tokens);
    tokens = parens::simplify(tokens);
    tokens::join(&tokens, '"')
}

fn canonical_token(dialect: Dialect, token: Token) -> Token {
    match token {
        Token::Word(w) => Token::Word(w.to_ascii_lowercase()),
        // PostgreSQL prints an identifier bare when it can; MySQL and SQLite
        // compare identifiers without case.
        Token::Quoted(name) => {
            let bare = name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if dialect != Dialect::Postgres || bare {
                Token::Word(name.to_ascii_lowercase())
            } else {
                Token::Quoted(name)
            }
        }
        Token::Symbol(s) if s == "!=" => Token::Symbol("<>".into()),
        Token::Symbol(s) if s == "==" => Token::Symbol("=".into()),
        other => other,
    }
}

/// Removes `::type` casts (PostgreSQL prints one on most literals); a
/// quoted number cast to a number becomes the number.
fn drop_casts(tokens: Vec<Token>) -> Vec<Token> {
    const TYPE_WORDS: [&str; 6] = ["varying", "precision", "with", "without", "time", "zone"];
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        if !token.is_symbol("::") {
            out.push(token.clone());
            i += 1;
            continue;
        }
        i += 1;
        let type_name = tokens.get(i).and_then(Token::ident).unwrap_or_default();
        let numeric = matches!(
            type_name,
            "integer" | "bigint" | "smallint" | "numeric" | "real" | "double" | "int4" | "int8"
        );
        i += 1;
        while tokens
            .get(i)
            .is_some_and(|t| TYPE_WORDS.iter().any(|w| t.is_word(w)))
        {
            i += 1;
        }
        if tokens.get(i).is_some_and(|t| t.is_symbol("(")) {
            i = tokens::closing_paren(&tokens, i).map_or(tokens.len(), |c| c + 1);
        }
        while tokens.get(i).is_some_and(|t| t.is_symbol("["))
            && tokens.get(i + 1).is_some_and(|t| t.is_symbol("]"))
        {
            i += 2;
        }
        if let (true, Some(Token::Str(text))) = (numeric, out.last()) {
            if text.parse::<f64>().is_ok() {
                let number = text.clone();
                if let Some(last) = out.last_mut() {
                    *last = Token::Number(number);
                }
            }
        }
    }
    out
}

/// `-1` as one number wherever the minus cannot be a subtraction, as a cast
/// literal (`'-1'::integer`) reads.
fn merge_signs(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        let unary = match out.last() {
            None => true,
            Some(Token::Symbol(s)) => s != ")" && s != "]",
            Some(Token::Word(w)) => is_keyword(w),
            Some(_) => false,
        };
        if token.is_symbol("-") && unary {
            if let Some(Token::Number(n)) = tokens.peek() {
                let number = format!("-{n}");
                tokens.next();
                out.push(Token::Number(number));
                continue;
            }
        }
        out.push(token);
    }
    out
}

/// One spelling per dialect for the current time and for booleans.
fn rewrite_calls(dialect: Dialect, tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        let empty_call = tokens.get(i + 1).is_some_and(|t| t.is_symbol("("))
            && tokens.get(i + 2).is_some_and(|t| t.is_symbol(")"));
        let replacement = match token {
            Token::Word(w) if empty_call => match w.as_str() {
                "now" | "current_timestamp" | "localtimestamp" => Some("current_timestamp"),
                "curdate" | "current_date" => Some("current_date"),
                _ => None,
            },
            Token::Word(w) if dialect == Dialect::MySql && w == "true" => Some("1"),
            Token::Word(w) if dialect == Dialect::MySql && w == "false" => Some("0"),
            _ => None,
        };
        match replacement {
            Some(word) => {
                let number = word.chars().all(|c| c.is_ascii_digit());
                out.push(if number {
                    Token::Number(word.into())
                } else {
                    Token::Word(word.into())
                });
                i += if empty_call { 3 } else { 1 };
            }
            None => {
                out.push(token.clone());
                i += 1;
            }
        }
    }
    out
}

/// PostgreSQL stores `x IN ('a', 'b')` as `x = ANY (ARRAY['a', 'b'])`.
fn any_array_to_in(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        let is_any_array = token.is_symbol("=")
            && tokens.get(i + 1).is_some_and(|t| t.is_word("any"))
            && tokens.get(i + 2).is_some_and(|t| t.is_symbol("("))
            && tokens.get(i + 3).is_some_and(|t| t.is_word("array"))
            && tokens.get(i + 4).is_some_and(|t| t.is_symbol("["));
        let end = is_any_array
            .then(|| tokens::closing_paren(&tokens, i + 2))
            .flatten();
        match end {
            Some(end) if end >= i + 6 && tokens.get(end - 1).is_some_and(|t| t.is_symbol("]")) => {
                out.push(Token::Word("in".into()));
                out.push(Token::Symbol("(".into()));
                out.extend_from_slice(&tokens[i + 5..end - 1]);
                out.push(Token::Symbol(")".into()));
                i = end + 1;
            }
            _ => {
                out.push(token.clone());
                i += 1;
            }
        }
    }
    out
}

/// Words that are SQL syntax rather than a function name: a parenthesis
/// after one opens a group or a list, not a call's arguments.
pub(crate) fn is_keyword(word: &str) -> bool {
    const KEYWORDS: [&str; 20] = [
        "and", "or", "not", "in", "is", "like", "ilike", "between", "when", "then", "else", "case",
        "end", "select", "from", "where", "as", "asc", "desc", "on",
    ];
    KEYWORDS.iter().any(|k| word.eq_ignore_ascii_case(k))
}

#[cfg(test)]
mod tests;
