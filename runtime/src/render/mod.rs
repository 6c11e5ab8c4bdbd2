//! SQL rendering. The one seam between dialects is [`Dialect`]: how identifiers are
//! quoted, how placeholders are written, and a few capability differences handled
//! in `statement.rs` and `ddl.rs`.

mod ddl;
mod statement;

pub use ddl::{create_schema, drop_schema};

use crate::query::ast::Statement;
use crate::value::Value;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Postgres,
    Sqlite,
    MySql,
}

impl Dialect {
    /// The most bind parameters one statement may carry.
    pub fn max_binds(self) -> usize {
        match self {
            Dialect::Postgres | Dialect::MySql => 65_535,
            Dialect::Sqlite => 32_766,
        }
    }

    /// Whether INSERT/UPDATE/DELETE can return rows. MySQL cannot, so strata reads
    /// the row back by key instead.
    pub fn supports_returning(self) -> bool {
        !matches!(self, Dialect::MySql)
    }
}

/// Rendered SQL and the values bound to its placeholders, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub sql: String,
    pub binds: Vec<Value>,
}

/// Renders one statement for `dialect`.
pub fn render(statement: &Statement, dialect: Dialect) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    statement::write_statement(&mut w, statement);
    w.finish()
}

/// Renders a statement the caller no longer needs, moving an INSERT's values
/// into the binds rather than cloning them (the hot path of `create_many`).
pub fn render_owned(statement: Statement, dialect: Dialect) -> Rendered {
    match statement {
        Statement::Insert(mut insert) => {
            let mut w = SqlWriter::new(dialect);
            let rows = std::mem::take(&mut insert.rows);
            statement::write_insert(&mut w, &insert, rows);
            w.finish()
        }
        other => render(&other, dialect),
    }
}

/// Accumulates SQL text and binds. Every identifier goes through [`push_ident`]
/// and every value through [`push_bind`]; nothing else writes user data.
///
/// [`push_ident`]: SqlWriter::push_ident
/// [`push_bind`]: SqlWriter::push_bind
pub(crate) struct SqlWriter {
    pub(crate) dialect: Dialect,
    sql: String,
    binds: Vec<Value>,
}

impl SqlWriter {
    pub(crate) fn new(dialect: Dialect) -> Self {
        SqlWriter {
            dialect,
            sql: String::with_capacity(128),
            binds: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    pub(crate) fn push_ident(&mut self, name: &str) {
        let quote = match self.dialect {
            Dialect::MySql => '`',
            Dialect::Postgres | Dialect::Sqlite => '"',
        };
        self.sql.push(quote);
        if name.contains(quote) {
            for ch in name.chars() {
                if ch == quote {
                    self.sql.push(quote);
                }
                self.sql.push(ch);
            }
        } else {
            // The usual case: nothing to double, copy the name whole.
            self.sql.push_str(name);
        }
        self.sql.push(quote);
    }

    pub(crate) fn push_bind(&mut self, value: Value) {
        let pg_enum_cast = match self.dialect {
            // PostgreSQL will not assign a text parameter to an enum column.
            Dialect::Postgres => value.enum_schema(),
            _ => None,
        };
        self.binds.push(value);
        if let Some(schema) = pg_enum_cast {
            self.push("CAST(");
            self.push_placeholder();
            self.push(" AS ");
            self.push_ident(schema.db_name);
            self.push(")");
        } else {
            self.push_placeholder();
        }
    }

    fn push_placeholder(&mut self) {
        match self.dialect {
            Dialect::Postgres => {
                let _ = write!(self.sql, "${}", self.binds.len());
            }
            Dialect::Sqlite | Dialect::MySql => self.sql.push('?'),
        }
    }

    /// Writes `items` separated by `sep`, each with `each`.
    pub(crate) fn push_list<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        sep: &str,
        mut each: impl FnMut(&mut Self, T),
    ) {
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.push(sep);
            }
            each(self, item);
        }
    }

    pub(crate) fn finish(self) -> Rendered {
        Rendered {
            sql: self.sql,
            binds: self.binds,
        }
    }
}
