//! PostgreSQL: squawk's rules, read into strata findings, plus the changes
//! the model-aware rules need, read from squawk's syntax tree.

use squawk_linter::{Linter, Rule, Violation};
use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SourceFile, SyntaxNode};

use super::source::Statement;
use super::{pg_changes, recipes, Analysis, RawFinding, Severity};
use crate::schema::{ModelSchema, SqlType};

/// squawk's default rules that are about style, not about locks or running
/// code, or that fight strata's safe recipes (see the module docs).
const NOT_USED: [Rule; 11] = [
    Rule::PreferBigintOverInt,
    Rule::PreferBigintOverSmallint,
    Rule::PreferIdentity,
    Rule::PreferTextField,
    Rule::PreferTimestampTz,
    Rule::BanCharField,
    Rule::RequireStatementTimeout,
    Rule::PreferRobustStmts,
    Rule::UnusedIgnore,
    Rule::AddingRequiredField,
    Rule::BanConcurrentIndexCreationInTransaction,
];

pub(super) fn analyze(sql: &str, in_transaction: bool, models: &[&ModelSchema]) -> Analysis {
    let parse = SourceFile::parse(sql);
    let stmts: Vec<(ast::Stmt, Statement)> = (parse.tree().stmts())
        .filter_map(|stmt| {
            let statement = statement_of(sql, stmt.syntax())?;
            Some((stmt, statement))
        })
        .collect();
    let read = pg_changes::read(stmts.iter().map(|(stmt, _)| stmt));

    let mut linter = Linter::with_rules(&[], &NOT_USED);
    linter.settings.assume_in_transaction = in_transaction;
    let violations = linter.lint(&parse, sql);

    let statements: Vec<Statement> = stmts.into_iter().map(|(_, s)| s).collect();
    let mut findings: Vec<RawFinding> = (violations.into_iter())
        .filter_map(|violation| {
            let statement = statement_at(&statements, offset(&violation))?;
            let keep = match violation.code {
                Rule::BanDropConstraint => !read.redundant_check_drops.contains(&statement),
                Rule::RequireEnumValueOrdering => !appends_in_model_order(&read, statement, models),
                _ => true,
            };
            keep.then(|| from_squawk(statement, violation))
        })
        .collect();
    for error in parse.errors() {
        if let Some(statement) = statement_at(&statements, usize::from(error.range().start())) {
            findings.push(syntax_error(statement, error.message()));
        }
    }
    if in_transaction {
        findings.extend(
            read.concurrent
                .iter()
                .map(|at| concurrently_in_transaction(*at)),
        );
    }
    for statement in read.table_rewrites {
        findings.push(recipes::table_rewrite(statement, "PostgreSQL"));
    }
    Analysis {
        statements,
        changes: read.changes,
        findings,
    }
}

/// Whether the value statement `at` appends to an enum type is the last
/// variant of the model enum of that name: appending is then what the model
/// declares, and squawk's `require-enum-value-ordering` has nothing to add.
fn appends_in_model_order(read: &pg_changes::Read, at: usize, models: &[&ModelSchema]) -> bool {
    let Some((_, ty, value)) = read.appended_enum_values.iter().find(|(s, ..)| *s == at) else {
        return false;
    };
    (models.iter())
        .flat_map(|m| m.columns)
        .filter_map(|c| match c.ty {
            SqlType::Enum(e) if e.db_name == ty => Some(e),
            _ => None,
        })
        .any(|e| e.variants.last() == Some(&value.as_str()))
}

/// The statement's text from its first token (comments before it belong to
/// the file, not to it) to its end.
fn statement_of(sql: &str, node: &SyntaxNode) -> Option<Statement> {
    let first = (node.descendants_with_tokens())
        .filter_map(|element| element.into_token())
        .find(|token| !token.kind().is_trivia())?;
    let start = usize::from(first.text_range().start());
    let end = usize::from(node.text_range().end());
    Statement::new(sql, start, end)
}

fn offset(violation: &Violation) -> usize {
    usize::from(violation.text_range.start())
}

/// The statement holding `offset`, or the last one before it (a violation
/// reported on trivia between statements), or the first.
fn statement_at(statements: &[Statement], offset: usize) -> Option<usize> {
    statements
        .iter()
        .position(|s| s.contains(offset))
        .or_else(|| statements.iter().rposition(|s| s.start <= offset))
        .or_else(|| (!statements.is_empty()).then_some(0))
}

fn from_squawk(statement: usize, violation: Violation) -> RawFinding {
    let rule = violation.code.to_string();
    let recipe = recipes::squawk_recipe(&rule)
        .map(str::to_string)
        .or(violation.help.clone())
        .unwrap_or_else(|| recipes::GENERIC_RECIPE.to_string());
    // squawk's help names the lock the statement takes and what it blocks
    // ("Statement requires: ..."): worth keeping when strata's recipe
    // replaces the rest of the help.
    let lock = (violation.help.as_deref())
        .and_then(|help| help.find(LOCK_NOTE).and_then(|at| help.get(at..)));
    let mut message = violation.message.trim_end().to_string();
    for more in [lock, recipes::squawk_why(&rule)].into_iter().flatten() {
        if !message.ends_with(['.', '!', '?']) {
            message.push('.');
        }
        message.push(' ');
        message.push_str(more);
    }
    RawFinding {
        statement,
        severity: recipes::severity(&rule),
        rule,
        message,
        recipe,
    }
}

const LOCK_NOTE: &str = "Statement requires:";

fn syntax_error(statement: usize, message: &str) -> RawFinding {
    RawFinding {
        statement,
        rule: "syntax-error".into(),
        severity: Severity::Error,
        message: format!(
            "squawk's PostgreSQL parser cannot read this statement ({message}), so no rule checked it."
        ),
        recipe: "Fix the syntax, or check the statement by hand.".into(),
    }
}

/// squawk's `ban-concurrent-index-creation-in-transaction` lets a file of one
/// statement through (other tools run those outside a transaction) and does
/// not look at `DROP INDEX`/`REINDEX`; strata runs every unmarked file in a
/// transaction, where PostgreSQL refuses all of them.
fn concurrently_in_transaction(statement: usize) -> RawFinding {
    RawFinding {
        statement,
        rule: "concurrently-in-transaction".into(),
        severity: Severity::Error,
        message: "PostgreSQL refuses CONCURRENTLY inside a transaction block, and strata runs this migration in one (its first line is not `-- strata:no-transaction`): the deploy fails here.".into(),
        recipe: recipes::IN_TRANSACTION.into(),
    }
}
