//! One backfill's walk over its table: opening (or resuming) its record, and
//! each batch as one transaction that reads the next keys, runs the update
//! and advances the record, committing all three or none.

use super::key;
use super::record::{self, Advance, Record};
use super::{BackfillReport, Batch};
use crate::error::{Error, Result};
use crate::execute::Rows;
use crate::schema::{ColumnSchema, FieldType, ModelSchema};
use crate::{Db, Value};
use chrono::Utc;
use futures_util::future::BoxFuture;
use std::time::Instant;

pub(super) struct Walk {
    name: String,
    model: &'static ModelSchema,
    column: &'static ColumnSchema,
    record: Record,
    /// The last committed key, bound as the next batch's lower bound.
    after: Option<Value>,
    resumed: bool,
    /// This run's totals.
    batches: u64,
    rows: u64,
    updated: u64,
}

/// What one step did.
pub(super) enum Step {
    /// A batch of rows was updated and committed.
    Committed(Committed),
    /// No keys were left; the record is marked finished.
    Finished,
}

pub(super) struct Committed {
    pub number: u64,
    pub rows: u64,
    pub last_key: String,
    /// It held fewer keys than a batch may: the walk is over, and the
    /// record was marked finished with it.
    pub last: bool,
}

/// A step's changes, applied to the walk once its transaction committed.
struct Pending {
    rows: u64,
    updated: u64,
    last: Option<(Value, String)>,
    finished: bool,
    at: chrono::DateTime<Utc>,
}

impl Walk {
    /// Reads the backfill's record, creating the table and the record when
    /// missing, and resetting it for a restart.
    pub(super) async fn open(
        db: &Db,
        name: &str,
        model: &'static ModelSchema,
        column: &'static ColumnSchema,
        restart: bool,
    ) -> Result<Walk> {
        let dialect = db.dialect();
        let target = format!("{}.{}", model.table, column.name);
        db.execute(model, record::create_table(dialect)).await?;
        let found = read(db, model, name).await?;
        let now = Utc::now();
        match found {
            None => db.execute(model, record::insert(dialect, name, &target, now)),
            Some(_) if restart => db.execute(model, record::restart(dialect, name, &target, now)),
            Some(found) if found.target != target => {
                return Err(refuse(name, format!("its record is for {}, but this run walks {target}: give this backfill another name, or pass .restart() to start it over on {target}", found.target)));
            }
            Some(found) => return Walk::resume(name, model, column, found),
        }
        .await?;
        let record = read(db, model, name).await?;
        let record =
            record.ok_or_else(|| refuse(name, "its record vanished as it was written".into()))?;
        Walk::resume(name, model, column, record)
    }

    fn resume(
        name: &str,
        model: &'static ModelSchema,
        column: &'static ColumnSchema,
        record: Record,
    ) -> Result<Walk> {
        let after = match &record.last_key {
            None => None,
            Some(text) => Some(key::from_json(text, column.ty).ok_or_else(|| {
                refuse(name, format!("its recorded last key {text} is not a value of {}.{}; pass .restart() to start it over", model.name, column.field))
            })?),
        };
        Ok(Walk {
            name: name.to_owned(),
            model,
            column,
            resumed: record.batches > 0,
            record,
            after,
            batches: 0,
            rows: 0,
            updated: 0,
        })
    }

    pub(super) fn is_finished(&self) -> bool {
        self.record.finished_at.is_some()
    }

    pub(super) fn total_rows(&self) -> u64 {
        super::to_u64(self.record.rows_done)
    }

