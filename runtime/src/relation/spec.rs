//! [`Spec`]: the untyped part of a [`super::Relation`], and everything an
//! include does that needs no row of either model: resolving the relation,
//! the load statement, the JSON subquery, which child goes to which parent,
//! the errors. Not generic, so it is compiled once, in strata; the typed
//! shell instantiated in a user's crate for each relation it includes is
//! only the decoding and the handing out of rows (bench/compile/RESULTS.md).

use super::key::{compares_in_rust, RowKey};
use super::load::NESTED_UNDER_PARTIAL;
use super::resolve;
use crate::error::{Error, Result};
use crate::query::ast::{Expr, InvalidExpr, JsonInclude, Load, LoadJoin, OrderBy};
use crate::schema::{ColumnSchema, Model, ModelSchema, RelationSchema, SqlType};
use crate::value::Value;
use foldhash::fast::RandomState;
use std::collections::hash_map::Entry;
use std::sync::Arc;

/// Maps keyed by a row's key values (see the foldhash note in Cargo.toml).
type HashMap<K, V> = std::collections::HashMap<K, V, RandomState>;
type HashSet<K> = std::collections::HashSet<K, RandomState>;

/// One relation and the options of an include of it.
pub(crate) struct Spec {
    pub(crate) schema: &'static RelationSchema,
    pub(crate) parent: &'static ModelSchema,
    pub(crate) child: &'static ModelSchema,
    /// The children's filter (`Filter<C>`'s expression).
    pub(crate) filter: Option<Expr>,
    pub(crate) order_by: Vec<OrderBy>,
    pub(crate) skip: Option<i64>,
    pub(crate) take: Option<i64>,
    /// `select`/`omit`: which of the child's columns are read, in schema order.
    pub(crate) selected: Option<Arc<[bool]>>,
}

/// What an include level needs from its relation, resolved once per load.
pub(super) struct Plan {
    /// Positions in the parent's columns of the key the children match.
    pub(super) parent_columns: Vec<usize>,
    /// The types of the key values each row carries (child or join columns).
    pub(super) key_types: Vec<SqlType>,
    /// Direct: the child's key columns; through a join table: the child's
    /// columns the join table references.
    child_key: Vec<&'static ColumnSchema>,
    join: Option<LoadJoin>,
}

/// Which parent each child row goes to (see [`ParentIndex`]).
pub(super) struct Assignment {
    /// Per child row, the first parent with its key (none: no parent has it).
    pub(super) owners: Vec<Option<usize>>,
    /// Per parent, how many children it owns.
    pub(super) counts: Vec<usize>,
    /// `(first, other)`: parent `other` has the same key as parent `first`,
    /// so the same children (many posts, one author).
    pub(super) sharing: Vec<(usize, usize)>,
}

/// The parents of a batched load by key: which parent each child row goes
/// to, found as the row is read (its key is decoded, looked up and dropped
/// while in cache) rather than from a vector of every row's key afterwards.
pub(super) struct ParentIndex<'k> {
    /// The first parent with each key, whose bucket is sized by the counts.
    first_with_key: HashMap<&'k RowKey, usize>,
    /// `(first, other)`: parents with the same key as an earlier one.
    sharing: Vec<(usize, usize)>,
    /// Each parent's key (`None` where part of it is NULL).
    keys: &'k [Option<RowKey>],
}

impl<'k> ParentIndex<'k> {
    pub(super) fn new(parent_keys: &'k [Option<RowKey>]) -> ParentIndex<'k> {
        let mut first_with_key =
            HashMap::with_capacity_and_hasher(parent_keys.len(), RandomState::default());
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
        ParentIndex {
            first_with_key,
            sharing,
            keys: parent_keys,
        }
    }

    /// Each parent's key, as given to [`ParentIndex::new`].
    pub(super) fn keys(&self) -> &'k [Option<RowKey>] {
        self.keys
    }

    /// The first parent with `key`; none has it: `None`.
    pub(super) fn owner(&self, key: &RowKey) -> Option<usize> {
        self.first_with_key.get(key).copied()
    }

