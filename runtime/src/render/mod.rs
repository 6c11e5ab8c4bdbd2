//! SQL rendering. The one seam between dialects is [`Dialect`]: how identifiers are
//! quoted, how placeholders are written, and a few capability differences handled
//! in `statement.rs` and `ddl.rs`.

mod aggregate;
mod ddl;
mod json_load;
mod load;
pub(crate) mod raw;
mod row_lock;
pub(crate) mod select;
mod shape;
mod statement;

pub use ddl::{create_schema, drop_schema};
pub use load::render_load;
pub(crate) use shape::{remember, remembered, render_shape, Kind as ShapeKind, Shape};

use crate::query::ast::{InvalidExpr, Statement};
use crate::schema::ColumnSchema;
use crate::value::Value;
use std::sync::Arc;

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

/// A [`Rendered`] statement whose text is shared rather than owned: a point
/// statement's text remembered per shape (`shape.rs`), handed to the driver
/// and read by the hooks after it without a copy.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shared {
    pub(crate) sql: Arc<String>,
    pub(crate) binds: Vec<Value>,
}

impl From<Rendered> for Shared {
    /// Moves the text behind an `Arc`: no copy of it.
    fn from(rendered: Rendered) -> Self {
        Shared {
            sql: Arc::new(rendered.sql),
            binds: rendered.binds,
        }
    }
}

/// Renders one statement for `dialect`.
pub fn render(statement: &Statement, dialect: Dialect) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    statement::write_statement(&mut w, statement);
    w.finish()
}

/// [`render_checked`], the text remembered per key ([`SqlWriter::key`]):
/// for a statement run as built (no interceptor may change it). A
/// many-row INSERT is rendered every time: its key would be as long as its
/// text, and its row count rarely repeats.
pub(crate) fn render_remembered(statement: &Statement, dialect: Dialect) -> crate::Result<Shared> {
    if matches!(statement, Statement::Insert(insert) if insert.rows.len() > 1) {
        return render_checked(statement, dialect).map(Shared::from);
    }
    let w = shape::key_writer(dialect, |w| statement::write_statement(w, statement));
    shape::remembered_text(w, || render_checked(statement, dialect))
}

/// Renders `statement` for execution: like [`render`], but a statement holding
/// an [`Expr::Invalid`](crate::query::ast::Expr::Invalid) (a relation that did
/// not resolve) is its error instead of SQL.
pub(crate) fn render_checked(statement: &Statement, dialect: Dialect) -> crate::Result<Rendered> {
    let mut w = SqlWriter::new(dialect);
    statement::write_statement(&mut w, statement);
    match w.invalid.take() {
        Some(invalid) => Err(invalid.into()),
        None => Ok(w.finish()),
    }
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
    /// UTF-8: only `&str`s and ASCII are ever written to it.
    sql: Vec<u8>,
    binds: Vec<Value>,
    /// The queries being written, outermost first; see [`Scope`].
    scopes: Vec<Scope>,
    /// The first `Expr::Invalid` written, reported by `render_checked`.
    pub(crate) invalid: Option<InvalidExpr>,
    /// Writing a statement's key rather than its text (see [`SqlWriter::key`]).
    keyed: bool,
    /// Whether a model table with a soft-delete or tenant column was
    /// written: the builder's row filters may have to rewrite the query.
    pub(crate) reads_filtered_table: bool,
}

/// Delimits an identifier in a key; never a byte of UTF-8 text.
const KEY_IDENT: u8 = 0xFF;
/// A placeholder in a key; never a byte of UTF-8 text.
const KEY_PLACEHOLDER: u8 = 0xFE;
/// An identifier in a key given by where its `&'static str` lives: the
/// address and the length follow, 8 bytes each. Never a byte of UTF-8 text.
const KEY_STATIC_IDENT: u8 = 0xFD;

