//! The select builder's statement AST: a SELECT over several tables, or set
//! operations between such SELECTs, with common table expressions.
//! `render/select.rs` writes it.

use crate::query::ast::{Expr, InvalidExpr, OrderByExpr};
use std::borrow::Cow;

/// A whole query: one SELECT, or a compound of several.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryAst {
    Select(Box<SelectAst>),
    Compound(Box<CompoundAst>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SelectAst {
    /// `WITH name AS (..)`, in order of first use.
    pub with: Vec<Cte>,
    pub distinct: Distinct,
    pub items: Vec<Expr>,
    pub from: TableRef,
    pub joins: Vec<Join>,
    pub filter: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
    pub order_by: Vec<OrderByExpr>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// Soft delete: `Live` hides the soft-deleted rows of every
    /// soft-deleted model this select and its subqueries read;
    /// `WithDeleted` (`with_deleted()`) shows them, here and in everything
    /// nested. Applied by the built-in `SoftDelete` interceptor.
    pub soft_delete: crate::soft_delete::Scope,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Distinct {
    None,
    All,
    /// PostgreSQL's `DISTINCT ON (exprs)`.
    On(Vec<Expr>),
}

/// A table in FROM or a join.
#[derive(Debug, Clone, PartialEq)]
pub enum TableRef {
    /// A model's table, `AS alias` for an alias source. `model` names it in errors.
    Table {
        model: &'static str,
        table: &'static str,
        alias: Option<&'static str>,
        /// The model's soft-delete column, if it has one: the AST names
        /// tables, and the soft-delete rewrite needs the column.
        soft_delete: Option<&'static crate::schema::ColumnSchema>,
        /// The model's tenant column, if it is tenant-scoped: the tenant
        /// filter's condition goes on it.
        tenant: Option<&'static crate::schema::ColumnSchema>,
    },
    /// `(query) AS "name"`, its items named `c0`, `c1`..
    Derived {
        name: Cow<'static, str>,
        query: QueryAst,
    },
    /// A common table expression of the statement, by name.
    Cte { name: Cow<'static, str> },
}

impl TableRef {
    /// The name its columns are qualified with.
    pub fn name(&self) -> &str {
        match self {
            TableRef::Table { table, alias, .. } => alias.unwrap_or(table),
            TableRef::Derived { name, .. } | TableRef::Cte { name } => name,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    pub kind: JoinKind,
    pub table: TableRef,
    pub on: Expr,
}

/// `WITH name AS (query)`; the query's items are named `c0`, `c1`..
#[derive(Debug, Clone, PartialEq)]
pub struct Cte {
    pub name: Cow<'static, str>,
    pub query: QueryAst,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    Union,
    UnionAll,
    Intersect,
    Except,
}

impl SetOp {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            SetOp::Union => " UNION ",
            SetOp::UnionAll => " UNION ALL ",
            SetOp::Intersect => " INTERSECT ",
            SetOp::Except => " EXCEPT ",
        }
    }
}

/// `first op second op third ..`, evaluated left to right, then paged.
#[derive(Debug, Clone, PartialEq)]
pub struct CompoundAst {
    pub first: QueryAst,
    pub rest: Vec<(SetOp, QueryAst)>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A builder query inside an expression: what [`Expr::SelectSubquery`] holds.
#[derive(Debug, Clone, PartialEq)]
pub enum SubqueryExpr {
    /// `(query)`: one row, one column.
    Scalar(QueryAst),
    /// `[NOT] EXISTS (query)`.
    Exists { query: QueryAst, negated: bool },
    /// `expr [NOT] IN (query)`.
    In {
        expr: Expr,
        query: QueryAst,
        negated: bool,
    },
}

impl QueryAst {
    /// The first [`Expr::Invalid`] anywhere in the query.
    pub fn invalid(&self) -> Option<&InvalidExpr> {
        match self {
            QueryAst::Select(s) => s.invalid(),
            QueryAst::Compound(c) => c
                .first
                .invalid()
                .or_else(|| c.rest.iter().find_map(|(_, q)| q.invalid())),
        }
    }
}

impl SelectAst {
    fn invalid(&self) -> Option<&InvalidExpr> {
        let distinct = match &self.distinct {
            Distinct::On(exprs) => exprs.as_slice(),
            _ => &[],
        };
        self.items
            .iter()
            .chain(distinct)
            .chain(self.joins.iter().map(|j| &j.on))
            .chain(&self.filter)
            .chain(&self.group_by)
            .chain(&self.having)
            .chain(self.order_by.iter().map(|k| &k.expr))
            .find_map(Expr::invalid)
            .or_else(|| self.with.iter().find_map(|c| c.query.invalid()))
            .or_else(|| self.from.invalid())
            .or_else(|| self.joins.iter().find_map(|j| j.table.invalid()))
    }
}

impl TableRef {
    fn invalid(&self) -> Option<&InvalidExpr> {
        match self {
            TableRef::Derived { query, .. } => query.invalid(),
            _ => None,
        }
    }
}

impl SubqueryExpr {
    pub fn invalid(&self) -> Option<&InvalidExpr> {
        match self {
            SubqueryExpr::Scalar(query) | SubqueryExpr::Exists { query, .. } => query.invalid(),
            SubqueryExpr::In { expr, query, .. } => expr.invalid().or_else(|| query.invalid()),
        }
    }
}
