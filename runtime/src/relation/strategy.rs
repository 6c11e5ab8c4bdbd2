//! Choosing how a read loads its includes ([`Strategy`]), and the includes
//! a read carries: after its rows, one statement per level (`load.rs`), or
//! inside its own statement as JSON.
//!
//! Joined: each include becomes a JSON subquery of the read (`JsonInclude`,
//! rendered by `render/json_load.rs`), nested includes inside it, so a whole
//! include tree is one statement. Each parent row carries one JSON array per
//! include; [`super::batch::JsonRows`] takes a column of them apart, and its
//! row arrays decode positionally through `JsonRow` with the same generated
//! `FromRow`/`decode_partial` as a driver's row, then are handed out as a
//! batched load's are.
//!
//! Both strategies take the order (ending with the child's primary key),
//! columns, filter and page from the same `Relation` fields, so they return
//! the same rows in the same order.

use super::Include;
use crate::error::{Error, Result};
use crate::execute::{Db, Rows, Sink};
use crate::intercept::chain::Prepared;
use crate::query::ast::Select;
use crate::query::Counts;
use crate::query::LockRequest;
use crate::render::Shared;
use crate::schema::{FieldType, Model, Row};

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
        // A loop, not an iterator adapter: that is compiled again per model.
        for include in &self.list {
            select.computed.push(include.json_expr());
        }
    }

    /// Runs the read (`prepared`, from a SELECT passed through
    /// [`Includes::extend_select`]) and fills the included relations; a
    /// locking read's errors are classified by its `lock`.
    pub(crate) async fn fetch(
        self,
        db: &Db,
        prepared: Result<Prepared<Shared>>,
        counts: Counts<M>,
        rows: Rows,
        lock: LockRequest,
    ) -> Result<Vec<M>> {
        let classify = |e| lock.classify(e, M::SCHEMA.name);
        let joined: &[Box<dyn Include<M>>] = match self.joined() {
            true => &self.list,
            false => &[],
        };
        let mut read = ModelRows {
            rows: Vec::new(),
            counts,
            joined,
            failed: None,
        };
        (db.fetch_into(prepared?, &mut read, rows).await).map_err(classify)?;
        if let Some(failed) = read.failed {
            return Err(failed);
        }
        let mut out = read.rows;
        if !joined.is_empty() {
            return Ok(out);
        }
        for include in &self.list {
            (include.load(db, &mut out).await).map_err(classify)?;
        }
        Ok(out)
    }
}

/// A read's rows of `M`: each decoded with its relation counts, then its
/// joined includes filled from the JSON columns that follow them, as the
/// row arrives (so no row's JSON outlives its own decoding).
struct ModelRows<'a, M> {
    rows: Vec<M>,
    counts: Counts<M>,
    /// The includes read as JSON columns (none for a batched read).
    joined: &'a [Box<dyn Include<M>>],
    /// The first include that could not be filled: the read ends with it.
    failed: Option<Error>,
}

impl<M: Model> Sink for ModelRows<'_, M> {
    fn push(&mut self, row: Row<'_>) -> Result<(), sqlx::Error> {
        let mut index = 0;
        let mut model = M::from_row(row, &mut index)?;
        self.counts.read(&mut model, row, &mut index)?;
        for include in self.joined {
            let column = vec![read_json(row, index)?];
            index += 1;
            if self.failed.is_none() {
                let parent = std::slice::from_mut(&mut model);
                self.failed = include.fill_json(parent, column).err();
            }
        }
        self.rows.push(model);
        Ok(())
    }
    fn count(&self) -> u64 {
        self.rows.len() as u64
    }
    fn clear(&mut self) {
        self.rows.clear();
        self.failed = None;
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
