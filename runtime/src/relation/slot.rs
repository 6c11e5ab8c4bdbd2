//! The field types that hold a relation's rows on a model: [`HasMany`],
//! [`HasOne`], [`BelongsTo`] (and [`ManyToMany`], a `HasMany` through a join
//! table). A freshly read row has every relation *not loaded*; only an
//! `include` fills one, so reading a relation never runs a hidden query and
//! never panics: `get()` is `None` until it was loaded.

use crate::error::{Error, Result};
use crate::schema::{ModelRef, PartialModel};
use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// What a relation field holds: nothing (not loaded, not counted), the
/// loaded rows themselves, or a [`Filled`] when there is a count or rows
/// read with `select`/`omit`. One box either way, 16 bytes inline: every row of a model carries a holder per relation whether
/// or not it was loaded, and a row is moved several times on its way to the
/// caller (decoded, collected, returned). Held inline as a state and a
/// count (40 bytes each), the blog schema's four relations were 160 of
/// `Post`'s 344 bytes; a full include's rows still cost one box per parent.
///
/// A single loaded row is boxed: models that point at each other
/// (`User.profile` / `Profile.user`, `User.manager`) would otherwise contain
/// themselves and have no finite size.
///
/// Loaded and partial rows are behind `dyn`, and nothing here names the
/// related model: the contents are one type for every holder (its debug
/// info is written once per codegen unit, not once per related model), and
/// the holder's only type parameter is the related model's `{Model}Ref` (a
/// unit struct). Naming the model would make each model's type,
/// and so its debug info, contain every model reachable through relations:
/// the compiler proves `Send`/`Sync` and drop safety through each field's
/// type (a chain of 200 models overflowed the recursion limit), and a debug
/// build describes a type with its parameters in every codegen unit that
/// uses it (changing one field of one model in a chain of 50 recompiled 126
/// of 158 codegen units of the user's crate). Naming its `{Model}Partial`
/// instead still changed the neighbours' types with each of its fields, and
/// so rebuilt the units of the models that read those neighbours.
enum Contents {
    /// Loaded rows, or [`Unfilled`] (a unit struct: its box allocates
    /// nothing).
    Rows(Box<dyn Stored>),
    Filled(Box<Filled>),
}

/// An empty holder's rows: never loaded, or taken.
#[derive(Clone)]
struct Unfilled;

/// A holder's contents beyond plain loaded rows: its `with_count` count,
/// and its rows, loaded or partial.
#[derive(Clone)]
struct Filled {
    state: State,
    count: Option<u64>,
}

enum State {
    /// Loaded rows, or [`Unfilled`].
    Rows(Box<dyn Stored>),
    /// A `Vec<{Model}Partial>`, shared by the parents with the same key
    /// (and all parents without rows) behind an `Arc`, so the model stays
    /// `Clone` whatever `{Model}Partial` implements.
    Partial(Arc<dyn Any + Send + Sync>),
}

