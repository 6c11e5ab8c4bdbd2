//! Set operations between queries returning the same row type: UNION,
//! UNION ALL, INTERSECT, EXCEPT. The row types are checked at compile time.

use super::ast::{CompoundAst, QueryAst, SetOp};
use super::build::SelectQuery;
use super::output::OutputIn;
use super::subquery::{scalar, Table, TableDef};
use crate::query::expr::SqlExpr;
use crate::schema::{FieldType, FromRow};
use std::borrow::Cow;
use std::marker::PhantomData;

/// A whole query with rows of type `Output`: a [`SelectQuery`] or a
/// [`Compound`]. What set operations, `exists` and `in_subquery` take.
/// (`I` is the select list's search index, inferred.)
pub trait Query<I> {
    type Output: FromRow + Send + Unpin + 'static;
    fn into_query_ast(self) -> QueryAst;
}

impl<Sel: OutputIn<S, I>, S, I> Query<I> for SelectQuery<Sel, S> {
    type Output = Sel::Output;
    fn into_query_ast(self) -> QueryAst {
        self.into_ast()
    }
}

/// The index of a [`Compound`], whose row type is already known.
pub struct Resolved;

impl<O: FromRow + Send + Unpin + 'static> Query<Resolved> for Compound<O> {
    type Output = O;
    fn into_query_ast(self) -> QueryAst {
        QueryAst::Compound(Box::new(self.ast))
    }
}

/// `Self` and `T` are the same type: how set operations and `IN (query)`
/// check that two queries (or a query and an expression) agree.
#[diagnostic::on_unimplemented(
    message = "the queries' row types differ: `{Self}` and `{T}`",
    label = "this query returns `{Self}`",
    note = "UNION, INTERSECT and EXCEPT need queries selecting the same types in the same order, and `IN (query)` a query of one column of the expression's type"
)]
pub trait SameOutput<T> {}
impl<T> SameOutput<T> for T {}

/// Queries combined by set operations, with rows of type `O`. Paging applies
/// to the combined rows.
#[must_use = "a query does nothing until fetched"]
pub struct Compound<O> {
    pub(crate) ast: CompoundAst,
    _output: PhantomData<fn() -> O>,
}

impl<O> Clone for Compound<O> {
    fn clone(&self) -> Self {
        Compound {
            ast: self.ast.clone(),
            _output: PhantomData,
        }
    }
}

impl<O> std::fmt::Debug for Compound<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.ast.fmt(f)
    }
}

macro_rules! set_ops {
    ($(#[$doc:meta] $name:ident => $op:ident;)*) => {
        impl<Sel, S> SelectQuery<Sel, S> {
            $(
                #[$doc]
                pub fn $name<I, J, Q: Query<J>>(self, other: Q) -> Compound<Sel::Output>
                where
                    Sel: OutputIn<S, I>,
                    Q::Output: SameOutput<Sel::Output>,
                {
                    Compound::start(self.into_ast(), SetOp::$op, other.into_query_ast())
                }
            )*
        }
        impl<O> Compound<O> {
            $(
                #[$doc]
                pub fn $name<J, Q: Query<J>>(mut self, other: Q) -> Compound<O>
                where
                    Q::Output: SameOutput<O>,
                {
                    self.ast.rest.push((SetOp::$op, other.into_query_ast()));
                    self
                }
            )*
        }
    };
}
set_ops! {
    /// `UNION`: rows of either query, duplicates removed.
    union => Union;
    /// `UNION ALL`: rows of both queries, duplicates kept.
    union_all => UnionAll;
    /// `INTERSECT`: rows of both queries.
    intersect => Intersect;
    /// `EXCEPT`: rows of this query that the other does not return.
    except => Except;
}

impl<O> Compound<O> {
    fn start(first: QueryAst, op: SetOp, second: QueryAst) -> Self {
        Compound {
            ast: CompoundAst {
                first,
                rest: vec![(op, second)],
                limit: None,
                offset: None,
            },
            _output: PhantomData,
        }
    }

    /// At most `n` of the combined rows (bound).
    pub fn limit(mut self, n: i64) -> Self {
        self.ast.limit = Some(n);
        self
    }

    /// Skips the first `n` combined rows (bound).
    pub fn offset(mut self, n: i64) -> Self {
        self.ast.offset = Some(n);
        self
    }

    /// Soft delete: shows soft-deleted rows in every branch; see
    /// [`SelectQuery::with_deleted`].
    pub fn with_deleted(mut self) -> Self {
        crate::soft_delete::select::show_deleted(&mut self.ast.first);
        for (_, branch) in &mut self.ast.rest {
            crate::soft_delete::select::show_deleted(branch);
        }
        self
    }

    /// As a derived table; see [`SelectQuery::as_derived`].
    pub fn as_derived(self, name: impl Into<Cow<'static, str>>) -> Table<O> {
        Table::new(
            name.into(),
            TableDef::Derived(QueryAst::Compound(Box::new(self.ast))),
        )
    }

    /// As a common table expression; see [`SelectQuery::as_cte`].
    pub fn as_cte(self, name: impl Into<Cow<'static, str>>) -> Table<O> {
        Table::new(
            name.into(),
            TableDef::Cte(QueryAst::Compound(Box::new(self.ast))),
        )
    }
}

impl<Sel, S> SelectQuery<Sel, S> {
    /// This one-column query as a scalar subquery `(SELECT ..)`, usable in
    /// conditions and select lists; `None` when it returns no row.
    pub fn scalar<I>(self) -> SqlExpr<<Sel::Output as FieldType>::Nullable>
    where
        Sel: OutputIn<S, I>,
        Sel::Output: FieldType,
    {
        scalar::<Sel::Output>(self.into_ast())
    }
}
