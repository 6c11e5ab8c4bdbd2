//! Pieces every dialect's change renderer shares.

use crate::render::{Dialect, SqlWriter};

/// `ALTER TABLE "table" ` followed by what `rest` writes.
pub(super) fn alter(dialect: Dialect, table: &str, rest: impl FnOnce(&mut SqlWriter)) -> String {
    let mut w = SqlWriter::new(dialect);
    w.push("ALTER TABLE ");
    w.push_ident(table);
    w.push(" ");
    rest(&mut w);
    w.finish().sql
}

/// `ALTER TABLE .. RENAME COLUMN from TO to{suffix}`, led by why it is there
/// and the linter `rules` it knowingly breaks: only a rename hint makes one.
pub(super) fn rename_column(
    dialect: Dialect,
    rules: &[&str],
    table: &str,
    (from, to): (&str, &str),
    suffix: &str,
) -> String {
    allow(
        rules,
        RENAMED_COLUMN,
        alter(dialect, table, |w| {
            w.push("RENAME COLUMN ");
            w.push_ident(from);
            w.push(" TO ");
            w.push_ident(to);
            w.push(suffix);
        }),
    )
}

/// Why a migration renames a table, or a column, in one step: every
/// dialect's recipe says the same.
pub(super) const RENAMED_TABLE: &str = "a rename hint asked for this: code still using the old name breaks, so deploy it with the code that uses the new one";
pub(super) const RENAMED_COLUMN: &str = "a rename hint asked for this: code still using the old name breaks, so deploy it with the code that uses the new one (or expand/contract, see the README)";

/// `statement` led by a comment saying why it is there and the linter rules
/// it knowingly breaks.
pub(super) fn allow(rules: &[&str], why: &str, statement: String) -> String {
    format!(
        "-- {why}\n-- strata:allow({})\n{statement}",
        rules.join(", ")
    )
}