/// Loaded rows behind `dyn`, cloned through it: a model's `Clone` clones
/// its relations' rows, and calling `T::clone` here would make compiling
/// one model's clone compile the next model's, and so on down a chain of
/// relations (200 models reach the recursion limit while instantiating).
/// Through the vtable each is compiled where its rows are stored.
trait Stored: Any + Send + Sync {
    fn clone_stored(&self) -> Box<dyn Stored>;
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<T: Any + Clone + Send + Sync> Stored for T {
    fn clone_stored(&self) -> Box<dyn Stored> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

impl Default for Contents {
    #[inline(always)]
    fn default() -> Self {
        Contents::Rows(Box::new(Unfilled))
    }
}

impl Clone for Contents {
    fn clone(&self) -> Self {
        match self {
            Contents::Rows(rows) => Contents::Rows((**rows).clone_stored()),
            Contents::Filled(filled) => Contents::Filled(filled.clone()),
        }
    }
}

impl Clone for State {
    fn clone(&self) -> Self {
        match self {
            State::Rows(rows) => State::Rows((**rows).clone_stored()),
            State::Partial(rows) => State::Partial(Arc::clone(rows)),
        }
    }
}

impl Contents {
    /// The loaded rows, as stored.
    #[inline(always)]
    fn rows_stored(&self) -> Option<&dyn Stored> {
        let rows: &dyn Stored = match self {
            Contents::Rows(rows) => &**rows,
            Contents::Filled(filled) => match &filled.state {
                State::Rows(rows) => &**rows,
                State::Partial(_) => return None,
            },
        };
        (!rows.as_any().is::<Unfilled>()).then_some(rows)
    }

    /// The loaded rows, stored as a `T`.
    #[inline(always)]
    fn get<T: 'static>(&self) -> Option<&T> {
        self.rows_stored()?.as_any().downcast_ref()
    }

    #[inline(always)]
    fn partial_rows(&self) -> Option<&Arc<dyn Any + Send + Sync>> {
        match self {
            Contents::Filled(filled) => match &filled.state {
                State::Partial(rows) => Some(rows),
                State::Rows(_) => None,
            },
            Contents::Rows(_) => None,
        }
    }

    /// The rows read by an include with `select`/`omit`.
    #[inline(always)]
    fn partial<P: 'static>(&self) -> Option<&[P]> {
        let rows = self.partial_rows()?;
        rows.downcast_ref::<Vec<P>>().map(Vec::as_slice)
    }

    #[inline(always)]
    fn count(&self) -> Option<u64> {
        match self {
            Contents::Filled(filled) => filled.count,
            Contents::Rows(_) => None,
        }
    }

    #[inline(always)]
    fn is_loaded(&self) -> bool {
        self.rows_stored().is_some() || self.partial_rows().is_some()
    }

    #[inline(always)]
    fn set_rows(&mut self, rows: Box<dyn Stored>) {
        match self {
            Contents::Filled(filled) => filled.state = State::Rows(rows),
            Contents::Rows(held) => *held = rows,
        }
    }

    /// Changes the [`Filled`] form, made from what is held now: a count or
    /// partial rows need it (an allocation); plain loaded rows do not.
    fn change_filled(&mut self, change: impl FnOnce(&mut Filled)) {
        let mut filled = match std::mem::take(self) {
            Contents::Filled(filled) => filled,
            Contents::Rows(rows) => Box::new(Filled {
                state: State::Rows(rows),
                count: None,
            }),
        };
        change(&mut filled);
        *self = Contents::Filled(filled);
    }

    /// Takes the loaded rows out, leaving the rest (a count).
    fn take_rows(&mut self) -> Option<Box<dyn Stored>> {
        let held = match self {
            Contents::Rows(rows) => rows,
            Contents::Filled(filled) => match &mut filled.state {
                State::Rows(rows) => rows,
                State::Partial(_) => return None,
            },
        };
        let taken = std::mem::replace(held, Box::new(Unfilled));
        (!taken.as_any().is::<Unfilled>()).then_some(taken)
    }

    /// Loaded rows compare by value (as the `T` they were stored as);
    /// partial rows by identity (`{Model}Partial` need not implement
    /// `PartialEq`).
    fn eq_as<T: PartialEq + 'static>(&self, other: &Self) -> bool {
        let partial_eq = match (self.partial_rows(), other.partial_rows()) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        partial_eq && self.get::<T>() == other.get::<T>() && self.count() == other.count()
    }

    fn fmt_as<T: fmt::Debug + 'static>(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.get::<T>() {
            Some(rows) => rows.fmt(f),
            None if self.partial_rows().is_some() => f.write_str("Partial(..)"),
            None => f.write_str("NotLoaded"),
        }
    }
}

/// Lets `contents.fmt_as::<T>()` sit inside `debug_struct().field(..)`.
struct DebugAs<'a, T>(&'a Contents, std::marker::PhantomData<fn() -> T>);

