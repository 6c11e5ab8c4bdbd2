//! `select(items).from::<M>()` and the clauses after it. Each join changes
//! the query's type: its source list ([`HasSource`](super::HasSource)) records the joined
//! model and whether its columns may be NULL.

use super::ast::{Cte, Distinct, Join, JoinKind, QueryAst, SelectAst, TableRef};
use super::sources::{AllNullable, NotNull, Null, Source, Src};
use super::subquery::{Table, TableDef};
use crate::query::ast::{Expr, OrderByExpr};
use crate::query::expr::Selection;
use crate::query::expr::{Condition, OrderExpr};
use crate::query::Order;
use std::borrow::Cow;
use std::marker::PhantomData;

/// Starts a select of `items`: one column or expression, or a tuple of up
/// to 12. Name the table to read with [`SelectFrom::from`].
pub fn select<Sel: Selection>(items: Sel) -> SelectFrom<Sel> {
    let mut exprs = Vec::with_capacity(Sel::LEN);
    items.into_exprs(&mut exprs);
    SelectFrom {
        items: exprs,
        _items: PhantomData,
    }
}

/// A select whose FROM is not named yet.
#[must_use = "name the table to read with `.from::<Model>()`"]
pub struct SelectFrom<Sel> {
    items: Vec<Expr>,
    _items: PhantomData<fn() -> Sel>,
}

impl<Sel> SelectFrom<Sel> {
    /// `FROM` a model's table (or an alias of it, see [`crate::alias!`]).
    pub fn from<S: Source>(self) -> SelectQuery<Sel, (Src<S, NotNull>, ())> {
        SelectQuery::start(self.items, table_ref::<S>(), Vec::new())
    }

    /// `FROM` a derived table or a common table expression
    /// ([`SelectQuery::as_derived`], [`SelectQuery::as_cte`]). Its columns
    /// are reached with [`Table::col`].
    pub fn from_table<O>(self, table: &Table<O>) -> SelectQuery<Sel, ()> {
        let (from, with) = table.source();
        SelectQuery::start(self.items, from, with.into_iter().collect())
    }
}

fn table_ref<S: Source>() -> TableRef {
    TableRef::Table {
        model: <S::Model as crate::Model>::SCHEMA.name,
        table: <S::Model as crate::Model>::SCHEMA.table,
        alias: S::ALIAS,
        soft_delete: <S::Model as crate::Model>::SCHEMA.soft_delete_column(),
        tenant: <S::Model as crate::Model>::SCHEMA.tenant_column(),
    }
}

/// A select with its FROM: `Sel` is what it lists, `S` its sources (see
/// [`HasSource`](super::HasSource)). Run it with `fetch_all`, `fetch_one`,
/// `fetch_optional`; render it with [`ToSql`](crate::ToSql).
#[must_use = "a select does nothing until fetched"]
pub struct SelectQuery<Sel, S> {
    pub(crate) ast: SelectAst,
    _types: PhantomData<fn() -> (Sel, S)>,
}

impl<Sel, S> Clone for SelectQuery<Sel, S> {
    fn clone(&self) -> Self {
        SelectQuery {
            ast: self.ast.clone(),
            _types: PhantomData,
        }
    }
}

impl<Sel, S> std::fmt::Debug for SelectQuery<Sel, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.ast.fmt(f)
    }
}

impl<Sel, S> SelectQuery<Sel, S> {
    fn start(items: Vec<Expr>, from: TableRef, with: Vec<Cte>) -> Self {
        SelectQuery {
            ast: SelectAst {
                with,
                distinct: Distinct::None,
                items,
                from,
                joins: Vec::new(),
                filter: None,
                group_by: Vec::new(),
                having: None,
                order_by: Vec::new(),
                limit: None,
                offset: None,
                soft_delete: crate::soft_delete::Scope::Live,
            },
            _types: PhantomData,
        }
    }

    /// The same query with another source list.
    fn retype<S2>(self) -> SelectQuery<Sel, S2> {
        SelectQuery {
            ast: self.ast,
            _types: PhantomData,
        }
    }

    fn join<J: Source, S2>(
        mut self,
        kind: JoinKind,
        on: impl Into<Condition>,
    ) -> SelectQuery<Sel, S2> {
        self.ast.joins.push(Join {
            kind,
            table: table_ref::<J>(),
            on: on.into().node,
        });
        self.retype()
    }

