//! MySQL/MariaDB: an ALTER or index build that does not state its online form
//! may copy the table under a write lock. strata asks for the form to be
//! stated, so that MySQL refuses a copying change instead of running it.

use super::changes::created_before;
use super::scan::{self, Cursor, Token};
use super::{recipes, scan_changes, Analysis, RawFinding, Severity};

const ONLINE_ALTER: &str = "Append `, ALGORITHM=INPLACE, LOCK=NONE` (or `, ALGORITHM=INSTANT` for adding a column, MySQL 8.0.12+ / MariaDB 10.3+). When MySQL refuses that, the change needs a table copy: make it with an online schema-change tool (gh-ost, pt-online-schema-change) or by expand/contract.";

const ONLINE_INDEX: &str = "`CREATE INDEX i ON t (c) ALGORITHM=INPLACE LOCK=NONE`: MySQL builds it while reads and writes go on, or refuses to start.";

pub(super) fn analyze(sql: &str) -> super::Analysis {
    let scanned = scan::statements(sql);
    let changes = scan_changes::read(&scanned);
    let mut findings = Vec::new();
    for (at, statement) in scanned.iter().enumerate() {
        let mut c = Cursor::new(&statement.tokens);
        let existing = |table: &Option<String>| {
            table
                .as_deref()
                .is_some_and(|t| !created_before(&changes, t, at))
        };
        if c.eat(&["ALTER", "TABLE"]) {
            let _ = c.eat(&["IF", "EXISTS"]);
            let table = c.name();
            if !existing(&table) || Online::read(c.rest()).is_online() {
                continue;
            }
            if restates_type(c.rest()) {
                findings.push(finding(at, "changing-column-type", "`MODIFY`/`CHANGE COLUMN` restates the column's definition, and a new type (beyond widening a VARCHAR) can only be made by ALGORITHM=COPY: the table is rebuilt row by row while every write waits, and code reading the column gets values of a type it did not expect.", &format!("{} State `ALGORITHM=INPLACE, LOCK=NONE` so that MySQL refuses a copying change instead of running it.", recipes::TYPE_CHANGE)));
            }
            findings.push(finding(at, "mysql-online-alter", "Without `ALGORITHM=INPLACE, LOCK=NONE` (or `ALGORITHM=INSTANT`) MySQL picks the algorithm itself and falls back to ALGORITHM=COPY when the change needs it: the table is copied while writes (and for some changes reads) wait, for as long as the copy takes.", ONLINE_ALTER));
        } else if c.eat(&["CREATE"]) {
            let _ = c.eat(&["UNIQUE"]) || c.eat(&["FULLTEXT"]) || c.eat(&["SPATIAL"]);
            if !c.eat(&["INDEX"]) {
                continue;
            }
            let _ = c.eat(&["IF", "NOT", "EXISTS"]);
            let _ = c.name();
            let table = if c.eat(&["ON"]) { c.name() } else { None };
            let online = Online::read(c.rest());
            if existing(&table) && !(online.inplace() && online.lock_none()) {
                findings.push(finding(at, "mysql-online-index", "`CREATE INDEX` without `ALGORITHM=INPLACE LOCK=NONE` lets MySQL choose how to build it; a build it cannot do online (a FULLTEXT or SPATIAL index, some column types) blocks every write to the table until it is done.", ONLINE_INDEX));
            }
        }
    }
    Analysis {
        statements: scanned.into_iter().map(|s| s.statement).collect(),
        changes,
        findings,
    }
}

fn finding(statement: usize, rule: &str, message: &str, recipe: &str) -> RawFinding {
    RawFinding {
        statement,
        rule: rule.into(),
        severity: Severity::Error,
        message: message.into(),
        recipe: recipe.into(),
    }
}

/// Whether an action restates a column's type: `MODIFY [COLUMN] c type` or
/// `CHANGE [COLUMN] old new type`.
fn restates_type(tokens: &[Token]) -> bool {
    (scan::split_top_level(tokens).into_iter()).any(|action| {
        action
            .first()
            .is_some_and(|t| t.is("MODIFY") || t.is("CHANGE"))
    })
}

/// The `ALGORITHM` and `LOCK` clauses of a statement.
#[derive(Debug, Default)]
struct Online {
    algorithm: Option<String>,
    lock: Option<String>,
}

impl Online {
    fn read(tokens: &[Token]) -> Online {
        let mut online = Online::default();
        for (i, token) in tokens.iter().enumerate() {
            let value = || {
                let mut rest = tokens.get(i + 1..).unwrap_or(&[]).iter();
                let next = rest.next()?;
                let value = if *next == Token::Punct('=') {
                    rest.next()?
                } else {
                    next
                };
                value.name().map(str::to_ascii_uppercase)
            };
            if token.is("ALGORITHM") {
                online.algorithm = value();
            } else if token.is("LOCK") {
                online.lock = value();
            }
        }
        online
    }

    fn inplace(&self) -> bool {
        matches!(self.algorithm.as_deref(), Some("INPLACE" | "NOCOPY"))
    }

    fn lock_none(&self) -> bool {
        self.lock.as_deref() == Some("NONE")
    }

    fn is_online(&self) -> bool {
        self.algorithm.as_deref() == Some("INSTANT") || (self.inplace() && self.lock_none())
    }
}