    /// Runs the next batch in its own transaction.
    pub(super) async fn step<K, F>(&mut self, db: &Db, size: u32, update: &F) -> Result<Step>
    where
        K: FieldType + Unpin,
        F: for<'t> Fn(&'t Db, Batch<K>) -> BoxFuture<'t, Result<u64>> + Send + Sync,
    {
        let (tx, level) = db.begin().await?;
        let pending = match self.in_transaction(&tx, size, update).await {
            Ok(pending) => pending,
            Err(e) => {
                // The batch's error is the one to report; a failed ROLLBACK
                // leaves the level open, and its drop queues the rollback.
                let _ = level.rollback().await;
                return Err(e);
            }
        };
        level.commit().await?;
        Ok(self.apply(pending))
    }

    async fn in_transaction<K, F>(&self, tx: &Db, size: u32, update: &F) -> Result<Pending>
    where
        K: FieldType + Unpin,
        F: for<'t> Fn(&'t Db, Batch<K>) -> BoxFuture<'t, Result<u64>> + Send + Sync,
    {
        let dialect = tx.dialect();
        let next = key::next_batch(dialect, self.model, self.column, self.after.as_ref(), size);
        let keys: Vec<K> =
            (tx.fetch_with(self.model, next, |row| K::decode(row, 0), Rows::All)).await?;
        let now = Utc::now();
        let Some(last) = keys.last().map(FieldType::to_value) else {
            let finish = record::finish(dialect, &self.name, self.record.batches, now);
            self.expect_one(tx.execute(self.model, finish).await?.rows_affected)?;
            return Ok(Pending {
                rows: 0,
                updated: 0,
                last: None,
                finished: true,
                at: now,
            });
        };
        let last_key = key::to_json(&last).ok_or_else(|| {
            refuse(
                &self.name,
                format!(
                    "{}.{} held a key that cannot be recorded",
                    self.model.name, self.column.field
                ),
            )
        })?;
        let rows = keys.len() as u64;
        let finished = rows < u64::from(size);
        let number = self.number();
        let updated = update(tx, Batch { number, keys }).await?;
        let advance = record::advance(
            dialect,
            &Advance {
                name: &self.name,
                batches_before: self.record.batches,
                rows: rows as i64,
                last_key: last_key.clone(),
                now,
                finished,
            },
        );
        self.expect_one(tx.execute(self.model, advance).await?.rows_affected)?;
        Ok(Pending {
            rows,
            updated,
            last: Some((last, last_key)),
            finished,
            at: now,
        })
    }

    /// The record update matched no row: another run of this backfill
    /// committed a batch since this one read the record.
    fn expect_one(&self, rows_affected: u64) -> Result<()> {
        match rows_affected {
            1 => Ok(()),
            _ => Err(refuse(
                &self.name,
                format!("another run of this backfill committed batch {} first; this run stopped and rolled its batch back", self.number()),
            )),
        }
    }

    fn number(&self) -> u64 {
        super::to_u64(self.record.batches) + 1
    }

    fn apply(&mut self, pending: Pending) -> Step {
        self.record.finished_at = pending.finished.then_some(pending.at);
        let Some((last, last_key)) = pending.last else {
            return Step::Finished;
        };
        let committed = Committed {
            number: self.number(),
            rows: pending.rows,
            last_key: last_key.clone(),
            last: pending.finished,
        };
        self.record.batches += 1;
        self.record.rows_done += pending.rows as i64;
        self.record.last_key = Some(last_key);
        self.after = Some(last);
        self.batches += 1;
        self.rows += pending.rows;
        self.updated += pending.updated;
        Step::Committed(committed)
    }

    pub(super) fn report(&self, already_finished: bool, start: Instant) -> BackfillReport {
        BackfillReport {
            name: self.name.clone(),
            already_finished,
            resumed: self.resumed,
            batches: self.batches,
            rows: self.rows,
            updated: self.updated,
            total_batches: super::to_u64(self.record.batches),
            total_rows: self.total_rows(),
            last_key: self.record.last_key.clone(),
            started_at: self.record.started_at,
            finished_at: self.record.finished_at,
            elapsed: start.elapsed(),
        }
    }
}

async fn read(db: &Db, model: &'static ModelSchema, name: &str) -> Result<Option<Record>> {
    let select = record::select(db.dialect(), name);
    let rows = db
        .fetch_with(model, select, record::decode, Rows::First)
        .await?;
    Ok(rows.into_iter().next())
}

fn refuse(name: &str, reason: String) -> Error {
    Error::Backfill {
        name: name.to_owned(),
        reason,
    }
}
