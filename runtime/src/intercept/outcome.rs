//! What `sql` and `after` hooks see: the statement sent, and how it went.

use super::Action;
use crate::error::Error;
use crate::schema::ModelSchema;
use crate::value::Value;
use std::time::Duration;

/// One rendered statement, about to be sent ([`Interceptor::sql`]) or
/// sent ([`Outcome::query`]).
///
/// [`Interceptor::sql`]: super::Interceptor::sql
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    pub(crate) model: Option<&'static ModelSchema>,
    pub(crate) action: Action,
    pub(crate) sql: &'a str,
    pub(crate) values: &'a [Value],
}

impl<'a> Query<'a> {
    pub fn model(&self) -> Option<&'static ModelSchema> {
        self.model
    }

    pub fn action(&self) -> Action {
        self.action
    }

    /// The SQL text: values are placeholders, never part of it.
    pub fn sql(&self) -> &'a str {
        self.sql
    }

    /// The values bound to the placeholders, in order. Empty for a
    /// `create_many` batch, whose rows go to the driver without being
    /// gathered into one list.
    pub fn values(&self) -> &'a [Value] {
        self.values
    }
}

/// What one statement returned, for [`Interceptor::after`](super::Interceptor::after).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// A read (or a write with RETURNING): how many rows came back.
    Returned(u64),
    /// A write: how many rows it changed.
    Affected(u64),
}

/// How an operation ended: once per statement sent, or once without a
/// statement when a `before` hook failed or skipped it.
#[derive(Debug)]
pub struct Outcome<'a> {
    pub(crate) model: Option<&'static ModelSchema>,
    pub(crate) action: Action,
    pub(crate) query: Option<Query<'a>>,
    pub(crate) result: Result<Rows, &'a Error>,
    pub(crate) duration: Duration,
    pub(crate) pool_wait: Duration,
    pub(crate) skipped: bool,
}

impl<'a> Outcome<'a> {
    pub fn model(&self) -> Option<&'static ModelSchema> {
        self.model
    }

    pub fn action(&self) -> Action {
        self.action
    }

    /// The statement sent; `None` when nothing was (a `before` hook failed
    /// or skipped the operation, or rendering failed).
    pub fn query(&self) -> Option<&Query<'a>> {
        self.query.as_ref()
    }

    /// The SQL text sent, if any.
    pub fn sql(&self) -> Option<&'a str> {
        self.query.map(|q| q.sql)
    }

    /// Rows returned or affected, or the error the operation fails with
    /// (already classified: a unique violation is
    /// [`Error::UniqueViolation`], and so on).
    pub fn result(&self) -> Result<Rows, &'a Error> {
        self.result
    }

    pub fn error(&self) -> Option<&'a Error> {
        self.result.err()
    }

    /// From sending the statement to its last row (pool wait included).
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// How long the statement waited for a connection.
    pub fn pool_wait(&self) -> Duration {
        self.pool_wait
    }

    /// A `before` hook answered the operation without the database.
    pub fn skipped(&self) -> bool {
        self.skipped
    }
}