impl<T: fmt::Debug + 'static> fmt::Debug for DebugAs<'_, T> {
    #[inline(always)]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_as::<T>(f)
    }
}
fn not_loaded<M: PartialModel>() -> Error {
    Error::NotLoaded {
        model: M::SCHEMA.name,
    }
}

macro_rules! slot_type {
    ($(#[$doc:meta])* $name:ident<$param:ident: $bound:path> shown as $shown:literal, holds $rows:ty as $stored:ty => $store:expr, partial $partial:ty, model $model:ty) => {
        $(#[$doc])*
        pub struct $name<$param: $bound> {
            contents: Contents,
            rows: PhantomData<fn() -> $param>,
        }

        impl<$param: $bound> Default for $name<$param> {
            #[inline(always)]
            fn default() -> Self {
                $name { contents: Contents::default(), rows: PhantomData }
            }
        }

        impl<$param: $bound> Clone for $name<$param> {
            #[inline(always)]
            fn clone(&self) -> Self {
                $name { contents: self.contents.clone(), rows: PhantomData }
            }
        }

        impl<$param: $bound> PartialEq for $name<$param> where $stored: PartialEq {
            #[inline(always)]
            fn eq(&self, other: &Self) -> bool {
                self.contents.eq_as::<$stored>(&other.contents)
            }
        }

        impl<$param: $bound> fmt::Debug for $name<$param> where $stored: fmt::Debug {
            #[inline(always)]
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.count() {
                    None => self.contents.fmt_as::<$stored>(f),
                    Some(count) => f
                        .debug_struct($shown)
                        .field("rows", &DebugAs::<$stored>(&self.contents, PhantomData))
                        .field("count", &count)
                        .finish(),
                }
            }
        }

        impl<$param: $bound> $name<$param> {
            /// Whether an `include` loaded this relation (fully or with `select`/`omit`).
            #[inline(always)]
            pub fn is_loaded(&self) -> bool {
                self.contents.is_loaded()
            }

            /// The number of related rows counted by `with_count`, if it ran.
            #[inline(always)]
            pub fn count(&self) -> Option<u64> {
                self.contents.count()
            }

            #[inline(always)]
            fn partial_rows(&self) -> Option<&[$partial]> {
                self.contents.partial::<$partial>()
            }

            #[doc(hidden)]
            #[inline(always)]
            pub fn set_rows(&mut self, rows: $rows) where $stored: Clone {
                self.contents.set_rows(Box::new($store(rows)));
            }

            #[doc(hidden)]
            #[inline(always)]
            pub fn set_partial(&mut self, rows: Arc<Vec<$partial>>) {
                self.contents.change_filled(|filled| filled.state = State::Partial(rows));
            }

            #[doc(hidden)]
            #[inline(always)]
            pub fn set_count(&mut self, count: u64) {
                self.contents.change_filled(|filled| filled.count = Some(count));
            }

            #[inline(always)]
            fn rows(&self) -> Option<&$stored> {
                self.contents.get()
            }

            #[inline(always)]
            fn require(&self) -> Result<&$stored> {
                self.rows().ok_or_else(not_loaded::<$model>)
            }
        }
    };
}

/// The rows of a one-to-many relation (`User.posts: HasMany<Post>`), in the
/// include's order: [`HasManySlot`] with `get()`, `loaded()`, `partial()`,
/// `take()` and `count()`.
pub type HasMany<C> = HasManySlot<<C as PartialModel>::Ref>;

/// The rows of a many-to-many relation (`Post.tags`): the same holder as
/// [`HasMany`], declared with `#[strata(many_to_many)]`.
pub type ManyToMany<C> = HasMany<C>;

/// The row of a one-to-one relation seen from the side without the foreign
/// key (`User.profile: HasOne<Profile>`): [`HasOneSlot`].
pub type HasOne<C> = HasOneSlot<<C as PartialModel>::Ref>;

/// The row this model points to with a foreign key (`Post.author`):
/// `BelongsTo<User>` for a required key, `BelongsTo<Option<Category>>` for a
/// nullable one. See [`BelongsToSlot`].
pub type BelongsTo<T> = BelongsToSlot<<T as ToOne>::Key>;

slot_type! {
    /// What a [`HasMany`] field is: the rows of a one-to-many relation.
    ///
    /// Its parameter is the related model's `{Model}Ref`, a unit struct, not
    /// the model: a holder that named the model would make every model's
    /// type contain every model reachable through relations, and a debug
    /// build of the user's crate then recompiles nearly all of it when one
    /// field of one model changes. Compile errors therefore print
    /// `HasMany<Post>` as `HasManySlot<PostRef>`.
    HasManySlot<R: ModelRef> shown as "HasMany", holds Vec<R::Model> as Vec<R::Model> => std::convert::identity, partial <R::Model as PartialModel>::Partial, model R::Model
}

impl<R: ModelRef> HasManySlot<R> {
    /// The loaded rows, or `None` if the query did not include this relation.
    #[inline(always)]
    pub fn get(&self) -> Option<&[R::Model]> {
        self.rows().map(Vec::as_slice)
    }

    /// The loaded rows, or [`Error::NotLoaded`].
    #[inline(always)]
    pub fn loaded(&self) -> Result<&[R::Model]> {
        self.require().map(Vec::as_slice)
    }

    /// The rows read by an include with `select`/`omit`, if that is how this
    /// relation was loaded.
    #[inline(always)]
    pub fn partial(&self) -> Option<&[<R::Model as PartialModel>::Partial]> {
        self.partial_rows()
    }

    /// Takes the loaded rows out, leaving the relation not loaded.
    #[inline(always)]
    pub fn take(&mut self) -> Option<Vec<R::Model>> {
        let rows = self.contents.take_rows()?;
        rows.into_any()
            .downcast::<Vec<R::Model>>()
            .ok()
            .map(|rows| *rows)
    }
}

slot_type! {
    /// What a [`HasOne`] field is: loaded as `None` when there is no related row.
    HasOneSlot<R: ModelRef> shown as "HasOne", holds Option<R::Model> as Option<Box<R::Model>> => |row: Option<R::Model>| row.map(Box::new), partial <R::Model as PartialModel>::Partial, model R::Model
}

impl<R: ModelRef> HasOneSlot<R> {
    /// `None` if not included; `Some(None)` if included and there is no row.
    #[inline(always)]
    pub fn get(&self) -> Option<Option<&R::Model>> {
        self.rows().map(Option::as_deref)
    }

    /// The loaded row (`None` when there is none), or [`Error::NotLoaded`].
    #[inline(always)]
    pub fn loaded(&self) -> Result<Option<&R::Model>> {
        self.require().map(Option::as_deref)
    }

    /// The row read by an include with `select`/`omit`: `None` if not loaded
    /// that way, `Some(None)` if there is no row.
    #[inline(always)]
    pub fn partial(&self) -> Option<Option<&<R::Model as PartialModel>::Partial>> {
        self.partial_rows().map(<[_]>::first)
    }
}

/// The `T` of a [`BelongsTo<T>`]: a model (the foreign key is required, so
/// the row always exists) or `Option<Model>` (a nullable foreign key).
pub trait ToOne: Send + Sync + 'static {
    /// What the holder is named by: `{Model}Ref`, or `Option<{Model}Ref>`
    /// for a nullable foreign key.
    type Key: ToOneKey<Target = Self>;
}

