//! `Post::aggregate((count_all(), sum(Post::views())))`: one row of
//! aggregates over the model's matching rows.

use super::scope::check_grouped;
use super::AggregateSelection;
use crate::error::{Error, Result};
use crate::execute::Db;
use crate::query::ast::{Expr, Projection, Select, Statement};
use crate::query::{merge_filter, Filter, IntoFilter, ToSql};
use crate::render::{render_checked, Dialect, Rendered};
use crate::schema::Model;
use std::marker::PhantomData;

/// Aggregates over the rows of `M` matching a filter; `exec` returns
/// `A::Output`, e.g. `(i64, Option<i64>)` for `(count_all(), sum(..))`.
pub struct Aggregate<M, A> {
    aggregates: Vec<Expr>,
    filter: Option<Filter<M>>,
    soft_delete: crate::soft_delete::Scope,
    _selection: PhantomData<fn() -> A>,
}

impl<M: Model, A: AggregateSelection> Aggregate<M, A> {
    pub fn new(aggregates: A) -> Self {
        let mut exprs = Vec::new();
        aggregates.into_exprs(&mut exprs);
        Aggregate {
            aggregates: exprs,
            filter: None,
            soft_delete: crate::soft_delete::Scope::Live,
            _selection: PhantomData,
        }
    }

    crate::soft_delete::soft_delete_methods!(soft_delete);

    /// Aggregates only the rows matching `filter` (with any earlier filter).
    pub fn filter(mut self, filter: impl IntoFilter<M>) -> Self {
        self.filter = Some(merge_filter(self.filter.take(), filter.into_filter()));
        self
    }

    /// The SELECT, or the error naming an expression that is not an
    /// aggregate of `M`'s columns.
    pub fn statement(&self) -> Result<Statement> {
        for expr in &self.aggregates {
            check_grouped(expr, &[], M::SCHEMA, "aggregate")?;
        }
        let mut select = Select::new(M::SCHEMA.table, Projection::Exprs(self.aggregates.clone()));
        select.filter = self.filter.as_ref().map(|f| f.expr.clone());
        Ok(Statement::Select(select))
    }

    /// Runs the query: aggregates over no rows are `None` (counts 0).
    pub async fn exec(self, db: &Db) -> Result<A::Output> {
        let op = crate::intercept::chain::op::<M>(crate::intercept::Action::Aggregate)
            .soft_delete(self.soft_delete);
        let rendered = db.prepare_statement(op, self.statement()?)?;
        let rows: Vec<A::Output> = db.run_all(rendered).await?;
        // An aggregate without GROUP BY always yields exactly one row.
        rows.into_iter().next().ok_or(Error::NotFound {
            model: M::SCHEMA.name,
        })
    }
}

impl<M: Model, A: AggregateSelection> ToSql for Aggregate<M, A> {
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
        render_checked(&self.statement()?, dialect)
    }
}