    fn join_table<O, S2>(
        mut self,
        kind: JoinKind,
        table: &Table<O>,
        on: impl Into<Condition>,
    ) -> SelectQuery<Sel, S2> {
        let (source, cte) = table.source();
        if let Some(cte) = cte {
            self.add_cte(cte);
        }
        self.ast.joins.push(Join {
            kind,
            table: source,
            on: on.into().node,
        });
        self.retype()
    }

    fn add_cte(&mut self, cte: Cte) {
        if !self.ast.with.iter().any(|c| c.name == cte.name) {
            self.ast.with.push(cte);
        }
    }

    /// `INNER JOIN`: rows of `J` matching `on` (e.g.
    /// `dsl::eq(Post::author_id(), User::id())`, or any condition).
    pub fn inner_join<J: Source>(
        self,
        on: impl Into<Condition>,
    ) -> SelectQuery<Sel, (Src<J, NotNull>, S)> {
        self.join::<J, _>(JoinKind::Inner, on)
    }

    /// `LEFT JOIN`: `J`'s columns read as `Option`s, `None` where no row
    /// matched.
    pub fn left_join<J: Source>(
        self,
        on: impl Into<Condition>,
    ) -> SelectQuery<Sel, (Src<J, Null>, S)> {
        self.join::<J, _>(JoinKind::Left, on)
    }

    /// `RIGHT JOIN`: every earlier source's columns read as `Option`s.
    /// SQLite has it from 3.39.
    pub fn right_join<J: Source>(
        self,
        on: impl Into<Condition>,
    ) -> SelectQuery<Sel, (Src<J, NotNull>, S::Out)>
    where
        S: AllNullable,
    {
        self.join::<J, _>(JoinKind::Right, on)
    }

    /// `FULL JOIN`: every source's columns read as `Option`s. MySQL and
    /// MariaDB have none: running one there is an error.
    pub fn full_join<J: Source>(
        self,
        on: impl Into<Condition>,
    ) -> SelectQuery<Sel, (Src<J, Null>, S::Out)>
    where
        S: AllNullable,
    {
        self.join::<J, _>(JoinKind::Full, on)
    }

    /// `INNER JOIN` a derived table or common table expression.
    pub fn inner_join_table<O>(
        self,
        table: &Table<O>,
        on: impl Into<Condition>,
    ) -> SelectQuery<Sel, S> {
        self.join_table(JoinKind::Inner, table, on)
    }

    /// `LEFT JOIN` a derived table or common table expression. Its columns
    /// are expressions ([`Table::col`]), typed as the subquery returns them:
    /// call `.nullable()` on those read from the unmatched side.
    pub fn left_join_table<O>(
        self,
        table: &Table<O>,
        on: impl Into<Condition>,
    ) -> SelectQuery<Sel, S> {
        self.join_table(JoinKind::Left, table, on)
    }

    /// `RIGHT JOIN` a derived table or common table expression: every
    /// earlier source's columns read as `Option`s.
    pub fn right_join_table<O>(
        self,
        table: &Table<O>,
        on: impl Into<Condition>,
    ) -> SelectQuery<Sel, S::Out>
    where
        S: AllNullable,
    {
        self.join_table(JoinKind::Right, table, on)
    }

    /// `FULL JOIN` a derived table or common table expression (not on
    /// MySQL/MariaDB): every model source's columns read as `Option`s.
    pub fn full_join_table<O>(
        self,
        table: &Table<O>,
        on: impl Into<Condition>,
    ) -> SelectQuery<Sel, S::Out>
    where
        S: AllNullable,
    {
        self.join_table(JoinKind::Full, table, on)
    }

    /// `WITH name AS (..)` for a common table expression used only inside
    /// this query's expressions (one used as a source is added by the join
    /// or `from_table`).
    pub fn with<O>(mut self, cte: &Table<O>) -> Self {
        if let TableDef::Cte(query) = &cte.def {
            self.add_cte(Cte {
                name: cte.name.clone(),
                query: query.clone(),
            });
        }
        self
    }

    /// `WHERE`: rows matching `condition`; several calls must all hold. A
    /// model's [`Filter`](crate::Filter) is a condition too.
    pub fn filter(mut self, condition: impl Into<Condition>) -> Self {
        self.ast.filter = Some(and_into(self.ast.filter.take(), condition.into().node));
        self
    }

