//! `explain` on any query: the database's plan for it, read into one typed
//! tree ([`PlanNode`]) whatever the database, with [`PlanWarning`]s for what
//! usually makes a query slow.
//!
//! ```ignore
//! use strata::Explain as _;
//! let plan = Event::find_many().filter(Event::kind().eq("signup")).explain(&db).await?;
//! println!("{plan}");          // the tree, then the warnings
//! assert!(plan.warnings().is_empty());
//! ```
//!
//! Per database:
//! - PostgreSQL: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`. ANALYZE runs the
//!   statement, so it runs in a transaction (a savepoint inside one) that is
//!   rolled back: a write changes nothing (sequences aside, which never roll
//!   back). `ExplainOptions { analyze: false, .. }` asks for the estimate
//!   alone (`EXPLAIN (FORMAT JSON)`), which runs nothing.
//! - SQLite: `EXPLAIN QUERY PLAN`, which has no row counts; a full scan's
//!   table is counted (up to a cap) to decide the warning.
//! - MySQL/MariaDB: `EXPLAIN FORMAT=JSON`, estimates only; the statement
//!   does not run.
//!
//! The statement is the query's own rendering (`ToSql`, through `SqlWriter`:
//! identifiers quoted, values bound), and the EXPLAIN prefix is one of the
//! fixed strings below, chosen by dialect and options, put in front of it.
//! No part of the prefix comes from the query or its values, and the values
//! stay binds: placeholders are numbered within the statement, which the
//! prefix does not change. So the text handed to `trusted()` is as safe as
//! the statement itself.

mod display;
mod mysql;
mod node;
mod postgres;
mod sqlite;
mod warnings;

pub use node::{NodeKind, PlanNode};
pub use sqlite::QueryPlanRow;
pub use warnings::PlanWarning;

use crate::error::{Error, Result};
use crate::execute::{Db, Rows};
use crate::query::ToSql;
use crate::render::{Dialect, Rendered, SqlWriter};
use crate::schema::{FromRow as _, Row};
use crate::value::Value;
use futures_util::future::BoxFuture;
use std::collections::HashMap;

const POSTGRES_ANALYZE: &str = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ";
const POSTGRES_ESTIMATE: &str = "EXPLAIN (FORMAT JSON) ";
const SQLITE: &str = "EXPLAIN QUERY PLAN ";
const MYSQL: &str = "EXPLAIN FORMAT=JSON ";
/// The label errors of EXPLAIN statements name.
const LABEL: &str = "explain";
/// SQLite counts a fully scanned table's rows up to this many times the
/// threshold (at least a million), so a huge table is not read whole.
const SQLITE_COUNT_CAP_FACTOR: u64 = 100;

/// How to explain, and when a plan is worth a warning.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainOptions {
    /// PostgreSQL: run the statement (in a rolled-back transaction) for
    /// actual rows, times and buffers. `false`: the planner's estimate only.
    /// SQLite and MySQL only estimate.
    pub analyze: bool,
    /// A full scan of a table with more rows than this is a warning.
    pub full_scan_rows: u64,
    /// Estimated and actual rows this many times apart are a warning..
    pub misestimate_factor: f64,
    /// .. when the larger of the two is at least this many rows.
    pub misestimate_min_rows: u64,
    /// A nested loop whose outer side has more rows than this is a warning.
    pub nested_loop_outer_rows: u64,
}

impl Default for ExplainOptions {
    fn default() -> Self {
        ExplainOptions {
            analyze: true,
            full_scan_rows: 10_000,
            misestimate_factor: 10.0,
            misestimate_min_rows: 100,
            nested_loop_outer_rows: 10_000,
        }
    }
}

/// `explain` for every query strata can render: the ORM's builders, the
/// select builder, `sql!`, a `Statement`.
pub trait Explain: ToSql {
    /// The plan with the default [`ExplainOptions`] (on PostgreSQL: ANALYZE,
    /// which runs the statement inside a transaction that is rolled back).
    fn explain<'d>(&self, db: &'d Db) -> BoxFuture<'d, Result<Plan>> {
        self.explain_with(db, ExplainOptions::default())
    }

    fn explain_with<'d>(&self, db: &'d Db, options: ExplainOptions) -> BoxFuture<'d, Result<Plan>> {
        // Rendered now, so the future holds no borrow of the query.
        let rendered = self.to_sql(db.dialect());
        Box::pin(async move { explain_rendered(db, rendered?, options).await })
    }
}

