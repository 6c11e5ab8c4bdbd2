//! Include loading, one statement per level (strategy "batched"): the related
//! rows of every parent in one query keyed by the parents' keys, handed to
//! their parents by hash lookup. A nested include runs once on all children
//! of the level above, so an include tree of depth `d` costs `d` statements
//! whatever the number of parents (more only when an `IN` list must be split
//! under SQLite's or MySQL's bind limit).
//!
//! A level runs in [`load_level`] and its statements in [`fetch_children`],
//! neither generic: the typed side is a `dyn` [`Level`] (whole rows here,
//! `select`/`omit` rows in `partial.rs`) and the rows arrive through `dyn`
//! ([`super::batch`]), so the load's future is compiled once in strata.
//! Only decoding a row and handing the rows out are generic over the models,
//! compiled per relation in each crate that includes one; which child goes
//! to which parent is [`super::spec::Spec`]'s.

use super::batch::{Batch, FullRows, JsonRows, Keyed};
use super::key::{KeyAt, RowKey, SortRows};
use super::spec::{row_key, Assignment, ParentIndex, Plan, Spec};
use super::{Holder, Include, Relation, Whole};
use crate::error::Result;
use crate::execute::{pin_in_place, Db, Rows};
use crate::intercept::chain::Op;
use crate::intercept::Action;
use crate::render::render_load;
use crate::schema::{Model, PartialModel};
use futures_util::future::BoxFuture;

impl<P, C, S> Include<P> for Relation<P, C, S, Whole>
where
    P: Model,
    C: PartialModel + Clone + Sync,
    S: Holder<C>,
{
    #[inline(always)]
    fn load<'a>(&'a self, db: &'a Db, parents: &'a mut [P]) -> BoxFuture<'a, Result<()>> {
        if parents.is_empty() {
            return Box::pin(std::future::ready(Ok(())));
        }
        let level = WholeLevel {
            relation: self,
            parents,
            children: FullRows(Vec::new()),
        };
        pin_in_place(|| load_level(db, &self.spec, Box::new(level)))
    }

    #[inline(always)]
    fn json_expr(&self) -> crate::query::ast::Expr {
        self.joined_expr()
    }

    #[inline(always)]
    fn fill_json(&self, parents: &mut [P], column: Vec<serde_json::Value>) -> Result<()> {
        let split = JsonRows::split(&self.spec, column, self.includes.len())?;
        let mut children = FullRows(Vec::new());
        split.decode(&mut children)?;
        for (include, column) in self.includes.iter().zip(split.nested) {
            include.fill_json(&mut children.0, column)?;
        }
        self.hand_out(parents, split.assignment, children.0, false)
    }
}

impl<P, C, S> Relation<P, C, S, Whole>
where
    P: Model,
    C: PartialModel + Clone + Sync,
    S: Holder<C>,
{
    /// Gives each parent its rows (`children`, in the order read, placed by
    /// `assignment`), sorted by primary key first if `sort`. A row shared by
    /// several parents (a `belongs_to` target, a tag on many posts) is
    /// cloned for all but the first of them; a parent's own rows are moved.
    /// Plain loops over the vectors: each iterator adapter here would be
    /// compiled again for every relation a crate includes.
    #[inline(always)]
    fn hand_out(
        &self,
        parents: &mut [P],
        assignment: Assignment,
        children: Vec<C>,
        sort: bool,
    ) -> Result<()> {
        let in_order = sort.then_some(in_key_order::<C> as fn(&C, &C) -> bool);
        let Buckets {
            rows: mut buckets,
            sharing,
            unsorted,
        } = buckets(assignment, children, in_order);
        let mut unsorted = unsorted.into_iter();
        for bucket in &mut buckets {
            if unsorted.next() == Some(true) {
                sort_by_key(bucket);
            }
        }
        for (first, other) in sharing {
            buckets[other] = buckets[first].clone();
        }
        let mut buckets = buckets.into_iter();
        for parent in parents {
            let Some(children) = buckets.next() else {
                break;
            };
            if (self.slot)(parent).fill(children).is_err() {
                return Err(self.spec.invalid(MISSING_REQUIRED));
            }
        }
        Ok(())
    }
}

/// One include level's typed side: its parents, and the rows read for them.
/// [`load_level`] runs the level through it, so the statements, nested
/// loads and assignment are one future compiled in strata rather than an
/// `async` state machine per relation in every crate that includes one.
pub(super) trait Level: Send {
    /// The parents' keys on `plan`'s columns (`None` where part is NULL).
    fn parent_keys(&self, plan: &Plan) -> Vec<Option<RowKey>>;
    /// Where the rows read go.
    fn batch(&mut self) -> &mut dyn Batch;
    /// How many nested includes load on the rows read (none by default:
    /// `select`/`omit` rows cannot have them).
    #[inline(always)]
    fn nested(&self) -> usize {
        0
    }
    /// Loads nested include `i` on the rows read.
    #[inline(always)]
    fn load_nested<'a>(&'a mut self, _i: usize, _db: &'a Db) -> BoxFuture<'a, Result<()>> {
        Box::pin(std::future::ready(Ok(())))
    }
    /// Hands the rows read to the parents, placed by `assignment`, each
    /// parent's sorted by primary key first if `sort`.
    fn hand_out(self: Box<Self>, assignment: Assignment, sort: bool) -> Result<()>;
}

