//! Includes with `select`/`omit` ([`Relation<P, C, S, Partial>`]): the
//! related rows read as `{Model}Partial`, shared between parents with the
//! same key through one `Arc<Vec<_>>`. A type of its own, so that a crate whose
//! includes read whole rows compiles none of this per relation.

use super::batch::{Batch, JsonRows, PartialRows};
use super::key::RowKey;
use super::load::{buckets, keys_of, load_level, Buckets, Level, NESTED_UNDER_PARTIAL};
use super::spec::{Assignment, Plan};
use super::{Holder, Include, Partial, Relation};
use crate::error::Result;
use crate::execute::{pin_in_place, Db};
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
        if parents.is_empty() {
            return Box::pin(std::future::ready(Ok(())));
        }
        let rows = match self.partial_rows() {
            Ok(rows) => rows,
            Err(e) => return Box::pin(std::future::ready(Err(e))),
        };
        let level = PartialLevel {
            relation: self,
            parents,
            rows,
        };
        pin_in_place(|| load_level(db, &self.spec, Box::new(level)))
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
        let Buckets {
            rows: buckets,
            sharing,
            ..
        } = buckets(assignment, rows, None);
        // Parents without rows share one empty slice: no allocation each.
        let empty: Arc<Vec<C::Partial>> = Arc::new(Vec::new());
        let mut shared: Vec<Arc<Vec<C::Partial>>> = Vec::with_capacity(buckets.len());
        for bucket in buckets {
            shared.push(match bucket.is_empty() {
                true => Arc::clone(&empty),
                false => Arc::new(bucket),
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

/// A partial include's level: no nested includes (refused by
/// `partial_rows`), and its rows are not sorted on the client.
struct PartialLevel<'a, P, C: PartialModel, S> {
    relation: &'a Relation<P, C, S, Partial>,
    parents: &'a mut [P],
    rows: PartialRows<C>,
}

impl<P, C, S> Level for PartialLevel<'_, P, C, S>
where
    P: Model,
    C: PartialModel + Clone + Sync,
    S: Holder<C>,
{
    fn parent_keys(&self, plan: &Plan) -> Vec<Option<RowKey>> {
        keys_of(&plan.parent_columns, self.parents)
    }
    fn batch(&mut self) -> &mut dyn Batch {
        &mut self.rows
    }
    fn hand_out(self: Box<Self>, assignment: Assignment, _sort: bool) -> Result<()> {
        let PartialLevel {
            relation,
            parents,
            rows,
        } = *self;
        relation.hand_out_partial(parents, assignment, rows.rows);
        Ok(())
    }
}
