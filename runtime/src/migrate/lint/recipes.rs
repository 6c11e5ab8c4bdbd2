//! The words: why each rule's statements hurt running code, the safe recipe,
//! how much it matters, and which rule speaks for a statement when two do.

use super::{RawFinding, Severity};

/// For a squawk rule without a recipe of strata's and without squawk help.
pub(super) const GENERIC_RECIPE: &str = "Split the change into steps that each hold only brief locks and keep the running code working (expand, migrate the code, contract).";

pub(super) const LOCK_TIMEOUT: &str = "Start the migration with `SET lock_timeout = '2s';`: a statement that cannot get its lock in time then fails (retry the deploy later) instead of waiting, while every query on the table waits behind it.";

pub(super) const CONCURRENT_INDEX: &str = "Build it without blocking writes: `CREATE INDEX CONCURRENTLY` in a migration of its own whose first line is `-- strata:no-transaction` (CONCURRENTLY cannot run in a transaction). A failed build leaves an INVALID index: `DROP INDEX CONCURRENTLY` it and deploy again.";

pub(super) const NOT_VALID: &str = "Add the constraint `NOT VALID` (it checks new rows only, under a brief lock), then `ALTER TABLE .. VALIDATE CONSTRAINT ..` in a separate transaction: later in a `-- strata:no-transaction` migration (each statement commits on its own) or in the next migration. VALIDATE scans under SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.";

pub(super) const SET_NOT_NULL: &str = "`ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID`; then, in another transaction, `VALIDATE CONSTRAINT c` (no write lock); then `ALTER COLUMN col SET NOT NULL`, which PostgreSQL 12+ proves from the validated check without a scan; then `DROP CONSTRAINT c`. Under `-- strata:no-transaction` all four can be one migration.";

pub(super) const NOT_NULL_COLUMN: &str = "Expand/contract: 1. add the column nullable (or with a constant DEFAULT); 2. deploy code that writes it on every insert and update; 3. backfill existing rows in batches (`strata::migrate::backfill`); 4. make it NOT NULL (PostgreSQL: `CHECK (col IS NOT NULL) NOT VALID`, `VALIDATE CONSTRAINT`, `SET NOT NULL`, drop the check).";

pub(super) const RENAME_COLUMN: &str = "Expand/contract instead of a rename: 1. add the new column (nullable); 2. deploy code that writes both columns and still reads the old one; 3. backfill the new column from the old in batches (`strata::migrate::backfill`); 4. deploy code that reads the new column (the model field mapped to it); 5. in a later migration, once no running code uses it, drop the old column.";

pub(super) const RENAME_TABLE: &str = "Expand/contract: rename the table and leave a view under the old name in the same transaction (`ALTER TABLE old RENAME TO new; CREATE VIEW old AS SELECT * FROM new;`, a simple view stays writable), deploy code that uses the new name, then drop the view in a later migration.";

pub(super) const CONTRACT_COLUMN: &str = "Contract last: first deploy code that no longer reads or writes the column (remove the field from its model), then drop the column in a later migration. Once that code is live everywhere, mark the drop `-- strata:allow(..)` on the line above it.";

pub(super) const CONTRACT_TABLE: &str = "Contract last: first deploy code that no longer uses the table (remove its model), then drop it in a later migration, marked `-- strata:allow(..)` once that code is live everywhere.";

pub(super) const TYPE_CHANGE: &str = "Expand/contract: add a column of the new type, deploy code that writes both, backfill it in batches (`strata::migrate::backfill`), switch reads to it, then drop the old column in a later migration.";

/// PostgreSQL changes some types in place.
const PG_TYPE_CHANGE: &str = "Expand/contract: add a column of the new type, deploy code that writes both, backfill it in batches (`strata::migrate::backfill`), switch reads to it, then drop the old column in a later migration. (Widening `varchar(n)`, or making it `text`, needs no rewrite and is safe as is.)";

pub(super) const FK_INDEX: &str = "Index the foreign-key columns before adding the key: `#[strata(index)]` on the field (or `index(fields(..))` on the model), which the generator builds `CONCURRENTLY` on PostgreSQL.";

pub(super) const SQLITE_REBUILD: &str = "SQLite has no online rebuild. Prefer changes SQLite makes in place (`ADD COLUMN` of a nullable column, then a batched backfill with `strata::migrate::backfill`, with the rule enforced by the code), or run the rebuild when writers can wait, with `busy_timeout` above the copy's duration.";

const UNIQUE_INDEX: &str = "`CREATE UNIQUE INDEX CONCURRENTLY idx ON t (cols)` in a `-- strata:no-transaction` migration, then `ALTER TABLE t ADD CONSTRAINT c UNIQUE USING INDEX idx` (a brief lock, no scan).";

const PRIMARY_KEY: &str = "`CREATE UNIQUE INDEX CONCURRENTLY idx ON t (id)` in a `-- strata:no-transaction` migration, then `ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX idx`.";

const VOLATILE_DEFAULT: &str = "Add the column without a default (or with a constant one, which PostgreSQL 11+ stores without rewriting), `ALTER COLUMN .. SET DEFAULT ..` for new rows, and backfill existing rows in batches (`strata::migrate::backfill`).";

pub(super) const IN_TRANSACTION: &str = "Make the migration's first line `-- strata:no-transaction` (strata then runs it outside a transaction), and keep the CONCURRENTLY statements in a migration of their own.";

