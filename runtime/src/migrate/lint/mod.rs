//! The zero-downtime linter: reads a migration (generated or hand-written) and
//! reports each statement that would lock a busy table or break the code that
//! is still running while the migration deploys, with why and the safe recipe.
//!
//! ```ignore
//! use strata::migrate::lint::{lint, Dialect};
//! use strata::Model;
//!
//! let sql = "ALTER TABLE posts RENAME COLUMN title TO headline;";
//! for finding in lint(sql, Dialect::Postgres, &[Post::SCHEMA, User::SCHEMA]) {
//!     eprintln!("{finding}");
//! }
//! ```
//!
//! A finding prints as
//!
//! ```text
//! migrations/20261125210500_rename/up.sql:2: mapped-column-removed: Model `Post` still maps
//! `posts.title`, which this renames to `headline`: every query of `Post` names it, so from
//! this statement on they fail with `column .. does not exist`.
//!   statement: ALTER TABLE posts RENAME COLUMN title TO headline
//!   fix: Expand/contract instead of a rename: 1. add the new column (nullable); 2. ..
//! ```
//!
//! # Rules
//!
//! PostgreSQL files go through [squawk](https://squawkhq.com)'s rule engine
//! (`squawk-linter`), configured for a migration that runs inside one
//! transaction, or outside any when its first line is
//! `-- strata:no-transaction` ([`NO_TRANSACTION_MARKER`]). squawk's messages
//! are kept (with the lock a statement takes, when squawk names it) and strata
//! adds the recipe. Every squawk rule that is on by default runs, except:
//!
//! - style, not locks or running code, which the models decide:
//!   `prefer-bigint-over-int`, `prefer-bigint-over-smallint`,
//!   `prefer-identity`, `prefer-text-field`, `prefer-timestamp-tz`,
//!   `ban-char-field`;
//! - `require-statement-timeout`: the safe recipes are long by design (a
//!   concurrent index build or a `VALIDATE CONSTRAINT` holds only weak locks)
//!   and a statement timeout would abort them half-way; `lock_timeout` is what
//!   bounds how long other sessions wait;
//! - `prefer-robust-stmts`: strata's runner records a failed migration and
//!   blocks deploys until it is resolved, and `IF NOT EXISTS` would hide the
//!   invalid index a failed concurrent build leaves behind;
//! - `require-enum-value-ordering` when the value appended is the last
//!   variant of the model's enum of that name: appending is then the order
//!   the model declares (it still fires for any other value);
//! - `adding-required-field`, replaced by strata's `not-null-without-default`,
//!   the same check knowing which tables this file creates (empty, so a
//!   required column is fine there);
//! - `ban-concurrent-index-creation-in-transaction`, replaced by strata's
//!   `concurrently-in-transaction`, which also catches a file of one statement
//!   and `DROP INDEX`/`REINDEX .. CONCURRENTLY`: strata runs every file without
//!   the marker in a transaction, where PostgreSQL refuses them all.
//!
//! strata's own rules, on every dialect unless noted:
//!
//! | rule | fires on | dialects |
//! |---|---|---|
//! | `mapped-column-removed` | `DROP COLUMN` or `RENAME COLUMN` of a column a model still maps | all |
//! | `mapped-table-removed` | `DROP TABLE` or `RENAME TO` of a table a model still maps | all |
//! | `not-null-without-default` | `ADD COLUMN .. NOT NULL` without a default, on a table not created in this file | all |
//! | `rename-in-one-step` | `RENAME COLUMN` (MySQL also `CHANGE old new ..`) | all |
//! | `fk-without-index` | a foreign key added to an existing table whose columns lead no index of the models or of this file | PostgreSQL, SQLite (InnoDB indexes every FK itself) |
//! | `concurrently-in-transaction` | `CREATE INDEX`, `DROP INDEX`, `REINDEX .. CONCURRENTLY` in a file without `-- strata:no-transaction` | PostgreSQL |
//! | `table-rewrite-lock` | `VACUUM FULL`, `CLUSTER` (PostgreSQL); `VACUUM` (SQLite) | PostgreSQL, SQLite |
//! | `mysql-online-alter` | `ALTER TABLE` on an existing table without `ALGORITHM=INSTANT`, or `ALGORITHM=INPLACE` with `LOCK=NONE` | MySQL |
//! | `mysql-online-index` | `CREATE INDEX` without `ALGORITHM=INPLACE, LOCK=NONE` | MySQL |
//! | `changing-column-type` | `MODIFY`/`CHANGE COLUMN` not stated online (it restates the type) | MySQL (PostgreSQL: squawk's rule of that name) |
//! | `sqlite-table-rebuild` | the create-copy-drop-rename rebuild, and `DROP COLUMN`, on an existing table | SQLite |
//! | `ban-drop-column`, `ban-drop-table` | any drop (a warning: safe once no running code reads it) | MySQL, SQLite (PostgreSQL: squawk's) |
//!
//! When a strata rule and a squawk rule report the same statement for the
//! same reason, the more precise one is kept (`mapped-column-removed` over
//! `ban-drop-column`, `rename-in-one-step` over `renaming-column`,
//! `not-null-without-default` over `adding-required-field`, ..).
//!
//! The safe PostgreSQL patterns pass: `SET lock_timeout` before the DDL,
//! `CREATE INDEX CONCURRENTLY` in a no-transaction file, a foreign key or CHECK
//! added `NOT VALID` and then `VALIDATE`d in another transaction (a
//! no-transaction file runs each statement in its own), and `SET NOT NULL`
//! through a validated `CHECK (col IS NOT NULL)` which is then dropped.
//!
//! # Allowing a finding
//!
//! A comment line `-- strata:allow(rule-a, rule-b)` directly above a statement
//! (among the comment lines right before it) silences those rules for that
//! statement, for a step the team has decided is safe (say, dropping a column
//! that no deployed code reads any more). squawk's own `-- squawk-ignore rule`
//! comments work too. [`LintOptions::allow`] silences rules for a whole run.
//! Allowing a rule also silences the plainer rules it stands for on that
//! statement (allowing `mapped-column-removed` does not bring back
//! `ban-drop-column`).