/// A query being written, naming the table its columns are read from. A
/// top-level statement's scope is its table, unaliased, and its columns are
/// written unqualified. A subquery's table is aliased `"t1"`, `"t2"`.. by
/// depth and its columns are qualified with the alias, so a subquery may read
/// the same table as the query around it (self-relations) and a user's filter
/// can never name an outer column by accident; `Expr::Outer` reaches the
/// enclosing scope's row by its name.
struct Scope {
    name: std::borrow::Cow<'static, str>,
    aliased: bool,
}

impl SqlWriter {
    pub(crate) fn new(dialect: Dialect) -> Self {
        SqlWriter {
            // A model's SELECT or INSERT .. RETURNING lists every column:
            // room for a dozen of them without growing.
            sql: Vec::with_capacity(512),
            ..SqlWriter::new_empty(dialect)
        }
    }

    /// A writer of a statement's key instead of its text, into `buf`
    /// (cleared): the text with each identifier written bare between two
    /// [`KEY_IDENT`] bytes and each placeholder as [`KEY_PLACEHOLDER`]. The
    /// text can be rebuilt from the key, so two statements with one key have
    /// one text; the binds are collected as for the text. Cheaper than the
    /// text: nothing is scanned for quotes, nothing is numbered, and the
    /// bytes are never checked as UTF-8.
    pub(crate) fn key(dialect: Dialect, mut buf: Vec<u8>) -> Self {
        buf.clear();
        buf.push(dialect as u8);
        SqlWriter {
            sql: buf,
            keyed: true,
            ..SqlWriter::new_empty(dialect)
        }
    }

    fn new_empty(dialect: Dialect) -> Self {
        SqlWriter {
            dialect,
            sql: Vec::new(),
            binds: Vec::new(),
            scopes: Vec::new(),
            invalid: None,
            keyed: false,
            reads_filtered_table: false,
        }
    }

    /// A key writer's key and binds.
    pub(crate) fn finish_key(self) -> (Vec<u8>, Vec<Value>) {
        debug_assert!(self.keyed);
        (self.sql, self.binds)
    }

    /// Starts a top-level query on `table`: its columns stay unqualified.
    pub(crate) fn enter_table(&mut self, table: &'static str) {
        self.scopes.push(Scope {
            name: table.into(),
            aliased: false,
        });
    }

