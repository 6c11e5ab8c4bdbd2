//! Batched, resumable data migrations ("backfills"): update every row of a
//! table in small transactions, walking its key in order, so a long data
//! change never holds one huge lock or transaction, can pause between
//! batches to leave room for live traffic, and picks up where it stopped
//! after a crash.
//!
//! ```ignore
//! use strata::migrate::backfill::Backfill;
//!
//! let report = Backfill::new("posts_fill_slug", Post::id())
//!     .batch_size(500)
//!     .pause(Duration::from_millis(50))
//!     .run(&db, |tx, batch| Box::pin(async move {
//!         // Any statements, on `tx`: they commit with the batch.
//!         Post::update_many(Post::id().in_(batch.into_keys()))
//!             .slug(..)
//!             .exec(tx)
//!             .await
//!     }))
//!     .await?;
//! ```
//!
//! Or one SQL statement, run once per batch with the batch's first and last
//! key bound to its two placeholders (`$1`, `$2` on PostgreSQL, `?` on
//! SQLite and MySQL); the key range holds exactly the batch's rows:
//!
//! ```ignore
//! Backfill::new("posts_fill_slug", Post::id())
//!     .run_sql(&db, "UPDATE posts SET slug = lower(title) WHERE id BETWEEN $1 AND $2")
//!     .await?;
//! ```
//!
//! **The walk.** Each batch is one transaction: it reads the next
//! `batch_size` keys after the last recorded one (`WHERE key > $last ORDER
//! BY key LIMIT n`, an index range scan on the key), runs the update for
//! those keys, and advances the backfill's row in `_strata_backfills` (last
//! key, rows, batches) — then commits. The key column is a single-column
//! primary or unique key, NOT NULL, of an integer, text or uuid type;
//! anything else is refused with [`Error::Backfill`] naming the model.
//!
//! **Exactly once.** A batch's update and its progress record commit in the
//! same transaction. A crash between batches resumes at the next batch; a
//! crash inside one (the process killed, the connection dropped, the
//! closure failing) rolls that batch back, update included, and the next
//! run does it again. Run the same name again to resume; a finished
//! backfill run again does nothing and says so ([`BackfillReport::already_finished`])
//! unless [`Backfill::restart`] is set. Two runs of one name at once do not
//! repeat a batch either: each batch's record update matches the batch count
//! the run last saw, and a run that finds another got there first stops
//! with an error, its batch rolled back.
//!
//! **Watching it.** Each committed batch is a `tracing` event at target
//! `strata::backfill` (name, batch, rows, last_key, elapsed_ms), and an
//! indicatif bar on stderr, sized by a `COUNT(*)` at the start, when stderr
//! is a terminal ([`Backfill::progress`] turns it off).
//!
//! Run a backfill on a pool or a dedicated connection, not on a
//! transaction's `Db`: there its batches would be savepoints of one
//! transaction, committed (and resumable) only when that ends.
//!
//! The update sees the rows as they are when its batch runs; rows inserted
//! behind the walk's position later are not visited, so deploy the code that
//! writes new rows correctly before backfilling old ones.

mod key;
mod progress;
mod record;
mod walk;

pub use record::BACKFILL_TABLE;

use crate::error::Result;
use crate::execute::Rows;
use crate::query::Column;
use crate::render::Rendered;
use crate::schema::{FieldType, Model};
use crate::Db;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use std::marker::PhantomData;
use std::time::{Duration, Instant};
use walk::{Step, Walk};

/// A batched update of every row of `M`, walking key column `K`. Build it with
/// [`Backfill::new`], then [`run`](Backfill::run) or
/// [`run_sql`](Backfill::run_sql) it.
#[must_use = "a backfill does nothing until it is run"]
pub struct Backfill<M, K> {
    name: String,
    key: Column<M, K>,
    batch_size: u32,
    pause: Duration,
    progress: bool,
    restart: bool,
    _model: PhantomData<fn() -> M>,
}

/// The keys of one batch, in key order; never empty.
#[derive(Debug, Clone)]
pub struct Batch<K> {
    number: u64,
    keys: Vec<K>,
}

impl<K> Batch<K> {
    /// The batch's number, from 1 at the backfill's first batch; it goes on
    /// counting across resumed runs.
    pub fn number(&self) -> u64 {
        self.number
    }

    pub fn keys(&self) -> &[K] {
        &self.keys
    }

    pub fn into_keys(self) -> Vec<K> {
        self.keys
    }
}

/// What a run did, and where the backfill stands.
#[derive(Debug, Clone, PartialEq)]
pub struct BackfillReport {
    pub name: String,
    /// The backfill had already finished; this run did nothing.
    pub already_finished: bool,
    /// This run continued from batches an earlier run committed.
    pub resumed: bool,
    /// Batches this run committed.
    pub batches: u64,
    /// Rows (keys) this run's batches covered.
    pub rows: u64,
    /// The sum of what this run's update returned (rows it changed).
    pub updated: u64,
    /// Batches committed over every run since the backfill (re)started.
    pub total_batches: u64,
    /// Rows covered over every run since the backfill (re)started.
    pub total_rows: u64,
    /// The last committed key, as recorded (JSON).
    pub last_key: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// How long this run took.
    pub elapsed: Duration,
}