impl<T: ToSql + ?Sized> Explain for T {}

/// The database's plan for one statement, as it came and as a tree.
#[derive(Debug, Clone)]
pub struct Plan {
    dialect: Dialect,
    sql: String,
    analyzed: bool,
    root: PlanNode,
    warnings: Vec<PlanWarning>,
    raw: RawPlan,
    planning_ms: Option<f64>,
    execution_ms: Option<f64>,
}

/// The plan as the database returned it.
#[derive(Debug, Clone, PartialEq)]
pub enum RawPlan {
    /// PostgreSQL's and MySQL's JSON document.
    Json(serde_json::Value),
    /// SQLite's `EXPLAIN QUERY PLAN` rows.
    Rows(Vec<QueryPlanRow>),
}

impl Plan {
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }
    /// The statement explained (without the EXPLAIN prefix).
    pub fn sql(&self) -> &str {
        &self.sql
    }
    /// Whether the statement ran (PostgreSQL ANALYZE): actual rows and times.
    pub fn analyzed(&self) -> bool {
        self.analyzed
    }
    pub fn root(&self) -> &PlanNode {
        &self.root
    }
    /// Every node, depth first.
    pub fn nodes(&self) -> impl Iterator<Item = &PlanNode> {
        self.root.iter()
    }
    pub fn warnings(&self) -> &[PlanWarning] {
        &self.warnings
    }
    pub fn raw(&self) -> &RawPlan {
        &self.raw
    }
    /// PostgreSQL's and MySQL's JSON plan; `None` on SQLite.
    pub fn raw_json(&self) -> Option<&serde_json::Value> {
        match &self.raw {
            RawPlan::Json(json) => Some(json),
            RawPlan::Rows(_) => None,
        }
    }
    /// The plan as the database returned it, as text: the JSON pretty
    /// printed, or SQLite's rows as `id|parent|detail` lines.
    pub fn raw_text(&self) -> String {
        match &self.raw {
            RawPlan::Json(json) => serde_json::to_string_pretty(json).unwrap_or_default(),
            RawPlan::Rows(rows) => rows
                .iter()
                .map(|r| format!("{}|{}|{}\n", r.id, r.parent, r.detail))
                .collect(),
        }
    }
    /// PostgreSQL's planning time, in milliseconds.
    pub fn planning_time_ms(&self) -> Option<f64> {
        self.planning_ms
    }
    /// PostgreSQL ANALYZE's execution time, in milliseconds.
    pub fn execution_time_ms(&self) -> Option<f64> {
        self.execution_ms
    }
}

/// Explains an already rendered statement on `db`.
pub(crate) async fn explain_rendered(
    db: &Db,
    rendered: Rendered,
    options: ExplainOptions,
) -> Result<Plan> {
    let sql = rendered.sql.clone();
    let (root, raw, analyzed, planning_ms, execution_ms) = match db.dialect() {
        Dialect::Postgres => {
            let json = postgres_plan(db, rendered, options.analyze).await?;
            let parsed = postgres::parse(&json).map_err(malformed)?;
            let analyzed = options.analyze;
            (
                parsed.root,
                RawPlan::Json(json),
                analyzed,
                parsed.planning_ms,
                parsed.execution_ms,
            )
        }
        Dialect::Sqlite => {
            let statement = prefixed(SQLITE, rendered);
            let rows = db
                .fetch_unscoped(LABEL, statement, decode_sqlite_row, Rows::All)
                .await?;
            (
                sqlite::tree(&rows, &sql),
                RawPlan::Rows(rows),
                false,
                None,
                None,
            )
        }
        Dialect::MySql => {
            let statement = prefixed_mysql(rendered);
            let texts = db
                .fetch_unscoped(LABEL, statement, decode_text, Rows::All)
                .await?;
            let text = texts
                .into_iter()
                .next()
                .ok_or_else(|| malformed("MySQL returned no plan".into()))?;
            let json: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| malformed(format!("MySQL's plan is not JSON: {e}")))?;
            let root = mysql::parse(&json, &sql).map_err(malformed)?;
            (root, RawPlan::Json(json), false, None, None)
        }
    };
    let table_rows = catalog_rows(db, &root, &options).await?;
    let warnings = warnings::find(&root, &options, &table_rows);
    Ok(Plan {
        dialect: db.dialect(),
        sql,
        analyzed,
        root,
        warnings,
        raw,
        planning_ms,
        execution_ms,
    })
}

