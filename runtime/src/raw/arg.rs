//! What a `{expr}` in `sql!` may be: a value to bind, or a fragment to embed.

use super::{Part, Sql};
use crate::schema::FieldType;
use crate::value::Value;

/// A value `sql!` can take in a `{expr}`: any model field type (`i64`,
/// `String`, `DateTime<Utc>`, `Option<T>`, a derived enum..) and `&str` are
/// bound as one parameter; an [`Sql`] fragment is embedded (its own values
/// stay bound); an `Option<Sql>` is embedded when `Some` and renders as
/// nothing when `None`. Text is never spliced.
///
/// `sql!` reads each `{expr}` by reference, as `format!` does: the value is
/// not moved, so it can be used again after the macro.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used in `sql!`",
    label = "not a bindable value or an `Sql` fragment",
    note = "bind a model field type (i64, String, &str, DateTime<Utc>, Uuid, Option<T>, ..), embed an `Sql` or `Option<Sql>`, or use `Sql::in_list` for a list"
)]
pub trait SqlArg {
    /// Appends this value's part to `sql`.
    fn push_arg(&self, sql: &mut Sql);
}

impl<T: FieldType> SqlArg for T {
    fn push_arg(&self, sql: &mut Sql) {
        sql.parts.push(Part::Bind(self.to_value()));
    }
}

impl SqlArg for str {
    fn push_arg(&self, sql: &mut Sql) {
        sql.parts.push(Part::Bind(Value::Text(self.to_owned())));
    }
}

impl SqlArg for &str {
    fn push_arg(&self, sql: &mut Sql) {
        str::push_arg(self, sql);
    }
}

impl SqlArg for &String {
    fn push_arg(&self, sql: &mut Sql) {
        str::push_arg(self, sql);
    }
}

/// A text that may be absent: bound as text or as a NULL.
impl SqlArg for Option<&str> {
    fn push_arg(&self, sql: &mut Sql) {
        match self {
            Some(text) => text.push_arg(sql),
            None => sql
                .parts
                .push(Part::Bind(Value::Null(crate::schema::SqlType::Text))),
        }
    }
}

impl SqlArg for Sql {
    fn push_arg(&self, sql: &mut Sql) {
        sql.parts.push(Part::Fragment(self.clone()));
    }
}

impl SqlArg for &Sql {
    fn push_arg(&self, sql: &mut Sql) {
        Sql::push_arg(self, sql);
    }
}

impl SqlArg for Option<Sql> {
    fn push_arg(&self, sql: &mut Sql) {
        if let Some(fragment) = self {
            fragment.push_arg(sql);
        }
    }
}
