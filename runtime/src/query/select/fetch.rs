//! Running a select or a compound: rows decoded by position into the
//! query's output type, through the interceptors as [`Action::Select`]
//! (errors name `select`).

use super::build::SelectQuery;
use super::compound::Compound;
use super::output::OutputIn;
use crate::error::{Error, Result};
use crate::execute::Rows;
use crate::intercept::chain::{Op, Prepared};
use crate::intercept::Action;
use crate::query::ast::RowLock;
use crate::query::select::QueryAst;
use crate::raw::decode_whole;
use crate::render::select::{render_builder, render_remembered, BuilderStatement};
use crate::render::{Dialect, Rendered, Shared};
use crate::schema::FromRow;
use crate::soft_delete::Scope;
use crate::{Db, ToSql};

/// What errors of a builder query name instead of a model.
pub(super) const LABEL: &str = "select";

/// Rows decoded as the query's own output type: its select list was typed
/// item by item, so the row has exactly the columns `T` reads and is not
/// counted again per row (a tenth of a point query's client work on a
/// 67-row join, measured with callgrind).
async fn fetch<T: FromRow + Send + Unpin + 'static>(
    query: &impl Builder,
    db: &Db,
    rows: Rows,
) -> Result<Vec<T>> {
    let rendered = prepare(db, query, None)?;
    db.run_fetch(rendered, |row| T::from_row(row, &mut 0), rows)
        .await
}

/// A builder query: rendered as is, or offered to interceptors as a
/// [`QueryAst`].
pub(super) trait Builder {
    /// The statement it renders as built.
    fn statement(&self) -> BuilderStatement<'_>;
    fn query_ast(&self) -> QueryAst;
    /// Whether a built-in filter has rows to hide: soft-deleted ones (see
    /// `soft_delete::select`) or other tenants' (`tenant::select`).
    fn rewrites(&self) -> bool;
    /// The scope user interceptors see: the outer select's.
    fn scope(&self) -> Scope;
}

impl<Sel, S> Builder for SelectQuery<Sel, S> {
    fn statement(&self) -> BuilderStatement<'_> {
        BuilderStatement::Select(&self.ast, None)
    }
    fn query_ast(&self) -> QueryAst {
        QueryAst::Select(Box::new(self.ast.clone()))
    }
    fn rewrites(&self) -> bool {
        crate::soft_delete::select::select_reads(&self.ast)
            || crate::tenant::select_reads_tenant(&self.ast)
    }
    fn scope(&self) -> Scope {
        self.ast.soft_delete
    }
}

impl<O> Builder for Compound<O> {
    fn statement(&self) -> BuilderStatement<'_> {
        BuilderStatement::Compound(&self.ast)
    }
    fn query_ast(&self) -> QueryAst {
        QueryAst::Compound(Box::new(self.ast.clone()))
    }
    fn rewrites(&self) -> bool {
        let ast = &self.ast;
        let reads = |q: &QueryAst| {
            crate::soft_delete::select::reads_soft_deleted(q) || crate::tenant::reads_tenant(q)
        };
        reads(&ast.first) || ast.rest.iter().any(|(_, q)| reads(q))
    }
    fn scope(&self) -> Scope {
        // `with_deleted()` on a compound marks every branch.
        let first = &self.ast.first;
        match first {
            QueryAst::Select(s) => s.soft_delete,
            QueryAst::Compound(_) => Scope::Live,
        }
    }
}