impl<M: Model, K: FieldType + Unpin> Backfill<M, K> {
    /// A backfill named `name` (its row in `_strata_backfills`; runs of one
    /// name resume each other) walking `key`, e.g. `Post::id()`.
    pub fn new(name: impl Into<String>, key: Column<M, K>) -> Self {
        Backfill {
            name: name.into(),
            key,
            batch_size: 1000,
            pause: Duration::ZERO,
            progress: true,
            restart: false,
            _model: PhantomData,
        }
    }

    /// Rows per batch (per transaction); 1000 unless set. Zero counts as 1.
    pub fn batch_size(mut self, rows: u32) -> Self {
        self.batch_size = rows.max(1);
        self
    }

    /// How long to wait after each batch, to leave the database to live
    /// traffic (and replicas time to catch up); none unless set.
    pub fn pause(mut self, pause: Duration) -> Self {
        self.pause = pause;
        self
    }

    /// Whether to draw the progress bar when stderr is a terminal (it never
    /// draws otherwise); on unless set.
    pub fn progress(mut self, show: bool) -> Self {
        self.progress = show;
        self
    }

    /// Starts over from the first key even if the backfill finished or got
    /// part-way before.
    pub fn restart(mut self) -> Self {
        self.restart = true;
        self
    }

    /// Runs `update` once per batch, inside the batch's transaction: its
    /// statements must go to the `Db` it is given (the outer one is another
    /// connection, outside the batch). It returns the rows it changed (what
    /// `update_many(..).exec(tx)` returns), summed into
    /// [`BackfillReport::updated`]. An error rolls the batch back and ends
    /// the run with that error; the next run retries the batch.
    pub async fn run<F>(self, db: &Db, update: F) -> Result<BackfillReport>
    where
        F: for<'t> Fn(&'t Db, Batch<K>) -> BoxFuture<'t, Result<u64>> + Send + Sync,
    {
        let start = Instant::now();
        let (model, column) = (M::SCHEMA, self.key.schema());
        key::check(&self.name, model, column)?;
        let mut walk = Walk::open(db, &self.name, model, column, self.restart).await?;
        if walk.is_finished() {
            return Ok(walk.report(true, start));
        }
        let bar = match progress::visible(self.progress) {
            true => Some(self.bar(db, &walk).await?),
            false => None,
        };
        loop {
            let batch_start = Instant::now();
            let step = walk.step(db, self.batch_size, &update).await;
            match step {
                Err(e) => {
                    // Leave the bar where the last committed batch put it.
                    if let Some(bar) = &bar {
                        bar.abandon();
                    }
                    return Err(e);
                }
                Ok(Step::Finished) => break,
                Ok(Step::Committed(batch)) => {
                    let elapsed = batch_start.elapsed();
                    progress::batch_committed(&self.name, &batch, elapsed);
                    if let Some(bar) = &bar {
                        bar.inc(batch.rows);
                    }
                    if batch.last {
                        break;
                    }
                    if !self.pause.is_zero() {
                        tokio::time::sleep(self.pause).await;
                    }
                }
            }
        }
        if let Some(bar) = bar {
            bar.finish();
        }
        Ok(walk.report(false, start))
    }

    /// Runs one SQL statement per batch, written by the caller for this
    /// database, with the batch's first and last key bound to its two
    /// placeholders in that order (`WHERE id BETWEEN $1 AND $2`; `?` on
    /// SQLite and MySQL). The keys between them are exactly the batch's.
    /// The statement is the caller's own SQL text, sent as written: put
    /// values in it only through the two placeholders.
    pub async fn run_sql(self, db: &Db, sql: impl Into<String>) -> Result<BackfillReport> {
        let sql: String = sql.into();
        let model = M::SCHEMA;
        self.run(db, move |tx, batch| {
            let binds = match (batch.keys.first(), batch.keys.last()) {
                (Some(first), Some(last)) => vec![first.to_value(), last.to_value()],
                _ => Vec::new(),
            };
            let statement = Rendered {
                sql: sql.clone(),
                binds,
            };
            Box::pin(async move { Ok(tx.execute(model, statement).await?.rows_affected) })
        })
        .await
    }

    /// The bar, sized by a count of the table's rows, at the rows earlier
    /// runs covered.
    async fn bar(&self, db: &Db, walk: &Walk) -> Result<indicatif::ProgressBar> {
        let model = M::SCHEMA;
        let count = key::count(db.dialect(), model);
        let rows = (db.fetch_with(model, count, |row| i64::decode(row, 0), Rows::First)).await?;
        let total = rows.first().copied().unwrap_or(0);
        Ok(progress::bar(&self.name, to_u64(total), walk.total_rows()))
    }
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
