//! Nested writes: a create or an update of one row together with writes to
//! its related rows, all in one transaction.
//!
//! ```ignore
//! use strata::WithNested;
//!
//! let ann = User::create()
//!     .email("ann@example.com")
//!     .with(User::posts().create(|ann: &User| Post::create().author_id(&ann.id).title("Hi")))
//!     .with(User::profile().create(|ann: &User| Profile::create().user_id(&ann.id).settings(s)))
//!     .exec(&db)
//!     .await?;
//!
//! User::update(User::by_id(&ann.id))
//!     .name("Ann")
//!     .with(User::posts().connect(Post::by_id(old)))
//!     .with(User::posts().update(Post::by_id(draft), Post::changes().published(true)))
//!     .with(User::followers().disconnect(User::by_id(&bob.id)))
//!     .exec(&db)
//!     .await?;
//! ```
//!
//! A nested write ([`Nested`]) is built from a relation accessor; `.with(..)`
//! ([`WithNested`]) attaches it to a complete create builder or a
//! `Model::update(key)` builder. `exec` runs, in one transaction
//! ([`Db::transaction`]): the `belongs_to` writes that decide the row's own
//! foreign keys (`connect`, `create`, `disconnect`), then the row's INSERT or
//! UPDATE, then every other nested write in the order given, and returns the
//! row. A related row that a `connect`, `update`, `delete` or `disconnect`
//! names but that does not exist (or is not related to this row) is
//! [`Error::RelatedNotFound`]; any error rolls the whole write back.
//!
//! The statements per relation kind live in `direct.rs` (`has_many`,
//! `has_one`: the child holds the foreign key), `join.rs` (`many_to_many`:
//! rows of the join table) and `to_one.rs` (`belongs_to`: this row holds the
//! foreign key); `api.rs` has the methods on [`Relation`] that build them.

mod api;
mod direct;
mod join;
mod to_one;

use crate::error::{Error, Result};
use crate::execute::{Db, Rows};
use crate::intercept::chain::Op;
use crate::intercept::Action;
use crate::query::ast::{AssignValue, CompareOp, Expr, Projection, Select, Statement};
use crate::query::{Create, FindUnique, IntoCreate, IntoUpdate, UniqueKey, Update};
use crate::schema::{ColumnSchema, Model, ModelSchema, RelationSchema};
use crate::value::{decode_as, Value};
use futures_util::future::BoxFuture;

#[cfg(doc)]
use crate::relation::Relation;

/// One nested write on a relation of `P`, built from the relation's accessor
/// (`User::posts().create(..)`, `Post::author().connect(..)`) and attached to
/// a write of `P` with [`WithNested::with`].
#[must_use = "a nested write does nothing until it is attached to a create or update with `.with(..)`"]
pub struct Nested<P> {
    op: Box<dyn NestedOp<P>>,
}

impl<P> Nested<P> {
    fn new(op: impl NestedOp<P> + 'static) -> Self {
        Nested { op: Box::new(op) }
    }
}

/// What a nested write does around the write of its parent row.
trait NestedOp<P>: Send + Sync {
    /// Resolves the relation and checks the write fits it, before anything
    /// runs (so a misfit writes nothing, not even a BEGIN).
    fn prepare(&mut self) -> Result<()>;

    /// Before the parent's INSERT or UPDATE: the parent's columns to set
    /// (a `belongs_to` foreign key), by position.
    fn before<'a>(&'a mut self, _db: &'a Db) -> BoxFuture<'a, Result<Vec<(usize, Value)>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// The `belongs_to` relation whose foreign key this write decides before
    /// the parent is written (`connect`, `create`, `connect_or_create`).
    fn provides_key_of(&self) -> Option<&'static RelationSchema> {
        None
    }

    /// After the parent's write, given the row as written.
    fn after<'a>(self: Box<Self>, db: &'a Db, parent: &'a P) -> BoxFuture<'a, Result<Effect>>;
}

/// Whether a nested write changed the parent row after it was written (a
/// deleted `belongs_to` target nulls the foreign key): it is read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Unchanged,
    ParentChanged,
}

/// `.with(..)`: attaches a nested write to a complete create builder
/// (`User::create().email(..)`, every required field set) or to an update of
/// one row (`User::update(key)`). Bring it into scope with
/// `use strata::WithNested;`. `Kind` only keeps the two impls apart and is
/// always inferred.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot take nested writes for `{M}`",
    note = "call `.with(..)` on a `{M}::create()` builder with every required field set, or on `{M}::update(key)`"
)]
pub trait WithNested<M, Kind>: Sized {
    type Output;
    fn with(self, nested: Nested<M>) -> Self::Output;
}

