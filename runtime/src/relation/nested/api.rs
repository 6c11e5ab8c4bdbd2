//! The nested writes each relation kind offers, as methods on the generated
//! relation accessors' [`Relation`] handle. Which methods exist follows the
//! field's type: a `HasMany` (`has_many` or `many_to_many`) takes keyed
//! writes on many rows, a `HasOne` writes its one row, a `BelongsTo` sets
//! this row's foreign key, and only a `BelongsTo<Option<_>>` can be
//! disconnected or have its row deleted.
//!
//! The handle's include options (`filter`, `order_by`, ..) do not apply to
//! writes and are ignored here.

use super::to_one::{OneOp, ToOneWrite};
use super::{direct, join, Effect, Nested, NestedOp};
use crate::error::Result;
use crate::execute::Db;
use crate::query::{Create, IntoCreate, IntoUpdate, UniqueKey, Update};
use crate::relation::{
    resolve, BelongsTo, BelongsToSlot, HasMany, HasOne, Link, Relation, ToOneKey,
};
use crate::schema::{Model, PartialModel, RelationSchema};
use futures_util::future::BoxFuture;

/// A child row to create, from the parent row just written.
pub(super) type Build<P, C> = Box<dyn FnOnce(&P) -> Create<C> + Send + Sync>;
/// Child rows to create, from the parent row just written.
pub(super) type BuildMany<P, C> = Box<dyn FnOnce(&P) -> Vec<Create<C>> + Send + Sync>;

/// A write to the rows on the other side of a `has_many`, `has_one` or
/// `many_to_many`. `None` keys are `has_one`'s: its one row.
pub(super) enum ManyOp<P, C> {
    Create(Build<P, C>),
    CreateMany(BuildMany<P, C>),
    Connect(UniqueKey<C>),
    ConnectOrCreate(UniqueKey<C>, Build<P, C>),
    Disconnect(Option<UniqueKey<C>>),
    Set(Vec<UniqueKey<C>>),
    Update(Option<UniqueKey<C>>, Update<C, ()>),
    Delete(Option<UniqueKey<C>>),
}

/// A [`ManyOp`] on one relation; runs after the parent's write.
struct ToManyWrite<P, C> {
    relation: &'static RelationSchema,
    op: ManyOp<P, C>,
    link: Option<Link>,
}

impl<P: Model + Sync, C: Model> NestedOp<P> for ToManyWrite<P, C> {
    fn prepare(&mut self) -> Result<()> {
        let link = resolve(P::SCHEMA, self.relation)?;
        if link.join.is_none() {
            direct::check(&self.op, &link, P::SCHEMA, self.relation)?;
        }
        self.link = Some(link);
        Ok(())
    }

    fn after<'a>(self: Box<Self>, db: &'a Db, parent: &'a P) -> BoxFuture<'a, Result<Effect>> {
        Box::pin(async move {
            let ToManyWrite { relation, op, link } = *self;
            let link = match link {
                Some(link) => link,
                None => resolve(P::SCHEMA, relation)?,
            };
            match &link.join {
                Some(table) => join::run(op, db, parent, &link, table, relation).await?,
                None => direct::run(op, db, parent, &link, relation).await?,
            }
            Ok(Effect::Unchanged)
        })
    }
}

impl<P, C, S> Relation<P, C, S>
where
    P: Model + Sync,
    C: Model,
{
    fn many(self, op: ManyOp<P, C>) -> Nested<P> {
        Nested::new(ToManyWrite {
            relation: self.spec.schema,
            op,
            link: None,
        })
    }

    fn one(self, op: OneOp<C>) -> Nested<P> {
        Nested::new(ToOneWrite::new(self.spec.schema, op))
    }
}

fn build<P, C: Model, B: IntoCreate<C>>(
    build: impl FnOnce(&P) -> B + Send + Sync + 'static,
) -> Build<P, C> {
    Box::new(move |parent: &P| build(parent).into_create())
}

