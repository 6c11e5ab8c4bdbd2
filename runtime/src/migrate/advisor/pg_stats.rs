//! What introspection does not read and the advisor needs on PostgreSQL:
//! per index its scan count and size, whether it is valid and backs a
//! constraint, and per key its operator class, collation and sort options
//! (two indexes on the same columns with different ones serve different
//! queries); and when the statistics were last reset.

use crate::error::Result;
use crate::execute::Rows;
use crate::render::{Dialect, Rendered, SqlWriter};
use crate::schema::{FromRow, Row};
use crate::Db;

/// Every index of the current schema's tables, constraint indexes included.
/// `indclass`, `indcollation` and `indoption` cover the key columns only,
/// in key order; `pg_stat_user_indexes` has no row for an index created
/// since the last statistics flush, hence the `coalesce`.
const INDEXES: &str = "SELECT t.relname::text, i.relname::text, \
    coalesce(s.idx_scan, 0)::bigint, pg_relation_size(x.indexrelid)::bigint, \
    x.indisunique, x.indisprimary, x.indisvalid, \
    EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid \
        AND k.conrelid = x.indrelid AND k.contype IN ('p', 'u', 'x')), \
    x.indclass::text, x.indcollation::text, x.indoption::text, i.relkind = 'I' \
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
    JOIN pg_namespace n ON n.oid = t.relnamespace \
    LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = x.indexrelid \
    WHERE n.nspname = current_schema() ORDER BY 1, 2";

const STATS_RESET: &str = "SELECT stats_reset::text FROM pg_stat_database \
    WHERE datname = current_database()";

/// One index as `pg_index` and the statistics describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PgIndex {
    pub table: String,
    pub name: String,
    pub scans: i64,
    pub size_bytes: i64,
    pub unique: bool,
    pub primary: bool,
    /// False for an index a failed `CREATE INDEX CONCURRENTLY` left behind:
    /// queries do not use it.
    pub valid: bool,
    /// Backs a PRIMARY KEY, UNIQUE or EXCLUDE constraint.
    pub constraint: bool,
    /// Per key: operator class and collation OIDs, and the `indoption` bits
    /// (1: DESC, 2: NULLS FIRST).
    pub opclasses: Vec<u32>,
    pub collations: Vec<u32>,
    pub options: Vec<u16>,
    /// The index of a partitioned table: scans count on its partitions'.
    pub partitioned: bool,
}

/// What the advisor reads from PostgreSQL's statistics.
#[derive(Debug, Clone, Default)]
pub(super) struct PgStats {
    pub indexes: Vec<PgIndex>,
    pub stats_reset: Option<String>,
}

impl PgStats {
    pub fn index(&self, table: &str, name: &str) -> Option<&PgIndex> {
        (self.indexes.iter()).find(|i| i.table == table && i.name == name)
    }
}

type IndexRow = (
    String,
    String,
    i64,
    i64,
    bool,
    bool,
    bool,
    bool,
    String,
    String,
    String,
    bool,
);

pub(super) async fn read(db: &Db) -> Result<PgStats> {
    let rows: Vec<IndexRow> = fetch(db, INDEXES).await?;
    let indexes = rows
        .into_iter()
        .map(|r| PgIndex {
            table: r.0,
            name: r.1,
            scans: r.2,
            size_bytes: r.3,
            unique: r.4,
            primary: r.5,
            valid: r.6,
            constraint: r.7,
            opclasses: numbers(&r.8),
            collations: numbers(&r.9),
            options: numbers(&r.10),
            partitioned: r.11,
        })
        .collect();
    let reset: Vec<(Option<String>,)> = fetch(db, STATS_RESET).await?;
    Ok(PgStats {
        indexes,
        stats_reset: reset.into_iter().next().and_then(|(at,)| at),
    })
}

async fn fetch<T: FromRow + Send + Unpin + 'static>(db: &Db, sql: &str) -> Result<Vec<T>> {
    let mut w = SqlWriter::new(Dialect::Postgres);
    w.push(sql);
    let rendered: Rendered = w.finish();
    let decode = |row: Row<'_>| T::from_row(row, &mut 0);
    db.fetch_unscoped("index advisor statistics", rendered, decode, Rows::All)
        .await
}

/// An `oidvector`/`int2vector` as text (`"1978 3126"`); never fails, since
/// a number the catalog cannot print is not one.
fn numbers<N: std::str::FromStr>(text: &str) -> Vec<N> {
    text.split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect()
}
