//! Dropping parentheses that precedence makes redundant: PostgreSQL prints
//! `CHECK ((views >= 0))` and `((a > 0) AND (b > 0))` for what a model wrote
//! without them.

use super::is_keyword;
use super::tokens::{closing_paren, Token};

/// Binding strength of an operator token; `None` for anything else.
fn precedence(token: &Token) -> Option<u8> {
    match token {
        Token::Word(w) => match w.as_str() {
            "or" => Some(1),
            "and" => Some(2),
            "not" => Some(3),
            "is" | "in" | "like" | "ilike" | "between" => Some(4),
            _ => None,
        },
        Token::Symbol(s) => match s.as_str() {
            "=" | "<>" | "<" | ">" | "<=" | ">=" => Some(4),
            "||" => Some(5),
            "+" | "-" => Some(6),
            "*" | "/" | "%" => Some(7),
            _ => None,
        },
        _ => None,
    }
}

/// Words and symbols that end an expression on either side of a group.
fn is_boundary(token: &Token) -> bool {
    token.is_symbol("(")
        || token.is_symbol(",")
        || token.is_symbol(")")
        || matches!(token, Token::Word(w) if is_keyword(w) && precedence(token).is_none())
}

/// Removes redundant parentheses until none is left to remove.
pub(crate) fn simplify(mut tokens: Vec<Token>) -> Vec<Token> {
    while let Some((open, close)) = removable_group(&tokens) {
        tokens.remove(close);
        tokens.remove(open);
    }
    tokens
}

fn removable_group(tokens: &[Token]) -> Option<(usize, usize)> {
    for open in (0..tokens.len()).filter(|&i| tokens[i].is_symbol("(")) {
        let Some(close) = closing_paren(tokens, open) else {
            continue;
        };
        let before = open.checked_sub(1).and_then(|i| tokens.get(i));
        // `lower(..)`, `IN (..)`, `ANY (..)`, `EXISTS (..)`: arguments, not a group.
        let is_call = match before {
            Some(Token::Word(w)) => !is_keyword(w) || w == "in",
            Some(Token::Quoted(_)) => true,
            _ => false,
        };
        let inner = &tokens[open + 1..close];
        if is_call
            || inner.is_empty()
            || has_top_level(inner, |t| t.is_symbol(",") || t.is_word("select"))
        {
            continue;
        }
        let inner_precedence = lowest_top_level(inner);
        let outer = [before, tokens.get(close + 1)]
            .into_iter()
            .flatten()
            .filter(|t| !is_boundary(t))
            .filter_map(precedence)
            .max();
        let removable = match outer {
            None => true,
            Some(outer) => inner_precedence > outer || (inner_precedence == outer && outer <= 2),
        };
        if removable {
            return Some((open, close));
        }
    }
    None
}

fn has_top_level(tokens: &[Token], test: impl Fn(&Token) -> bool) -> bool {
    let mut depth = 0usize;
    tokens.iter().any(|t| {
        if t.is_symbol("(") || t.is_symbol("[") {
            depth += 1;
        } else if t.is_symbol(")") || t.is_symbol("]") {
            depth = depth.saturating_sub(1);
        }
        depth == 0 && test(t)
    })
}

/// The weakest operator outside nested parentheses; an atom binds tightest.
fn lowest_top_level(tokens: &[Token]) -> u8 {
    let mut depth = 0usize;
    let mut lowest = u8::MAX;
    for token in tokens {
        if token.is_symbol("(") || token.is_symbol("[") {
            depth += 1;
        } else if token.is_symbol(")") || token.is_symbol("]") {
            depth = depth.saturating_sub(1);
        } else if depth == 0 {
            if let Some(p) = precedence(token) {
                lowest = lowest.min(p);
            }
        }
    }
    lowest
}
