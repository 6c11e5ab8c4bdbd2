//! What the advisor reports: one [`Finding`] per index fact, each naming the
//! table, the index (or foreign key) and the DDL that acts on it.

use std::fmt;

/// One piece of index advice. `ddl` is a script the user can run as is:
/// each statement ends with `;`. On PostgreSQL, creates and drops are
/// `CONCURRENTLY` (they run outside a transaction and take no write lock).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Finding {
    /// `index`'s keys are a left prefix of `covered_by`'s (or the same keys:
    /// `duplicate`) with the same method, predicate, expressions, operator
    /// classes and collations, so every lookup it serves `covered_by` serves
    /// too, and each write pays for both.
    RedundantIndex {
        table: String,
        index: String,
        covered_by: String,
        duplicate: bool,
        /// The model that declares `index`, if one does: remove it there too,
        /// or the next migration creates it again.
        declared_by: Option<&'static str>,
        ddl: String,
    },
    /// PostgreSQL has not used `index` for a scan (`pg_stat_user_indexes.idx_scan
    /// = 0`) since its statistics were reset. Unique, primary-key and
    /// constraint indexes are never reported: they enforce something.
    UnusedIndex {
        table: String,
        index: String,
        /// `pg_relation_size` of the index.
        size_bytes: i64,
        /// `pg_stat_database.stats_reset`: when the counters started; `None`
        /// when they were never reset.
        stats_since: Option<String>,
        /// A foreign key of `table` that no other index supports: dropping
        /// this index makes deletes and key updates of the referenced table
        /// scan `table`.
        only_index_of_foreign_key: Option<String>,
        declared_by: Option<&'static str>,
        ddl: String,
    },
    /// No index of `table` leads with exactly `columns` (in any order), so
    /// each delete or key update of `referenced_table` scans `table`, and
    /// joins along the key have nothing to use. `index` is the suggested
    /// index's name: the models' own when they declare one the database
    /// lacks.
    UnindexedForeignKey {
        table: String,
        foreign_key: String,
        columns: Vec<String>,
        referenced_table: String,
        index: String,
        /// The model that declares `index`; `None` for a new index, which
        /// the model should then declare too.
        declared_by: Option<&'static str>,
        ddl: String,
    },
    /// `model` declares `index` (an index or a unique key) and the database
    /// has nothing of that name.
    MissingIndex {
        table: String,
        index: String,
        model: &'static str,
        ddl: String,
    },
    /// The database has an index named `index`, but not as `model` declares
    /// it (other keys, method, predicate, uniqueness..): the DDL replaces it.
    ChangedIndex {
        table: String,
        index: String,
        model: &'static str,
        ddl: String,
    },
    /// The database has `index` (an index or a unique key) on a model's table
    /// and no model declares it.
    UndeclaredIndex {
        table: String,
        index: String,
        ddl: String,
    },
}

impl Finding {
    pub fn table(&self) -> &str {
        match self {
            Finding::RedundantIndex { table, .. }
            | Finding::UnusedIndex { table, .. }
            | Finding::UnindexedForeignKey { table, .. }
            | Finding::MissingIndex { table, .. }
            | Finding::ChangedIndex { table, .. }
            | Finding::UndeclaredIndex { table, .. } => table,
        }
    }

    /// The index the finding is about (for a foreign key: the suggested one).
    pub fn index(&self) -> &str {
        match self {
            Finding::RedundantIndex { index, .. }
            | Finding::UnusedIndex { index, .. }
            | Finding::UnindexedForeignKey { index, .. }
            | Finding::MissingIndex { index, .. }
            | Finding::ChangedIndex { index, .. }
            | Finding::UndeclaredIndex { index, .. } => index,
        }
    }

    /// The statements that act on the finding, each ending with `;`.
    pub fn ddl(&self) -> &str {
        match self {
            Finding::RedundantIndex { ddl, .. }
            | Finding::UnusedIndex { ddl, .. }
            | Finding::UnindexedForeignKey { ddl, .. }
            | Finding::MissingIndex { ddl, .. }
            | Finding::ChangedIndex { ddl, .. }
            | Finding::UndeclaredIndex { ddl, .. } => ddl,
        }
    }

