//! Running a select or a compound: rows decoded by position into the
//! query's output type, through `Db::fetch_unscoped` (errors name `select`).

use super::ast::QueryAst;
use super::build::SelectQuery;
use super::compound::{Compound, Query};
use super::output::OutputIn;
use crate::error::{Error, Result};
use crate::execute::Rows;
use crate::raw::decode_whole;
use crate::render::{select::render_query, Dialect, Rendered};
use crate::schema::FromRow;
use crate::{Db, ToSql};

/// What errors of a builder query name instead of a model.
const LABEL: &str = "select";

async fn fetch<T: FromRow + Send + Unpin + 'static>(
    ast: &QueryAst,
    db: &Db,
    rows: Rows,
) -> Result<Vec<T>> {
    let rendered = render_query(ast, db.dialect())?;
    db.fetch_unscoped(LABEL, rendered, decode_whole::<T>, rows)
        .await
}

macro_rules! fetch_methods {
    ($output:ty, $ast:expr) => {
        /// Every row.
        pub async fn fetch_all(&self, db: &Db) -> Result<Vec<$output>> {
            fetch(&$ast(self), db, Rows::All).await
        }

        /// The first row; [`Error::NotFound`] naming `select` when there is none.
        pub async fn fetch_one(&self, db: &Db) -> Result<$output> {
            self.fetch_optional(db)
                .await?
                .ok_or(Error::NotFound { model: LABEL })
        }

        /// The first row, if any. Add `.limit(1)` when many rows could match:
        /// the query is sent as built.
        pub async fn fetch_optional(&self, db: &Db) -> Result<Option<$output>> {
            Ok(fetch(&$ast(self), db, Rows::First)
                .await?
                .into_iter()
                .next())
        }

        /// Every row converted into `T` (a struct with `From<(..)>` of the
        /// output tuple).
        pub async fn fetch_all_into<T: From<$output>>(&self, db: &Db) -> Result<Vec<T>> {
            Ok(self.fetch_all(db).await?.into_iter().map(T::from).collect())
        }

        /// Every row decoded by position as `T`: a `#[derive(strata::FromRow)]`
        /// struct (which also checks each column's name against its field:
        /// select columns whose names are the fields') or a model.
        pub async fn fetch_all_as<T: FromRow + Send + Unpin + 'static>(
            &self,
            db: &Db,
        ) -> Result<Vec<T>> {
            fetch(&$ast(self), db, Rows::All).await
        }
    };
}

impl<Sel, S> SelectQuery<Sel, S> {
    fn query_ast(&self) -> QueryAst {
        QueryAst::Select(Box::new(self.ast.clone()))
    }
}

impl<Sel, S> SelectQuery<Sel, S> {
    /// Runs the query; rows are `Sel`'s output type (`I` is inferred).
    pub async fn fetch_all<I>(&self, db: &Db) -> Result<Vec<Sel::Output>>
    where
        Sel: OutputIn<S, I>,
    {
        fetch(&self.query_ast(), db, Rows::All).await
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
        Ok(fetch(&self.query_ast(), db, Rows::First)
            .await?
            .into_iter()
            .next())
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
        fetch(&self.query_ast(), db, Rows::All).await
    }
}

impl<O: FromRow + Send + Unpin + 'static> Compound<O> {
    fn query_ast(&self) -> QueryAst {
        self.clone().into_query_ast()
    }
    fetch_methods!(O, Self::query_ast);
}

impl<Sel, S> ToSql for SelectQuery<Sel, S> {
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
        render_query(&self.query_ast(), dialect)
    }
}

impl<O: FromRow + Send + Unpin + 'static> ToSql for Compound<O> {
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
        render_query(&self.query_ast(), dialect)
    }
}
