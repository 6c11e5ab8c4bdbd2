//! Rendering `sql!` fragments ([`Sql`]): the program's literal text as is,
//! identifiers through `push_ident`, values through `push_bind`, so a fragment
//! embedded in a larger statement numbers its placeholders after those
//! written before it.

use super::{Dialect, Rendered, SqlWriter};
use crate::raw::{Part, Sql};
use crate::value::Value;

/// Renders `sql` alone as one statement for `dialect`.
pub(crate) fn render_raw(sql: &Sql, dialect: Dialect) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    write_raw(&mut w, sql);
    w.finish()
}

/// Writes `sql` where the writer is: its text unwrapped (an ORDER BY item
/// may be `"x" DESC`). As an expression ([`Expr::Raw`](crate::query::ast::Expr::Raw))
/// it is parenthesised by the caller.
pub(crate) fn write_raw(w: &mut SqlWriter, sql: &Sql) {
    for part in &sql.parts {
        match part {
            Part::Text(text) => w.push(text),
            Part::Table(table) => w.push_ident(table),
            Part::Column { table, column } => {
                if let Some(table) = table {
                    w.push_ident(table);
                    w.push(".");
                }
                w.push_ident(column.name);
            }
            Part::Bind(value) => w.push_bind(value.clone()),
            Part::InList {
                lhs,
                ty,
                values,
                negated,
            } => write_in_list(w, lhs, *ty, values, *negated),
            Part::Fragment(inner) => write_raw(w, inner),
        }
    }
}

/// `lhs = ANY($1)` / `lhs <> ALL($1)` on PostgreSQL (one array bind, the
/// same text for any length); `lhs [NOT] IN (?, ..)` elsewhere. An empty
/// list means the empty set, whatever `lhs` is (NULL included): SQLite takes
/// `IN ()` as that, MySQL needs an empty subquery.
fn write_in_list(
    w: &mut SqlWriter,
    lhs: &Sql,
    ty: crate::schema::SqlType,
    values: &[Value],
    negated: bool,
) {
    write_raw(w, lhs);
    match w.dialect {
        Dialect::Postgres => {
            w.push(if negated { " <> ALL(" } else { " = ANY(" });
            w.push_array_bind(Value::List(ty, values.to_vec()));
            w.push(")");
        }
        Dialect::MySql if values.is_empty() => w.push(if negated {
            " NOT IN (SELECT NULL FROM DUAL WHERE FALSE)"
        } else {
            " IN (SELECT NULL FROM DUAL WHERE FALSE)"
        }),
        Dialect::Sqlite | Dialect::MySql => {
            w.push(if negated { " NOT IN (" } else { " IN (" });
            w.push_list(values, ", ", |w, v| w.push_bind(v.clone()));
            w.push(")");
        }
    }
}
