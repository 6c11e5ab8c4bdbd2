//! Include loading, one statement per level (strategy "batched"): the related
//! rows of every parent in one query keyed by the parents' keys, handed to
//! their parents by hash lookup. A nested include runs once on all children
//! of the level above, so an include tree of depth `d` costs `d` statements
//! whatever the number of parents (more only when an `IN` list must be split
//! under SQLite's or MySQL's bind limit).

use super::key::RowKey;
use super::{resolve, Holder, Include, Relation};
use crate::error::{Error, Result};
use crate::execute::{Db, Rows};
use crate::intercept::chain::op;
use crate::intercept::Action;
use crate::query::ast::{Expr, Load, LoadJoin};
use crate::render::render_load;
use crate::schema::{ColumnSchema, Model, PartialModel, Row, SqlType};
use crate::value::{decode_as, Value};
use foldhash::fast::RandomState;
use futures_util::future::BoxFuture;
use std::collections::hash_map::Entry;
use std::sync::Arc;

/// Maps keyed by a row's key values (see the foldhash note in Cargo.toml).
type HashMap<K, V> = std::collections::HashMap<K, V, RandomState>;
type HashSet<K> = std::collections::HashSet<K, RandomState>;

impl<P, C, S> Include<P> for Relation<P, C, S>
where
    P: Model,
    C: PartialModel + Clone + Sync,
    S: Holder<C>,
{
    fn load<'a>(&'a self, db: &'a Db, parents: &'a mut [P]) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.load_into(db, parents))
    }

    fn json_expr(&self) -> Expr {
        self.joined_expr()
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
        let plan = self.plan()?;
        if let Some(invalid) = self.filter.as_ref().and_then(|f| f.expr.invalid()) {
            return Err(invalid.clone().into());
        }
        let parent_keys: Vec<Option<RowKey>> = parents
            .iter()
            .map(|p| key_of(p, &plan.parent_columns))
            .collect();
        let load = self.load_statement(&plan, distinct_keys(&parent_keys));
        let (op, dialect) = (op::<C>(Action::Include), db.dialect());
        let statements = db
            .prepare(op, load, |l| Ok(render_load(l, dialect)))?
            .each();
        let key_types: Arc<[SqlType]> = plan.key_types.into();
        match &self.selected {
            None => {
                let (mut keys, mut children) = (Vec::new(), Vec::new());
                for statement in statements {
                    let key_types = Arc::clone(&key_types);
                    let decode = move |row: Row<'_>| {
                        let mut index = 0;
                        let child = C::from_row(row, &mut index)?;
                        Ok((read_key(row, index, &key_types)?, child))
                    };
                    // Collected as pairs and split once: tried, collecting
                    // straight into two vectors cost ~1.2M more instructions
                    // per 10,000 rows (likely two reallocating vectors where
                    // one large one grows in place).
                    let rows = db.run_fetch::<_, _, Vec<_>>(statement, decode, Rows::All);
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
                self.hand_out(parents, parent_keys, keys, children)
            }
            Some(selected) => {
                if !self.includes.is_empty() {
                    return Err(self.invalid(NESTED_UNDER_PARTIAL));
                }
                let offset = selected.iter().filter(|&&s| s).count();
                let mut rows: Vec<(RowKey, C::Partial)> = Vec::new();
                for statement in statements {
                    let (key_types, selected) = (Arc::clone(&key_types), Arc::clone(selected));
                    let decode = move |row: Row<'_>| {
                        let child = C::decode_partial(row, &selected)?;
                        Ok((read_key(row, offset, &key_types)?, child))
                    };
                    rows.extend(
                        db.run_fetch::<_, _, Vec<_>>(statement, decode, Rows::All)
                            .await?,
                    );
                }
                self.hand_out_partial(parents, parent_keys, rows);
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
        let plan = self.plan()?;
        let keys = keys.into_iter().flatten().collect();
        Ok(render_load(self.load_statement(&plan, keys), dialect))
    }

    fn plan(&self) -> Result<Plan> {
        let link = resolve(P::SCHEMA, self.schema)?;
        let key_columns = match &link.join {
            Some(join) => &join.parent_side,
            None => &link.child,
        };
        Ok(Plan {
            key_types: key_columns.iter().map(|c| c.ty).collect(),
            parent_columns: link
                .parent
                .iter()
                .map(|c| column_index(P::SCHEMA.columns, c))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    self.invalid("a relation key column is not a column of the model")
                })?,
            child_key: link.child,
            join: link.join.map(|join| LoadJoin {
                table: join.table.table,
                parent_side: join.parent_side,
                child_side: join.child_side,
                child_key: Vec::new(),
                filter: None,
            }),
        })
    }

    /// The read for `keys`: the include's filter, its order ending in the
    /// primary key (so each parent's rows come in a total, repeatable order),
    /// and its per-parent page.
    fn load_statement(&self, plan: &Plan, keys: Vec<Value>) -> Load {
        let order_by = match self.sorts_on_client() {
            true => Vec::new(),
            false => self.total_order(),
        };
        let columns = self.read_columns();
        let (key, join) = match &plan.join {
            Some(join) => (
                Vec::new(),
                Some(LoadJoin {
                    child_key: plan.child_key.clone(),
                    ..join.clone()
                }),
            ),
            None => (plan.child_key.clone(), None),
        };
        Load {
            table: C::SCHEMA.table,
            columns,
            key,
            join,
            keys,
            filter: self.filter.as_ref().map(|f| f.expr.clone()),
            order_by,
            skip: self.skip,
            take: self.take,
        }
    }

    /// Gives each parent its rows. A row shared by several parents (a
    /// `belongs_to` target, a tag on many posts) is cloned for all but the
    /// last of them; a parent's own rows are moved.
    fn hand_out(
        &self,
        parents: &mut [P],
        parent_keys: Vec<Option<RowKey>>,
        keys: Vec<RowKey>,
        children: Vec<C>,
    ) -> Result<()> {
        // Each child is moved once, into the bucket of the first parent with
        // its key; parents sharing a key (many posts, one author) get clones.
        let mut first_with_key: HashMap<&RowKey, usize> =
            HashMap::with_capacity_and_hasher(parents.len(), RandomState::default());
        let mut sharing = Vec::new();
        for (i, key) in parent_keys.iter().enumerate() {
            if let Some(key) = key {
                match first_with_key.entry(key) {
                    Entry::Vacant(slot) => {
                        slot.insert(i);
                    }
                    Entry::Occupied(first) => sharing.push((*first.get(), i)),
                }
            }
        }
        // Each child's parent, looked up once; then every bucket is sized
        // before it is filled, so no bucket grows row by row.
        let owners: Vec<Option<usize>> = (keys.iter())
            .map(|key| first_with_key.get(key).copied())
            .collect();
        let mut counts = vec![0usize; parents.len()];
        for &i in owners.iter().flatten() {
            counts[i] += 1;
        }
        let mut buckets: Vec<Vec<C>> = counts.into_iter().map(Vec::with_capacity).collect();
        for (owner, child) in owners.into_iter().zip(children) {
            if let Some(i) = owner {
                buckets[i].push(child);
            }
        }
        if self.sorts_on_client() {
            for bucket in buckets.iter_mut().filter(|b| b.len() > 1) {
                bucket.sort_by(C::key_order);
            }
        }
        for (first, other) in sharing {
            buckets[other] = buckets[first].clone();
        }
        for (parent, children) in parents.iter_mut().zip(buckets) {
            (self.slot)(parent)
                .fill(children)
                .map_err(|_| self.invalid(MISSING_REQUIRED))?;
        }
        Ok(())
    }

    fn hand_out_partial(
        &self,
        parents: &mut [P],
        parent_keys: Vec<Option<RowKey>>,
        rows: Vec<(RowKey, C::Partial)>,
    ) {
        let mut groups: HashMap<RowKey, Vec<C::Partial>> = HashMap::default();
        for (key, child) in rows {
            groups.entry(key).or_default().push(child);
        }
        let shared: HashMap<RowKey, Arc<[C::Partial]>> =
            groups.into_iter().map(|(k, v)| (k, v.into())).collect();
        let empty: Arc<[C::Partial]> = Arc::new([]);
        for (parent, key) in parents.iter_mut().zip(parent_keys) {
            let rows = key
                .and_then(|k| shared.get(&k).cloned())
                .unwrap_or_else(|| Arc::clone(&empty));
            (self.slot)(parent).fill_partial(rows);
        }
    }

    pub(super) fn invalid(&self, reason: &str) -> Error {
        Error::InvalidValue {
            model: P::SCHEMA.name,
            field: Some(self.schema.field),
            reason: reason.to_owned(),
        }
    }
}