mod changes;
mod models;
mod mysql;
mod pg_changes;
mod postgres;
mod recipes;
mod scan;
mod scan_changes;
mod source;
mod sqlite;

use std::fmt;
use std::path::PathBuf;

pub use crate::migrate::files::NO_TRANSACTION_MARKER;
use crate::migrate::files::{Migration, MigrationsDir};
pub use crate::render::Dialect;
use crate::schema::ModelSchema;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Locks a table (or database) that running code uses, or breaks it.
    Error,
    /// Safe in some deploy orders only, e.g. a drop once no code reads it.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One statement the linter objects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule's name, as `-- strata:allow(..)` takes it.
    pub rule: String,
    pub severity: Severity,
    /// The file the statement is in, when the linter was given one.
    pub file: Option<PathBuf>,
    /// The offending statement, trimmed, without its `;`.
    pub statement: String,
    /// 1-based line of the statement's first token.
    pub line: usize,
    /// Why it locks or breaks running code.
    pub message: String,
    /// The safe way to make the same change.
    pub recipe: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
        }
        write!(f, "{}: {}: {}", self.line, self.rule, self.message)?;
        write!(f, "\n  statement: {}", self.statement)?;
        write!(f, "\n  fix: {}", self.recipe)
    }
}

/// Settings for one run; the default lints everything.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// Rules not to report anywhere in the file.
    pub allow: Vec<String>,
    /// The file name findings carry (for [`Finding`]'s `Display`).
    pub file: Option<PathBuf>,
}

/// Lints one migration's SQL for `dialect` against the models the code maps.
/// A file whose first line is [`NO_TRANSACTION_MARKER`] is read as running
/// outside a transaction. Findings come in file order.
pub fn lint(sql: &str, dialect: Dialect, models: &[&'static ModelSchema]) -> Vec<Finding> {
    lint_with(sql, dialect, models, &LintOptions::default())
}

/// Lints a migration folder's `up.sql`; findings name that file.
pub fn lint_migration(
    migration: &Migration,
    dialect: Dialect,
    models: &[&'static ModelSchema],
) -> Vec<Finding> {
    let options = LintOptions {
        file: Some(migration.path.join("up.sql")),
        ..LintOptions::default()
    };
    lint_with(&migration.up, dialect, models, &options)
}

/// Lints every migration of a folder, for the dialect its
/// `migration_lock.toml` records (none yet: nothing to lint).
pub fn lint_dir(
    dir: &MigrationsDir,
    models: &[&'static ModelSchema],
) -> crate::Result<Vec<Finding>> {
    let Some(dialect) = dir.dialect()? else {
        return Ok(Vec::new());
    };
    let migrations = dir.list()?;
    Ok((migrations.iter())
        .flat_map(|migration| lint_migration(migration, dialect, models))
        .collect())
}

/// [`lint`] with options.
pub fn lint_with(
    sql: &str,
    dialect: Dialect,
    models: &[&'static ModelSchema],
    options: &LintOptions,
) -> Vec<Finding> {
    let in_transaction = sql.lines().next().map(str::trim_end) != Some(NO_TRANSACTION_MARKER);
    let models = super::from_models::with_join_tables(models);
    let analysis = match dialect {
        Dialect::Postgres => postgres::analyze(sql, in_transaction, &models),
        Dialect::MySql => mysql::analyze(sql),
        Dialect::Sqlite => sqlite::analyze(sql),
    };
    let mut raw = analysis.findings;
    raw.extend(models::check(&analysis.changes, &models, dialect));
    finish(sql, &analysis.statements, raw, options)
}

/// A finding before it is tied to its statement's text.
#[derive(Debug, Clone)]
struct RawFinding {
    /// Index into the file's statements.
    statement: usize,
    rule: String,
    severity: Severity,
    message: String,
    recipe: String,
}

/// What one dialect's reader makes of a file.
#[derive(Debug, Default)]
struct Analysis {
    statements: Vec<source::Statement>,
    changes: Vec<changes::Change>,
    findings: Vec<RawFinding>,
}

/// Drops superseded and allowed findings, and orders the rest by line.
fn finish(
    sql: &str,
    statements: &[source::Statement],
    mut raw: Vec<RawFinding>,
    options: &LintOptions,
) -> Vec<Finding> {
    let superseded: Vec<bool> = (raw.iter())
        .map(|finding| {
            raw.iter().any(|other| {
                other.statement == finding.statement
                    && recipes::supersedes(&other.rule, &finding.rule)
            })
        })
        .collect();
    let mut kept = Vec::new();
    for (finding, superseded) in raw.drain(..).zip(superseded) {
        let Some(statement) = statements.get(finding.statement) else {
            continue;
        };
        let allowed = options.allow.contains(&finding.rule)
            || source::allowed_above(sql, statement, &finding.rule);
        if superseded || allowed {
            continue;
        }
        let duplicate = kept.iter().any(|k: &Finding| {
            k.rule == finding.rule && k.line == statement.line && k.message == finding.message
        });
        if !duplicate {
            kept.push(Finding {
                rule: finding.rule,
                severity: finding.severity,
                file: options.file.clone(),
                statement: statement.text.clone(),
                line: statement.line,
                message: finding.message,
                recipe: finding.recipe,
            });
        }
    }
    kept.sort_by(|a, b| (a.line, &a.rule).cmp(&(b.line, &b.rule)));
    kept
}
