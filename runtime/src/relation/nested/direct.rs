//! Nested writes on `has_many` and `has_one`: the child rows hold the foreign
//! key (`Link::child`) to the parent's key (`Link::parent`). Every write is
//! one statement on the child table, and a keyed one also requires the child
//! to be the parent's (or, for `connect`, to exist):
//!
//! ```sql
//! -- create          INSERT INTO "posts" (.., "author_id", ..) VALUES (.., $parent, ..)
//! -- connect         UPDATE "posts" SET "author_id" = $parent WHERE "id" = $key
//! -- disconnect      UPDATE "posts" SET "author_id" = NULL WHERE ("id" = $key AND "author_id" = $parent)
//! -- set             UPDATE .. SET "author_id" = NULL WHERE ("author_id" = $parent AND NOT ("id" = $k1 OR ..)),
//! --                 then one connect per key
//! -- update, delete  UPDATE "posts" SET .. / DELETE FROM "posts" WHERE ("id" = $key AND "author_id" = $parent)
//! ```
//!
//! An UPDATE or DELETE that matched no row is `RelatedNotFound` (MySQL
//! reports rows matched, not changed: sqlx connects with `CLIENT_FOUND_ROWS`).

use super::api::ManyOp;
use super::{eq_all, has_null, misfit, positions, related_not_found, values_of};
use crate::error::Result;
use crate::execute::Db;
use crate::query::ast::{AssignValue, Expr};
use crate::query::{Create, CreateMany, DeleteMany, Filter, Update};
use crate::relation::Link;
use crate::schema::{ColumnSchema, Model, ModelSchema, RelationSchema};
use crate::value::Value;

