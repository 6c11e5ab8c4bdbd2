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
use crate::execute::{pin_in_place, Db, Rows, Sink};
use crate::intercept::chain::{Op, Prepared};
use crate::intercept::Action;
use crate::query::ast::Select;
use crate::query::ast::Statement;
use crate::query::Counts;
use crate::query::LockRequest;
use crate::render::Shared;
use crate::schema::ModelSchema;
use crate::schema::{FieldType, Model, Row};
use crate::soft_delete::Scope as SoftDeleteScope;
use futures_util::future::BoxFuture;
use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

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
    #[inline(always)]
    pub fn new() -> Self {
        Includes {
            list: Vec::new(),
            strategy: Strategy::default(),
        }
    }

    #[inline(always)]
    pub fn push(&mut self, include: Box<dyn Include<M>>) {
        self.list.push(include);
    }

    #[inline(always)]
    pub fn set_strategy(&mut self, strategy: Strategy) {
        self.strategy = strategy;
    }

    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    #[inline(always)]
    fn joined(&self) -> bool {
        self.strategy == Strategy::Joined && !self.list.is_empty()
    }

    /// Adds the joined includes to the read's SELECT, one column each after
    /// its other computed columns.
    #[inline(always)]
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

    /// Runs the read (`statement`, a SELECT passed through
    /// [`Includes::extend_select`], prepared when the future is first polled)
    /// and fills the included relations; a locking read's errors are
    /// classified by its `lock`.
    ///
    /// The future is strata's [`read_rows`], not generic, behind a box; only
    /// [`ReadFuture::poll`] handing its rows back is typed. That and the
    /// row decoding are `#[inline(always)]`, which rustc copies into the
    /// caller's codegen unit: a model's read is compiled with the model, not
    /// in one unit shared by every model of the crate, so changing one model
    /// rebuilds only its own unit (see ARCHITECTURE.md, "Compile time").
    #[inline(always)]
    pub(crate) fn fetch<O: ReadOutput<M>>(
        self,
        db: &Db,
        statement: ReadStatement,
        counts: Counts<M>,
        rows: Rows,
        lock: LockRequest,
    ) -> ReadFuture<'_, M, O> {
        let read: Box<dyn ReadInto> = Box::new(ModelRows {
            rows: Vec::new(),
            counts,
            joined: self.joined(),
            includes: self.list,
            failed: None,
        });
        ReadFuture {
            read: read_boxed(db, statement, read, rows, lock, M::SCHEMA.name),
            _rows: PhantomData,
        }
    }
}

/// A read's statement: prepared already (a point read, whose future
/// prepares it first), or when the read's future is first polled, so the
/// tenant scope and the interceptors are those the future runs in.
// Moved once, into the read's boxed future: not worth a box of its own.
#[allow(clippy::large_enum_variant)]
pub(crate) enum ReadStatement {
    Prepared(Prepared<Shared>),
    Lazy(LazyRead),
}

/// A read of whole rows of `model` whose statement is prepared when its
/// future is first polled. Not generic: compiled once.
pub(crate) struct LazyRead {
    pub model: &'static ModelSchema,
    pub action: Action,
    pub statement: Result<Statement>,
    pub lock: LockRequest,
    pub soft_delete: SoftDeleteScope,
}

impl LazyRead {
    /// The statement past the `before` hooks.
    fn prepare(self, db: &Db) -> Result<Prepared<Shared>> {
        let op = Op::model(self.model, self.action)
            .on_primary(self.lock.requested())
            .soft_delete(self.soft_delete);
        let rendered = db.prepare_statement(op, self.statement?)?;
        self.lock.check(db, self.model.name)?;
        Ok(rendered)
    }
}

/// The future of a read of whole rows of `M` ([`Includes::fetch`]),
/// giving all of them or the first ([`ReadOutput`]).
pub struct ReadFuture<'a, M, O = Vec<M>> {
    read: BoxFuture<'a, Result<Box<dyn ReadInto>>>,
    _rows: PhantomData<fn() -> (M, O)>,
}