/// Loads one include level for `level`'s parents (at least one; `load`
/// answers none without a statement): its rows, then their nested
/// includes, then hands them out.
pub(super) async fn load_level(db: &Db, spec: &Spec, mut level: Box<dyn Level + '_>) -> Result<()> {
    let plan = spec.plan()?;
    let parent_keys = level.parent_keys(&plan);
    // Boxed: held across the awaits, it would grow this boxed future past
    // the allocator's per-thread cache (ARCHITECTURE.md).
    let parents = Box::new(ParentIndex::new(&parent_keys));
    let owners = fetch_children(db, spec, &plan, &parents, level.batch()).await?;
    for i in 0..level.nested() {
        level.load_nested(i, db).await?;
    }
    let assignment = parents.assignment(owners);
    level.hand_out(assignment, spec.sorts_on_client())
}

/// A whole-row include's level.
struct WholeLevel<'a, P, C, S> {
    relation: &'a Relation<P, C, S, Whole>,
    parents: &'a mut [P],
    children: FullRows<C>,
}

impl<P, C, S> Level for WholeLevel<'_, P, C, S>
where
    P: Model,
    C: PartialModel + Clone + Sync,
    S: Holder<C>,
{
    #[inline(always)]
    fn parent_keys(&self, plan: &Plan) -> Vec<Option<RowKey>> {
        keys_of(&plan.parent_columns, self.parents)
    }
    #[inline(always)]
    fn batch(&mut self) -> &mut dyn Batch {
        &mut self.children
    }
    #[inline(always)]
    fn nested(&self) -> usize {
        self.relation.includes.len()
    }
    #[inline(always)]
    fn load_nested<'a>(&'a mut self, i: usize, db: &'a Db) -> BoxFuture<'a, Result<()>> {
        self.relation.includes[i].load(db, &mut self.children.0)
    }
    #[inline(always)]
    fn hand_out(self: Box<Self>, assignment: Assignment, sort: bool) -> Result<()> {
        let WholeLevel {
            relation,
            parents,
            children,
        } = *self;
        relation.hand_out(parents, assignment, children.0, sort)
    }
}

/// The rows of each bucket in arrival order, bucket `i` sized for parent
/// `i`'s rows, and which parents share a bucket (see [`Assignment`]).
/// With `in_order`, also which buckets got a row out of that order: each
/// row is compared with its bucket's last as it goes in, while both are
/// still in cache, rather than in a pass over every bucket afterwards
/// (which read every row again: on the peers bench's 10,000-row include,
/// a tenth of the client's L1 data misses).
#[inline(always)]
pub(super) fn buckets<T>(
    assignment: Assignment,
    rows: Vec<T>,
    in_order: Option<fn(&T, &T) -> bool>,
) -> Buckets<T> {
    let Assignment {
        owners,
        counts,
        sharing,
    } = assignment;
    // Every bucket is sized before it is filled, so none grows row by row.
    let mut buckets: Vec<Vec<T>> = Vec::with_capacity(counts.len());
    for count in counts {
        buckets.push(Vec::with_capacity(count));
    }
    let mut unsorted = match in_order {
        Some(_) => vec![false; buckets.len()],
        None => Vec::new(),
    };
    let mut owners = owners.into_iter();
    for row in rows {
        if let Some(Some(i)) = owners.next() {
            let bucket = &mut buckets[i];
            if let (Some(in_order), Some(last)) = (in_order, bucket.last()) {
                if !in_order(last, &row) {
                    unsorted[i] = true;
                }
            }
            bucket.push(row);
        }
    }
    Buckets {
        rows: buckets,
        sharing,
        unsorted,
    }
}

/// Each parent's rows, what [`buckets`] returns.
pub(super) struct Buckets<T> {
    /// Bucket `i` holds parent `i`'s rows.
    pub(super) rows: Vec<Vec<T>>,
    /// Parents that share a bucket (see [`Assignment`]).
    pub(super) sharing: Vec<(usize, usize)>,
    /// Which buckets got a row out of order (empty unless asked).
    pub(super) unsorted: Vec<bool>,
}

/// Whether `b` may follow `a` in primary key order.
fn in_key_order<C: Model>(a: &C, b: &C) -> bool {
    C::key_order(a, b).is_le()
}

