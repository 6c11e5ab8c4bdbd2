//! Includes with `select`/`omit` ([`Relation<P, C, S, Partial>`]): the
//! related rows read as `{Model}Partial`, shared between parents with the
//! same key through one `Arc<[_]>`. A type of its own, so that a crate whose
//! includes read whole rows compiles none of this per relation.

use super::batch::{Batch, JsonRows, PartialRows};
use super::load::{buckets, fetch_children, keys_of, NESTED_UNDER_PARTIAL};
use super::spec::{Assignment, Spec};
use super::{Holder, Include, Partial, Relation};
use crate::error::Result;
use crate::execute::Db;
use crate::schema::{Model, PartialModel};
use futures_util::future::BoxFuture;
use std::sync::Arc;

impl<P, C, S> Include<P> for Relation<P, C, S, Partial>
where
    P: Model,
    C: PartialModel + Clone + Sync,
    S: Holder<C>,
{
    fn load<'a>(&'a self, db: &'a Db, parents: &'a mut [P]) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.load_partial(db, parents))
    }

    fn json_expr(&self) -> crate::query::ast::Expr {
        self.joined_expr()
    }

    fn fill_json(&self, parents: &mut [P], column: Vec<serde_json::Value>) -> Result<()> {
        let split = JsonRows::split(&self.spec, column, self.includes.len())?;
        let mut rows = self.partial_rows()?;
        split.decode(&mut rows)?;
        self.hand_out_partial(parents, split.assignment, rows.rows);
        Ok(())
    }
}

impl<P, C, S> Relation<P, C, S, Partial>
where
    P: Model,
    C: PartialModel + Clone + Sync,
    S: Holder<C>,
{
    async fn load_partial(&self, db: &Db, parents: &mut [P]) -> Result<()> {
        if parents.is_empty() {
            return Ok(());
        }
        let spec = &self.spec;
        let mut rows = self.partial_rows()?;
        let plan = spec.plan()?;
        let parent_keys = keys_of(&plan.parent_columns, parents);
        let batch: &mut dyn Batch = &mut rows;
        let keys = fetch_children(db, spec, &plan, &parent_keys, batch).await?;
        let assignment = Spec::assign(&parent_keys, &keys);
        self.hand_out_partial(parents, assignment, rows.rows);
        Ok(())
    }

    /// An empty container for the rows, or why this include cannot run.
    fn partial_rows(&self) -> Result<PartialRows<C>> {
        if !self.includes.is_empty() {
            return Err(self.spec.invalid(NESTED_UNDER_PARTIAL));
        }
        // `select`/`omit` set it when they made this relation `Partial`.
        let selected = (self.spec.selected.as_ref()).ok_or_else(|| {
            self.spec
                .invalid("a partial include without its selected columns")
        })?;
        Ok(PartialRows {
            rows: Vec::new(),
            selected: Arc::clone(selected),
        })
    }

    /// Gives each parent its rows; parents sharing a key share one slice.
    fn hand_out_partial(&self, parents: &mut [P], assignment: Assignment, rows: Vec<C::Partial>) {
        let (buckets, sharing) = buckets(assignment, rows);
        // Parents without rows share one empty slice: no allocation each.
        let empty: Arc<[C::Partial]> = Arc::new([]);
        let mut shared: Vec<Arc<[C::Partial]>> = Vec::with_capacity(buckets.len());
        for bucket in buckets {
            shared.push(match bucket.is_empty() {
                true => Arc::clone(&empty),
                false => bucket.into(),
            });
        }
        for (first, other) in sharing {
            shared[other] = Arc::clone(&shared[first]);
        }
        let mut shared = shared.into_iter();
        for parent in parents {
            let Some(rows) = shared.next() else { break };
            (self.slot)(parent).fill_partial(rows);
        }
    }
}