impl<M: Model, O: ReadOutput<M>> Future for ReadFuture<'_, M, O> {
    type Output = Result<O>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut read = ready!(self.get_mut().read.as_mut().poll(cx))?;
        Poll::Ready(match read.rows().downcast_mut::<Vec<M>>() {
            Some(rows) => Ok(O::from_rows(std::mem::take(rows))),
            // `fetch` boxed a `ModelRows<M>`, and `read_rows` hands it back.
            None => Err(Error::InvalidValue {
                model: M::SCHEMA.name,
                field: None,
                reason: "internal error: a read's rows came back as another type".into(),
            }),
        })
    }
}

/// What a read of whole rows gives: all of them, or the first.
pub trait ReadOutput<M>: Sized {
    fn from_rows(rows: Vec<M>) -> Self;
}

impl<M> ReadOutput<M> for Vec<M> {
    #[inline(always)]
    fn from_rows(rows: Vec<M>) -> Self {
        rows
    }
}

impl<M> ReadOutput<M> for Option<M> {
    #[inline(always)]
    fn from_rows(rows: Vec<M>) -> Self {
        rows.into_iter().next()
    }
}

/// [`read_rows`] boxed, by a function of its own: the future's type stays
/// in strata, out of every model's codegen unit.
fn read_boxed<'a>(
    db: &'a Db,
    statement: ReadStatement,
    read: Box<dyn ReadInto>,
    rows: Rows,
    lock: LockRequest,
    model: &'static str,
) -> BoxFuture<'a, Result<Box<dyn ReadInto>>> {
    pin_in_place(|| read_rows(db, statement, read, rows, lock, model))
}

/// [`Includes::fetch`]'s read, not generic: the rows and their includes
/// come through `read`, so this future is compiled once, in strata.
async fn read_rows(
    db: &Db,
    statement: ReadStatement,
    mut read: Box<dyn ReadInto>,
    rows: Rows,
    lock: LockRequest,
    model: &'static str,
) -> Result<Box<dyn ReadInto>> {
    let prepared = match statement {
        ReadStatement::Prepared(prepared) => prepared,
        ReadStatement::Lazy(read) => read.prepare(db)?,
    };
    let classify = |e| lock.classify(e, model);
    (db.fetch_into(prepared, &mut *read, rows).await).map_err(classify)?;
    if let Some(failed) = read.take_failed() {
        return Err(failed);
    }
    for i in 0..read.batched_includes() {
        (read.load_include(i, db).await).map_err(classify)?;
    }
    Ok(read)
}

/// What [`read_rows`] asks of a read's typed rows.
trait ReadInto: Sink + Send {
    /// Why a joined include could not be filled, if one could not.
    fn take_failed(&mut self) -> Option<Error>;
    /// How many includes are loaded after the rows (none when joined).
    fn batched_includes(&self) -> usize;
    /// Loads include `i` into the rows read.
    fn load_include<'a>(&'a mut self, i: usize, db: &'a Db) -> BoxFuture<'a, Result<()>>;
    /// The rows read: a `Vec<M>`.
    fn rows(&mut self) -> &mut dyn Any;
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
    #[inline(always)]
    fn take_failed(&mut self) -> Option<Error> {
        self.failed.take()
    }
    #[inline(always)]
    fn batched_includes(&self) -> usize {
        match self.joined {
            true => 0,
            false => self.includes.len(),
        }
    }
    #[inline(always)]
    fn load_include<'a>(&'a mut self, i: usize, db: &'a Db) -> BoxFuture<'a, Result<()>> {
        self.includes[i].load(db, &mut self.rows)
    }
    #[inline(always)]
    fn rows(&mut self) -> &mut dyn Any {
        &mut self.rows
    }
}

impl<M: Model> Sink for ModelRows<M> {
    #[inline(always)]
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
    #[inline(always)]
    fn count(&self) -> u64 {
        self.rows.len() as u64
    }
    #[inline(always)]
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
