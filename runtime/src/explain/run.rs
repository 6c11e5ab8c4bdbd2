//! Running the EXPLAIN for each database, and the catalog lookups that
//! size the tables a plan scans whole.

use super::node::PlanNode;
use super::sqlite::QueryPlanRow;
use super::{mysql, postgres, sqlite, warnings, ExplainOptions, Plan, RawPlan};
use crate::error::{Error, Result};
use crate::execute::{Db, Rows};
use crate::render::{Dialect, Rendered, SqlWriter};
use crate::schema::{FromRow as _, Row};
use crate::value::Value;
use std::collections::HashMap;

// The EXPLAIN prefixes: fixed text, chosen by dialect and options, put in
// front of a statement `SqlWriter` rendered (see the module docs of
// `explain` for why that is safe).
const POSTGRES_ANALYZE: &str = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ";
const POSTGRES_ESTIMATE: &str = "EXPLAIN (FORMAT JSON) ";
const SQLITE: &str = "EXPLAIN QUERY PLAN ";
const MYSQL: &str = "EXPLAIN FORMAT=JSON ";
/// The label errors of EXPLAIN statements name.
const LABEL: &str = "explain";
/// SQLite counts a fully scanned table's rows up to this many times the
/// threshold (at least a million), so a huge table is not read whole.
const SQLITE_COUNT_CAP_FACTOR: u64 = 100;

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
            let rows = sqlite_plan(db, rendered).await?;
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
            let texts = db.fetch_unprepared(LABEL, statement, decode_text).await?;
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
        let plans = tx.fetch_unprepared(LABEL, statement, decode_json).await;
        drop(tx);
        let rolled_back = level.rollback().await;
        let plans = plans?;
        rolled_back?;
        plans
    } else {
        db.fetch_unprepared(LABEL, statement, decode_json).await?
    };
    plans
        .into_iter()
        .next()
        .ok_or_else(|| malformed("PostgreSQL returned no plan".into()))
}

/// SQLite's plan rows. SQLite plans an `EXPLAIN QUERY PLAN` when it is
/// prepared, from the schema the connection last read, and only a statement
/// that reads the database notices the schema changed (an index another
/// connection created). So the EXPLAIN runs after a read of `sqlite_master`
/// on the same connection, pinned by a transaction that is rolled back (on
/// SQLite strata's transactions begin IMMEDIATE: the write lock is held for
/// these two statements).
async fn sqlite_plan(db: &Db, rendered: Rendered) -> Result<Vec<QueryPlanRow>> {
    let (tx, level) = db.begin().await?;
    let rows = async {
        let mut w = SqlWriter::new(Dialect::Sqlite);
        w.push("SELECT COUNT(*) FROM sqlite_master");
        let refresh = |row: Row<'_>| i64::from_row(row, &mut 0);
        tx.fetch_unprepared(LABEL, w.finish(), refresh).await?;
        let statement = prefixed(SQLITE, rendered);
        tx.fetch_unprepared(LABEL, statement, decode_sqlite_row)
            .await
    }
    .await;
    drop(tx);
    let rolled_back = level.rollback().await;
    let rows = rows?;
    rolled_back?;
    Ok(rows)
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
}
