//! The field types that hold a relation's rows on a model: [`HasMany`],
//! [`HasOne`], [`BelongsTo`] (and [`ManyToMany`], a `HasMany` through a join
//! table). A freshly read row has every relation *not loaded*; only an
//! `include` fills one, so reading a relation never runs a hidden query and
//! never panics: `get()` is `None` until it was loaded.

use crate::error::{Error, Result};
use crate::schema::PartialModel;
use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// What a relation field holds. `Partial` rows come from an include with
/// `select`/`omit`; they sit behind an `Arc` so the model stays `Clone`
/// whatever `{Model}Partial` implements. A single loaded row is boxed: models
/// that point at each other (`User.profile` / `Profile.user`, `User.manager`)
/// would otherwise contain themselves and have no finite size. A list is a
/// `Vec` already and is stored as is (no allocation per parent).
enum State<T, P> {
    NotLoaded,
    /// A `T`, behind `dyn`: the compiler proves `Send`/`Sync` and drop
    /// safety of a model through the type of each field, and a `T` stored as
    /// itself would make that proof walk the whole relation graph (a chain
    /// of 200 models overflows the recursion limit).
    Rows(Box<dyn Stored>, PhantomData<fn() -> T>),
    Partial(Arc<[P]>),
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

impl<T: Clone + Send + Sync + 'static, P> State<T, P> {
    fn rows(rows: T) -> Self {
        State::Rows(Box::new(rows), PhantomData)
    }
}

impl<T: 'static, P> State<T, P> {
    fn get(&self) -> Option<&T> {
        match self {
            State::Rows(rows, _) => (**rows).as_any().downcast_ref(),
            _ => None,
        }
    }
}

impl<T, P> Clone for State<T, P> {
    fn clone(&self) -> Self {
        match self {
            State::NotLoaded => State::NotLoaded,
            State::Rows(rows, _) => State::Rows((**rows).clone_stored(), PhantomData),
            State::Partial(rows) => State::Partial(Arc::clone(rows)),
        }
    }
}

/// Loaded rows compare by value; partial rows by identity (`{Model}Partial`
/// need not implement `PartialEq`).
impl<T: PartialEq + 'static, P> PartialEq for State<T, P> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (State::NotLoaded, State::NotLoaded) => true,
            (State::Rows(..), State::Rows(..)) => self.get() == other.get(),
            (State::Partial(a), State::Partial(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl<T: fmt::Debug + 'static, P> fmt::Debug for State<T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::NotLoaded => f.write_str("NotLoaded"),
            State::Rows(..) => match self.get() {
                Some(rows) => rows.fmt(f),
                None => f.write_str("NotLoaded"),
            },
            State::Partial(_) => f.write_str("Partial(..)"),
        }
    }
}

fn not_loaded<M: PartialModel>() -> Error {
    Error::NotLoaded {
        model: M::SCHEMA.name,
    }
}

macro_rules! slot_type {
    ($(#[$doc:meta])* $name:ident<$param:ident: $bound:path> holds $rows:ty as $stored:ty => $store:expr, partial $partial:ty, model $model:ty) => {
        $(#[$doc])*
        pub struct $name<$param: $bound> {
            state: State<$stored, $partial>,
            count: Option<u64>,
        }

        impl<$param: $bound> Default for $name<$param> {
            fn default() -> Self {
                $name { state: State::NotLoaded, count: None }
            }
        }

        impl<$param: $bound> Clone for $name<$param> where $stored: Clone {
            fn clone(&self) -> Self {
                $name { state: self.state.clone(), count: self.count }
            }
        }

        impl<$param: $bound> PartialEq for $name<$param> where $stored: PartialEq {
            fn eq(&self, other: &Self) -> bool {
                self.state == other.state && self.count == other.count
            }
        }

        impl<$param: $bound> fmt::Debug for $name<$param> where $stored: fmt::Debug {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.count {
                    None => self.state.fmt(f),
                    Some(count) => f
                        .debug_struct(stringify!($name))
                        .field("rows", &self.state)
                        .field("count", &count)
                        .finish(),
                }
            }
        }

        impl<$param: $bound> $name<$param> {
            /// Whether an `include` loaded this relation (fully or with `select`/`omit`).
            pub fn is_loaded(&self) -> bool {
                !matches!(self.state, State::NotLoaded)
            }

            /// The number of related rows counted by `with_count`, if it ran.
            pub fn count(&self) -> Option<u64> {
                self.count
            }

            fn partial_rows(&self) -> Option<&[$partial]> {
                match &self.state {
                    State::Partial(rows) => Some(rows),
                    _ => None,
                }
            }

            #[doc(hidden)]
            pub fn set_rows(&mut self, rows: $rows) where $stored: Clone {
                self.state = State::rows($store(rows));
            }

            #[doc(hidden)]
            pub fn set_partial(&mut self, rows: Arc<[$partial]>) {
                self.state = State::Partial(rows);
            }

            #[doc(hidden)]
            pub fn set_count(&mut self, count: u64) {
                self.count = Some(count);
            }

            fn rows(&self) -> Option<&$stored> {
                self.state.get()
            }

            fn require(&self) -> Result<&$stored> {
                self.rows().ok_or_else(not_loaded::<$model>)
            }
        }
    };
}

slot_type! {
    /// The rows of a one-to-many relation (`User.posts`), in the include's order.
    HasMany<C: PartialModel> holds Vec<C> as Vec<C> => std::convert::identity, partial C::Partial, model C
}

/// The rows of a many-to-many relation (`Post.tags`): the same holder as
/// [`HasMany`], declared with `#[strata(many_to_many)]`.
pub type ManyToMany<C> = HasMany<C>;

impl<C: PartialModel> HasMany<C> {
    /// The loaded rows, or `None` if the query did not include this relation.
    pub fn get(&self) -> Option<&[C]> {
        self.rows().map(Vec::as_slice)
    }

    /// The loaded rows, or [`Error::NotLoaded`].
    pub fn loaded(&self) -> Result<&[C]> {
        self.require().map(Vec::as_slice)
    }

    /// The rows read by an include with `select`/`omit`, if that is how this
    /// relation was loaded.
    pub fn partial(&self) -> Option<&[C::Partial]> {
        self.partial_rows()
    }

    /// Takes the loaded rows out, leaving the relation not loaded.
    pub fn take(&mut self) -> Option<Vec<C>> {
        match std::mem::replace(&mut self.state, State::NotLoaded) {
            State::Rows(rows, _) => rows.into_any().downcast::<Vec<C>>().ok().map(|rows| *rows),
            other => {
                self.state = other;
                None
            }
        }
    }
}

slot_type! {
    /// The row of a one-to-one relation seen from the side without the foreign
    /// key (`User.profile`): loaded as `None` when there is no such row.
    HasOne<C: PartialModel> holds Option<C> as Option<Box<C>> => |row: Option<C>| row.map(Box::new), partial C::Partial, model C
}

impl<C: PartialModel> HasOne<C> {
    /// `None` if not included; `Some(None)` if included and there is no row.
    pub fn get(&self) -> Option<Option<&C>> {
        self.rows().map(Option::as_deref)
    }

    /// The loaded row (`None` when there is none), or [`Error::NotLoaded`].
    pub fn loaded(&self) -> Result<Option<&C>> {
        self.require().map(Option::as_deref)
    }

    /// The row read by an include with `select`/`omit`: `None` if not loaded
    /// that way, `Some(None)` if there is no row.
    pub fn partial(&self) -> Option<Option<&C::Partial>> {
        self.partial_rows().map(<[_]>::first)
    }
}

/// The target of a [`BelongsTo`]: a model (the foreign key is required, so the
/// row always exists) or `Option<Model>` (a nullable foreign key).
pub trait ToOne: Send + Sync + 'static {
    type Model: PartialModel;
    /// The holder's value when the related row is `found` (or not); `None`
    /// when a required row is missing.
    #[doc(hidden)]
    fn from_found(found: Option<Self::Model>) -> Option<Self>
    where
        Self: Sized;
}