    /// Starts a subquery; returns the alias its table must be given. Aliases
    /// count subquery depth (`t1` directly inside a statement, `t2` inside
    /// that..); one that equals a top-level table's name gets a `_` suffix.
    pub(crate) fn enter_subquery(&mut self) -> std::borrow::Cow<'static, str> {
        let depth = self.scopes.iter().filter(|s| s.aliased).count() + 1;
        let mut alias = format!("t{depth}");
        while self.scopes.iter().any(|s| !s.aliased && s.name == alias) {
            alias.push('_');
        }
        let name: std::borrow::Cow<'static, str> = alias.into();
        self.scopes.push(Scope {
            name: name.clone(),
            aliased: true,
        });
        name
    }

    /// Qualifies columns by `alias` until `leave_scope`: a second table
    /// read in the current subquery under a name of its own (a
    /// many-to-many include's join table, for a condition on its rows).
    pub(crate) fn enter_alias(&mut self, alias: String) {
        self.scopes.push(Scope {
            name: alias.into(),
            aliased: true,
        });
    }

    /// Ends the scope begun by the matching `enter_*`.
    pub(crate) fn leave_scope(&mut self) {
        self.scopes.pop();
    }

    /// A column of the current query: qualified by the alias inside a
    /// subquery, bare in a top-level statement.
    pub(crate) fn push_column(&mut self, column: &ColumnSchema) {
        if let Some(scope) = self.scopes.last().filter(|s| s.aliased) {
            write_ident(&mut self.sql, self.keyed, self.dialect, &scope.name);
            self.push(".");
        }
        self.push_static_ident(column.name);
    }

    /// A column of the enclosing query's row, qualified by that query's name:
    /// its alias, or `table` when it is a statement written without a scope
    /// (or a top-level statement, whose scope name is its table).
    pub(crate) fn push_outer_column(&mut self, table: &'static str, column: &ColumnSchema) {
        match self.scopes.len() {
            0 | 1 => self.push_static_ident(table),
            n => write_ident(
                &mut self.sql,
                self.keyed,
                self.dialect,
                &self.scopes[n - 2].name,
            ),
        }
        self.push(".");
        self.push_static_ident(column.name);
    }

    /// Notes an expression that could not be built; `render_checked` reports it.
    pub(crate) fn note_invalid(&mut self, invalid: &InvalidExpr) {
        if self.invalid.is_none() {
            self.invalid = Some(invalid.clone());
        }
    }

    pub(crate) fn push(&mut self, sql: &str) {
        self.sql.extend_from_slice(sql.as_bytes());
    }

    /// [`push_ident`](SqlWriter::push_ident) of a name that lives as long
    /// as the program (a schema's table and column names): in a key it is
    /// written as its address and length, not its bytes. A `'static` str
    /// is never freed or changed, so one address and length is one name;
    /// writing 17 fixed bytes skips copying the name (most of a key's cost).
    pub(crate) fn push_static_ident(&mut self, name: &'static str) {
        if self.keyed {
            let mut entry = [KEY_STATIC_IDENT; 17];
            entry[1..9].copy_from_slice(&(name.as_ptr() as u64).to_ne_bytes());
            entry[9..].copy_from_slice(&(name.len() as u64).to_ne_bytes());
            self.sql.extend_from_slice(&entry);
            return;
        }
        self.push_ident(name)
    }

    pub(crate) fn push_ident(&mut self, name: &str) {
        write_ident(&mut self.sql, self.keyed, self.dialect, name);
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
            self.push_static_ident(schema.db_name);
            self.push(")");
        } else {
            self.push_placeholder();
        }
    }

    /// Binds a [`Value::List`] as one PostgreSQL array parameter, cast to the
    /// enum's array type when its elements are enum labels.
    pub(crate) fn push_array_bind(&mut self, list: Value) {
        let enum_type = list.enum_schema();
        self.binds.push(list);
        if let Some(schema) = enum_type {
            self.push("CAST(");
            self.push_placeholder();
            self.push(" AS ");
            self.push_static_ident(schema.db_name);
            self.push("[])");
        } else {
            self.push_placeholder();
        }
    }

    fn push_placeholder(&mut self) {
        if self.keyed {
            self.sql.push(KEY_PLACEHOLDER);
            return;
        }
        match self.dialect {
            Dialect::Postgres => {
                self.sql.push(b'$');
                push_decimal(&mut self.sql, self.binds.len());
            }
            Dialect::Sqlite | Dialect::MySql => self.sql.push(b'?'),
        }
    }

    /// Room for `sql` more bytes of text and `binds` more values: for
    /// statements whose size is known up front (a many-row INSERT).
    pub(crate) fn reserve(&mut self, sql: usize, binds: usize) {
        self.sql.reserve(sql);
        self.binds.reserve(binds);
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
        debug_assert!(!self.keyed, "a key is not SQL");
        Rendered {
            sql: String::from_utf8(self.sql).expect("SQL is built from &str and ASCII"),
            binds: self.binds,
        }
    }
}

/// Writes `name` quoted for `dialect` (its quote character doubled), or bare
/// between two [`KEY_IDENT`] bytes in a key. A function of the writer's
/// fields rather than a method, so a name borrowed from the writer's own
/// scopes is written without a copy.
fn write_ident(sql: &mut Vec<u8>, keyed: bool, dialect: Dialect, name: &str) {
    if keyed {
        sql.push(KEY_IDENT);
        sql.extend_from_slice(name.as_bytes());
        sql.push(KEY_IDENT);
        return;
    }
    let quote = match dialect {
        Dialect::MySql => b'`',
        Dialect::Postgres | Dialect::Sqlite => b'"',
    };
    // The quote is ASCII, and UTF-8 never reuses an ASCII byte inside a
    // multi-byte character: doubling it byte by byte keeps the text valid.
    if name.bytes().any(|b| b == quote) {
        sql.push(quote);
        for b in name.bytes() {
            if b == quote {
                sql.push(quote);
            }
            sql.push(b);
        }
        sql.push(quote);
    } else {
        // The usual case: nothing to double, copy the name whole.
        sql.reserve(name.len() + 2);
        sql.push(quote);
        sql.extend_from_slice(name.as_bytes());
        sql.push(quote);
    }
}