const NESTING: &str = "strata runs each migration in a transaction already: remove BEGIN/COMMIT, or make the first line `-- strata:no-transaction` and manage transactions yourself.";

const REWRITE: &str = "Rewrite the table online instead: `pg_repack` (or `REPACK (CONCURRENTLY)` on PostgreSQL 19+), outside a migration; plain `VACUUM` reclaims space for reuse without the exclusive lock.";

/// strata's recipe for a squawk rule, when it has one.
pub(super) fn squawk_recipe(rule: &str) -> Option<&'static str> {
    Some(match rule {
        "require-concurrent-index-creation" => CONCURRENT_INDEX,
        "require-concurrent-index-deletion" => "`DROP INDEX CONCURRENTLY` in a migration whose first line is `-- strata:no-transaction`.",
        "constraint-missing-not-valid" | "adding-foreign-key-constraint" => NOT_VALID,
        "adding-not-nullable-field" => SET_NOT_NULL,
        "adding-required-field" => NOT_NULL_COLUMN,
        "changing-column-type" => PG_TYPE_CHANGE,
        "renaming-column" => RENAME_COLUMN,
        "renaming-table" => RENAME_TABLE,
        "ban-drop-column" => CONTRACT_COLUMN,
        "ban-drop-table" => CONTRACT_TABLE,
        "disallowed-unique-constraint" => UNIQUE_INDEX,
        "adding-serial-primary-key-field" => PRIMARY_KEY,
        "adding-field-with-default" => VOLATILE_DEFAULT,
        "require-lock-timeout" => LOCK_TIMEOUT,
        "transaction-nesting" => NESTING,
        "prefer-repack" => REWRITE,
        "require-enum-value-ordering" => "Add the value where the Rust enum declares it: `ALTER TYPE t ADD VALUE 'v' BEFORE 'next'` (or `AFTER 'previous'`). Deploy code that can read the new value before code that writes it.",
        _ => return None,
    })
}

/// What strata adds to a squawk message that says what breaks but not how.
pub(super) fn squawk_why(rule: &str) -> Option<&'static str> {
    Some(match rule {
        "ban-drop-column" => "Instances of the previous release, still running during the deploy, name the column in their queries and fail with `column does not exist`.",
        "ban-drop-table" => "Instances of the previous release, still running during the deploy, fail with `relation does not exist`.",
        "renaming-column" | "renaming-table" => "Code naming the old name fails from the moment this runs, code naming the new one until it has: a rolling deploy always runs one of them.",
        "require-lock-timeout" => "Without it the statement waits behind any long transaction on the table, and every later query whose lock conflicts with the one it waits for (with ACCESS EXCLUSIVE: every query) queues behind it, an outage for as long as it waits.",
        "adding-required-field" => "PostgreSQL refuses it on a table with rows, and code of the previous release inserts rows without the column.",
        "require-enum-value-ordering" => "PostgreSQL sorts and compares enum values (ORDER BY, <, >) by their position in the type, not by name.",
        "adding-not-nullable-field" => "The scan holds ACCESS EXCLUSIVE: reads and writes of the table wait until every row is checked.",
        _ => return None,
    })
}

/// Dropping things breaks code only while some running code still uses
/// them: a warning, which the models turn into an error when they know.
pub(super) fn severity(rule: &str) -> Severity {
    let drop = rule.starts_with("ban-drop-") && rule != "ban-drop-database";
    if drop || rule == "fk-without-index" {
        Severity::Warning
    } else {
        Severity::Error
    }
}

/// Whether `winner`, reported on a statement, makes `loser` on the same
/// statement redundant: it says the same thing with more to go on.
pub(super) fn supersedes(winner: &str, loser: &str) -> bool {
    matches!(
        (winner, loser),
        (
            "mapped-column-removed",
            "ban-drop-column" | "renaming-column" | "rename-in-one-step"
        ) | ("mapped-table-removed", "ban-drop-table" | "renaming-table")
            | ("rename-in-one-step", "renaming-column")
            | ("not-null-without-default", "adding-required-field")
            | ("table-rewrite-lock", "prefer-repack")
            | ("changing-column-type", "mysql-online-alter")
            | (
                "disallowed-unique-constraint" | "adding-foreign-key-constraint",
                "constraint-missing-not-valid"
            )
    )
}

/// `VACUUM FULL`, `CLUSTER`, SQLite's `VACUUM`: the whole table (database)
/// copied under an exclusive lock.
pub(super) fn table_rewrite(statement: usize, database: &str) -> RawFinding {
    let (message, recipe) = if database == "SQLite" {
        ("SQLite's VACUUM copies the whole database while holding its write lock (and, at the end, an exclusive lock): every write to every table waits until it is done.", "Run `VACUUM` outside migrations, when writers can wait; `PRAGMA auto_vacuum = INCREMENTAL` with `PRAGMA incremental_vacuum` reclaims pages in small steps.")
    } else {
        ("This rewrites the whole table under an ACCESS EXCLUSIVE lock: every read and write of the table waits until the copy is done.", REWRITE)
    };
    RawFinding {
        statement,
        rule: "table-rewrite-lock".into(),
        severity: Severity::Error,
        message: message.into(),
        recipe: recipe.into(),
    }
}
