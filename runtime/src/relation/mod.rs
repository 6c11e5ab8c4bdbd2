//! Relations: the field types that hold related rows ([`HasMany`] and
//! friends), the [`Relation`] handle generated accessors return, resolving a
//! relation to the columns it joins on, loading includes (one statement per
//! level, or the whole tree in the parent read's statement: [`Strategy`]), and
//! nested writes (`nested/`).

mod batch;
mod handle;
mod key;
mod load;
mod nested;
mod partial;
mod resolve;
mod slot;
mod spec;
mod strategy;

pub use handle::{Partial, Relation, Whole};
pub use nested::{CreateWith, Nested, UpdateWith, WithNested};
pub(crate) use resolve::{resolve, JoinLink, Link};
pub use slot::{
    BelongsTo, BelongsToSlot, HasMany, HasManySlot, HasOne, HasOneSlot, Holder, ManyToMany, ToOne,
    ToOneKey,
};
pub use strategy::Strategy;
pub(crate) use strategy::{Includes, LazyRead, ReadFuture, ReadOutput, ReadStatement};

use crate::error::Result;
use crate::execute::Db;
use crate::query::ast::Expr;
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

    /// This relation as a JSON column of its parents' statement ([`Strategy::Joined`]):
    /// an [`Expr::IncludeJson`], or an [`Expr::Invalid`] saying why it cannot be read.
    #[doc(hidden)]
    fn json_expr(&self) -> Expr;

    /// Fills this relation on every row of `parents` from that column:
    /// `column[i]` is the value `parents[i]` was read with.
    #[doc(hidden)]
    fn fill_json(&self, parents: &mut [P], column: Vec<serde_json::Value>) -> Result<()>;
}
