//! A small statement scanner for MySQL and SQLite migrations (squawk reads
//! PostgreSQL only): splits a file into statements and each into tokens,
//! skipping comments and string contents, so the rules match keywords, never
//! text inside a literal or a comment.

use super::source::Statement;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    /// A bare word: keyword or unquoted identifier, as written.
    Word(String),
    /// A quoted identifier (`"x"`, `` `x` ``, `[x]`), its contents.
    Quoted(String),
    /// A string or number literal.
    Literal,
    Punct(char),
}

impl Token {
    pub fn is(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    /// The identifier this token names, if it can name one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Token::Word(w) | Token::Quoted(w) => Some(w),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Scanned {
    pub statement: Statement,
    pub tokens: Vec<Token>,
}

/// The statements of `sql`. A `CREATE TRIGGER` body (`BEGIN .. END`) stays
/// one statement, semicolons and all.
pub(super) fn statements(sql: &str) -> Vec<Scanned> {
    let mut out = Vec::new();
    let mut tokens = Vec::new();
    let mut start = None;
    let mut depth = 0usize;
    let mut lexer = Lexer { sql, pos: 0 };
    while let Some((token, at)) = lexer.next_token() {
        if token == Token::Punct(';') && depth == 0 {
            push(&mut out, sql, start.take(), at, std::mem::take(&mut tokens));
            continue;
        }
        start.get_or_insert(at);
        if is_trigger(&tokens) {
            if token.is("BEGIN") || token.is("CASE") {
                depth += 1;
            } else if token.is("END") {
                depth = depth.saturating_sub(1);
            }
        }
        tokens.push(token);
    }
    push(&mut out, sql, start, sql.len(), tokens);
    out
}

fn push(out: &mut Vec<Scanned>, sql: &str, start: Option<usize>, end: usize, tokens: Vec<Token>) {
    let Some(start) = start else {
        return;
    };
    if let Some(statement) = Statement::new(sql, start, end) {
        out.push(Scanned { statement, tokens });
    }
}

fn is_trigger(tokens: &[Token]) -> bool {
    tokens.first().is_some_and(|t| t.is("CREATE")) && tokens.iter().take(4).any(|t| t.is("TRIGGER"))
}

struct Lexer<'a> {
    sql: &'a str,
    pos: usize,
}

impl Lexer<'_> {
    /// The next token and its byte offset, skipping whitespace and comments.
    fn next_token(&mut self) -> Option<(Token, usize)> {
        loop {
            let rest = self.sql.get(self.pos..)?;
            let c = rest.chars().next()?;
            let at = self.pos;
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else if rest.starts_with("--") || c == '#' {
                self.pos += rest.find('\n').unwrap_or(rest.len());
            } else if rest.starts_with("/*") {
                self.pos += rest
                    .get(2..)
                    .and_then(|r| r.find("*/"))
                    .map_or(rest.len(), |e| e + 4);
            } else if c == '\'' {
                self.pos += quoted_len(rest, '\'', true);
                return Some((Token::Literal, at));
            } else if let Some(close) = closing_quote(c) {
                let len = quoted_len(rest, close, false);
                let inner = rest.get(1..len.saturating_sub(1)).unwrap_or("");
                self.pos += len;
                return Some((
                    Token::Quoted(inner.replace(&format!("{close}{close}"), &close.to_string())),
                    at,
                ));
            } else if c.is_alphanumeric() || c == '_' {
                let len = rest
                    .find(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '$'))
                    .unwrap_or(rest.len());
                self.pos += len;
                let word = rest.get(..len).unwrap_or("");
                let token = if c.is_ascii_digit() {
                    Token::Literal
                } else {
                    Token::Word(word.to_string())
                };
                return Some((token, at));
            } else {
                self.pos += c.len_utf8();
                return Some((Token::Punct(c), at));
            }
        }
    }
}

fn closing_quote(open: char) -> Option<char> {
    match open {
        '"' => Some('"'),
        '`' => Some('`'),
        '[' => Some(']'),
        _ => None,
    }
}

/// Length in bytes of the quoted text at the start of `rest`, both quotes
/// included; a doubled quote is part of the text, and so is a
/// backslash-escaped one in strings (MySQL). Unclosed: the rest of the file.
fn quoted_len(rest: &str, close: char, backslash: bool) -> usize {
    let mut chars = rest.char_indices().skip(1).peekable();
    while let Some((i, ch)) = chars.next() {
        if backslash && ch == '\\' {
            chars.next();
        } else if ch == close {
            if chars.peek().map(|(_, next)| *next) == Some(close) {
                chars.next();
            } else {
                return i + ch.len_utf8();
            }
        }
    }
    rest.len()
}

