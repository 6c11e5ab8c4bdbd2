//! Relations: the field types that hold related rows ([`HasMany`] and
//! friends), the [`Relation`] handle generated accessors return, resolving a
//! relation to the columns it joins on, loading includes, and nested writes
//! (`nested/`).

mod handle;
mod key;
mod load;
mod nested;
mod resolve;
mod slot;

pub use handle::Relation;
pub use nested::{CreateWith, Nested, UpdateWith, WithNested};
pub(crate) use resolve::{resolve, JoinLink, Link};
pub use slot::{BelongsTo, HasMany, HasOne, Holder, ManyToMany, ToOne};

use crate::error::Result;
use crate::execute::Db;
use futures_util::future::BoxFuture;

/// A relation of `P` to load for rows of `P` already read: what
/// `find_many().include(..)` takes. Implemented by [`Relation`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a relation of `{P}`",
    label = "this include does not start at `{P}`",
    note = "include a relation of the model being read, e.g. `{P}::some_relation()`; nest deeper ones inside it with `.include(..)`"
)]
pub trait Include<P>: Send + Sync {
    /// Fills this relation on every row of `parents`, with a fixed number of
    /// statements however many parents there are.
    fn load<'a>(&'a self, db: &'a Db, parents: &'a mut [P]) -> BoxFuture<'a, Result<()>>;
}
