//! Include loading, one statement per level (strategy "batched"): the related
//! rows of every parent in one query keyed by the parents' keys, handed to
//! their parents by hash lookup. A nested include runs once on all children
//! of the level above, so an include tree of depth `d` costs `d` statements
//! whatever the number of parents (more only when an `IN` list must be split
//! under SQLite's or MySQL's bind limit).
//!
//! Only the decoding and the handing out of rows is here, generic over the
//! models; the statement and which child goes to which parent are
//! [`super::spec::Spec`]'s.

use super::key::RowKey;
use super::spec::{row_key, Assignment, Spec};
use super::{Holder, Include, Relation};
use crate::error::Result;
use crate::execute::{Db, Rows};
use crate::intercept::chain::Op;
use crate::intercept::chain::Prepared;
use crate::intercept::Action;
use crate::render::{render_load, Rendered};
use crate::schema::{Model, PartialModel, Row};
use crate::value::Value;
use futures_util::future::BoxFuture;
use std::sync::Arc;

impl<P, C, S> Include<P> for Relation<P, C, S>
where
    P: Model,
    C: PartialModel + Clone + Sync,
    S: Holder<C>,
{
    fn load<'a>(&'a self, db: &'a Db, parents: &'a mut [P]) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.load_into(db, parents))
    }

    fn json_expr(&self) -> crate::query::ast::Expr {
        let nested = self.includes.iter().map(|i| i.json_expr()).collect();
        self.spec.joined_expr(nested)
    }

    fn fill_json(&self, parent: &mut P, rows: serde_json::Value) -> Result<()> {
        self.fill_from_json(parent, rows)
    }
}

impl<P, C, S> Relation<P, C, S>
where
    P: Model,
    C: PartialModel + Clone + Sync,
    S: Holder<C>,
{
    async fn load_into(&self, db: &Db, parents: &mut [P]) -> Result<()> {
        if parents.is_empty() {
            return Ok(());
        }
        let spec = &self.spec;
        let plan = spec.plan()?;
        let parent_keys: Vec<Option<RowKey>> = (parents.iter())
            .map(|p| row_key(&plan.parent_columns, &|i| p.column_value(i)))
            .collect();
        let statements = prepare_load(db, spec, &plan, &parent_keys)?;
        let key = Arc::new(spec.key_at(&plan));
        match &spec.selected {
            None => {
                let (mut keys, mut children) = (Vec::new(), Vec::new());
                for statement in statements {
                    let key = Arc::clone(&key);
                    let decode = move |row: Row<'_>| {
                        let child = C::from_row(row, &mut 0)?;
                        Ok((key.read(row)?, child))
                    };
                    // Collected as pairs and split once: tried, collecting
                    // straight into two vectors cost ~1.2M more instructions
                    // per 10,000 rows (likely two reallocating vectors where
                    // one large one grows in place).
                    let rows = db.run_fetch::<_, _, Vec<_>, _>(statement, decode, Rows::All);
                    let (batch_keys, batch_children): (Vec<RowKey>, Vec<C>) =
                        rows.await?.into_iter().unzip();
                    // One statement is the usual case: take its vectors
                    // instead of copying every row into empty ones.
                    if keys.is_empty() {
                        (keys, children) = (batch_keys, batch_children);
                    } else {
                        keys.extend(batch_keys);
                        children.extend(batch_children);
                    }
                }
                for include in &self.includes {
                    include.load(db, &mut children).await?;
                }
                self.hand_out(parents, &parent_keys, &keys, children)
            }
            Some(selected) => {
                if !self.includes.is_empty() {
                    return Err(spec.invalid(NESTED_UNDER_PARTIAL));
                }
                let (mut keys, mut children) = (Vec::new(), Vec::new());
                for statement in statements {
                    let (key, selected) = (Arc::clone(&key), Arc::clone(selected));
                    let decode = move |row: Row<'_>| {
                        let child = C::decode_partial(row, &selected)?;
                        Ok((key.read(row)?, child))
                    };
                    let rows = db.run_fetch::<_, _, Vec<_>, _>(statement, decode, Rows::All);
                    for (key, child) in rows.await? {
                        keys.push(key);
                        children.push(child);
                    }
                }
                self.hand_out_partial(parents, &parent_keys, &keys, children);
                Ok(())
            }
        }
    }

    /// The statements this include runs for parents whose keys are `keys`
    /// (one tuple per parent, in the relation's key column order): what the
    /// SQL snapshots show, and a way to see an include's SQL without a database.
    pub fn statements_for_keys(
        &self,
        keys: Vec<Vec<Value>>,
        dialect: crate::Dialect,
    ) -> Result<Vec<crate::render::Rendered>> {
        let plan = self.spec.plan()?;
        let keys = keys.into_iter().flatten().collect();
        Ok(render_load(self.spec.load_for_keys(&plan, keys), dialect))
    }

    /// Gives each parent its rows. A row shared by several parents (a
    /// `belongs_to` target, a tag on many posts) is cloned for all but the
    /// last of them; a parent's own rows are moved.
    fn hand_out(
        &self,
        parents: &mut [P],
        parent_keys: &[Option<RowKey>],
        keys: &[RowKey],
        children: Vec<C>,
    ) -> Result<()> {
        // Each child is moved once, into the bucket of the first parent with
        // its key; parents sharing a key (many posts, one author) get clones.
        // Every bucket is sized before it is filled, so none grows row by row.
        let Assignment {
            owners,
            counts,
            sharing,
        } = Spec::assign(parent_keys, keys);
        let mut buckets: Vec<Vec<C>> = counts.into_iter().map(Vec::with_capacity).collect();
        for (owner, child) in owners.into_iter().zip(children) {
            if let Some(i) = owner {
                buckets[i].push(child);
            }
        }
        if self.spec.sorts_on_client() {
            for bucket in &mut buckets {
                sort_by_key(bucket);
            }
        }
        for (first, other) in sharing {
            buckets[other] = buckets[first].clone();
        }
        for (parent, children) in parents.iter_mut().zip(buckets) {
            (self.slot)(parent)
                .fill(children)
                .map_err(|_| self.spec.invalid(MISSING_REQUIRED))?;
        }
        Ok(())
    }

    /// [`Relation::hand_out`] for partial rows: parents sharing a key share
    /// one slice.
    fn hand_out_partial(
        &self,
        parents: &mut [P],
        parent_keys: &[Option<RowKey>],
        keys: &[RowKey],
        children: Vec<C::Partial>,
    ) {
        let Assignment {
            owners,
            counts,
            sharing,
        } = Spec::assign(parent_keys, keys);
        let mut buckets: Vec<Vec<C::Partial>> =
            counts.into_iter().map(Vec::with_capacity).collect();
        for (owner, child) in owners.into_iter().zip(children) {
            if let Some(i) = owner {
                buckets[i].push(child);
            }
        }
        let empty: Arc<[C::Partial]> = Arc::new([]);
        let mut shared: Vec<Arc<[C::Partial]>> = (buckets.into_iter())
            .map(|b| match b.is_empty() {
                true => Arc::clone(&empty),
                false => b.into(),
            })
            .collect();
        for (first, other) in sharing {
            shared[other] = Arc::clone(&shared[first]);
        }
        for (parent, rows) in parents.iter_mut().zip(shared) {
            (self.slot)(parent).fill_partial(rows);
        }
    }
}