/// Reads tokens left to right.
pub(super) struct Cursor<'a> {
    tokens: &'a [Token],
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(tokens: &'a [Token]) -> Self {
        Cursor { tokens, pos: 0 }
    }

    pub fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    pub fn peek_is(&self, keyword: &str) -> bool {
        self.peek().is_some_and(|t| t.is(keyword))
    }

    /// Consumes `keywords` if the next tokens are exactly those.
    pub fn eat(&mut self, keywords: &[&str]) -> bool {
        let matches = keywords
            .iter()
            .enumerate()
            .all(|(i, k)| self.tokens.get(self.pos + i).is_some_and(|t| t.is(k)));
        if matches {
            self.pos += keywords.len();
        }
        matches
    }

    /// A possibly qualified name (`db.t`): the last part.
    pub fn name(&mut self) -> Option<String> {
        let mut name = self.peek()?.name()?.to_string();
        self.pos += 1;
        while self.peek() == Some(&Token::Punct('.')) {
            self.pos += 1;
            name = self.peek()?.name()?.to_string();
            self.pos += 1;
        }
        Some(name)
    }

    /// `(a, b(10) DESC, lower(c))` -> the leading plain column names (`a, b`).
    pub fn column_list(&mut self) -> Vec<String> {
        let Some(items) = self.parenthesised() else {
            return Vec::new();
        };
        (split_top_level(items).into_iter())
            .map_while(|item| match item {
                // `b(10)`: a MySQL prefix of column `b`; `lower(c)`: an expression.
                [name, Token::Punct('('), Token::Literal, Token::Punct(')'), ..] => {
                    name.name().map(str::to_string)
                }
                [name, rest @ ..] if rest.first() != Some(&Token::Punct('(')) => {
                    name.name().map(str::to_string)
                }
                _ => None,
            })
            .collect()
    }

    /// The tokens inside the parentheses that open here, consumed.
    pub fn parenthesised(&mut self) -> Option<&'a [Token]> {
        if self.peek() != Some(&Token::Punct('(')) {
            return None;
        }
        let open = self.pos;
        let mut depth = 0usize;
        while let Some(token) = self.peek() {
            self.pos += 1;
            match token {
                Token::Punct('(') => depth += 1,
                Token::Punct(')') => {
                    depth -= 1;
                    if depth == 0 {
                        return self.tokens.get(open + 1..self.pos - 1);
                    }
                }
                _ => {}
            }
        }
        self.tokens.get(open + 1..)
    }

    pub fn rest(&self) -> &'a [Token] {
        self.tokens.get(self.pos..).unwrap_or(&[])
    }
}

/// Splits on commas outside parentheses.
pub(super) fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') => depth = depth.saturating_sub(1),
            Token::Punct(',') if depth == 0 => {
                parts.push(tokens.get(start..i).unwrap_or(&[]));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(tokens.get(start..).unwrap_or(&[]));
    parts
}

/// Whether `tokens` hold `keyword` outside parentheses.
pub(super) fn has_top_level(tokens: &[Token], keyword: &str) -> bool {
    let mut depth = 0usize;
    tokens.iter().any(|token| {
        match token {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') => depth = depth.saturating_sub(1),
            _ => {}
        }
        depth == 0 && token.is(keyword)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_statements_outside_strings_comments_and_trigger_bodies() {
        let sql = "-- a; comment\nUPDATE t SET a = 'x;y'; /* ; */ CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 1; END;\nDROP TABLE `we;ird`";
        let texts: Vec<String> = statements(sql)
            .into_iter()
            .map(|s| s.statement.text)
            .collect();
        assert_eq!(
            texts,
            [
                "UPDATE t SET a = 'x;y'",
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 1; END",
                "DROP TABLE `we;ird`"
            ]
        );
        let last = &statements(sql)[2];
        assert_eq!(last.statement.line, 3);
        assert_eq!(last.tokens[2], Token::Quoted("we;ird".into()));
    }

    #[test]
    fn column_list_keeps_leading_plain_columns() {
        let tokens: Vec<Token> = statements("(a, b(10) DESC, lower(c), d)")[0].tokens.clone();
        assert_eq!(Cursor::new(&tokens).column_list(), ["a", "b"]);
    }
}