impl<M: PartialModel> ToOne for M {
    type Model = M;
    fn from_found(found: Option<M>) -> Option<M> {
        found
    }
}

impl<M: PartialModel> ToOne for Option<M> {
    type Model = M;
    fn from_found(found: Option<M>) -> Option<Option<M>> {
        Some(found)
    }
}

/// A relation field an include can fill: the rows related to one parent, in
/// the include's order.
pub trait Holder<C: PartialModel>: Send + 'static {
    #[doc(hidden)]
    fn fill(&mut self, rows: Vec<C>) -> std::result::Result<(), MissingRow>;
    #[doc(hidden)]
    fn fill_partial(&mut self, rows: Arc<[C::Partial]>);
}

/// A required `belongs_to` row that the include did not find.
#[doc(hidden)]
#[derive(Debug)]
pub struct MissingRow;

impl<C: PartialModel + Clone> Holder<C> for HasMany<C> {
    fn fill(&mut self, rows: Vec<C>) -> std::result::Result<(), MissingRow> {
        self.set_rows(rows);
        Ok(())
    }
    fn fill_partial(&mut self, rows: Arc<[C::Partial]>) {
        self.set_partial(rows);
    }
}

impl<C: PartialModel + Clone> Holder<C> for HasOne<C> {
    fn fill(&mut self, rows: Vec<C>) -> std::result::Result<(), MissingRow> {
        self.set_rows(rows.into_iter().next());
        Ok(())
    }
    fn fill_partial(&mut self, rows: Arc<[C::Partial]>) {
        self.set_partial(rows);
    }
}

impl<T: ToOne + Clone> Holder<T::Model> for BelongsTo<T> {
    fn fill(&mut self, rows: Vec<T::Model>) -> std::result::Result<(), MissingRow> {
        let row = T::from_found(rows.into_iter().next()).ok_or(MissingRow)?;
        self.set_rows(row);
        Ok(())
    }
    fn fill_partial(&mut self, rows: Arc<[<T::Model as PartialModel>::Partial]>) {
        self.set_partial(rows);
    }
}

slot_type! {
    /// The row this model points to with a foreign key (`Post.author`):
    /// `BelongsTo<User>` for a required key, `BelongsTo<Option<Category>>` for
    /// a nullable one.
    BelongsTo<T: ToOne> holds T as Box<T> => Box::new, partial <T::Model as PartialModel>::Partial, model T::Model
}

impl<T: ToOne> BelongsTo<T> {
    /// The loaded row, or `None` if the query did not include this relation.
    pub fn get(&self) -> Option<&T> {
        self.rows().map(|row| &**row)
    }

    /// The loaded row, or [`Error::NotLoaded`].
    pub fn loaded(&self) -> Result<&T> {
        self.require().map(|row| &**row)
    }

    /// The row read by an include with `select`/`omit`: `None` if not loaded
    /// that way, `Some(None)` if there is no row (a NULL foreign key).
    pub fn partial(&self) -> Option<Option<&<T::Model as PartialModel>::Partial>> {
        self.partial_rows().map(<[_]>::first)
    }
}
