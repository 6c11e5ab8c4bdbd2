//! Choosing how a read loads its includes ([`Strategy`]), and the includes
//! a read carries: after its rows, one statement per level (`load.rs`), or
//! inside its own statement as JSON (`joined.rs`).

use super::Include;
use crate::error::{Error, Result};
use crate::execute::{Db, Rows};
use crate::intercept::chain::Prepared;
use crate::query::ast::Select;
use crate::query::Counts;
use crate::render::Shared;
use crate::schema::{FieldType, Model, Row};
use std::sync::Arc;

/// How `include`d relations are read; set per query with `.strategy(..)`.
/// Both return the same rows in the same order (each parent's related rows
/// in the include's order, ties broken by the primary key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// One statement per include level after the parent rows, each for all
    /// parents at once (their keys as one array on PostgreSQL, `IN` lists
    /// elsewhere): an include tree of depth `d` is `d + 1` statements.
    #[default]
    Batched,
    /// One statement for the parent rows and every include: each include is
    /// a correlated subquery aggregating the related rows into JSON
    /// (`json_agg` and `LEFT JOIN LATERAL` on PostgreSQL, `json_group_array`
    /// on SQLite, `JSON_ARRAYAGG` on MariaDB; not MySQL 8, whose
    /// `JSON_ARRAYAGG` cannot order), decoded by the same code as rows.
    Joined,
}

/// The relations a read loads, and how.
pub(crate) struct Includes<M> {
    list: Vec<Box<dyn Include<M>>>,
    strategy: Strategy,
}

impl<M: Model> Includes<M> {
    pub fn new() -> Self {
        Includes {
            list: Vec::new(),
            strategy: Strategy::default(),
        }
    }

    pub fn push(&mut self, include: Box<dyn Include<M>>) {
        self.list.push(include);
    }

    pub fn set_strategy(&mut self, strategy: Strategy) {
        self.strategy = strategy;
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    fn joined(&self) -> bool {
        self.strategy == Strategy::Joined && !self.list.is_empty()
    }

    /// Adds the joined includes to the read's SELECT, one column each after
    /// its other computed columns.
    pub fn extend_select(&self, select: &mut Select) {
        if !self.joined() {
            return;
        }
        // DISTINCT compares whole rows, primary key included, so on a read of
        // whole models it changes nothing; PostgreSQL cannot compare the json
        // columns, so it is left out.
        select.distinct = false;
        select
            .computed
            .extend(self.list.iter().map(|i| i.json_expr()));
    }

    /// Runs the read (`rendered`, from a SELECT passed through
    /// [`Includes::extend_select`]) and fills the included relations.
    pub(crate) async fn fetch(
        self,
        db: &Db,
        rendered: Prepared<impl Into<Shared>>,
        counts: Counts<M>,
        rows: Rows,
    ) -> Result<Vec<M>> {
        if !self.joined() {
            let mut out = counts.fetch(db, rendered, rows).await?;
            for include in &self.list {
                include.load(db, &mut out).await?;
            }
            return Ok(out);
        }
        let includes: Arc<[Box<dyn Include<M>>]> = self.list.into();
        let decode = move |row: Row<'_>| {
            let mut index = 0;
            let mut model = M::from_row(row, &mut index)?;
            counts.read(&mut model, row, &mut index)?;
            let mut filled = Ok(());
            for include in includes.iter() {
                let related = read_json(row, index)?;
                index += 1;
                if filled.is_ok() {
                    filled = include.fill_json(&mut model, related);
                }
            }
            Ok(filled.map(|()| model))
        };
        (db.run_fetch::<_, _, Vec<_>, _>(rendered, decode, rows)
            .await?)
            .into_iter()
            .collect::<Result<Vec<M>, Error>>()
    }
}

/// A joined include's column: JSON on PostgreSQL, JSON text elsewhere.
fn read_json(row: Row<'_>, index: usize) -> Result<serde_json::Value, sqlx::Error> {
    use sqlx::Row as _;
    let text: &str = match row {
        Row::Postgres(r) => return r.try_get(index),
        Row::Sqlite(r) => r.try_get(index)?,
        // MariaDB reports JSON_ARRAYAGG's result as a blob or text by version.
        Row::MySql(r) => r.try_get_unchecked(index)?,
        Row::Json(_) => return serde_json::Value::decode(row, index),
    };
    serde_json::from_str(text).map_err(|e| sqlx::Error::ColumnDecode {
        index: index.to_string(),
        source: Box::new(e),
    })
}