    /// The assignment of children whose owners ([`ParentIndex::owner`])
    /// are `owners`, in row order.
    pub(super) fn assignment(self, owners: Vec<Option<usize>>) -> Assignment {
        let mut counts = vec![0usize; self.keys.len()];
        for &i in owners.iter().flatten() {
            counts[i] += 1;
        }
        Assignment {
            owners,
            counts,
            sharing: self.sharing,
        }
    }
}

impl Spec {
    pub(super) fn new(
        schema: &'static RelationSchema,
        parent: &'static ModelSchema,
        child: &'static ModelSchema,
    ) -> Spec {
        Spec {
            schema,
            parent,
            child,
            filter: None,
            order_by: Vec::new(),
            skip: None,
            take: None,
            selected: None,
        }
    }

    /// `select` (`keep`) or `omit` (`!keep`) of `columns`.
    pub(super) fn select(&mut self, columns: &[&'static ColumnSchema], keep: bool) {
        let chosen = |c: &ColumnSchema| columns.iter().any(|s| s.is(c));
        self.selected = Some(
            self.child
                .columns
                .iter()
                .map(|c| chosen(c) == keep)
                .collect(),
        );
    }

    /// The include's order, ending with the child's primary key (unless the
    /// order already has it): each parent's rows come in a total, repeatable
    /// order, the same for either strategy.
    pub(super) fn total_order(&self) -> Vec<OrderBy> {
        let mut order_by = self.order_by.clone();
        for &i in self.child.primary_key.columns {
            let column = self.child.column(i);
            if !order_by.iter().any(|o| o.column.is(column)) {
                order_by.push(OrderBy {
                    column,
                    descending: false,
                    nulls: None,
                });
            }
        }
        order_by
    }

    /// Whether the batched strategy sorts each parent's rows by primary key
    /// itself instead of asking the database to: the include has no order
    /// or page of its own, reads whole rows, and every primary key column
    /// compares in Rust as on every database (`Model::key_order`).
    /// An `ORDER BY` over the whole batch is a sort of every row on the
    /// server (PostgreSQL: ~2 ms of ~5 for 10,000 comments; SQLite a
    /// temporary B-tree), where each parent's few rows sort in the client
    /// for almost nothing (they mostly come in key order already).
    pub(super) fn sorts_on_client(&self) -> bool {
        self.order_by.is_empty()
            && self.skip.is_none()
            && self.take.is_none()
            && self.selected.is_none()
            && (self.child.primary_key.columns.iter())
                .all(|&i| compares_in_rust(self.child.column(i).ty))
    }

    /// The child's columns read: all, or those `select`/`omit` kept, in
    /// schema order.
    pub(super) fn read_columns(&self) -> Vec<&'static ColumnSchema> {
        match &self.selected {
            None => self.child.columns.iter().collect(),
            Some(selected) => (self.child.columns.iter())
                .zip(selected.iter())
                .filter_map(|(c, &keep)| keep.then_some(c))
                .collect(),
        }
    }

    /// Resolves the relation for a batched load, or says why it cannot run.
    pub(super) fn plan(&self) -> Result<Plan> {
        let link = resolve(self.parent, self.schema)?;
        let key_columns = match &link.join {
            Some(join) => &join.parent_side,
            None => &link.child,
        };
        let position = |c: &&ColumnSchema| self.parent.columns.iter().position(|p| p.is(c));
        let plan = Plan {
            key_types: key_columns.iter().map(|c| c.ty).collect(),
            parent_columns: (link.parent.iter())
                .map(position)
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
        };
        match self.filter.as_ref().and_then(Expr::invalid) {
            Some(invalid) => Err(invalid.clone().into()),
            None => Ok(plan),
        }
    }

    /// The read for the parents whose keys are `parent_keys`: the include's
    /// filter, its order ending in the primary key (so each parent's rows
    /// come in a total, repeatable order) unless the client sorts, and its
    /// per-parent page.
    pub(super) fn load_statement(&self, plan: &Plan, parent_keys: &[Option<RowKey>]) -> Load {
        self.load_for_keys(plan, distinct_keys(parent_keys))
    }