/// Each parent's key (`None` where part of it is NULL), by column position.
/// Generic over the parent alone: shared by all of a model's relations.
#[inline(always)]
pub(super) fn keys_of<P: Model>(columns: &[usize], parents: &[P]) -> Vec<Option<RowKey>> {
    let mut keys = Vec::with_capacity(parents.len());
    for parent in parents {
        keys.push(row_key(columns, parent));
    }
    keys
}

/// Sorts `rows` by primary key (`Model::key_order`), stably. The sort and
/// the moves are strata's, through positions ([`super::key::sort_order`],
/// [`super::key::permute`]): only the comparison and the swap are compiled
/// per model (the standard library's sort was ~1,500 lines of LLVM IR for
/// each model a crate includes, draining and refilling the vector ~3,000).
#[inline(always)]
fn sort_by_key<C: Model>(mut rows: &mut [C]) {
    super::key::sort_rows(&mut rows);
}

/// A slice of rows of `C` sorts by `C`'s primary key. An impl on `&mut [C]`,
/// not a closure in [`sort_by_key`]: rustc compiles a method with the type it
/// is implemented on (a slice of `C`, so with `C`), and a closure with the strata
/// module that defines it, where one model's change would rebuild every
/// model's copy (see ARCHITECTURE.md, "Compile time").
impl<C: Model> SortRows for &mut [C] {
    fn len(&self) -> usize {
        <[C]>::len(self)
    }
    fn compare(&self, a: usize, b: usize) -> std::cmp::Ordering {
        C::key_order(&self[a], &self[b])
    }
    fn swap(&mut self, a: usize, b: usize) {
        <[C]>::swap(self, a, b);
    }
}

/// Runs the batched load for the keys of `parents` (past the `before`
/// hooks; more than one statement when the keys are split under a bind
/// limit), its rows into `batch`; returns the parent each row goes to.
/// Not generic: compiled once, whatever the relation.
async fn fetch_children(
    db: &Db,
    spec: &Spec,
    plan: &Plan,
    parents: &ParentIndex<'_>,
    batch: &mut dyn Batch,
) -> Result<Vec<Option<usize>>> {
    let load = spec.load_statement(plan, parents.keys());
    // Read off the statement the rows come from, as the renderer does.
    let key = KeyAt {
        positions: load.row_key_positions(),
        types: plan.key_types.clone(),
    };
    let (op, dialect) = (Op::model(spec.child, Action::Include), db.dialect());
    let statements = db.prepare(op, load, |l| Ok(render_load(l, dialect)))?;
    let mut owners = Vec::new();
    for statement in statements.each() {
        let base = batch.len();
        let mut sink = Keyed {
            batch: &mut *batch,
            key: &key,
            parents,
            owners: &mut owners,
            base,
        };
        db.fetch_into(statement.map(Into::into), &mut sink, Rows::All)
            .await?;
    }
    Ok(owners)
}

/// Why an include with `select`/`omit` and nested includes is refused.
pub(super) const NESTED_UNDER_PARTIAL: &str =
    "an include with select/omit cannot have nested includes; include the full rows instead";

/// Why a required `belongs_to` row that is not found is an error.
pub(super) const MISSING_REQUIRED: &str =
    "the related row was not found (a required belongs_to cannot be filtered out)";

#[cfg(test)]
mod tests {
    use super::{buckets, Assignment};

    fn ascending(a: &i32, b: &i32) -> bool {
        a <= b
    }

    /// Rows go to their owners in arrival order, and a bucket is flagged
    /// for sorting only if one of its own rows came out of order: rows of
    /// other buckets arriving between them do not count.
    #[test]
    fn buckets_flag_only_the_buckets_that_got_a_row_out_of_order() {
        let assignment = || Assignment {
            owners: vec![Some(0), Some(1), Some(0), None, Some(1), Some(2)],
            counts: vec![2, 2, 1],
            sharing: vec![(0, 3)],
        };
        let rows = vec![5, 1, 7, 0, 2, 9];
        let split = buckets(assignment(), rows.clone(), Some(ascending));
        assert_eq!(split.rows, [vec![5, 7], vec![1, 2], vec![9]]);
        assert_eq!(split.unsorted, [false, false, false]);
        assert_eq!(split.sharing, [(0, 3)]);

        let rows = vec![5, 3, 4, 0, 2, 9];
        let split = buckets(assignment(), rows.clone(), Some(ascending));
        assert_eq!(split.rows, [vec![5, 4], vec![3, 2], vec![9]]);
        assert_eq!(split.unsorted, [true, true, false]);

        // Without an order to keep, nothing is compared or flagged.
        let split = buckets(assignment(), rows, None);
        assert!(split.unsorted.is_empty());
    }
}
