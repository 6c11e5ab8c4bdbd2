//! The select builder's statements (`query::select`): SELECT over several
//! tables with joins, GROUP BY, HAVING, DISTINCT [ON], common table
//! expressions, set operations, and builder queries used as expressions.
//! Columns are always qualified (`"users"."email"`), values always bound;
//! the text depends only on the query's shape.

use super::shape::{key_writer, remembered_text};
use super::statement::{write_expr, write_limit_offset, write_sort_key};
use super::{Dialect, Rendered, Shared, SqlWriter};
use crate::query::ast::{Expr, InvalidExpr, NullsOrder, OrderByExpr, RowLock};
use crate::query::select::{
    CompoundAst, Cte, Distinct, JoinKind, QueryAst, SelectAst, SubqueryExpr, TableRef,
};

/// A builder statement: a select, with the row lock written after its
/// LIMIT/OFFSET if it locks (`query::select::LockedSelect`), or a compound.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BuilderStatement<'q> {
    Select(&'q SelectAst, Option<RowLock>),
    Compound(&'q CompoundAst),
}

impl<'q> BuilderStatement<'q> {
    /// `query` as a statement of its own, locked by `lock` if it is a select.
    pub(crate) fn of(query: &'q QueryAst, lock: Option<RowLock>) -> Self {
        match query {
            QueryAst::Select(select) => BuilderStatement::Select(select, lock),
            QueryAst::Compound(compound) => BuilderStatement::Compound(compound),
        }
    }

    fn check(self) -> crate::Result<()> {
        match self {
            BuilderStatement::Select(select, _) => crate::query::select::check_select(select),
            BuilderStatement::Compound(compound) => crate::query::select::check_compound(compound),
        }
    }

    fn write(self, w: &mut SqlWriter) {
        match self {
            BuilderStatement::Select(select, lock) => {
                write_select(w, select, Items::AsIs, true);
                if let Some(lock) = lock {
                    super::row_lock::write_row_lock(w, lock, None);
                }
            }
            BuilderStatement::Compound(compound) => write_compound(w, compound, Items::AsIs),
        }
    }
}

/// Renders a builder statement for `dialect`, or the error of the first part
/// the database cannot run (a FULL JOIN on MySQL, DISTINCT ON outside
/// PostgreSQL), that names a table the query does not read, or that could
/// not be built.
pub(crate) fn render_builder(
    statement: BuilderStatement<'_>,
    dialect: Dialect,
) -> crate::Result<Rendered> {
    statement.check()?;
    let mut w = SqlWriter::new(dialect);
    statement.write(&mut w);
    finish(w)
}

/// [`render_builder`] for a statement run as built: its text is rendered
/// and checked the first time this thread sees its key
/// ([`SqlWriter::key`]); after that only its binds are collected, and the
/// text is shared. `None` when it reads a model table with a soft-delete or
/// tenant column and `rewrites` says a row filter changes it: the caller
/// runs it through the filters instead. A debug build renders every time
/// and checks the remembered text.
pub(crate) fn render_remembered(
    statement: BuilderStatement<'_>,
    dialect: Dialect,
    rewrites: impl FnOnce() -> bool,
) -> crate::Result<Option<Shared>> {
    let w = key_writer(dialect, |w| statement.write(w));
    if w.reads_filtered_table && rewrites() {
        return Ok(None);
    }
    remembered_text(w, || render_builder(statement, dialect)).map(Some)
}

fn finish(mut w: SqlWriter) -> crate::Result<Rendered> {
    match w.invalid.take() {
        Some(invalid) => Err(invalid.into()),
        None => Ok(w.finish()),
    }
}

/// How select items are named: as the database names them (a top-level
/// query, decoded by position), or `c0`, `c1`.. (a derived table or CTE,
/// whose columns the outer query reads by those names).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Items {
    AsIs,
    Numbered,
}

fn write_query(w: &mut SqlWriter, query: &QueryAst, items: Items) {
    match query {
        QueryAst::Select(select) => write_select(w, select, items, true),
        QueryAst::Compound(compound) => write_compound(w, compound, items),
    }
}