/// PostgreSQL's JSON plan. ANALYZE runs the statement, so it runs in a
/// transaction that is always rolled back (reads too: a read may call a
/// function that writes, or lock rows with FOR UPDATE).
async fn postgres_plan(db: &Db, rendered: Rendered, analyze: bool) -> Result<serde_json::Value> {
    let prefix = if analyze {
        POSTGRES_ANALYZE
    } else {
        POSTGRES_ESTIMATE
    };
    let statement = prefixed(prefix, rendered);
    let plans = if analyze {
        let (tx, level) = db.begin().await?;
        let plans = tx
            .fetch_unscoped(LABEL, statement, decode_json, Rows::All)
            .await;
        drop(tx);
        let rolled_back = level.rollback().await;
        let plans = plans?;
        rolled_back?;
        plans
    } else {
        db.fetch_unscoped(LABEL, statement, decode_json, Rows::All)
            .await?
    };
    plans
        .into_iter()
        .next()
        .ok_or_else(|| malformed("PostgreSQL returned no plan".into()))
}

/// `prefix` (one of the constants above) followed by the rendered statement.
fn prefixed(prefix: &'static str, rendered: Rendered) -> Rendered {
    Rendered {
        sql: format!("{prefix}{}", rendered.sql),
        binds: rendered.binds,
    }
}

/// MySQL's EXPLAIN goes after MariaDB's `SET STATEMENT .. FOR`, which strata
/// puts before a read with joined includes (`render/json_load.rs`); EXPLAIN
/// cannot take a SET STATEMENT.
fn prefixed_mysql(rendered: Rendered) -> Rendered {
    const SET_STATEMENT: &str = "SET STATEMENT ";
    const FOR: &str = " FOR ";
    if rendered.sql.starts_with(SET_STATEMENT) {
        if let Some(at) = rendered.sql.find(FOR) {
            let (set, statement) = rendered.sql.split_at(at + FOR.len());
            return Rendered {
                sql: format!("{set}{MYSQL}{statement}"),
                binds: rendered.binds,
            };
        }
    }
    prefixed(MYSQL, rendered)
}

/// Row counts from outside the plan for the tables it scans whole where the
/// plan's own numbers stay under the threshold: PostgreSQL's
/// `pg_class.reltuples` (a plan's rows for a filtered scan are the rows it
/// returns, not the table's), SQLite's `COUNT(*)` (its plans carry no
/// numbers). MySQL's plans carry the table's estimated rows already.
async fn catalog_rows(
    db: &Db,
    root: &PlanNode,
    options: &ExplainOptions,
) -> Result<HashMap<String, f64>> {
    let mut rows = HashMap::new();
    if db.dialect() == Dialect::MySql {
        return Ok(rows);
    }
    let threshold = options.full_scan_rows as f64;
    for (node, table) in warnings::full_scans(root) {
        if rows.contains_key(table) || warnings::scanned_rows(node).is_some_and(|r| r > threshold) {
            continue;
        }
        let count = match db.dialect() {
            Dialect::Postgres => postgres_reltuples(db, table).await?,
            _ => sqlite_count(db, table, options.full_scan_rows).await,
        };
        if let Some(count) = count {
            rows.insert(table.to_owned(), count);
        }
    }
    Ok(rows)
}

/// The planner's row count for `table` as the plan names it (resolved on
/// the search path, as the statement's was); `None` if never analyzed.
async fn postgres_reltuples(db: &Db, table: &str) -> Result<Option<f64>> {
    let mut w = SqlWriter::new(Dialect::Postgres);
    w.push(
        "SELECT reltuples::float8 FROM pg_catalog.pg_class WHERE oid = to_regclass(quote_ident(",
    );
    w.push_bind(Value::Text(table.to_owned()));
    w.push("))");
    let counts: Vec<Option<f64>> = db
        .fetch_unscoped(LABEL, w.finish(), decode_optional_f64, Rows::First)
        .await?;
    // -1: never vacuumed or analyzed.
    Ok(counts.into_iter().flatten().find(|&n| n >= 0.0))
}