/// Rejects writes the relation cannot take, before anything runs: clearing a
/// required foreign key.
pub(super) fn check<P, C>(
    op: &ManyOp<P, C>,
    link: &Link,
    parent: &'static ModelSchema,
    relation: &'static RelationSchema,
) -> Result<()> {
    let clears = matches!(op, ManyOp::Disconnect(_) | ManyOp::Set(_));
    if clears && !link.child.iter().all(|c| c.nullable) {
        let target = relation.target();
        let fields: Vec<_> = link.child.iter().map(|c| c.field).collect();
        return Err(misfit(
            parent,
            relation,
            format!(
                "disconnect and set clear {}.{}, which is required: delete the rows instead",
                target.name,
                fields.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The parent's children, as the statements see them.
struct Children<'a, P> {
    db: &'a Db,
    relation: &'static RelationSchema,
    /// The child's foreign key columns and their positions.
    fk: &'a [&'static ColumnSchema],
    fk_positions: Vec<usize>,
    /// The parent's key, which the foreign key holds.
    parent_key: Vec<Value>,
    one: bool,
    _parent: std::marker::PhantomData<fn() -> P>,
}

pub(super) async fn run<P: Model, C: Model>(
    op: ManyOp<P, C>,
    db: &Db,
    parent: &P,
    link: &Link,
    relation: &'static RelationSchema,
) -> Result<()> {
    let parent_key = values_of(parent, P::SCHEMA, &positions(P::SCHEMA, &link.parent)?)?;
    if has_null(&parent_key) {
        return Err(misfit(
            P::SCHEMA,
            relation,
            "the row's key for this relation is NULL, so no row can point at it".into(),
        ));
    }
    let children = Children::<P> {
        db,
        relation,
        fk: &link.child,
        fk_positions: positions(C::SCHEMA, &link.child)?,
        parent_key,
        one: relation.kind == crate::schema::RelationKind::HasOne,
        _parent: std::marker::PhantomData,
    };
    children.write(op, parent).await
}

impl<P: Model> Children<'_, P> {
    async fn write<C: Model>(&self, op: ManyOp<P, C>, parent: &P) -> Result<()> {
        match op {
            ManyOp::Create(build) => {
                self.release_current::<C>(None).await?;
                self.create(build(parent)).await
            }
            ManyOp::CreateMany(build) => {
                let rows = build(parent)
                    .into_iter()
                    .map(|row| self.stamped(row))
                    .collect();
                CreateMany::new(rows).exec(self.db).await.map(drop)
            }
            ManyOp::Connect(key) => {
                self.release_current(Some(&key)).await?;
                let matched = self.point_at_parent(key.filter()).await?;
                self.found(matched)
            }
            ManyOp::ConnectOrCreate(key, build) => {
                self.release_current(Some(&key)).await?;
                if self.point_at_parent(key.filter()).await? == 0 {
                    self.create(build(parent)).await?;
                }
                Ok(())
            }
            ManyOp::Disconnect(key) => {
                let matched = self.clear(self.mine(key.map(|k| k.filter()))).await?;
                self.found(matched)
            }
            ManyOp::Set(keys) => {
                let others = Expr::Not(Box::new(Expr::Or(
                    keys.iter().map(|k| k.filter().expr).collect(),
                )));
                self.clear(Filter::<C>::new(Expr::all(vec![self.belongs(), others])))
                    .await?;
                for key in keys {
                    let matched = self.point_at_parent(key.filter()).await?;
                    self.found(matched)?;
                }
                Ok(())
            }
            ManyOp::Update(key, changes) => {
                let matched = changes
                    .retarget(self.mine(key.map(|k| k.filter())))
                    .exec(self.db)
                    .await?;
                self.found(matched)
            }
            ManyOp::Delete(key) => {
                let matched = DeleteMany::new()
                    .filter(self.mine(key.map(|k| k.filter())))
                    .exec(self.db)
                    .await?;
                self.found(matched)
            }
        }
    }

    /// `fk = parent key`: the parent's children.
    fn belongs(&self) -> Expr {
        eq_all(self.fk, &self.parent_key)
    }

    /// The child with `key` if it is the parent's; with no key, the parent's
    /// (one) child.
    fn mine<C>(&self, key: Option<Filter<C>>) -> Filter<C> {
        Filter::new(match key {
            Some(key) => Expr::all(vec![key.expr, self.belongs()]),
            None => self.belongs(),
        })
    }

    fn found(&self, matched: u64) -> Result<()> {
        match matched {
            0 => Err(related_not_found(P::SCHEMA, self.relation)),
            _ => Ok(()),
        }
    }

    /// `row` with its foreign key set to the parent's key.
    fn stamped<C: Model>(&self, mut row: Create<C>) -> Create<C> {
        for (&i, value) in self.fk_positions.iter().zip(&self.parent_key) {
            row.set(i, value.clone());
        }
        row
    }

    async fn create<C: Model>(&self, row: Create<C>) -> Result<()> {
        self.stamped(row).insert(self.db).await
    }

    /// Sets the foreign key of the rows matching `filter` to the parent's
    /// key; how many matched.
    async fn point_at_parent<C: Model>(&self, filter: Filter<C>) -> Result<u64> {
        let mut update = Update::new(filter);
        for (&i, value) in self.fk_positions.iter().zip(&self.parent_key) {
            update.assign(i, AssignValue::Set(value.clone()));
        }
        update.exec(self.db).await
    }

    /// Sets the foreign key of the rows matching `filter` to NULL.
    async fn clear<C: Model>(&self, filter: Filter<C>) -> Result<u64> {
        let mut update = Update::new(filter);
        for (&i, column) in self.fk_positions.iter().zip(self.fk) {
            update.assign(i, AssignValue::Set(Value::Null(column.ty)));
        }
        update.exec(self.db).await
    }

    /// `has_one` with a nullable foreign key: unrelates the parent's current
    /// row (but the one with `keep`) so another can take its place. A
    /// required key cannot be cleared; its unique constraint reports a
    /// second row instead.
    async fn release_current<C: Model>(
        &self,
        keep: Option<&crate::query::UniqueKey<C>>,
    ) -> Result<()> {
        if !self.one || !self.fk.iter().all(|c| c.nullable) {
            return Ok(());
        }
        let mut filter = vec![self.belongs()];
        if let Some(keep) = keep {
            filter.push(Expr::Not(Box::new(keep.filter().expr)));
        }
        self.clear(Filter::<C>::new(Expr::all(filter)))
            .await
            .map(drop)
    }
}