/// Sorts `rows` by primary key (`Model::key_order`). Rows mostly arrive in
/// key order already, which is checked first; otherwise the sort runs on
/// their positions through [`super::key::sorted_positions`], so the standard
/// library's sort is compiled once in strata rather than again for every
/// model a crate includes (~1,500 lines of LLVM IR each).
fn sort_by_key<C: Model>(rows: &mut Vec<C>) {
    if rows.is_sorted_by(|a, b| C::key_order(a, b).is_le()) {
        return;
    }
    let order = super::key::sorted_positions(rows.len(), &|a, b| C::key_order(&rows[a], &rows[b]));
    let mut taken: Vec<Option<C>> = rows.drain(..).map(Some).collect();
    rows.extend(order.into_iter().filter_map(|i| taken[i].take()));
}

/// The batched load's statements for `parent_keys`, past the `before` hooks.
fn prepare_load(
    db: &Db,
    spec: &Spec,
    plan: &super::spec::Plan,
    parent_keys: &[Option<RowKey>],
) -> Result<Vec<Prepared<Rendered>>> {
    let load = spec.load_statement(plan, parent_keys);
    let (op, dialect) = (Op::model(spec.child, Action::Include), db.dialect());
    Ok(db
        .prepare(op, load, |l| Ok(render_load(l, dialect)))?
        .each())
}

/// Why an include with `select`/`omit` and nested includes is refused.
pub(super) const NESTED_UNDER_PARTIAL: &str =
    "an include with select/omit cannot have nested includes; include the full rows instead";

/// Why a required `belongs_to` row that is not found is an error.
pub(super) const MISSING_REQUIRED: &str =
    "the related row was not found (a required belongs_to cannot be filtered out)";
