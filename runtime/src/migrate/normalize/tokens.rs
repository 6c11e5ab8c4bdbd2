//! A small SQL tokenizer: enough of the lexical grammar of PostgreSQL, SQLite
//! and MySQL to compare expressions and to split DDL that strata (or a person)
//! wrote into its parts. It never fails: an unterminated quote runs to the end.

/// One lexical token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// A bare word (identifier or keyword), as written.
    Word(String),
    /// A quoted identifier (`"x"`, `` `x` ``, `[x]`), unquoted.
    Quoted(String),
    /// A string literal's content, unescaped.
    Str(String),
    Number(String),
    /// Punctuation and operators: `(`, `)`, `,`, `::`, `>=`, `||`, ..
    Symbol(String),
}

impl Token {
    /// Whether this is the bare word `keyword`, in any case.
    pub(crate) fn is_word(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    pub(crate) fn is_symbol(&self, symbol: &str) -> bool {
        matches!(self, Token::Symbol(s) if s == symbol)
    }

    /// An identifier's name: a bare word or a quoted identifier.
    pub(crate) fn ident(&self) -> Option<&str> {
        match self {
            Token::Word(w) | Token::Quoted(w) => Some(w),
            _ => None,
        }
    }
}

const TWO_CHAR_SYMBOLS: [&str; 8] = ["::", ">=", "<=", "<>", "!=", "||", "==", "->"];

pub(crate) fn tokenize(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while chars.get(i).is_some_and(|&c| c != '\n') {
                i += 1;
            }
        } else if c == '\'' {
            let (text, next) = quoted(&chars, i, '\'');
            tokens.push(Token::Str(text));
            i = next;
        } else if c == '"' || c == '`' {
            let (text, next) = quoted(&chars, i, c);
            tokens.push(Token::Quoted(text));
            i = next;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '.')
            {
                i += 1;
            }
            tokens.push(Token::Number(chars[start..i].iter().collect()));
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
            {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            let pair: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            if TWO_CHAR_SYMBOLS.contains(&pair.as_str()) {
                tokens.push(Token::Symbol(pair));
                i += 2;
            } else {
                tokens.push(Token::Symbol(c.to_string()));
                i += 1;
            }
        }
    }
    tokens
}

/// The text between the quote at `start` and its closing quote, a doubled
/// quote standing for one (and a backslash escaping the next character in a
/// string literal, which MySQL writes); the index after the closing quote.
fn quoted(chars: &[char], start: usize, quote: char) -> (String, usize) {
    let mut text = String::new();
    let mut i = start + 1;
    while let Some(&c) = chars.get(i) {
        if c == quote {
            if chars.get(i + 1) == Some(&quote) {
                text.push(quote);
                i += 2;
                continue;
            }
            return (text, i + 1);
        }
        if c == '\\' && quote == '\'' {
            if let Some(&next) = chars.get(i + 1) {
                text.push(next);
                i += 2;
                continue;
            }
        }
        text.push(c);
        i += 1;
    }
    (text, i)
}

/// Splits `tokens` at the commas outside any parentheses.
pub(crate) fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Symbol(s) if s == "(" || s == "[" => depth += 1,
            Token::Symbol(s) if s == ")" || s == "]" => depth = depth.saturating_sub(1),
            Token::Symbol(s) if s == "," && depth == 0 => {
                parts.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < tokens.len() {
        parts.push(&tokens[start..]);
    }
    parts
}

/// The index of the parenthesis closing the one at `open`, if any.
pub(crate) fn closing_paren(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        if token.is_symbol("(") {
            depth += 1;
        } else if token.is_symbol(")") {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// Writes tokens back as SQL text, identifiers quoted with `quote`.
pub(crate) fn join(tokens: &[Token], quote: char) -> String {
    let mut out = String::new();
    let mut previous: Option<&Token> = None;
    for token in tokens {
        if let Some(prev) = previous {
            if needs_space(prev, token) {
                out.push(' ');
            }
        }
        match token {
            Token::Word(w) | Token::Number(w) | Token::Symbol(w) => out.push_str(w),
            Token::Quoted(name) => {
                out.push(quote);
                out.push_str(&name.replace(quote, &format!("{quote}{quote}")));
                out.push(quote);
            }
            Token::Str(text) => {
                out.push('\'');
                out.push_str(&text.replace('\'', "''"));
                out.push('\'');
            }
        }
        previous = Some(token);
    }
    out
}

fn needs_space(prev: &Token, next: &Token) -> bool {
    let opens = |t: &Token| t.is_symbol("(") || t.is_symbol("[");
    let closes =
        |t: &Token| t.is_symbol(")") || t.is_symbol("]") || t.is_symbol(",") || t.is_symbol("::");
    if opens(prev) || closes(next) || prev.is_symbol("::") || prev.is_symbol(".") {
        return false;
    }
    if next.is_symbol(".") {
        return false;
    }
    // A call: `lower(` stays together; `IN (` / `AND (` do not.
    if next.is_symbol("(") || next.is_symbol("[") {
        return match prev {
            Token::Word(w) => super::is_keyword(w),
            Token::Quoted(_) => false,
            _ => true,
        };
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_of_each_kind() {
        let tokens = tokenize(r#"("a""b" >= 'it''s')::text -- note"#);
        assert_eq!(
            tokens,
            vec![
                Token::Symbol("(".into()),
                Token::Quoted("a\"b".into()),
                Token::Symbol(">=".into()),
                Token::Str("it's".into()),
                Token::Symbol(")".into()),
                Token::Symbol("::".into()),
                Token::Word("text".into()),
            ]
        );
    }

    #[test]
    fn splits_at_top_level_commas_only() {
        let tokens = tokenize("a, f(b, c), d");
        assert_eq!(split_top_level(&tokens).len(), 3);
    }

    #[test]
    fn joins_calls_tight_and_keywords_spaced() {
        let tokens = tokenize("lower( email ) IN ( 'a' , 'b' )");
        assert_eq!(join(&tokens, '"'), "lower(email) IN ('a', 'b')");
    }
}