/// `has_many` and `many_to_many`: writes to keyed related rows.
///
/// On a `has_many` the child holds the foreign key: `create` inserts children
/// pointing at the parent (strata sets the foreign key to the parent's key,
/// whatever the builder set), `connect` points an existing child at it,
/// `disconnect` and `set` clear a child's foreign key (so they need a
/// nullable one), and `update`/`delete` touch a child only if it is the
/// parent's. On a `many_to_many` the same methods write the join table:
/// `connect` adds a link (a no-op if it exists), `disconnect` removes one,
/// `set` replaces them all, `create` inserts the child and links it.
impl<P, C> Relation<P, C, HasMany<C>>
where
    P: Model + Sync,
    C: PartialModel + Sync,
{
    /// Creates a related row, built from the parent row just written.
    ///
    /// ```ignore
    /// User::posts().create(|user: &User| Post::create().author_id(&user.id).title("Hi"))
    /// ```
    pub fn create<B: IntoCreate<C>>(
        self,
        build_row: impl FnOnce(&P) -> B + Send + Sync + 'static,
    ) -> Nested<P> {
        self.many(ManyOp::Create(build(build_row)))
    }

    /// Creates several related rows (one INSERT per bind-limit chunk on a
    /// `has_many`; one per row, then one for the links, on a `many_to_many`).
    pub fn create_many<I, B>(
        self,
        build_rows: impl FnOnce(&P) -> I + Send + Sync + 'static,
    ) -> Nested<P>
    where
        I: IntoIterator<Item = B>,
        B: IntoCreate<C>,
    {
        let build_rows: BuildMany<P, C> = Box::new(move |parent: &P| {
            build_rows(parent)
                .into_iter()
                .map(IntoCreate::into_create)
                .collect()
        });
        self.many(ManyOp::CreateMany(build_rows))
    }

    /// Relates an existing row; [`Error::RelatedNotFound`](crate::Error::RelatedNotFound)
    /// if there is none with `key`.
    pub fn connect(self, key: UniqueKey<C>) -> Nested<P> {
        self.many(ManyOp::Connect(key))
    }

    /// Relates the row with `key`, or creates one if there is none.
    pub fn connect_or_create<B: IntoCreate<C>>(
        self,
        key: UniqueKey<C>,
        build_row: impl FnOnce(&P) -> B + Send + Sync + 'static,
    ) -> Nested<P> {
        self.many(ManyOp::ConnectOrCreate(key, build(build_row)))
    }

    /// Unrelates the row with `key` (which stays); `RelatedNotFound` if it is
    /// not related to the parent.
    pub fn disconnect(self, key: UniqueKey<C>) -> Nested<P> {
        self.many(ManyOp::Disconnect(Some(key)))
    }

    /// Makes exactly the rows with `keys` related: the others are unrelated,
    /// these connected. `RelatedNotFound` if one of them does not exist.
    pub fn set(self, keys: impl IntoIterator<Item = UniqueKey<C>>) -> Nested<P> {
        self.many(ManyOp::Set(keys.into_iter().collect()))
    }

    /// Updates the related row with `key`; `RelatedNotFound` if it is not
    /// related to the parent.
    ///
    /// ```ignore
    /// User::posts().update(Post::by_id(id), Post::changes().published(true))
    /// ```
    pub fn update(self, key: UniqueKey<C>, changes: impl IntoUpdate<C, ()>) -> Nested<P> {
        self.many(ManyOp::Update(Some(key), changes.into_update()))
    }

    /// Deletes the related row with `key`; `RelatedNotFound` if it is not
    /// related to the parent. (On a `many_to_many` the row itself is deleted;
    /// its links go with it by the join table's `on_delete`.)
    pub fn delete(self, key: UniqueKey<C>) -> Nested<P> {
        self.many(ManyOp::Delete(Some(key)))
    }
}

