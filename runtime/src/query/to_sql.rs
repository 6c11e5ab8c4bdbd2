//! The one trait every runnable query implements: the ORM's read and write
//! builders, the select builder and `sql!` fragments. What takes "any query"
//! (`explain`, logging a statement before it runs) takes a `ToSql`.

use crate::error::Result;
use crate::render::{Dialect, Rendered};

/// A query strata can render for one database: its SQL text and binds,
/// exactly as `exec` would send them.
pub trait ToSql {
    /// The statement for `dialect`; an error where the query cannot be built
    /// (e.g. a relation that does not resolve, a feature the database lacks).
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered>;
}
