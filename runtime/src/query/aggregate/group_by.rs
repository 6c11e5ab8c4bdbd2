//! `Post::group_by((Post::author_id(), Post::status()))`: one row per group
//! of key values, with the group's aggregates, filtered before grouping
//! (`filter`) and after (`having`), ordered by keys or aggregates, paged.

use super::scope::check_grouped;
use super::{AggregateSelection, GroupKeys};
use crate::error::Result;
use crate::execute::Db;
use crate::query::ast::{Expr, OrderByExpr, Projection as SqlProjection, Select, Statement};
use crate::query::expr::{Condition, OrderExpr};
use crate::query::{merge_filter, Filter, IntoFilter, Order, ToSql};
use crate::render::{render_checked, Dialect, Rendered};
use crate::schema::{FromRow, Model};
use std::borrow::Cow;
use std::marker::PhantomData;

/// A group-by over `M`: `K` the key columns ([`GroupKeys`]: `M`'s own, so
/// another model's column does not compile), `A` the aggregates
/// (`()` until [`GroupBy::aggregate`]). Each row is `(keys, aggregates)`,
/// e.g. `((i64, PostStatus), (i64, Option<i64>))`, or only the keys when
/// there are no aggregates (the distinct groups).
pub struct GroupBy<M, K, A = ()> {
    keys: Vec<Expr>,
    aggregates: Vec<Expr>,
    filter: Option<Filter<M>>,
    having: Option<Condition>,
    order: Vec<OrderByExpr>,
    skip: Option<i64>,
    take: Option<i64>,
    soft_delete: crate::soft_delete::Scope,
    _types: PhantomData<fn() -> (K, A)>,
}

impl<M: Model, K: GroupKeys<M>> GroupBy<M, K, ()> {
    pub fn new(keys: K) -> Self {
        let table = Cow::Borrowed(M::SCHEMA.table);
        let keys = keys.columns().into_iter();
        GroupBy {
            keys: keys
                .map(|column| Expr::Qualified {
                    table: table.clone(),
                    column,
                })
                .collect(),
            aggregates: Vec::new(),
            filter: None,
            having: None,
            order: Vec::new(),
            skip: None,
            take: None,
            soft_delete: crate::soft_delete::Scope::Live,
            _types: PhantomData,
        }
    }

    /// The aggregates computed per group, read after the keys.
    pub fn aggregate<A: AggregateSelection>(self, aggregates: A) -> GroupBy<M, K, A> {
        let mut exprs = Vec::new();
        aggregates.into_exprs(&mut exprs);
        GroupBy {
            keys: self.keys,
            aggregates: exprs,
            filter: self.filter,
            having: self.having,
            order: self.order,
            skip: self.skip,
            take: self.take,
            soft_delete: self.soft_delete,
            _types: PhantomData,
        }
    }
}

impl<M: Model, K: GroupKeys<M>, A: GroupRow<K::Output>> GroupBy<M, K, A> {
    crate::soft_delete::soft_delete_methods!(soft_delete);

    /// Groups only the rows matching `filter` (`WHERE`, before grouping).
    pub fn filter(mut self, filter: impl IntoFilter<M>) -> Self {
        self.filter = Some(merge_filter(self.filter.take(), filter.into_filter()));
        self
    }

    /// Keeps only the groups matching `condition` (`HAVING`), e.g.
    /// `sum(Post::views()).gt(100)`; with any earlier `having`. It may name
    /// aggregates and group keys; any other column is refused when the query
    /// runs.
    pub fn having(mut self, condition: impl Into<Condition>) -> Self {
        let condition = condition.into();
        self.having = Some(match self.having.take() {
            Some(existing) => existing.and(condition),
            None => condition,
        });
        self
    }

    /// Sorts the groups by an aggregate (`sum(Post::views()).desc()`) or a
    /// group key (`Post::author_id().asc()`), after any earlier sort keys.
    pub fn order_by(mut self, order: impl GroupOrder<M>) -> Self {
        self.order.push(order.into_order());
        self
    }