/// `has_one`: writes to the one related row, which holds the foreign key.
/// With a nullable foreign key, `create` and `connect` first unrelate the row
/// related so far; with a required one, that row's unique key makes a second
/// one a [`Error::UniqueViolation`](crate::Error::UniqueViolation).
impl<P, C> Relation<P, C, HasOne<C>>
where
    P: Model + Sync,
    C: PartialModel + Sync,
{
    /// Creates the related row, built from the parent row just written.
    pub fn create<B: IntoCreate<C>>(
        self,
        build_row: impl FnOnce(&P) -> B + Send + Sync + 'static,
    ) -> Nested<P> {
        self.many(ManyOp::Create(build(build_row)))
    }

    /// Relates the existing row with `key`.
    pub fn connect(self, key: UniqueKey<C>) -> Nested<P> {
        self.many(ManyOp::Connect(key))
    }

    /// Relates the row with `key`, or creates one if there is none.
    pub fn connect_or_create<B: IntoCreate<C>>(
        self,
        key: UniqueKey<C>,
        build_row: impl FnOnce(&P) -> B + Send + Sync + 'static,
    ) -> Nested<P> {
        self.many(ManyOp::ConnectOrCreate(key, build(build_row)))
    }

    /// Unrelates the related row (nullable foreign key only);
    /// `RelatedNotFound` if there is none.
    pub fn disconnect(self) -> Nested<P> {
        self.many(ManyOp::Disconnect(None))
    }

    /// Updates the related row; `RelatedNotFound` if there is none.
    pub fn update(self, changes: impl IntoUpdate<C, ()>) -> Nested<P> {
        self.many(ManyOp::Update(None, changes.into_update()))
    }

    /// Deletes the related row; `RelatedNotFound` if there is none.
    pub fn delete(self) -> Nested<P> {
        self.many(ManyOp::Delete(None))
    }
}

/// `belongs_to`: this row holds the foreign key. `connect` and `create` set
/// it before this row is written (so they fit a create as well as an update);
/// `update` writes the row it points to afterwards.
impl<P, K> Relation<P, K::Model, BelongsToSlot<K>>
where
    P: Model + Sync,
    K: ToOneKey,
    K::Model: Sync,
{
    /// Creates the related row first and points this row at it.
    ///
    /// ```ignore
    /// Post::create().title("t").author_id(&ann.id)
    ///     .with(Post::category().create(Category::create().name("rust")))
    /// ```
    pub fn create(self, row: impl IntoCreate<K::Model>) -> Nested<P> {
        self.one(OneOp::Create(row.into_create()))
    }

    /// Points this row at the row with `key`; `RelatedNotFound` if there is
    /// none.
    pub fn connect(self, key: UniqueKey<K::Model>) -> Nested<P> {
        self.one(OneOp::Connect(key))
    }

    /// Points this row at the row with `key`, creating `row` if there is none.
    pub fn connect_or_create(
        self,
        key: UniqueKey<K::Model>,
        row: impl IntoCreate<K::Model>,
    ) -> Nested<P> {
        self.one(OneOp::ConnectOrCreate(key, row.into_create()))
    }

    /// Updates the row this one points to (after this row's own write);
    /// `RelatedNotFound` if the foreign key is NULL.
    pub fn update(self, changes: impl IntoUpdate<K::Model, ()>) -> Nested<P> {
        self.one(OneOp::Update(changes.into_update()))
    }
}

/// `belongs_to` with a nullable foreign key.
impl<P, C> Relation<P, C, BelongsTo<Option<C>>>
where
    P: Model + Sync,
    C: PartialModel + Sync,
{
    /// Sets this row's foreign key to NULL.
    pub fn disconnect(self) -> Nested<P> {
        self.one(OneOp::Disconnect)
    }

    /// Deletes the row this one points to (after this row's own write; the
    /// foreign key's `on_delete` decides what happens to this row, which is
    /// then read again); `RelatedNotFound` if the foreign key is NULL.
    pub fn delete(self) -> Nested<P> {
        self.one(OneOp::Delete)
    }
}
