//! What a select reads from, tracked in its type: a list of sources, each a
//! model (or an alias of one) with whether its columns may be NULL in the
//! result. An inner join adds a non-null source; a left join a nullable one;
//! a right join makes every earlier source nullable; a full join both. A
//! column then decodes as its own type from a non-null source and as its
//! `Option` from a nullable one, and a column of a model that is not in the
//! list does not compile.
//!
//! The list is a nested pair type, newest source first:
//! `(Src<Post, Null>, (Src<User, NotNull>, ()))`. Finding a model in it is
//! the usual type-level search with an index parameter ([`Here`], [`There`])
//! that rustc infers, so the caller never names it.

use crate::query::ast::Expr;
use crate::query::expr::{AsExpr, Operand, OrderExpr, SqlExpr};
use crate::query::Column;
use crate::schema::{FieldType, Model};
use std::borrow::Cow;
use std::marker::PhantomData;

/// A table a select may read: a model, or an alias of one declared with
/// [`alias!`](crate::alias) (for self-joins).
pub trait Source: 'static {
    type Model: Model;
    /// The name its columns are qualified with: the alias, or the table.
    const NAME: &'static str;
    /// `Some(alias)` renders `"table" AS "alias"`.
    const ALIAS: Option<&'static str>;
}

impl<M: Model> Source for M {
    type Model = M;
    const NAME: &'static str = M::SCHEMA.table;
    const ALIAS: Option<&'static str> = None;
}

/// An alias of a model, for reading its table twice (a self-join): the alias
/// type is a [`Source`] of its own, and its columns are qualified by the
/// alias.
///
/// ```ignore
/// strata::alias!(Manager = User as "manager");
/// let rows: Vec<(String, Option<String>)> = strata::select((User::email(), Manager::col(User::email())))
///     .from::<User>()
///     .left_join::<Manager>(dsl::eq(User::manager_id(), Manager::col(User::id())))
///     .fetch_all(&db)
///     .await?;
/// ```
#[macro_export]
macro_rules! alias {
    ($(#[$meta:meta])* $vis:vis $name:ident = $model:ty as $alias:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        $vis struct $name;
        impl $crate::query::select::Source for $name {
            type Model = $model;
            const NAME: &'static str = $alias;
            const ALIAS: ::core::option::Option<&'static str> = ::core::option::Option::Some($alias);
        }
        impl $name {
            /// The model's column, read through this alias.
            #[allow(dead_code)]
            $vis fn col<T: $crate::schema::FieldType>(
                column: $crate::Column<$model, T>,
            ) -> $crate::query::select::AliasColumn<$name, T> {
                $crate::query::select::AliasColumn::new(column)
            }
        }
    };
}

/// A model's column read through an alias ([`alias!`](crate::alias)).
pub struct AliasColumn<A: Source, T> {
    column: Column<A::Model, T>,
    _alias: PhantomData<fn() -> A>,
}

impl<A: Source, T> Clone for AliasColumn<A, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<A: Source, T> Copy for AliasColumn<A, T> {}

impl<A: Source, T> AliasColumn<A, T> {
    #[doc(hidden)]
    pub fn new(column: Column<A::Model, T>) -> Self {
        AliasColumn {
            column,
            _alias: PhantomData,
        }
    }
}

impl<A: Source, T: FieldType> AliasColumn<A, T> {
    /// The column as an expression, for [`SqlExpr`]'s methods.
    pub fn expr(self) -> SqlExpr<T> {
        self.into()
    }
    pub fn asc(self) -> OrderExpr {
        self.expr().asc()
    }
    pub fn desc(self) -> OrderExpr {
        self.expr().desc()
    }
}

impl<A: Source, T: FieldType> AsExpr for AliasColumn<A, T> {
    type Type = T;
    fn into_expr(self) -> Expr {
        Expr::Qualified {
            table: Cow::Borrowed(A::NAME),
            column: self.column.schema(),
        }
    }
}

impl<A: Source, T: FieldType> Operand<T::Base> for AliasColumn<A, T> {
    fn into_operand(self) -> Expr {
        self.into_expr()
    }
}

impl<A: Source, T: FieldType> From<AliasColumn<A, T>> for SqlExpr<T> {
    fn from(column: AliasColumn<A, T>) -> Self {
        SqlExpr::new(column.into_expr())
    }
}

/// Whether a source's columns may be NULL in the result.
pub trait Nullability: 'static {
    /// A column of type `T` from such a source.
    type Apply<T: FieldType>: FieldType;
    const NULLABLE: bool;
}

/// A source every result row has (FROM, an inner join).
pub struct NotNull;
/// A source a result row may lack (the right side of a left join, every
/// earlier source of a right join, both sides of a full join).
pub struct Null;

impl Nullability for NotNull {
    type Apply<T: FieldType> = T;
    const NULLABLE: bool = false;
}
impl Nullability for Null {
    type Apply<T: FieldType> = T::Nullable;
    const NULLABLE: bool = true;
}

/// One entry of the source list.
pub struct Src<S, N>(PhantomData<fn() -> (S, N)>);

/// The search index: the source is the list's head..
pub struct Here;
/// ..or is found in its tail at `I`.
pub struct There<I>(PhantomData<fn() -> I>);

/// The source list `Self` holds `S`; [`Nullability`] says how its columns
/// read.
#[diagnostic::on_unimplemented(
    message = "`{S}` is not in this select's FROM or joins",
    label = "a column of `{S}` is selected here",
    note = "add `.from::<{S}>()` or a join of `{S}`; a self-join reads the model again through an alias (`strata::alias!`)"
)]
pub trait HasSource<S, I> {
    type Nullability: Nullability;
}

impl<S, N: Nullability, Tail> HasSource<S, Here> for (Src<S, N>, Tail) {
    type Nullability = N;
}
impl<S, Head, Tail: HasSource<S, I>, I> HasSource<S, There<I>> for (Head, Tail) {
    type Nullability = Tail::Nullability;
}

/// Every source of the list made nullable: what a right or full join does
/// to the sources before it.
pub trait AllNullable {
    type Out;
}
impl AllNullable for () {
    type Out = ();
}
impl<S, N, Tail: AllNullable> AllNullable for (Src<S, N>, Tail) {
    type Out = (Src<S, Null>, Tail::Out);
}