/// `table`'s rows, counted up to a cap; `None` if the name is not a table
/// (a CTE, a view's alias): the warning then rests on the plan alone.
async fn sqlite_count(db: &Db, table: &str, threshold: u64) -> Option<f64> {
    let cap = threshold
        .saturating_mul(SQLITE_COUNT_CAP_FACTOR)
        .max(1_000_000);
    let mut w = SqlWriter::new(Dialect::Sqlite);
    w.push("SELECT COUNT(*) FROM (SELECT 1 FROM ");
    w.push_ident(table);
    w.push(" LIMIT ");
    w.push_bind(Value::I64(i64::try_from(cap).unwrap_or(i64::MAX)));
    w.push(")");
    let counts: Vec<i64> = db
        .fetch_unscoped(
            LABEL,
            w.finish(),
            |row| i64::from_row(row, &mut 0),
            Rows::First,
        )
        .await
        .ok()?;
    counts.first().map(|&n| n as f64)
}

/// The table `alias` stands for in `sql`, which strata writes as
/// `"table" AS "alias"` (subqueries: `"posts" AS "t1"`): SQLite and MySQL
/// name a table in their plans by its alias.
pub(crate) fn table_of_alias<'s>(alias: &str, sql: &'s str, quote: char) -> Option<&'s str> {
    let marker = format!("{quote} AS {quote}{alias}{quote}");
    let end = sql.find(&marker)?;
    let start = sql[..end].rfind(quote)? + quote.len_utf8();
    Some(&sql[start..end])
}

fn malformed(reason: String) -> Error {
    Error::Database(sqlx::Error::Decode(format!("{LABEL}: {reason}").into()))
}

fn wrong_row() -> sqlx::Error {
    sqlx::Error::Decode(format!("{LABEL}: a row from another database").into())
}

fn decode_json(row: Row<'_>) -> Result<serde_json::Value, sqlx::Error> {
    use sqlx::Row as _;
    match row {
        Row::Postgres(r) => r.try_get(0),
        _ => Err(wrong_row()),
    }
}

fn decode_text(row: Row<'_>) -> Result<String, sqlx::Error> {
    use sqlx::Row as _;
    match row {
        // MariaDB returns the plan as text; some servers as a binary string.
        Row::MySql(r) => r.try_get::<String, _>(0).or_else(|_| {
            let bytes: Vec<u8> = r.try_get(0)?;
            String::from_utf8(bytes).map_err(|e| sqlx::Error::Decode(e.into()))
        }),
        _ => Err(wrong_row()),
    }
}

fn decode_sqlite_row(row: Row<'_>) -> Result<QueryPlanRow, sqlx::Error> {
    use sqlx::Row as _;
    match row {
        Row::Sqlite(r) => Ok(QueryPlanRow {
            id: r.try_get(0)?,
            parent: r.try_get(1)?,
            detail: r.try_get(3)?,
        }),
        _ => Err(wrong_row()),
    }
}

fn decode_optional_f64(row: Row<'_>) -> Result<Option<f64>, sqlx::Error> {
    use sqlx::Row as _;
    match row {
        Row::Postgres(r) => r.try_get(0),
        _ => Err(wrong_row()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explain_goes_after_mariadb_set_statement() {
        let rendered = Rendered {
            sql: "SET STATEMENT group_concat_max_len = 4294967295 FOR SELECT 1".into(),
            binds: Vec::new(),
        };
        assert_eq!(
            prefixed_mysql(rendered).sql,
            "SET STATEMENT group_concat_max_len = 4294967295 FOR EXPLAIN FORMAT=JSON SELECT 1"
        );
    }

    #[test]
    fn alias_resolves_to_its_table() {
        let sql = r#"SELECT 1 FROM "users" WHERE EXISTS (SELECT 1 FROM "posts" AS "t1")"#;
        assert_eq!(table_of_alias("t1", sql, '"'), Some("posts"));
        assert_eq!(table_of_alias("t2", sql, '"'), None);
        let mysql = "SELECT 1 FROM `posts` AS `t1`";
        assert_eq!(table_of_alias("t1", mysql, '`'), Some("posts"));
    }
}