    /// Same as [`filter`](Self::filter), named as in SQL.
    pub fn where_(self, condition: impl Into<Condition>) -> Self {
        self.filter(condition)
    }

    /// `GROUP BY` these columns or expressions (one, or a tuple); several
    /// calls add keys.
    pub fn group_by(mut self, keys: impl Selection) -> Self {
        keys.into_exprs(&mut self.ast.group_by);
        self
    }

    /// `HAVING`: groups matching `condition` (usually over aggregates:
    /// `gt(count_all(), 5)`); several calls must all hold.
    pub fn having(mut self, condition: impl Into<Condition>) -> Self {
        self.ast.having = Some(and_into(self.ast.having.take(), condition.into().node));
        self
    }

    /// `ORDER BY` a sort key (`expr(Post::views()).desc()`,
    /// `count_all().desc()`, or a model's `Post::views().desc()`); each call
    /// adds a key after the earlier ones. NULLs sort as the largest value on
    /// every database unless the key says otherwise.
    pub fn order_by(mut self, key: impl Into<OrderExpr>) -> Self {
        let key = key.into();
        self.ast.order_by.push(OrderByExpr {
            expr: key.expr,
            descending: key.descending,
            nulls: key.nulls,
        });
        self
    }

    /// At most `n` rows (a bound value, so the statement text stays the same).
    pub fn limit(mut self, n: i64) -> Self {
        self.ast.limit = Some(n);
        self
    }

    /// Skips the first `n` rows (bound).
    pub fn offset(mut self, n: i64) -> Self {
        self.ast.offset = Some(n);
        self
    }

    /// `SELECT DISTINCT`.
    pub fn distinct(mut self) -> Self {
        self.ast.distinct = Distinct::All;
        self
    }

    /// PostgreSQL's `SELECT DISTINCT ON (keys)`: the first row of each group
    /// of equal keys, in the query's order (which must start with the keys).
    /// Other databases have none: running it there is an error.
    pub fn distinct_on(mut self, keys: impl Selection) -> Self {
        let mut exprs = Vec::new();
        keys.into_exprs(&mut exprs);
        self.ast.distinct = Distinct::On(exprs);
        self
    }

    /// Soft delete: shows the soft-deleted rows of every soft-deleted model
    /// this query reads (FROM, joins, and every subquery, derived table and
    /// CTE inside it), which are hidden by default. As the model API's
    /// `with_deleted()`, but for the whole query: a builder query names
    /// several models, and one opt-out for all of them is the one that
    /// reads plainly. Write `is_not_null(M::deleted_at())` in `filter` for
    /// the trash. Nothing changes for models without soft delete.
    pub fn with_deleted(mut self) -> Self {
        self.ast.soft_delete = crate::soft_delete::Scope::WithDeleted;
        self
    }

    /// The untyped statement.
    pub fn into_ast(self) -> QueryAst {
        QueryAst::Select(Box::new(self.ast))
    }

    /// This query as a derived table `(..) AS "name"` to read from or join;
    /// its columns are [`Table::col`]`::<0>()`, `::<1>()`.. in select order.
    pub fn as_derived<I>(self, name: impl Into<Cow<'static, str>>) -> Table<Sel::Output>
    where
        Sel: super::output::OutputIn<S, I>,
    {
        Table::new(name.into(), TableDef::Derived(self.into_ast()))
    }

    /// This query as a common table expression `WITH "name" AS (..)`, read
    /// like a derived table; a query reading it gets the `WITH`.
    pub fn as_cte<I>(self, name: impl Into<Cow<'static, str>>) -> Table<Sel::Output>
    where
        Sel: super::output::OutputIn<S, I>,
    {
        Table::new(name.into(), TableDef::Cte(self.into_ast()))
    }
}

fn and_into(existing: Option<Expr>, condition: Expr) -> Expr {
    match existing {
        None => condition,
        Some(Expr::And(mut items)) => {
            items.push(condition);
            Expr::And(items)
        }
        Some(other) => Expr::And(vec![other, condition]),
    }
}

/// A model query's sort key (`Post::views().desc()`) as a select builder's:
/// its column named with the model's table.
impl<M: crate::Model> From<Order<M>> for OrderExpr {
    fn from(order: Order<M>) -> Self {
        OrderExpr {
            expr: Expr::Qualified {
                table: Cow::Borrowed(M::SCHEMA.table),
                column: order.order.column,
            },
            descending: order.order.descending,
            nulls: order.order.nulls,
        }
    }
}
