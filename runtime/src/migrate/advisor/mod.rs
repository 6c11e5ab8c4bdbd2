//! The index advisor: a live database's indexes against its foreign keys,
//! its usage statistics and the models.
//!
//! It reads the database through [`introspect`](super::introspect) (and, on
//! PostgreSQL, `pg_index` and `pg_stat_user_indexes` for what introspection
//! does not keep: scan counts, sizes, operator classes, collations, sort
//! options) and what the models ask for through
//! [`from_models`](super::from_models), and reports:
//!
//! - redundant indexes (PostgreSQL): keys a left prefix of another index's
//!   (or the same keys), same method, predicate, expressions, operator
//!   classes, collations and order; never a unique index that another
//!   index does not enforce the same way, never a constraint's index;
//! - unused indexes (PostgreSQL): `idx_scan = 0`, neither unique nor a
//!   primary key nor behind a constraint, with its size and since when;
//! - foreign keys without an index leading with their columns (PostgreSQL
//!   and SQLite; InnoDB indexes every foreign key itself);
//! - indexes and unique keys the models declare that the database lacks or
//!   has otherwise, and those it has on the models' tables that no model
//!   declares (every database).
//!
//! Each [`Finding`] names the table and index and carries the DDL to act on
//! it. Nothing is run: the advisor only reads.

mod declared;
mod finding;
mod foreign_keys;
mod pg_stats;
mod redundant;

pub use finding::Finding;

use std::fmt;

use super::from_models::{db_schema, with_join_tables};
use super::introspect::introspect;
use super::schema::DbSchema;
use crate::error::Result;
use crate::migrate::ddl::create::drop_index;
use crate::render::Dialect;
use crate::schema::ModelSchema;
use crate::Db;
use pg_stats::PgStats;

/// What the advisor found on one database, ordered by table, then additions
/// before drops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    pub dialect: Dialect,
    pub findings: Vec<Finding>,
    /// The checks this database could not have, with why.
    pub skipped: Vec<&'static str>,
}

impl Advice {
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    /// The findings about `table`.
    pub fn on_table<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.table() == table)
    }
}

impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.findings.len() {
            0 => writeln!(f, "no index findings")?,
            1 => writeln!(f, "1 index finding:")?,
            n => writeln!(f, "{n} index findings:")?,
        }
        for finding in &self.findings {
            writeln!(f, "\n{finding}")?;
        }
        for skipped in &self.skipped {
            writeln!(f, "\nnot checked: {skipped}")?;
        }
        Ok(())
    }
}

/// Advice on the indexes of the database `db` is connected to, against
/// `models` (an empty list checks the database alone). Reads only.
/// Errors: a model the database cannot store, or a catalog read that failed.
pub async fn advise(db: &Db, models: &[&'static ModelSchema]) -> Result<Advice> {
    let dialect = db.dialect();
    let wanted = db_schema(models, dialect)?;
    let database = introspect(db).await?;
    let stats = match dialect {
        Dialect::Postgres => Some(pg_stats::read(db).await?),
        Dialect::Sqlite | Dialect::MySql => None,
    };
    let declared = Declared::new(models, &wanted);
    Ok(analyse(
        dialect,
        &wanted,
        &database,
        stats.as_ref(),
        &declared,
    ))
}

fn analyse(
    dialect: Dialect,
    wanted: &DbSchema,
    database: &DbSchema,
    stats: Option<&PgStats>,
    declared: &Declared,
) -> Advice {
    let mut findings = declared::findings(dialect, wanted, database, declared);
    let mut skipped = Vec::new();
    match dialect {
        Dialect::Postgres | Dialect::Sqlite => findings.extend(foreign_keys::findings(
            dialect,
            database,
            Some(wanted),
            stats,
            declared,
        )),
        Dialect::MySql => skipped.push(
            "foreign keys without an index: InnoDB creates an index for every foreign key itself",
        ),
    }
    match stats {
        Some(stats) => {
            for table in &database.tables {
                findings.extend(redundant::findings(table, stats, declared));
            }
            findings.extend(unused(database, stats, declared));
        }
        None => skipped.push(
            "redundant and unused indexes: they need PostgreSQL's index statistics, \
             operator classes and collations",
        ),
    }
    findings
        .sort_by(|a, b| (a.table(), a.rank(), a.index()).cmp(&(b.table(), b.rank(), b.index())));
    Advice {
        dialect,
        findings,
        skipped,
    }
}

/// Standalone indexes PostgreSQL has never scanned since the last reset.
fn unused(database: &DbSchema, stats: &PgStats, declared: &Declared) -> Vec<Finding> {
    let mut findings = Vec::new();
    // A partitioned table's index is scanned through its partitions' only.
    let idle = (stats.indexes.iter())
        .filter(|i| i.scans == 0 && !i.unique && !i.primary && !i.constraint && !i.partitioned);
    for pg in idle {
        let Some(table) = database.table(&pg.table) else {
            continue;
        };
        if !table.indexes.iter().any(|i| i.name == pg.name) {
            continue;
        }
        let only_index_of_foreign_key = (table.foreign_keys.iter())
            .find(|fk| {
                let mut supporting = foreign_keys::supporting_indexes(table, fk, Some(stats));
                supporting.next() == Some(pg.name.as_str()) && supporting.next().is_none()
            })
            .map(|fk| fk.name.clone());
        findings.push(Finding::UnusedIndex {
            table: pg.table.clone(),
            index: pg.name.clone(),
            size_bytes: pg.size_bytes,
            stats_since: stats.stats_reset.clone(),
            only_index_of_foreign_key,
            declared_by: declared.model(&pg.table, &pg.name),
            ddl: format!(
                "{};",
                drop_index(Dialect::Postgres, &pg.table, &pg.name, true)
            ),
        });
    }
    findings
}

/// Which model declares each index and unique key of the wanted schema.
pub(super) struct Declared {
    /// (table, index or key name, model name).
    entries: Vec<(String, String, &'static str)>,
}

impl Declared {
    fn new(models: &[&'static ModelSchema], wanted: &DbSchema) -> Declared {
        let mut entries = Vec::new();
        for model in with_join_tables(models) {
            let Some(table) = wanted.table(model.table) else {
                continue;
            };
            let names = (table.indexes.iter().map(|i| &i.name))
                .chain(table.uniques.iter().map(|u| &u.name));
            for name in names {
                entries.push((table.name.clone(), name.clone(), model.name));
            }
        }
        Declared { entries }
    }

    /// The model declaring index or unique key `name` of `table`.
    pub(super) fn model(&self, table: &str, name: &str) -> Option<&'static str> {
        (self.entries.iter())
            .find(|(t, n, _)| t == table && n == name)
            .map(|(_, _, model)| *model)
    }
}