#[doc(hidden)]
pub enum OnCreate {}
#[doc(hidden)]
pub enum OnUpdate {}

impl<M: Model, B: IntoCreate<M>> WithNested<M, OnCreate> for B {
    type Output = CreateWith<M>;
    fn with(self, nested: Nested<M>) -> CreateWith<M> {
        CreateWith::from_create(self.into_create()).with(nested)
    }
}

impl<M: Model, B: IntoUpdate<M, UniqueKey<M>>> WithNested<M, OnUpdate> for B {
    type Output = UpdateWith<M>;
    fn with(self, nested: Nested<M>) -> UpdateWith<M> {
        UpdateWith {
            update: self.into_update(),
            nested: vec![nested],
        }
    }
}

/// A create with nested writes; `exec` returns the created row.
#[must_use = "a create does nothing until `.exec(&db)` is awaited"]
pub struct CreateWith<M> {
    create: Create<M>,
    nested: Vec<Nested<M>>,
}

impl<M: Model> CreateWith<M> {
    /// The create with the nested writes set on its builder (`.author(..)`).
    pub(crate) fn from_create(mut create: Create<M>) -> Self {
        let nested = std::mem::take(&mut create.nested);
        CreateWith { create, nested }
    }
}

/// A create with nested writes is itself a create, so it nests: a nested
/// create's builder may carry `.with(..)` writes of its own.
impl<M: Model> IntoCreate<M> for CreateWith<M> {
    fn into_create(self) -> Create<M> {
        let mut create = self.create;
        create.nested.extend(self.nested);
        create
    }
}

impl<M: Model + Sync> CreateWith<M> {
    /// One more nested write.
    pub fn with(mut self, nested: Nested<M>) -> Self {
        self.nested.push(nested);
        self
    }

    /// Runs the create and its nested writes in one transaction (a
    /// savepoint if `db` is a transaction's) and returns the created row.
    pub async fn exec(self, db: &Db) -> Result<M> {
        let CreateWith {
            mut create,
            mut nested,
        } = self;
        prepare(&mut nested)?;
        check_keys_provided(&create.keys_from, &nested)?;
        db.transaction(move |tx| {
            Box::pin(async move {
                for (index, value) in before(&mut nested, tx).await? {
                    create.set(index, value);
                }
                let row = create.insert_returning(tx).await?;
                after(nested, tx, row).await
            })
        })
        .await
    }
}

/// An update of one row with nested writes; `exec` returns the row as
/// written ([`Error::NotFound`] if no row has the key).
#[must_use = "an update does nothing until `.exec(&db)` is awaited"]
pub struct UpdateWith<M> {
    update: Update<M, UniqueKey<M>>,
    nested: Vec<Nested<M>>,
}

impl<M: Model + Sync> UpdateWith<M> {
    /// One more nested write.
    pub fn with(mut self, nested: Nested<M>) -> Self {
        self.nested.push(nested);
        self
    }

    /// Runs the update and its nested writes in one transaction (a
    /// savepoint if `db` is a transaction's) and returns the row. Without
    /// assignments of its own, the row is only read (its `updated_at` is
    /// left alone).
    pub async fn exec(self, db: &Db) -> Result<M> {
        let UpdateWith {
            mut update,
            mut nested,
        } = self;
        prepare(&mut nested)?;
        db.transaction(move |tx| {
            Box::pin(async move {
                for (index, value) in before(&mut nested, tx).await? {
                    update.assign(index, AssignValue::Set(value));
                }
                let row = if update.has_assignments() {
                    update.exec(tx).await?
                } else {
                    FindUnique::new(update.into_target())
                        .exec_required(tx)
                        .await?
                };
                after(nested, tx, row).await
            })
        })
        .await
    }
}

