//! Foreign keys without a supporting index: the database checks a delete or
//! key update of a referenced row by looking up the referencing rows, and
//! without an index whose leading keys are exactly the foreign key's columns
//! (in any order) that lookup scans the whole referencing table.

use super::finding::Finding;
use super::pg_stats::PgStats;
use super::Declared;
use crate::migrate::ddl::create::create_index;
use crate::migrate::schema::{DbSchema, ForeignKey, Index, IndexPart, Table};
use crate::render::Dialect;

/// PostgreSQL truncates longer identifiers.
const MAX_NAME_BYTES: usize = 63;

/// `database`'s foreign keys no index supports, each with an index to
/// create: the one `models` declare for the table if it would support the
/// key, else a new one named `{table}_{columns}_idx`.
pub(super) fn findings(
    dialect: Dialect,
    database: &DbSchema,
    models: Option<&DbSchema>,
    stats: Option<&PgStats>,
    names: &Declared,
) -> Vec<Finding> {
    let mut taken = taken_names(database);
    let mut findings = Vec::new();
    for table in &database.tables {
        for fk in &table.foreign_keys {
            if supporting_indexes(table, fk, stats).next().is_some() {
                continue;
            }
            let declared = (models.and_then(|m| m.table(&table.name)))
                .and_then(|t| t.indexes.iter().find(|i| supports(i, fk)));
            let index = match declared {
                Some(index) => index.clone(),
                None => new_index(table, fk, &mut taken),
            };
            let declared_by = declared.and_then(|i| names.model(&table.name, &i.name));
            let ddl = format!("{};", create_index(dialect, &table.name, &index, true));
            findings.push(Finding::UnindexedForeignKey {
                table: table.name.clone(),
                foreign_key: fk.name.clone(),
                columns: fk.columns.clone(),
                referenced_table: fk.referenced_table.clone(),
                index: index.name,
                declared_by,
                ddl,
            });
        }
    }
    findings
}

/// The names of `table`'s indexes and keys that support `fk`: standalone
/// indexes that are valid and not partial, the primary key, unique keys.
pub(super) fn supporting_indexes<'t>(
    table: &'t Table,
    fk: &'t ForeignKey,
    stats: Option<&'t PgStats>,
) -> impl Iterator<Item = &'t str> + 't {
    let valid = move |name: &str| {
        stats
            .and_then(|s| s.index(&table.name, name))
            .is_none_or(|i| i.valid)
    };
    let indexes = (table.indexes.iter())
        .filter(move |i| valid(&i.name) && supports(i, fk))
        .map(|i| i.name.as_str());
    let keys = (table.primary_key.iter())
        .map(|pk| (pk.name.as_deref().unwrap_or("primary key"), &pk.columns))
        .chain(table.uniques.iter().map(|u| (u.name.as_str(), &u.columns)))
        .filter(move |(_, columns)| leads_with(columns, &fk.columns))
        .map(|(name, _)| name);
    indexes.chain(keys)
}

/// An index the database can search for `fk`'s columns: a b-tree (or, for
/// one column, a hash) without a predicate whose first keys are the columns.
fn supports(index: &Index, fk: &ForeignKey) -> bool {
    let method_ok = match index.method.as_deref() {
        None | Some("btree") => true,
        Some("hash") => fk.columns.len() == 1,
        Some(_) => false,
    };
    let columns: Option<Vec<String>> = (index.parts.iter())
        .take(fk.columns.len())
        .map(|part| match part {
            IndexPart::Column { name, .. } => Some(name.clone()),
            IndexPart::Expression(_) => None,
        })
        .collect();
    method_ok && index.predicate.is_none() && columns.is_some_and(|c| leads_with(&c, &fk.columns))
}

/// Whether the first `wanted.len()` of `columns` are `wanted`, in any order.
fn leads_with(columns: &[String], wanted: &[String]) -> bool {
    let Some(leading) = columns.get(..wanted.len()) else {
        return false;
    };
    !wanted.is_empty() && wanted.iter().all(|w| leading.contains(w))
}

/// Every name an index cannot take: PostgreSQL's indexes, tables and
/// constraints backed by an index share one namespace per schema.
fn taken_names(database: &DbSchema) -> Vec<String> {
    let mut taken = Vec::new();
    for table in &database.tables {
        taken.push(table.name.clone());
        taken.extend(table.indexes.iter().map(|i| i.name.clone()));
        taken.extend(table.uniques.iter().map(|u| u.name.clone()));
        taken.extend(table.primary_key.iter().filter_map(|pk| pk.name.clone()));
    }
    taken
}

fn new_index(table: &Table, fk: &ForeignKey, taken: &mut Vec<String>) -> Index {
    let base = format!("{}_{}", table.name, fk.columns.join("_"));
    let mut n = 0;
    let name = loop {
        let suffix = match n {
            0 => "_idx".to_owned(),
            n => format!("_idx{n}"),
        };
        let candidate = format!("{}{suffix}", truncate(&base, MAX_NAME_BYTES - suffix.len()));
        if !taken.contains(&candidate) {
            break candidate;
        }
        n += 1;
    };
    taken.push(name.clone());
    Index {
        name,
        parts: (fk.columns.iter())
            .map(|c| IndexPart::Column {
                name: c.clone(),
                descending: false,
            })
            .collect(),
        unique: false,
        method: None,
        include: Vec::new(),
        predicate: None,
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_columns_match_in_any_order_but_not_beyond_the_key() {
        let s = |v: &[&str]| v.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        assert!(leads_with(&s(&["b", "a", "c"]), &s(&["a", "b"])));
        assert!(!leads_with(&s(&["a", "c", "b"]), &s(&["a", "b"])));
        assert!(!leads_with(&s(&["a"]), &s(&["a", "b"])));
    }

    #[test]
    fn long_names_are_cut_to_postgres_limit() {
        let name = format!("{}_idx", truncate(&"x".repeat(80), MAX_NAME_BYTES - 4));
        assert_eq!(name.len(), MAX_NAME_BYTES);
    }
}