    pub(super) fn load_for_keys(&self, plan: &Plan, keys: Vec<Value>) -> Load {
        let order_by = match self.sorts_on_client() {
            true => Vec::new(),
            false => self.total_order(),
        };
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
            table: self.child.table,
            columns: self.read_columns(),
            key,
            join,
            keys,
            filter: self.filter.clone(),
            order_by,
            skip: self.skip,
            take: self.take,
        }
    }

    /// This include as a JSON subquery of its parent's statement, with
    /// `nested` (its own includes' expressions) inside it.
    pub(super) fn joined_expr(&self, nested: Vec<Expr>) -> Expr {
        match self.json_include(nested) {
            Ok(include) => Expr::IncludeJson(Box::new(include)),
            Err(Error::InvalidValue {
                model,
                field,
                reason,
            }) => Expr::Invalid(InvalidExpr {
                model,
                field,
                reason,
            }),
            Err(other) => Expr::Invalid(InvalidExpr {
                model: self.parent.name,
                field: Some(self.schema.field),
                reason: other.to_string(),
            }),
        }
    }

    fn json_include(&self, nested: Vec<Expr>) -> Result<JsonInclude> {
        if self.selected.is_some() && !nested.is_empty() {
            return Err(self.invalid(NESTED_UNDER_PARTIAL));
        }
        let link = resolve(self.parent, self.schema)?;
        let (key, join) = match link.join {
            None => (link.child, None),
            Some(join) => (
                Vec::new(),
                Some(LoadJoin {
                    table: join.table.table,
                    parent_side: join.parent_side,
                    child_side: join.child_side,
                    child_key: link.child,
                    filter: None,
                }),
            ),
        };
        Ok(JsonInclude {
            parent_table: self.parent.table,
            parent_key: link.parent,
            table: self.child.table,
            columns: self.read_columns(),
            key,
            join,
            filter: self.filter.clone(),
            order_by: self.total_order(),
            skip: self.skip,
            take: self.take,
            nested,
        })
    }

    /// A JSON value that must be an array (of rows, or of one row's values).
    pub(super) fn array(&self, value: serde_json::Value) -> Result<Vec<serde_json::Value>> {
        match value {
            serde_json::Value::Array(values) => Ok(values),
            _ => Err(self.malformed("not a JSON array")),
        }
    }

    pub(super) fn malformed(&self, what: &str) -> Error {
        Error::Database(sqlx::Error::ColumnDecode {
            index: format!(
                "{}.{} (included as JSON)",
                self.parent.name, self.schema.field
            ),
            source: format!("{what}; the joined include's SQL and its decoder disagree").into(),
        })
    }

    pub(super) fn invalid(&self, reason: &str) -> Error {
        Error::InvalidValue {
            model: self.parent.name,
            field: Some(self.schema.field),
            reason: reason.to_owned(),
        }
    }
}

/// Each parent key once, flattened into the statement's key values.
fn distinct_keys(keys: &[Option<RowKey>]) -> Vec<Value> {
    let mut seen = HashSet::with_capacity_and_hasher(keys.len(), RandomState::default());
    keys.iter()
        .flatten()
        .filter(|k| seen.insert(*k))
        .flat_map(|k| k.parts().iter().cloned())
        .collect()
}

/// A row's column values by position: what [`row_key`] reads a key from.
pub(super) trait ColumnValues {
    fn column_value(&self, index: usize) -> Option<Value>;
}

/// On the model itself, not a closure in the generic caller: rustc compiles
/// a method with the type it is implemented on, so each model's copy goes
/// with the model (see ARCHITECTURE.md, "Compile time").
impl<M: Model> ColumnValues for M {
    fn column_value(&self, index: usize) -> Option<Value> {
        Model::column_value(self, index)
    }
}

/// A parent's key from its `columns` (read from `row`), or `None` if part
/// of it is NULL (it then has no related rows).
pub(super) fn row_key(columns: &[usize], row: &dyn ColumnValues) -> Option<RowKey> {
    let values = columns
        .iter()
        .map(|&i| row.column_value(i))
        .collect::<Option<Vec<Value>>>()?;
    let key = RowKey::from_values(values);
    (!key.has_null()).then_some(key)
}
