//! Where statements are in a file: their text and line, and the
//! `-- strata:allow(..)` comments above them.

/// One statement of the file, as findings show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Statement {
    /// Trimmed, without the closing `;`.
    pub text: String,
    /// 1-based line of the first token.
    pub line: usize,
    /// Byte offsets of the statement in the file, first token to end.
    pub start: usize,
    pub end: usize,
}

impl Statement {
    /// The statement spanning `start..end` of `sql`; `None` if it holds only
    /// whitespace and semicolons.
    pub fn new(sql: &str, start: usize, end: usize) -> Option<Statement> {
        let text = sql.get(start..end)?;
        let text = text.trim().trim_end_matches(';').trim_end();
        if text.is_empty() {
            return None;
        }
        let leading = text.as_ptr() as usize - sql.as_ptr() as usize;
        Some(Statement {
            text: text.to_string(),
            line: line_of(sql, leading),
            start: leading,
            end,
        })
    }

    pub fn contains(&self, offset: usize) -> bool {
        (self.start..self.end.max(self.start + 1)).contains(&offset)
    }
}

/// The 1-based line holding byte `offset`.
pub(super) fn line_of(sql: &str, offset: usize) -> usize {
    let before = sql.get(..offset).unwrap_or(sql);
    before.bytes().filter(|b| *b == b'\n').count() + 1
}

const ALLOW: &str = "strata:allow(";

/// Whether one of the comment lines directly above `statement` says
/// `-- strata:allow(.., rule, ..)`.
pub(super) fn allowed_above(sql: &str, statement: &Statement, rule: &str) -> bool {
    let lines: Vec<&str> = sql.lines().take(statement.line.saturating_sub(1)).collect();
    (lines.iter().rev())
        .map(|line| line.trim())
        .take_while(|line| line.starts_with("--") || line.starts_with('#'))
        .any(|line| allows(line, rule))
}

fn allows(comment: &str, rule: &str) -> bool {
    let Some(start) = comment.find(ALLOW) else {
        return false;
    };
    let rest = &comment[start + ALLOW.len()..];
    let names = rest.split(')').next().unwrap_or("");
    names.split(',').any(|name| name.trim() == rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_text_and_line_skip_leading_blank_lines() {
        let sql = "-- c\n\n  ALTER TABLE t DROP COLUMN c;\n";
        let stmt = Statement::new(sql, 4, sql.len()).unwrap();
        assert_eq!(stmt.text, "ALTER TABLE t DROP COLUMN c");
        assert_eq!(stmt.line, 3);
    }

    #[test]
    fn allow_comment_applies_to_the_statement_below_only() {
        let sql = "-- strata:allow(ban-drop-column, other)\nALTER TABLE t DROP COLUMN c;\n\nDROP TABLE x;";
        let first = Statement::new(sql, 40, 68).unwrap();
        let second = Statement::new(sql, 68, sql.len()).unwrap();
        assert!(allowed_above(sql, &first, "ban-drop-column"));
        assert!(allowed_above(sql, &first, "other"));
        assert!(!allowed_above(sql, &first, "ban-drop-table"));
        assert!(!allowed_above(sql, &second, "ban-drop-column"));
    }
}
