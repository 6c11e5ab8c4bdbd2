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
//!   table is counted (up to a cap) to decide the warning. SQLite plans it
//!   from the schema its connection last read, so it runs after a read of
//!   `sqlite_master`, both in one transaction that is rolled back.
//! - MySQL/MariaDB: `EXPLAIN FORMAT=JSON`, estimates only; the statement
//!   does not run.
//!
//! What is explained is the statement the query's `exec` sends first: a
//! read's batched includes run as further statements after it (the joined
//! strategy's are part of it), and on MySQL a write's read-back by key is
//! not shown. A create or upsert is explained through its `Statement`
//! (`Post::create()..into_create().statement().explain(&db)`), an update
//! through the runtime builder (`..into_inner().explain(&db)`).
//!
//! The statement is the query's own rendering (`ToSql`, through `SqlWriter`:
//! identifiers quoted, values bound), and the EXPLAIN prefix is one of the
//! fixed strings in `run.rs`, chosen by dialect and options, put in front of
//! it (on MariaDB after strata's own `SET STATEMENT .. FOR`, which must stay
//! first). No part of the prefix comes from the query or its values, and the
//! values stay binds: placeholders are numbered within the statement, which
//! the prefix does not change. So the text handed to `trusted()` is as safe
//! as the statement itself. The catalog lookups (`pg_class.reltuples`,
//! SQLite's row count) are written by `SqlWriter` too: the table name a plan
//! reports is a bind on PostgreSQL and a quoted identifier on SQLite.

mod display;
mod mysql;
mod node;
mod postgres;
mod run;
mod sqlite;
mod warnings;

pub use node::{NodeKind, PlanNode};
pub use sqlite::QueryPlanRow;
pub use warnings::PlanWarning;

use crate::error::Result;
use crate::execute::Db;
use crate::query::ToSql;
use crate::render::Dialect;
use futures_util::future::BoxFuture;

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
        Box::pin(async move { run::explain_rendered(db, rendered?, options).await })
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

/// The table `alias` stands for in `sql`, which strata writes as
/// `"table" AS "alias"` (subqueries: `"posts" AS "t1"`): SQLite and MySQL
/// name a table in their plans by its alias.
pub(crate) fn table_of_alias<'s>(alias: &str, sql: &'s str, quote: char) -> Option<&'s str> {
    let marker = format!("{quote} AS {quote}{alias}{quote}");
    let end = sql.find(&marker)?;
    let start = sql[..end].rfind(quote)? + quote.len_utf8();
    Some(&sql[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_resolves_to_its_table() {
        let sql = r#"SELECT 1 FROM "users" WHERE EXISTS (SELECT 1 FROM "posts" AS "t1")"#;
        assert_eq!(table_of_alias("t1", sql, '"'), Some("posts"));
        assert_eq!(table_of_alias("t2", sql, '"'), None);
        let mysql = "SELECT 1 FROM `posts` AS `t1`";
        assert_eq!(table_of_alias("t1", mysql, '`'), Some("posts"));
    }
}
