//! Queries inside queries: derived tables and common table expressions read
//! as sources ([`Table`]), and subqueries in conditions (`EXISTS`, `IN`, a
//! scalar subquery).

use super::ast::{Cte, QueryAst, SubqueryExpr, TableRef};
use super::compound::{Query, SameOutput};
use crate::query::ast::Expr;
use crate::query::expr::{AsExpr, Condition, SqlExpr};
use crate::schema::{ColumnSchema, FieldType, SqlType};
use std::borrow::Cow;
use std::marker::PhantomData;

/// A derived table or a common table expression whose rows are `O` (the
/// subquery's output): a source for [`SelectFrom::from_table`](super::SelectFrom::from_table)
/// and the `*_join_table` methods.
pub struct Table<O> {
    pub(crate) name: Cow<'static, str>,
    pub(crate) def: TableDef,
    _output: PhantomData<fn() -> O>,
}

impl<O> Clone for Table<O> {
    fn clone(&self) -> Self {
        Table::new(self.name.clone(), self.def.clone())
    }
}

#[derive(Debug, Clone)]
pub(crate) enum TableDef {
    /// `(query) AS "name"` where it is read.
    Derived(QueryAst),
    /// `WITH "name" AS (query)` at the top of the query reading it.
    Cte(QueryAst),
}

impl<O> Table<O> {
    pub(crate) fn new(name: Cow<'static, str>, def: TableDef) -> Self {
        Table {
            name,
            def,
            _output: PhantomData,
        }
    }

    /// What FROM or a join names, and the `WITH` entry it needs.
    pub(crate) fn source(&self) -> (TableRef, Option<Cte>) {
        match &self.def {
            TableDef::Derived(query) => (
                TableRef::Derived {
                    name: self.name.clone(),
                    query: query.clone(),
                },
                None,
            ),
            TableDef::Cte(query) => (
                TableRef::Cte {
                    name: self.name.clone(),
                },
                Some(Cte {
                    name: self.name.clone(),
                    query: query.clone(),
                }),
            ),
        }
    }

    /// Column `N` of the table (the subquery's `N`th selected item, from 0),
    /// typed as the subquery returns it.
    pub fn col<const N: usize>(&self) -> SqlExpr<<O as Nth<N>>::Type>
    where
        O: Nth<N>,
    {
        SqlExpr::new(Expr::Qualified {
            table: self.name.clone(),
            column: &ITEM_COLUMNS[N],
        })
    }
}

/// The `N`th value of a row type: a tuple's element, or a lone value as 0.
#[diagnostic::on_unimplemented(
    message = "the subquery's rows `{Self}` have no column {N}",
    note = "columns are numbered from 0 in the subquery's select order"
)]
pub trait Nth<const N: usize> {
    type Type: FieldType;
}

impl<T: FieldType> Nth<0> for T {
    type Type = T;
}