    /// Orders findings within a table: what to add before what to drop.
    pub(super) fn rank(&self) -> u8 {
        match self {
            Finding::MissingIndex { .. } => 0,
            Finding::ChangedIndex { .. } => 1,
            Finding::UnindexedForeignKey { .. } => 2,
            Finding::RedundantIndex { .. } => 3,
            Finding::UnusedIndex { .. } => 4,
            Finding::UndeclaredIndex { .. } => 5,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = self.table();
        match self {
            Finding::RedundantIndex {
                index,
                covered_by,
                duplicate,
                declared_by,
                ..
            } => {
                let how = match duplicate {
                    true => "duplicates",
                    false => "is a left prefix of",
                };
                write!(f, "{table}: index {index:?} {how} {covered_by:?}")?;
                write!(f, ", which serves every lookup it does")?;
                declared(f, *declared_by)?;
            }
            Finding::UnusedIndex {
                index,
                size_bytes,
                stats_since,
                only_index_of_foreign_key,
                declared_by,
                ..
            } => {
                let since = match stats_since {
                    Some(at) => format!("since the statistics were reset at {at}"),
                    None => "since the statistics began (never reset)".to_owned(),
                };
                write!(
                    f,
                    "{table}: index {index:?} ({}) has not been scanned {since} \
                     (counted on this server only: check replicas before dropping)",
                    size(*size_bytes)
                )?;
                if let Some(fk) = only_index_of_foreign_key {
                    write!(
                        f,
                        "; it is the only index for foreign key {fk:?}: without it \
                         deletes of referenced rows scan {table}"
                    )?;
                }
                declared(f, *declared_by)?;
            }
            Finding::UnindexedForeignKey {
                foreign_key,
                columns,
                referenced_table,
                declared_by,
                ..
            } => {
                write!(
                    f,
                    "{table}: foreign key {foreign_key:?} ({}) has no index leading with its \
                     columns: each delete or key update in {referenced_table} scans {table}",
                    columns.join(", ")
                )?;
                match declared_by {
                    Some(model) => write!(f, "; model {model} declares one")?,
                    None => write!(
                        f,
                        "; declare the index on the model too (`#[strata(index)]` on the field)"
                    )?,
                }
            }
            Finding::MissingIndex { index, model, .. } => write!(
                f,
                "{table}: model {model} declares index {index:?}, which the database lacks"
            )?,
            Finding::ChangedIndex { index, model, .. } => write!(
                f,
                "{table}: index {index:?} differs from what model {model} declares"
            )?,
            Finding::UndeclaredIndex { index, .. } => write!(
                f,
                "{table}: index {index:?} is in the database but no model declares it"
            )?,
        }
        for line in self.ddl().lines() {
            write!(f, "\n    {line}")?;
        }
        Ok(())
    }
}

fn declared(f: &mut fmt::Formatter<'_>, model: Option<&'static str>) -> fmt::Result {
    match model {
        Some(model) => write!(
            f,
            "; model {model} declares it: remove it there too, or the next migration creates it again"
        ),
        None => Ok(()),
    }
}

/// Bytes as PostgreSQL's `pg_size_pretty` writes them (`8192 bytes`, `16 kB`).
pub(super) fn size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut value = bytes;
    let mut unit = 0;
    // pg_size_pretty switches unit at 10 of the next one, rounding half up.
    while value.abs() >= 10 * 1024 && unit + 1 < UNITS.len() {
        value = (value + 512) / 1024;
        unit += 1;
    }
    format!("{value} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::size;

    #[test]
    fn sizes_read_like_pg_size_pretty() {
        assert_eq!(size(8192), "8192 bytes");
        assert_eq!(size(16384), "16 kB");
        assert_eq!(size(10 * 1024 * 1024), "10 MB");
    }
}