fn write_with(w: &mut SqlWriter, with: &[&Cte]) {
    if with.is_empty() {
        return;
    }
    w.push("WITH ");
    w.push_list(with, ", ", |w, cte| {
        w.push_ident(&cte.name);
        w.push(" AS (");
        write_query(w, &cte.query, Items::Numbered);
        w.push(")");
    });
    w.push(" ");
}

/// One SELECT; `own_with` is false for a compound's member, whose CTEs the
/// compound writes before its first member.
fn write_select(w: &mut SqlWriter, s: &SelectAst, items: Items, own_with: bool) {
    if own_with {
        write_with(w, &s.with.iter().collect::<Vec<_>>());
    }
    w.push("SELECT ");
    match &s.distinct {
        Distinct::None => {}
        Distinct::All => w.push("DISTINCT "),
        Distinct::On(keys) => {
            if w.dialect != Dialect::Postgres {
                w.note_invalid(&unsupported(
                    s,
                    "distinct_on",
                    "DISTINCT ON is PostgreSQL's only; use `distinct()`, or a GROUP BY",
                ));
            }
            w.push("DISTINCT ON (");
            w.push_list(keys, ", ", write_expr);
            w.push(") ");
        }
    }
    for (i, item) in s.items.iter().enumerate() {
        if i > 0 {
            w.push(", ");
        }
        write_expr(w, item);
        if items == Items::Numbered {
            w.push(" AS ");
            w.push_ident(&format!("c{i}"));
        }
    }
    w.push(" FROM ");
    write_table(w, &s.from);
    for join in &s.joins {
        w.push(match join.kind {
            JoinKind::Inner => " INNER JOIN ",
            JoinKind::Left => " LEFT JOIN ",
            JoinKind::Right => " RIGHT JOIN ",
            JoinKind::Full => " FULL JOIN ",
        });
        if join.kind == JoinKind::Full && w.dialect == Dialect::MySql {
            w.note_invalid(&InvalidExpr {
                model: table_label(&join.table),
                field: Some("full_join"),
                reason: "MySQL and MariaDB have no FULL JOIN; use a LEFT JOIN UNION a RIGHT JOIN"
                    .into(),
            });
        }
        write_table(w, &join.table);
        w.push(" ON ");
        write_expr(w, &join.on);
    }
    if let Some(filter) = &s.filter {
        w.push(" WHERE ");
        write_expr(w, filter);
    }
    if !s.group_by.is_empty() {
        w.push(" GROUP BY ");
        w.push_list(&s.group_by, ", ", write_expr);
    }
    if let Some(having) = &s.having {
        w.push(" HAVING ");
        write_expr(w, having);
    }
    if !s.order_by.is_empty() {
        let nullable = nullable_sources(s);
        w.push(" ORDER BY ");
        w.push_list(&s.order_by, ", ", |w, key| write_key(w, key, &nullable));
    }
    write_limit_offset(w, s.limit, s.offset);
}

fn unsupported(s: &SelectAst, field: &'static str, reason: &str) -> InvalidExpr {
    InvalidExpr {
        model: table_label(&s.from),
        field: Some(field),
        reason: reason.into(),
    }
}

/// What an error about a table names: its model, or `select` for a derived
/// table or CTE (whose name is the user's, not `'static`).
fn table_label(table: &TableRef) -> &'static str {
    match table {
        TableRef::Table { model, .. } => model,
        TableRef::Derived { .. } | TableRef::Cte { .. } => "select",
    }
}

fn write_table(w: &mut SqlWriter, table: &TableRef) {
    match table {
        TableRef::Table {
            table,
            alias,
            soft_delete,
            tenant,
            ..
        } => {
            w.reads_filtered_table |= soft_delete.is_some() || tenant.is_some();
            w.push_static_ident(table);
            if let Some(alias) = alias {
                w.push(" AS ");
                w.push_static_ident(alias);
            }
        }
        TableRef::Derived { name, query } => {
            w.push("(");
            write_query(w, query, Items::Numbered);
            w.push(") AS ");
            w.push_ident(name);
        }
        TableRef::Cte { name } => w.push_ident(name),
    }
}