impl<M: PartialModel> ToOne for M {
    type Key = M::Ref;
}

impl<M: PartialModel> ToOne for Option<M> {
    type Key = Option<M::Ref>;
}

/// The parameter of a [`BelongsToSlot`]: `{Model}Ref` for a required
/// foreign key, `Option<{Model}Ref>` for a nullable one.
pub trait ToOneKey: Send + Sync + 'static {
    /// The related model.
    type Model: PartialModel;
    /// What `get()` returns a reference to: the model, or `Option` of it.
    type Target: Send + Sync + 'static;
    /// The holder's value when the related row is `found` (or not); `None`
    /// when a required row is missing.
    #[doc(hidden)]
    fn from_found(found: Option<Self::Model>) -> Option<Self::Target>;
}

impl<R: ModelRef> ToOneKey for R {
    type Model = R::Model;
    type Target = R::Model;
    #[inline(always)]
    fn from_found(found: Option<R::Model>) -> Option<R::Model> {
        found
    }
}

impl<R: ModelRef> ToOneKey for Option<R> {
    type Model = R::Model;
    type Target = Option<R::Model>;
    #[inline(always)]
    fn from_found(found: Option<R::Model>) -> Option<Option<R::Model>> {
        Some(found)
    }
}

slot_type! {
    /// What a [`BelongsTo`] field is: the row this model points to.
    BelongsToSlot<K: ToOneKey> shown as "BelongsTo", holds K::Target as Box<K::Target> => Box::new, partial <K::Model as PartialModel>::Partial, model K::Model
}

