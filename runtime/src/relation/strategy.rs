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
use futures_util::future::BoxFuture;

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

    /// Runs the read (`prepare`d when the future is first polled, from a
    /// SELECT passed through [`Includes::extend_select`]) and fills the
    /// included relations; a locking read's errors are classified by its
    /// `lock`. The builders' `exec` return this future itself: the read's
    /// one state machine per model, and the statement still prepared inside
    /// the tenant scope and interceptors the future runs in.
    pub(crate) async fn fetch(
        self,
        db: &Db,
        prepare: impl FnOnce(&Db) -> Result<Prepared<Shared>> + Send,
        counts: Counts<M>,
        rows: Rows,
        lock: LockRequest,
    ) -> Result<Vec<M>> {
        let mut read = ModelRows {
            rows: Vec::new(),
            counts,
            joined: self.joined(),
            includes: self.list,
            failed: None,
        };
        read_rows(db, prepare(db), &mut read, rows, lock, M::SCHEMA.name).await?;
        Ok(read.rows)
    }
}

/// [`Includes::fetch`]'s read, not generic: the rows and their includes
/// come through `read`, so this future is compiled once, in strata, and
/// each model's read is one state machine with one await.
async fn read_rows(
    db: &Db,
    prepared: Result<Prepared<Shared>>,
    read: &mut dyn ReadInto,
    rows: Rows,
    lock: LockRequest,
    model: &'static str,
) -> Result<()> {
    let classify = |e| lock.classify(e, model);
    (db.fetch_into(prepared?, &mut *read, rows).await).map_err(classify)?;
    if let Some(failed) = read.take_failed() {
        return Err(failed);
    }
    for i in 0..read.batched_includes() {
        (read.load_include(i, db).await).map_err(classify)?;
    }
    Ok(())
}

/// What [`read_rows`] asks of a read's typed rows.
trait ReadInto: Sink {
    /// Why a joined include could not be filled, if one could not.
    fn take_failed(&mut self) -> Option<Error>;
    /// How many includes are loaded after the rows (none when joined).
    fn batched_includes(&self) -> usize;
    /// Loads include `i` into the rows read.
    fn load_include<'a>(&'a mut self, i: usize, db: &'a Db) -> BoxFuture<'a, Result<()>>;
}

/// A read's rows of `M`: each decoded with its relation counts, then its
/// joined includes filled from the JSON columns that follow them, as the
/// row arrives (so no row's JSON outlives its own decoding).
struct ModelRows<M> {
    rows: Vec<M>,
    counts: Counts<M>,
    includes: Vec<Box<dyn Include<M>>>,
    /// The includes are read as JSON columns (not loaded after the rows).
    joined: bool,
    /// The first include that could not be filled: the read ends with it.
    failed: Option<Error>,
}

impl<M: Model> ReadInto for ModelRows<M> {
    fn take_failed(&mut self) -> Option<Error> {
        self.failed.take()
    }
    fn batched_includes(&self) -> usize {
        match self.joined {
            true => 0,
            false => self.includes.len(),
        }
    }
    fn load_include<'a>(&'a mut self, i: usize, db: &'a Db) -> BoxFuture<'a, Result<()>> {
        self.includes[i].load(db, &mut self.rows)
    }
}

impl<M: Model> Sink for ModelRows<M> {
    fn push(&mut self, row: Row<'_>) -> Result<(), sqlx::Error> {
        let mut index = 0;
        let mut model = M::from_row(row, &mut index)?;
        self.counts.read(&mut model, row, &mut index)?;
        let joined: &[Box<dyn Include<M>>] = match self.joined {
            true => &self.includes,
            false => &[],
        };
        for include in joined {
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
