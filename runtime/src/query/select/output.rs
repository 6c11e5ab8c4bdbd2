//! What a select returns: each selected item's Rust type given the query's
//! sources. A model column reads as its type, or its `Option` when its
//! model's source is nullable (left-joined); an expression (`SqlExpr<T>`: an
//! aggregate, a raw fragment, a derived table's column) reads as the `T` it
//! was built with, whatever it reads from: call [`SqlExpr::nullable`] on an
//! expression over a left-joined table's columns, which is NULL where no row
//! matched.

use super::sources::{AliasColumn, HasSource, Nullability, Source};
use crate::query::expr::SqlExpr;
use crate::query::Column;
use crate::schema::{FieldType, FromRow, Model};

/// The Rust type of a [`Selection`](crate::Selection) read from the sources `S` (`I` is the
/// search index rustc infers; see [`HasSource`]).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from this select's sources",
    note = "every selected column's model must be in the select's FROM or joins"
)]
pub trait OutputIn<S, I> {
    type Output: FromRow + Send + Unpin + 'static;
}

/// The index of an item that needs no source (an expression).
pub struct Free;

impl<M: Model, T: FieldType + Unpin, S, I> OutputIn<S, I> for Column<M, T>
where
    S: HasSource<M, I>,
    <S::Nullability as Nullability>::Apply<T>: Unpin,
{
    type Output = <S::Nullability as Nullability>::Apply<T>;
}

impl<A: Source, T: FieldType + Unpin, S, I> OutputIn<S, I> for AliasColumn<A, T>
where
    S: HasSource<A, I>,
    <S::Nullability as Nullability>::Apply<T>: Unpin,
{
    type Output = <S::Nullability as Nullability>::Apply<T>;
}

impl<T: FieldType + Unpin, S> OutputIn<S, Free> for SqlExpr<T> {
    type Output = T;
}

macro_rules! tuple_output {
    ($(($name:ident, $index:ident)),+) => {
        impl<S, $($name: OutputIn<S, $index>,)+ $($index,)+> OutputIn<S, ($($index,)+)> for ($($name,)+) {
            type Output = ($($name::Output,)+);
        }
    };
}
tuple_output!((A, IA));
tuple_output!((A, IA), (B, IB));
tuple_output!((A, IA), (B, IB), (C, IC));
tuple_output!((A, IA), (B, IB), (C, IC), (D, ID));
tuple_output!((A, IA), (B, IB), (C, IC), (D, ID), (E, IE));
tuple_output!((A, IA), (B, IB), (C, IC), (D, ID), (E, IE), (F, IF));
tuple_output!(
    (A, IA),
    (B, IB),
    (C, IC),
    (D, ID),
    (E, IE),
    (F, IF),
    (G, IG)
);
tuple_output!(
    (A, IA),
    (B, IB),
    (C, IC),
    (D, ID),
    (E, IE),
    (F, IF),
    (G, IG),
    (H, IH)
);
tuple_output!(
    (A, IA),
    (B, IB),
    (C, IC),
    (D, ID),
    (E, IE),
    (F, IF),
    (G, IG),
    (H, IH),
    (J, IJ)
);
tuple_output!(
    (A, IA),
    (B, IB),
    (C, IC),
    (D, ID),
    (E, IE),
    (F, IF),
    (G, IG),
    (H, IH),
    (J, IJ),
    (K, IK)
);
tuple_output!(
    (A, IA),
    (B, IB),
    (C, IC),
    (D, ID),
    (E, IE),
    (F, IF),
    (G, IG),
    (H, IH),
    (J, IJ),
    (K, IK),
    (L, IL)
);
tuple_output!(
    (A, IA),
    (B, IB),
    (C, IC),
    (D, ID),
    (E, IE),
    (F, IF),
    (G, IG),
    (H, IH),
    (J, IJ),
    (K, IK),
    (L, IL),
    (N, IN)
);