macro_rules! nth {
    ($n:literal => $t:ident; $($name:ident),+) => {
        impl<$($name),+> Nth<$n> for ($($name,)+)
        where
            $t: FieldType,
        {
            type Type = $t;
        }
    };
}
macro_rules! nth_all {
    ($($name:ident),+) => {
        nth_all!(@each [$($name),+] 0 $($name)+);
    };
    (@each [$($all:ident),+] $n:tt $head:ident $($rest:ident)*) => {
        nth!($n => $head; $($all),+);
        nth_all!(@next [$($all),+] $n $($rest)*);
    };
    (@next [$($all:ident),+] $n:tt) => {};
    (@next [$($all:ident),+] 0 $($rest:ident)+) => { nth_all!(@each [$($all),+] 1 $($rest)+); };
    (@next [$($all:ident),+] 1 $($rest:ident)+) => { nth_all!(@each [$($all),+] 2 $($rest)+); };
    (@next [$($all:ident),+] 2 $($rest:ident)+) => { nth_all!(@each [$($all),+] 3 $($rest)+); };
    (@next [$($all:ident),+] 3 $($rest:ident)+) => { nth_all!(@each [$($all),+] 4 $($rest)+); };
    (@next [$($all:ident),+] 4 $($rest:ident)+) => { nth_all!(@each [$($all),+] 5 $($rest)+); };
    (@next [$($all:ident),+] 5 $($rest:ident)+) => { nth_all!(@each [$($all),+] 6 $($rest)+); };
    (@next [$($all:ident),+] 6 $($rest:ident)+) => { nth_all!(@each [$($all),+] 7 $($rest)+); };
    (@next [$($all:ident),+] 7 $($rest:ident)+) => { nth_all!(@each [$($all),+] 8 $($rest)+); };
    (@next [$($all:ident),+] 8 $($rest:ident)+) => { nth_all!(@each [$($all),+] 9 $($rest)+); };
    (@next [$($all:ident),+] 9 $($rest:ident)+) => { nth_all!(@each [$($all),+] 10 $($rest)+); };
    (@next [$($all:ident),+] 10 $($rest:ident)+) => { nth_all!(@each [$($all),+] 11 $($rest)+); };
}
nth_all!(A);
nth_all!(A, B);
nth_all!(A, B, C);
nth_all!(A, B, C, D);
nth_all!(A, B, C, D, E);
nth_all!(A, B, C, D, E, F);
nth_all!(A, B, C, D, E, F, G);
nth_all!(A, B, C, D, E, F, G, H);
nth_all!(A, B, C, D, E, F, G, H, J);
nth_all!(A, B, C, D, E, F, G, H, J, K);
nth_all!(A, B, C, D, E, F, G, H, J, K, L);
nth_all!(A, B, C, D, E, F, G, H, J, K, L, M);

/// The names a derived table's or CTE's items are given (`c0`, `c1`..), as
/// column descriptors so [`Expr::Qualified`] can name them. Typed loosely
/// and nullable: only the name is rendered, and a sort key over one places
/// NULLs explicitly.
pub(crate) static ITEM_COLUMNS: [ColumnSchema; 12] = {
    const fn item(name: &'static str) -> ColumnSchema {
        ColumnSchema {
            field: name,
            name,
            ty: SqlType::Text,
            nullable: true,
            default: None,
            updated_at: false,
            db_type: None,
        }
    }
    [
        item("c0"),
        item("c1"),
        item("c2"),
        item("c3"),
        item("c4"),
        item("c5"),
        item("c6"),
        item("c7"),
        item("c8"),
        item("c9"),
        item("c10"),
        item("c11"),
    ]
};

/// `EXISTS (query)`: the query returns a row (usually correlated: its
/// condition names a column of the query around it).
pub fn exists<I>(query: impl Query<I>) -> Condition {
    subquery(SubqueryExpr::Exists {
        query: query.into_query_ast(),
        negated: false,
    })
}

/// `NOT EXISTS (query)`.
pub fn not_exists<I>(query: impl Query<I>) -> Condition {
    subquery(SubqueryExpr::Exists {
        query: query.into_query_ast(),
        negated: true,
    })
}

/// `expr IN (query)`: the query returns one column of `expr`'s type.
pub fn in_subquery<E: AsExpr, I, Q: Query<I>>(expr: E, query: Q) -> Condition
where
    Q::Output: FieldType,
    <Q::Output as FieldType>::Base: SameOutput<<E::Type as FieldType>::Base>,
{
    subquery(SubqueryExpr::In {
        expr: expr.into_expr(),
        query: query.into_query_ast(),
        negated: false,
    })
}

/// `expr NOT IN (query)`. As in SQL, a NULL among the query's values makes
/// it match no row.
pub fn not_in_subquery<E: AsExpr, I, Q: Query<I>>(expr: E, query: Q) -> Condition
where
    Q::Output: FieldType,
    <Q::Output as FieldType>::Base: SameOutput<<E::Type as FieldType>::Base>,
{
    subquery(SubqueryExpr::In {
        expr: expr.into_expr(),
        query: query.into_query_ast(),
        negated: true,
    })
}

fn subquery<T>(sub: SubqueryExpr) -> SqlExpr<T> {
    SqlExpr::new(Expr::SelectSubquery(Box::new(sub)))
}

/// A one-column query as a scalar subquery: `(SELECT ..)`, NULL when it
/// returns no row (hence `T::Nullable`).
pub(crate) fn scalar<T: FieldType>(query: QueryAst) -> SqlExpr<T::Nullable> {
    subquery(SubqueryExpr::Scalar(query))
}
