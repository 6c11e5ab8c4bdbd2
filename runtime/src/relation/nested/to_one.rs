//! Nested writes on `belongs_to`: this row holds the foreign key
//! (`Link::parent`) to the target's key (`Link::child`). `connect`, `create`
//! and `disconnect` decide the foreign key before this row is written, so
//! they become part of its own INSERT or UPDATE:
//!
//! ```sql
//! -- connect     SELECT "id" FROM "users" WHERE "email" = $key, then "author_id" = that id
//! -- create      INSERT INTO "categories" .. RETURNING .. (read back on MySQL), then "category_id" = its id
//! -- disconnect  "category_id" = NULL
//! ```
//!
//! `update` and `delete` write the target after this row's write, by the
//! foreign key it ended up with: `UPDATE "users" SET .. WHERE "id" = $fk`,
//! `DELETE FROM "categories" WHERE "id" = $fk` (after which this row is read
//! again: the foreign key's `on_delete` may have changed it).

use super::{
    eq_all, has_null, misfit, positions, related_not_found, select_one, values_of, Effect, NestedOp,
};
use crate::error::Result;
use crate::execute::Db;
use crate::query::{Create, DeleteMany, Filter, UniqueKey, Update};
use crate::relation::{resolve, Link};
use crate::schema::{Model, RelationSchema};
use crate::value::Value;
use futures_util::future::BoxFuture;
use std::marker::PhantomData;

pub(super) enum OneOp<C> {
    Create(Create<C>),
    Connect(UniqueKey<C>),
    ConnectOrCreate(UniqueKey<C>, Create<C>),
    Disconnect,
    Update(Update<C, ()>),
    Delete,
}

pub(super) struct ToOneWrite<P, C> {
    relation: &'static RelationSchema,
    /// Taken by the phase that runs it.
    op: Option<OneOp<C>>,
    link: Option<Link>,
    _parent: PhantomData<fn() -> P>,
}

impl<P, C> ToOneWrite<P, C> {
    pub(super) fn new(relation: &'static RelationSchema, op: OneOp<C>) -> Self {
        ToOneWrite {
            relation,
            op: Some(op),
            link: None,
            _parent: PhantomData,
        }
    }
}

impl<P: Model + Sync, C: Model> ToOneWrite<P, C> {
    fn link(&self) -> Result<&Link> {
        self.link.as_ref().ok_or_else(|| {
            misfit(
                P::SCHEMA,
                self.relation,
                "a nested write ran before it was prepared".into(),
            )
        })
    }

    /// This row's foreign key, set to `target`'s key values.
    fn point_at(&self, target: Vec<Value>) -> Result<Vec<(usize, Value)>> {
        let fk = positions(P::SCHEMA, &self.link()?.parent)?;
        Ok(fk.into_iter().zip(target).collect())
    }

    async fn lookup(&self, db: &Db, key: &UniqueKey<C>) -> Result<Option<Vec<Value>>> {
        select_one(db, C::SCHEMA, &self.link()?.child, key.filter().expr).await
    }

    async fn create(&self, db: &Db, row: Create<C>) -> Result<Vec<Value>> {
        let target = row.exec(db).await?;
        values_of(
            &target,
            C::SCHEMA,
            &positions(C::SCHEMA, &self.link()?.child)?,
        )
    }

    async fn set_foreign_key(&mut self, db: &Db) -> Result<Vec<(usize, Value)>> {
        let target = match self.op.take() {
            Some(OneOp::Create(row)) => self.create(db, row).await?,
            Some(OneOp::Connect(key)) => self
                .lookup(db, &key)
                .await?
                .ok_or_else(|| related_not_found(P::SCHEMA, self.relation))?,
            Some(OneOp::ConnectOrCreate(key, row)) => match self.lookup(db, &key).await? {
                Some(target) => target,
                None => self.create(db, row).await?,
            },
            Some(OneOp::Disconnect) => (self.link()?.parent.iter())
                .map(|c| Value::Null(c.ty))
                .collect(),
            other => {
                self.op = other;
                return Ok(Vec::new());
            }
        };
        self.point_at(target)
    }

    /// The target's key filter from the foreign key `parent` ended up with.
    fn target_of(&self, parent: &P) -> Result<Filter<C>> {
        let link = self.link()?;
        let fk = values_of(parent, P::SCHEMA, &positions(P::SCHEMA, &link.parent)?)?;
        if has_null(&fk) {
            return Err(related_not_found(P::SCHEMA, self.relation));
        }
        Ok(Filter::new(eq_all(&link.child, &fk)))
    }

    async fn write_target(self, db: &Db, parent: &P) -> Result<Effect> {
        let (matched, effect) = match &self.op {
            Some(OneOp::Update(_)) | Some(OneOp::Delete) => {
                let target = self.target_of(parent)?;
                match self.op {
                    Some(OneOp::Update(changes)) => {
                        (changes.retarget(target).exec(db).await?, Effect::Unchanged)
                    }
                    _ => (
                        DeleteMany::new().filter(target).exec(db).await?,
                        Effect::ParentChanged,
                    ),
                }
            }
            _ => return Ok(Effect::Unchanged),
        };
        match matched {
            0 => Err(related_not_found(P::SCHEMA, self.relation)),
            _ => Ok(effect),
        }
    }
}

impl<P: Model + Sync, C: Model> NestedOp<P> for ToOneWrite<P, C> {
    fn prepare(&mut self) -> Result<()> {
        let link = resolve(P::SCHEMA, self.relation)?;
        let clears = matches!(self.op, Some(OneOp::Disconnect | OneOp::Delete));
        if clears && !link.parent.iter().all(|c| c.nullable) {
            return Err(misfit(
                P::SCHEMA,
                self.relation,
                "disconnect and delete need a nullable foreign key".into(),
            ));
        }
        self.link = Some(link);
        Ok(())
    }

    fn before<'a>(&'a mut self, db: &'a Db) -> BoxFuture<'a, Result<Vec<(usize, Value)>>> {
        Box::pin(self.set_foreign_key(db))
    }

    fn provides_key_of(&self) -> Option<&'static RelationSchema> {
        let sets_key = matches!(
            self.op,
            Some(OneOp::Create(_) | OneOp::Connect(_) | OneOp::ConnectOrCreate(..))
        );
        sets_key.then_some(self.relation)
    }

    fn after<'a>(self: Box<Self>, db: &'a Db, parent: &'a P) -> BoxFuture<'a, Result<Effect>> {
        Box::pin(self.write_target(db, parent))
    }
}