/// Each relation a builder method like `Post::create().author(..)` was given
/// must get its foreign key from one of the nested writes: a `connect`,
/// `create` or `connect_or_create` on that relation.
fn check_keys_provided<P: Model>(
    keys_from: &[&'static RelationSchema],
    nested: &[Nested<P>],
) -> Result<()> {
    for &relation in keys_from {
        let provided = nested.iter().any(|n| {
            n.op.provides_key_of()
                .is_some_and(|r| r.field == relation.field)
        });
        if !provided {
            return Err(misfit(
                P::SCHEMA,
                relation,
                format!(
                    "`.{field}(..)` on a create needs a write that sets the foreign key: `{model}::{field}().connect(..)`, `.create(..)` or `.connect_or_create(..)`",
                    field = relation.field,
                    model = P::SCHEMA.name,
                ),
            ));
        }
    }
    Ok(())
}

fn prepare<P>(nested: &mut [Nested<P>]) -> Result<()> {
    nested.iter_mut().try_for_each(|n| n.op.prepare())
}

async fn before<P>(nested: &mut [Nested<P>], db: &Db) -> Result<Vec<(usize, Value)>> {
    let mut assignments = Vec::new();
    for n in nested {
        assignments.extend(n.op.before(db).await?);
    }
    Ok(assignments)
}

async fn after<P: Model + Sync>(nested: Vec<Nested<P>>, db: &Db, row: P) -> Result<P> {
    let mut changed = false;
    for n in nested {
        changed |= n.op.after(db, &row).await? == Effect::ParentChanged;
    }
    if !changed {
        return Ok(row);
    }
    let key = values_of(&row, P::SCHEMA, P::SCHEMA.primary_key.columns)?;
    FindUnique::new(UniqueKey::<P>::new(0, key))
        .exec_required(db)
        .await
}

/// The error of a nested write whose related row is missing or unrelated.
fn related_not_found(parent: &'static ModelSchema, relation: &'static RelationSchema) -> Error {
    Error::RelatedNotFound {
        model: parent.name,
        relation: relation.field,
        target: relation.target().name,
    }
}

/// A nested write that does not fit its relation, caught before it runs.
fn misfit(
    parent: &'static ModelSchema,
    relation: &'static RelationSchema,
    reason: String,
) -> Error {
    Error::InvalidValue {
        model: parent.name,
        field: Some(relation.field),
        reason,
    }
}

/// The positions of `columns` in `model.columns`.
fn positions(model: &'static ModelSchema, columns: &[&'static ColumnSchema]) -> Result<Vec<usize>> {
    columns
        .iter()
        .map(|column| {
            model
                .columns
                .iter()
                .position(|c| c.is(column))
                .ok_or_else(|| Error::InvalidValue {
                    model: model.name,
                    field: Some(column.field),
                    reason: "a relation key column is not a column of the model".into(),
                })
        })
        .collect()
}

/// The values of the columns at `positions` of `row`.
fn values_of<M: Model>(
    row: &M,
    model: &'static ModelSchema,
    positions: &[usize],
) -> Result<Vec<Value>> {
    positions
        .iter()
        .map(|&i| {
            row.column_value(i).ok_or_else(|| Error::InvalidValue {
                model: model.name,
                field: Some(model.column(i).field),
                reason: "the row does not expose this column's value".into(),
            })
        })
        .collect()
}

/// `columns[i] = values[i]` for every `i`.
fn eq_all(columns: &[&'static ColumnSchema], values: &[Value]) -> Expr {
    Expr::all(
        columns
            .iter()
            .zip(values)
            .map(|(column, value)| {
                Expr::Compare(
                    Box::new(Expr::Column(column)),
                    CompareOp::Eq,
                    Box::new(Expr::Value(value.clone())),
                )
            })
            .collect(),
    )
}

/// Whether any value is NULL (such a key points at no row).
fn has_null(values: &[Value]) -> bool {
    values.iter().any(|v| matches!(v, Value::Null(_)))
}

/// `columns` of the one row of `model` matching `filter` (a unique key), if
/// there is one.
async fn select_one(
    db: &Db,
    model: &'static ModelSchema,
    columns: &[&'static ColumnSchema],
    filter: Expr,
) -> Result<Option<Vec<Value>>> {
    let mut select = Select::new(model.table, Projection::Columns(columns.to_vec()));
    select.filter = Some(filter);
    let op = Op::model(model, Action::FindFirst);
    let rendered = db.prepare_statement(op, Statement::Select(select))?;
    let types: Vec<_> = columns.iter().map(|c| c.ty).collect();
    let decode = move |row: crate::schema::Row<'_>| {
        (types.iter().enumerate())
            .map(|(i, &ty)| decode_as(row, i, ty))
            .collect::<Result<Vec<Value>, sqlx::Error>>()
    };
    db.run_fetch(rendered, decode, Rows::First).await
}