/// Why an include with `select`/`omit` and nested includes is refused.
pub(super) const NESTED_UNDER_PARTIAL: &str =
    "an include with select/omit cannot have nested includes; include the full rows instead";

/// Why a required `belongs_to` row that is not found is an error.
pub(super) const MISSING_REQUIRED: &str =
    "the related row was not found (a required belongs_to cannot be filtered out)";

/// What an include level needs from its relation, resolved once per load.
struct Plan {
    /// Positions in the parent's columns of the key the children match.
    parent_columns: Vec<usize>,
    /// The types of the key values each row carries (child or join columns).
    key_types: Vec<SqlType>,
    /// Direct: the child's key columns; through a join table: the child's
    /// columns the join table references.
    child_key: Vec<&'static ColumnSchema>,
    join: Option<LoadJoin>,
}

fn column_index(columns: &'static [ColumnSchema], column: &ColumnSchema) -> Option<usize> {
    columns.iter().position(|c| c.is(column))
}

/// The parent's key, or `None` if part of it is NULL (it then has no related rows).
fn key_of<P: Model>(parent: &P, columns: &[usize]) -> Option<RowKey> {
    let values = columns
        .iter()
        .map(|&i| parent.column_value(i))
        .collect::<Option<Vec<Value>>>()?;
    let key = RowKey::from_values(values);
    (!key.has_null()).then_some(key)
}

fn distinct_keys(keys: &[Option<RowKey>]) -> Vec<Value> {
    let mut seen = HashSet::with_capacity_and_hasher(keys.len(), RandomState::default());
    keys.iter()
        .flatten()
        .filter(|k| seen.insert(*k))
        .flat_map(|k| k.parts().iter().cloned())
        .collect()
}

fn read_key(row: Row<'_>, at: usize, types: &[SqlType]) -> Result<RowKey, sqlx::Error> {
    // A single-column key (the usual foreign key) without a Vec per row.
    if let [ty] = types {
        return Ok(RowKey::One(decode_as(row, at, *ty)?));
    }
    let values = (types.iter().enumerate())
        .map(|(i, &ty)| decode_as(row, at + i, ty))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RowKey::from_values(values))
}