/// `query` past the interceptors (its AST copied only when there are
/// some, or when soft delete or tenancy has rows to hide: the built-in
/// `SoftDelete` and `TenantFilter` interceptors rewrite the AST like any
/// `before` hook); `lock` is a locking read's, written after the query
/// (`query`'s own statement must write it too: a `LockedSelect`'s does).
/// Run as built, its text is remembered per shape (`render_remembered`).
pub(super) fn prepare(
    db: &Db,
    query: &impl Builder,
    lock: Option<RowLock>,
) -> Result<Prepared<Shared>> {
    let (op, dialect) = (Op::unscoped(LABEL, Action::Select), db.dialect());
    let op = op.on_primary(lock.is_some()).soft_delete(query.scope());
    if !db.intercepted() {
        let rewrites = || query.rewrites();
        if let Some(statement) = render_remembered(query.statement(), dialect, rewrites)? {
            return Ok(Prepared::new(op, statement));
        }
    }
    let prepared = db.prepare(op, query.query_ast(), |ast| {
        render_builder(BuilderStatement::of(&ast, lock), dialect)
    })?;
    Ok(prepared.map(Shared::from))
}

/// Rows decoded as a type the caller chose (`fetch_all_as`): checked to
/// read every column the query returns.
async fn fetch_as<T: FromRow + Send + Unpin + 'static>(
    query: &impl Builder,
    db: &Db,
    rows: Rows,
) -> Result<Vec<T>> {
    let rendered = prepare(db, query, None)?;
    db.run_fetch(rendered, decode_whole::<T>, rows).await
}

impl<Sel, S> SelectQuery<Sel, S> {
    /// Runs the query; rows are `Sel`'s output type (`I` is inferred).
    pub async fn fetch_all<I>(&self, db: &Db) -> Result<Vec<Sel::Output>>
    where
        Sel: OutputIn<S, I>,
    {
        fetch(self, db, Rows::All).await
    }

    /// The first row; [`Error::NotFound`] naming `select` when there is none.
    pub async fn fetch_one<I>(&self, db: &Db) -> Result<Sel::Output>
    where
        Sel: OutputIn<S, I>,
    {
        self.fetch_optional(db)
            .await?
            .ok_or(Error::NotFound { model: LABEL })
    }

    /// The first row, if any. Add `.limit(1)` when many rows could match:
    /// the query is sent as built.
    pub async fn fetch_optional<I>(&self, db: &Db) -> Result<Option<Sel::Output>>
    where
        Sel: OutputIn<S, I>,
    {
        Ok(fetch(self, db, Rows::First).await?.into_iter().next())
    }

    /// Every row converted into `T` (a struct with `From` of the output tuple).
    pub async fn fetch_all_into<I, T: From<Sel::Output>>(&self, db: &Db) -> Result<Vec<T>>
    where
        Sel: OutputIn<S, I>,
    {
        Ok(self.fetch_all(db).await?.into_iter().map(T::from).collect())
    }

    /// Every row decoded by position as `T`: a `#[derive(strata::FromRow)]`
    /// struct (which also checks that each column is named as its field) or
    /// a model. The select list's types are not checked against `T`'s.
    pub async fn fetch_all_as<T: FromRow + Send + Unpin + 'static>(
        &self,
        db: &Db,
    ) -> Result<Vec<T>> {
        fetch_as(self, db, Rows::All).await
    }
}

impl<O: FromRow + Send + Unpin + 'static> Compound<O> {
    /// Every combined row.
    pub async fn fetch_all(&self, db: &Db) -> Result<Vec<O>> {
        fetch(self, db, Rows::All).await
    }

    /// The first row; [`Error::NotFound`] naming `select` when there is none.
    pub async fn fetch_one(&self, db: &Db) -> Result<O> {
        self.fetch_optional(db)
            .await?
            .ok_or(Error::NotFound { model: LABEL })
    }

    /// The first row, if any.
    pub async fn fetch_optional(&self, db: &Db) -> Result<Option<O>> {
        Ok(fetch(self, db, Rows::First).await?.into_iter().next())
    }

    /// Every row converted into `T`.
    pub async fn fetch_all_into<T: From<O>>(&self, db: &Db) -> Result<Vec<T>> {
        Ok(self.fetch_all(db).await?.into_iter().map(T::from).collect())
    }
}

impl<Sel, S> ToSql for SelectQuery<Sel, S> {
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
        render_builder(self.statement(), dialect)
    }
}

impl<O> ToSql for Compound<O> {
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
        render_builder(self.statement(), dialect)
    }
}
