//! Raw SQL that stays typed and safe: the fragment type [`Sql`] that the
//! `sql!` macro builds, its composition (Prisma's `sql`, `join`, `empty`), and
//! its execution.
//!
//! A fragment is a list of parts, never a string: literal text, a model's
//! quoted table, a model's quoted column, a bound value, an `IN` list, or a
//! nested fragment. Only the renderer (`render/raw.rs`) turns the parts into
//! SQL, through `SqlWriter`, so identifiers are quoted for the dialect and
//! every value is a placeholder numbered in the whole statement (a fragment
//! embedded in the select builder continues its numbering).
//!
//! ```ignore
//! let since = Utc::now() - Duration::days(7);
//! let rows: Vec<(i32, String)> = strata::sql!(
//!     "SELECT {User::id}, {User::email} FROM {User} WHERE {User::created_at} > {since}"
//! )
//! .fetch_all(&db)
//! .await?;
//! ```

mod arg;
mod exec;

pub use arg::SqlArg;
#[doc(hidden)]
pub use exec::check_column_name;
pub(crate) use exec::decode_whole;

use crate::schema::{ColumnSchema, FieldType, Model, SqlType};
use crate::value::Value;
use crate::Column;

/// A piece of SQL: literal text from the program, quoted identifiers taken from
/// model schemas, and bound values. Build one with `strata::sql!`, or with the
/// constructors here; compose with [`Sql::join`], [`Sql::empty`], [`Sql::push`]
/// and `Option<Sql>` (an optional fragment renders as nothing when `None`).
///
/// Run it with [`fetch_all`](Sql::fetch_all), [`fetch_one`](Sql::fetch_one),
/// [`fetch_optional`](Sql::fetch_optional), [`fetch_scalar`](Sql::fetch_scalar)
/// or [`execute`](Sql::execute); render it with [`ToSql`](crate::ToSql).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sql {
    pub(crate) parts: Vec<Part>,
}

/// One part of a fragment; see [`Sql`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    /// Text written as is: only ever a `&'static str`, see [`Sql::text`].
    Text(&'static str),
    /// A model's table, quoted.
    Table(&'static str),
    /// A model's column, quoted; `"table"."column"` when `table` is set.
    Column {
        table: Option<&'static str>,
        column: &'static ColumnSchema,
    },
    /// One placeholder.
    Bind(Value),
    /// `lhs [NOT] IN (..)`: one bind per value, or `= ANY($1)` on PostgreSQL.
    InList {
        lhs: Sql,
        ty: SqlType,
        values: Vec<Value>,
        negated: bool,
    },
    /// A fragment embedded whole.
    Fragment(Sql),
}

impl Sql {
    /// The fragment that renders as nothing (Prisma's `Prisma.empty`): for a
    /// condition or clause that is not always there.
    pub fn empty() -> Sql {
        Sql::default()
    }

    /// Literal SQL text. It takes a `&'static str` on purpose: text written
    /// into the statement must be part of the program (a string literal, as
    /// `sql!`'s template is), never a value built at run time from user input,
    /// which would be SQL injection. Values go through [`Sql::bind`] or a
    /// `{expr}` in `sql!`. (`Box::leak` can make any string `'static`; don't.)
    pub fn text(text: &'static str) -> Sql {
        Sql {
            parts: vec![Part::Text(text)],
        }
    }

    /// One bound value: a placeholder in the text, the value sent apart.
    pub fn bind(value: impl SqlArg) -> Sql {
        let mut sql = Sql::empty();
        value.push_arg(&mut sql);
        sql
    }

    /// A model's table, quoted: what `{User}` in `sql!` renders.
    pub fn table<M: Model>() -> Sql {
        Sql {
            parts: vec![Part::Table(M::SCHEMA.table)],
        }
    }

    /// A model's column qualified by its table (`"users"."email"`): what
    /// `{User::email}` in `sql!` renders.
    pub fn column<M: Model, T: FieldType>(column: Column<M, T>) -> Sql {
        Sql {
            parts: vec![Part::Column {
                table: Some(M::SCHEMA.table),
                column: column.schema(),
            }],
        }
    }

    /// A model's column alone (`"email"`): what `{User::email:bare}` renders,
    /// for a SET or INSERT column list, or after a table alias (`u.{User::email:bare}`).
    pub fn bare_column<M: Model, T: FieldType>(column: Column<M, T>) -> Sql {
        Sql {
            parts: vec![Part::Column {
                table: None,
                column: column.schema(),
            }],
        }
    }

    /// `lhs IN (v1, v2, ..)`, one bind per value, on SQLite and MySQL; on
    /// PostgreSQL `lhs = ANY($1)` with the values as one array bind, so the
    /// statement text does not depend on the list's length. An empty list
    /// matches no row (and its `NOT` every row), as SQL's `IN` of an empty set.
    pub fn in_list<T: FieldType>(lhs: impl Into<Sql>, values: impl IntoIterator<Item = T>) -> Sql {
        Sql::membership(lhs.into(), values, false)
    }

    /// `lhs NOT IN (..)` (`<> ALL($1)` on PostgreSQL). With an empty list it
    /// matches every row, a NULL `lhs` included; otherwise, like SQL's `NOT
    /// IN`, a NULL `lhs` (or a NULL in the list) matches no row.
    pub fn not_in_list<T: FieldType>(
        lhs: impl Into<Sql>,
        values: impl IntoIterator<Item = T>,
    ) -> Sql {
        Sql::membership(lhs.into(), values, true)
    }

    fn membership<T: FieldType>(
        lhs: Sql,
        values: impl IntoIterator<Item = T>,
        negated: bool,
    ) -> Sql {
        Sql {
            parts: vec![Part::InList {
                lhs,
                ty: T::SQL_TYPE,
                values: values.into_iter().map(T::into_value).collect(),
                negated,
            }],
        }
    }

    /// The fragments one after another with `separator` between them
    /// (Prisma's `Prisma.join`): a column list, `AND`ed conditions, VALUES
    /// rows. No fragments join to [`Sql::empty`].
    pub fn join(fragments: impl IntoIterator<Item = Sql>, separator: &'static str) -> Sql {
        let mut joined = Sql::empty();
        for (i, fragment) in fragments.into_iter().enumerate() {
            if i > 0 {
                joined.parts.push(Part::Text(separator));
            }
            joined.parts.push(Part::Fragment(fragment));
        }
        joined
    }

    /// Appends `other`: a fragment, an `Option<Sql>`, or a value to bind.
    pub fn push(&mut self, other: impl SqlArg) -> &mut Self {
        other.push_arg(self);
        self
    }

    /// Appends a fragment without copying it.
    pub fn push_sql(&mut self, other: Sql) -> &mut Self {
        self.parts.extend(other.parts);
        self
    }

    /// Appends literal text (a `&'static str`, see [`Sql::text`]).
    pub fn push_text(&mut self, text: &'static str) -> &mut Self {
        self.parts.push(Part::Text(text));
        self
    }

    /// [`Sql::push`] by value, for chaining.
    pub fn append(mut self, other: impl SqlArg) -> Sql {
        other.push_arg(&mut self);
        self
    }

    /// Whether the fragment renders as nothing at all.
    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(|part| match part {
            Part::Text(text) => text.is_empty(),
            Part::Fragment(inner) => inner.is_empty(),
            _ => false,
        })
    }
}

impl<M: Model, T: FieldType> From<Column<M, T>> for Sql {
    fn from(column: Column<M, T>) -> Sql {
        Sql::column(column)
    }
}