    /// Skips the first `n` groups. Paged queries end their order with the
    /// group keys, so pages neither overlap nor skip a group.
    pub fn skip(mut self, n: u64) -> Self {
        self.skip = Some(i64::try_from(n).unwrap_or(i64::MAX));
        self
    }

    /// Returns at most `n` groups.
    pub fn take(mut self, n: u64) -> Self {
        self.take = Some(i64::try_from(n).unwrap_or(i64::MAX));
        self
    }

    /// The SELECT, or the error naming a column that is neither a group key
    /// nor aggregated, or is not `M`'s.
    pub fn statement(&self) -> Result<Statement> {
        let model = M::SCHEMA;
        for expr in &self.aggregates {
            check_grouped(expr, &self.keys, model, "aggregate")?;
        }
        if let Some(having) = &self.having {
            check_grouped(&having.node, &self.keys, model, "having")?;
        }
        for order in &self.order {
            check_grouped(&order.expr, &self.keys, model, "order_by")?;
        }
        let mut projection = self.keys.clone();
        projection.extend(self.aggregates.iter().cloned());
        let mut select = Select::new(model.table, SqlProjection::Exprs(projection));
        select.filter = self.filter.as_ref().map(|f| f.expr.clone());
        select.group_by = self.keys.clone();
        select.having = self.having.as_ref().map(|h| h.node.clone());
        select.order_exprs = self.order.clone();
        if self.skip.is_some() || self.take.is_some() {
            // The keys identify a group: ending the order with them makes it
            // total, so pages are stable.
            for key in &self.keys {
                if !select.order_exprs.iter().any(|o| &o.expr == key) {
                    select.order_exprs.push(OrderByExpr {
                        expr: key.clone(),
                        descending: false,
                        nulls: None,
                    });
                }
            }
        }
        select.limit = self.take;
        select.offset = self.skip;
        Ok(Statement::Select(select))
    }

    /// Runs the query: one row per group.
    pub async fn exec(self, db: &Db) -> Result<Vec<A::Row>> {
        let op = crate::intercept::chain::op::<M>(crate::intercept::Action::GroupBy)
            .soft_delete(self.soft_delete);
        let rendered = db.prepare_statement(op, self.statement()?)?;
        db.run_all(rendered).await
    }
}

impl<M: Model, K: GroupKeys<M>, A: GroupRow<K::Output>> ToSql for GroupBy<M, K, A> {
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
        render_checked(&self.statement()?, dialect)
    }
}

/// What one group's row decodes as: the keys `K` alone (no aggregates, `()`),
/// or `(K, aggregates)`.
pub trait GroupRow<K> {
    type Row: FromRow + Send + Unpin + 'static;
}

impl<K: FromRow + Send + Unpin + 'static> GroupRow<K> for () {
    type Row = K;
}

impl<K: FromRow + Send + Unpin + 'static, A: AggregateSelection> GroupRow<K> for A {
    type Row = (K, A::Output);
}

/// A sort key for groups: an expression's (`sum(Post::views()).desc()`) or
/// a column's of `M` (`Post::author_id().asc()`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sort key for groups of `{M}`",
    note = "order groups by an aggregate such as `sum({M}::views()).desc()` or a group key such as `{M}::id().asc()`"
)]
pub trait GroupOrder<M> {
    fn into_order(self) -> OrderByExpr;
}

impl<M> GroupOrder<M> for OrderExpr {
    fn into_order(self) -> OrderByExpr {
        OrderByExpr {
            expr: self.expr,
            descending: self.descending,
            nulls: self.nulls,
        }
    }
}

impl<M: Model> GroupOrder<M> for Order<M> {
    fn into_order(self) -> OrderByExpr {
        OrderByExpr {
            expr: Expr::Qualified {
                table: Cow::Borrowed(M::SCHEMA.table),
                column: self.order.column,
            },
            descending: self.order.descending,
            nulls: self.order.nulls,
        }
    }
}
