//! Aggregates over one model, Prisma-style: `Post::aggregate(..)` reads one
//! row of aggregates over the matching rows, `Post::group_by(..)` one row per
//! group of key values. Both are written in the typed expressions of
//! [`crate::query::expr`] (so each result has the type the aggregate
//! declares), filtered with the model's own [`Filter`](crate::Filter), and
//! rendered as one `Select` by the statement renderer.
//!
//! The types refuse a column read bare among the aggregates and a group key
//! of another model; [`scope`] refuses at run time, naming the model and
//! column, what the types cannot see: an expression such as `expr(col)` that
//! is neither grouped nor aggregated, and another table's column inside an
//! aggregate, a `having` or an `order_by`.

mod group_by;
mod model;
mod scope;

pub use group_by::{GroupBy, GroupOrder, GroupRow};
pub use model::Aggregate;

use crate::query::expr::{Selection, SqlExpr};
use crate::query::Projection;
use crate::schema::FieldType;

/// The columns a model's rows are grouped by: one column of `M` or a tuple
/// of up to 12, exactly what `select` takes ([`Projection`], whose message a
/// column of another model gets); `Output` is what each group's key decodes as.
pub trait GroupKeys<M>: Projection<M> {}

impl<M, P: Projection<M>> GroupKeys<M> for P {}

/// Aggregate expressions (`count_all()`, `sum(Post::views())`..) or a tuple
/// of up to 12: what `aggregate(..)` reads. A bare column is not one, since
/// over many rows it has no single value; group by it instead.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a list of aggregates",
    label = "expected aggregate expressions such as `count_all()` or `sum(..)`",
    note = "`aggregate` takes aggregates (count_all, count, count_distinct, sum, avg, min, max) or a tuple of up to 12; to read a column per group, name it in `group_by(..)`"
)]
pub trait AggregateSelection: Selection {}

impl<T: FieldType + Unpin> AggregateSelection for SqlExpr<T> {}

macro_rules! tuple_aggregates {
    ($($name:ident),+) => {
        impl<$($name: AggregateSelection),+> AggregateSelection for ($($name,)+) {}
    };
}
tuple_aggregates!(A);
tuple_aggregates!(A, B);
tuple_aggregates!(A, B, C);
tuple_aggregates!(A, B, C, D);
tuple_aggregates!(A, B, C, D, E);
tuple_aggregates!(A, B, C, D, E, F);
tuple_aggregates!(A, B, C, D, E, F, G);
tuple_aggregates!(A, B, C, D, E, F, G, H);
tuple_aggregates!(A, B, C, D, E, F, G, H, I);
tuple_aggregates!(A, B, C, D, E, F, G, H, I, J);
tuple_aggregates!(A, B, C, D, E, F, G, H, I, J, K);
tuple_aggregates!(A, B, C, D, E, F, G, H, I, J, K, L);