impl<K: ToOneKey> BelongsToSlot<K> {
    /// The loaded row, or `None` if the query did not include this relation.
    #[inline(always)]
    pub fn get(&self) -> Option<&K::Target> {
        self.rows().map(|row| &**row)
    }

    /// The loaded row, or [`Error::NotLoaded`].
    #[inline(always)]
    pub fn loaded(&self) -> Result<&K::Target> {
        self.require().map(|row| &**row)
    }

    /// The row read by an include with `select`/`omit`: `None` if not loaded
    /// that way, `Some(None)` if there is no row (a NULL foreign key).
    #[inline(always)]
    pub fn partial(&self) -> Option<Option<&<K::Model as PartialModel>::Partial>> {
        self.partial_rows().map(<[_]>::first)
    }
}

/// A relation field an include can fill: the rows related to one parent, in
/// the include's order.
pub trait Holder<C: PartialModel>: Send + 'static {
    #[doc(hidden)]
    fn fill(&mut self, rows: Vec<C>) -> std::result::Result<(), MissingRow>;
    #[doc(hidden)]
    fn fill_partial(&mut self, rows: Arc<Vec<C::Partial>>);
}

/// A required `belongs_to` row that the include did not find.
#[doc(hidden)]
#[derive(Debug)]
pub struct MissingRow;

impl<C: PartialModel + Clone> Holder<C> for HasManySlot<C::Ref> {
    #[inline(always)]
    fn fill(&mut self, rows: Vec<C>) -> std::result::Result<(), MissingRow> {
        self.set_rows(rows);
        Ok(())
    }
    #[inline(always)]
    fn fill_partial(&mut self, rows: Arc<Vec<C::Partial>>) {
        self.set_partial(rows);
    }
}

impl<C: PartialModel + Clone> Holder<C> for HasOneSlot<C::Ref> {
    #[inline(always)]
    fn fill(&mut self, rows: Vec<C>) -> std::result::Result<(), MissingRow> {
        self.set_rows(rows.into_iter().next());
        Ok(())
    }
    #[inline(always)]
    fn fill_partial(&mut self, rows: Arc<Vec<C::Partial>>) {
        self.set_partial(rows);
    }
}

impl<K: ToOneKey> Holder<K::Model> for BelongsToSlot<K>
where
    K::Target: Clone,
{
    #[inline(always)]
    fn fill(&mut self, rows: Vec<K::Model>) -> std::result::Result<(), MissingRow> {
        let row = K::from_found(rows.into_iter().next()).ok_or(MissingRow)?;
        self.set_rows(row);
        Ok(())
    }
    #[inline(always)]
    fn fill_partial(&mut self, rows: Arc<Vec<<K::Model as PartialModel>::Partial>>) {
        self.set_partial(rows);
    }
}