/// The names of the sources whose rows may be missing from a result row:
/// the right side of a left join, everything before a right join, both
/// sides of a full join. A sort key over their columns may be NULL even
/// when the column is declared NOT NULL.
fn nullable_sources(s: &SelectAst) -> Vec<&str> {
    let mut names: Vec<(&str, bool)> = vec![(s.from.name(), false)];
    for join in &s.joins {
        let (before, joined) = match join.kind {
            JoinKind::Inner => (false, false),
            JoinKind::Left => (false, true),
            JoinKind::Right => (true, false),
            JoinKind::Full => (true, true),
        };
        if before {
            names.iter_mut().for_each(|(_, nullable)| *nullable = true);
        }
        names.push((join.table.name(), joined));
    }
    names
        .into_iter()
        .filter(|&(_, nullable)| nullable)
        .map(|(name, _)| name)
        .collect()
}

/// A sort key, NULLs placed as strata's portable default (the largest value)
/// unless it says otherwise.
fn write_key(w: &mut SqlWriter, key: &OrderByExpr, nullable_sources: &[&str]) {
    let nullable = match &key.expr {
        Expr::Qualified { table, column } => {
            column.nullable || nullable_sources.contains(&table.as_ref())
        }
        Expr::Aggregate(aggregate) => aggregate.function != crate::query::ast::AggregateFn::Count,
        _ => true,
    };
    let nulls = key.nulls.unwrap_or(if key.descending {
        NullsOrder::First
    } else {
        NullsOrder::Last
    });
    write_sort_key(
        w,
        |w| write_expr(w, &key.expr),
        nullable,
        key.descending,
        nulls,
    );
}

/// `first UNION second ..`. A member with its own ORDER BY or LIMIT, or a
/// nested compound, is read as a derived table (`SELECT * FROM (..) AS
/// "s1"`): SQLite takes neither inside a compound, nor parentheses. The
/// members' CTEs are written once, before the first member.
fn write_compound(w: &mut SqlWriter, c: &CompoundAst, items: Items) {
    let members = std::iter::once(&c.first).chain(c.rest.iter().map(|(_, q)| q));
    let mut with: Vec<&Cte> = Vec::new();
    for cte in members.filter_map(direct).flat_map(|s| &s.with) {
        if !with.iter().any(|c| c.name == cte.name) {
            with.push(cte);
        }
    }
    write_with(w, &with);
    write_member(w, &c.first, items, 1);
    for (i, (op, member)) in c.rest.iter().enumerate() {
        w.push(op.sql());
        write_member(w, member, items, i + 2);
    }
    write_limit_offset(w, c.limit, c.offset);
}

/// The member as a SELECT written directly in the compound, or `None` when
/// it must be read as a derived table.
fn direct(member: &QueryAst) -> Option<&SelectAst> {
    match member {
        QueryAst::Select(s) if s.order_by.is_empty() && s.limit.is_none() && s.offset.is_none() => {
            Some(s)
        }
        _ => None,
    }
}

fn write_member(w: &mut SqlWriter, member: &QueryAst, items: Items, n: usize) {
    match direct(member) {
        Some(s) => write_select(w, s, items, false),
        None => {
            w.push("SELECT * FROM (");
            write_query(w, member, Items::Numbered);
            w.push(") AS ");
            w.push_ident(&format!("s{n}"));
        }
    }
}

/// A builder query inside an expression ([`Expr::SelectSubquery`]).
pub(super) fn write_subquery_expr(w: &mut SqlWriter, sub: &SubqueryExpr) {
    match sub {
        SubqueryExpr::Scalar(query) => {
            w.push("(");
            write_query(w, query, Items::AsIs);
            w.push(")");
        }
        SubqueryExpr::Exists { query, negated } => {
            w.push(if *negated { "NOT EXISTS (" } else { "EXISTS (" });
            write_query(w, query, Items::AsIs);
            w.push(")");
        }
        SubqueryExpr::In {
            expr,
            query,
            negated,
        } => {
            write_expr(w, expr);
            w.push(if *negated { " NOT IN (" } else { " IN (" });
            write_query(w, query, Items::AsIs);
            w.push(")");
        }
    }
}