/// Writes `n` in decimal: placeholder numbers, without `core::fmt` (a
/// 1,000-row INSERT writes thousands of them).
fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key of what `write` writes, for `dialect`.
    fn key(dialect: Dialect, write: impl FnOnce(&mut SqlWriter)) -> Vec<u8> {
        let mut w = SqlWriter::key(dialect, Vec::new());
        write(&mut w);
        w.finish_key().0
    }

    #[test]
    fn texts_that_differ_have_keys_that_differ() {
        let pg = Dialect::Postgres;
        // `"a.b"` is not `"a"."b"`, and a quote in a name is not the end of it.
        let dotted = key(pg, |w| w.push_ident("a.b"));
        let qualified = key(pg, |w| {
            w.push_ident("a");
            w.push(".");
            w.push_ident("b");
        });
        assert_ne!(dotted, qualified);
        assert_ne!(
            key(pg, |w| w.push_ident("a\"b")),
            key(pg, |w| {
                w.push_ident("a");
                w.push_ident("b");
            })
        );
        // A placeholder is not the text of one.
        let bound = key(Dialect::Sqlite, |w| w.push_bind(Value::I64(1)));
        assert_ne!(bound, key(Dialect::Sqlite, |w| w.push("?")));
        // Nor is one dialect's text another's.
        let select = |w: &mut SqlWriter| w.push("SELECT 1");
        assert_ne!(key(pg, select), key(Dialect::MySql, select));
    }

    #[test]
    fn a_static_name_is_keyed_by_where_it_lives() {
        let pg = Dialect::Postgres;
        static USERS: &str = "users";
        static USERS_PREFIX: &str = "users_archive";
        let users = key(pg, |w| w.push_static_ident(USERS));
        // The same name again is the same key.
        assert_eq!(users, key(pg, |w| w.push_static_ident(USERS)));
        // A name that starts at the same address but is shorter is not.
        let prefix: &'static str = &USERS_PREFIX[..5];
        assert_eq!(prefix, "users");
        assert_ne!(
            key(pg, |w| w.push_static_ident(USERS_PREFIX)),
            key(pg, |w| w.push_static_ident(prefix))
        );
        // Nor is a static name followed by text the same as two names.
        assert_ne!(
            key(pg, |w| {
                w.push_static_ident(USERS);
                w.push("x");
            }),
            key(pg, |w| {
                w.push_static_ident(USERS);
                w.push_ident("x");
            })
        );
        // And the text is the one `push_ident` writes.
        let mut text = SqlWriter::new(pg);
        text.push_static_ident(USERS);
        assert_eq!(text.finish().sql, r#""users""#);
    }

    #[test]
    fn one_key_has_one_text_whatever_the_values() {
        let write = |value: Value| {
            move |w: &mut SqlWriter| {
                w.push("SELECT ");
                w.push_ident("t");
                w.push(" WHERE x = ");
                w.push_bind(value);
            }
        };
        let (one, two) = (Value::I64(1), Value::Text("'; --".into()));
        assert_eq!(
            key(Dialect::Postgres, write(one.clone())),
            key(Dialect::Postgres, write(two.clone()))
        );
        let mut w = SqlWriter::key(Dialect::Postgres, Vec::new());
        write(two.clone())(&mut w);
        assert_eq!(w.finish_key().1, [two]);
    }
}
