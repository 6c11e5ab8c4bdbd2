//! DML rendering: SELECT, INSERT (with upsert), UPDATE, DELETE.

use super::{aggregate, json_load, row_lock, Dialect, SqlWriter};
use crate::query::ast::*;
use crate::schema::ColumnSchema;
use crate::value::Value;
use std::borrow::Cow;

pub(super) fn write_statement(w: &mut SqlWriter, statement: &Statement) {
    match statement {
        Statement::Select(s) => write_select(w, s),
        Statement::Insert(i) => write_insert(w, i, i.rows.iter().cloned()),
        Statement::Update(u) => write_update(w, u),
        Statement::Delete(d) => write_delete(w, d),
    }
}

/// A top-level SELECT: its table is the scope, unaliased.
fn write_select(w: &mut SqlWriter, s: &Select) {
    json_load::write_statement_prefix(w, s);
    w.enter_table(s.table);
    write_select_in_scope(w, s, None);
    if let Some(lock) = s.lock {
        let lateral = json_load::uses_lateral(w, s, true);
        row_lock::write_row_lock(w, lock, lateral.then_some(s.table));
    }
    w.leave_scope();
}

/// A SELECT inside an expression: `FROM "posts" AS "t1"`, see `Scope`.
fn write_subquery(w: &mut SqlWriter, s: &Select) {
    let alias = w.enter_subquery();
    write_select_in_scope(w, s, Some(&alias));
    w.leave_scope();
}

fn write_select_in_scope(w: &mut SqlWriter, s: &Select, alias: Option<&str>) {
    w.push("SELECT ");
    if s.distinct {
        w.push("DISTINCT ");
    }
    match &s.projection {
        Projection::Columns(cols) => write_column_list(w, cols),
        Projection::CountAll => w.push("COUNT(*)"),
        Projection::One => w.push("1"),
        Projection::Exprs(exprs) => w.push_list(exprs, ", ", write_expr),
    }
    let lateral = json_load::uses_lateral(w, s, alias.is_none());
    for (i, expr) in s.computed.iter().enumerate() {
        w.push(", ");
        match expr {
            Expr::IncludeJson(_) if lateral => json_load::write_lateral_column(w, s, i),
            _ => write_expr(w, expr),
        }
    }
    w.push(" FROM ");
    w.push_static_ident(s.table);
    if let Some(alias) = alias {
        w.push(" AS ");
        w.push_ident(alias);
    }
    if lateral {
        json_load::write_lateral_joins(w, s);
    }
    write_where(w, s.filter.as_ref());
    if !s.group_by.is_empty() {
        w.push(" GROUP BY ");
        w.push_list(&s.group_by, ", ", write_expr);
    }
    if let Some(having) = &s.having {
        w.push(" HAVING ");
        write_expr(w, having);
    }
    if !s.order_by.is_empty() || !s.order_exprs.is_empty() {
        w.push(" ORDER BY ");
        w.push_list(&s.order_by, ", ", write_order);
        if !s.order_by.is_empty() && !s.order_exprs.is_empty() {
            w.push(", ");
        }
        w.push_list(&s.order_exprs, ", ", write_order_expr);
    }
    write_limit_offset(w, s.limit, s.offset);
}

pub(super) fn write_limit_offset(w: &mut SqlWriter, limit: Option<i64>, offset: Option<i64>) {
    match (limit, offset, w.dialect) {
        (None, None, _) => {}
        (Some(limit), _, _) => {
            w.push(" LIMIT ");
            w.push_bind(Value::I64(limit));
        }
        // SQLite and MySQL only accept OFFSET after a LIMIT: use "no limit".
        (None, Some(_), Dialect::Sqlite) => w.push(" LIMIT -1"),
        (None, Some(_), Dialect::MySql) => w.push(" LIMIT 18446744073709551615"),
        (None, Some(_), Dialect::Postgres) => {}
    }
    if let Some(offset) = offset {
        w.push(" OFFSET ");
        w.push_bind(Value::I64(offset));
    }
}

pub(super) fn write_order(w: &mut SqlWriter, order: &OrderBy) {
    let key = |w: &mut SqlWriter| w.push_column(order.column);
    let nulls = order.effective_nulls();
    write_sort_key(w, key, order.column.nullable, order.descending, nulls);
}

/// A sort key over an expression (an aggregate, a group key), NULLs placed
/// as in [`write_order`].
pub(super) fn write_order_expr(w: &mut SqlWriter, order: &OrderByExpr) {
    let key = |w: &mut SqlWriter| write_expr(w, &order.expr);
    let nulls = order.nulls.unwrap_or(if order.descending {
        NullsOrder::First
    } else {
        NullsOrder::Last
    });
    write_sort_key(w, key, may_be_null(&order.expr), order.descending, nulls);
}

/// Whether `expr` can be NULL, as far as its shape tells: a count never is,
/// a column when declared nullable, anything else may be.
fn may_be_null(expr: &Expr) -> bool {
    match expr {
        Expr::Aggregate(aggregate) => aggregate.function != AggregateFn::Count,
        Expr::Column(column) | Expr::Qualified { column, .. } => column.nullable,
        _ => true,
    }
}

/// `key` sorted `descending` or not, NULLs where `nulls` says when the key
/// is `nullable`.
pub(super) fn write_sort_key(
    w: &mut SqlWriter,
    key: impl Fn(&mut SqlWriter),
    nullable: bool,
    descending: bool,
    nulls: NullsOrder,
) {
    let direction = if descending { " DESC" } else { " ASC" };
    // Where each database puts NULLs when not told: PostgreSQL treats NULL as the
    // largest value, SQLite and MySQL as the smallest.
    let native = match (w.dialect, descending) {
        (Dialect::Postgres, false) | (Dialect::Sqlite | Dialect::MySql, true) => NullsOrder::Last,
        (Dialect::Postgres, true) | (Dialect::Sqlite | Dialect::MySql, false) => NullsOrder::First,
    };
    let needs_override = nullable && nulls != native;
    if needs_override && w.dialect == Dialect::MySql {
        // MySQL has no NULLS FIRST/LAST: sort on the null test first.
        key(w);
        w.push(match nulls {
            NullsOrder::Last => " IS NULL ASC, ",
            NullsOrder::First => " IS NULL DESC, ",
        });
    }
    key(w);
    w.push(direction);
    if needs_override && w.dialect != Dialect::MySql {
        w.push(match nulls {
            NullsOrder::First => " NULLS FIRST",
            NullsOrder::Last => " NULLS LAST",
        });
    }
}

pub(super) fn write_column_list(w: &mut SqlWriter, columns: &[&'static ColumnSchema]) {
    w.push_list(columns, ", ", |w, c| w.push_column(c));
}

pub(super) fn write_where(w: &mut SqlWriter, filter: Option<&Expr>) {
    if let Some(filter) = filter {
        w.push(" WHERE ");
        write_expr(w, filter);
    }
}

fn write_returning(w: &mut SqlWriter, returning: &[&'static ColumnSchema]) {
    if !returning.is_empty() && w.dialect.supports_returning() {
        w.push(" RETURNING ");
        write_column_list(w, returning);
    }
}

/// `rows` are the insert's rows, passed separately so an owned statement can
/// move its values into the binds instead of cloning them.
pub(super) fn write_insert(
    w: &mut SqlWriter,
    insert: &Insert,
    rows: impl IntoIterator<Item = Vec<Value>>,
) {
    w.push("INSERT INTO ");
    w.push_static_ident(insert.table);
    if insert.columns.is_empty() {
        w.push(match w.dialect {
            Dialect::MySql => " () VALUES ()",
            Dialect::Postgres | Dialect::Sqlite => " DEFAULT VALUES",
        });
    } else {
        w.push(" (");
        write_column_list(w, &insert.columns);
        w.push(") VALUES ");
        let rows = rows.into_iter();
        // `($1, $2), ` per row: a many-row INSERT never grows its buffers.
        let (row_count, _) = rows.size_hint();
        let columns = insert.columns.len();
        w.reserve(row_count * (columns * 7 + 4), row_count * columns);
        w.push_list(rows, ", ", |w, row| {
            w.push("(");
            w.push_list(row, ", ", SqlWriter::push_bind);
            w.push(")");
        });
    }
    if let Some(conflict) = &insert.on_conflict {
        write_on_conflict(w, insert.table, conflict);
    }
    write_returning(w, &insert.returning);
}

fn write_on_conflict(w: &mut SqlWriter, table: &str, conflict: &OnConflict) {
    match w.dialect {
        Dialect::Postgres | Dialect::Sqlite => {
            w.push(" ON CONFLICT (");
            write_column_list(w, &conflict.target);
            w.push(") DO UPDATE SET ");
        }
        Dialect::MySql => w.push(" ON DUPLICATE KEY UPDATE "),
    }
    if conflict.set.is_empty() {
        // A no-op update still makes the conflicting row visible to RETURNING
        // (DO NOTHING would return no row).
        let key = conflict.target[0];
        w.push_static_ident(key.name);
        w.push(" = ");
        w.push_static_ident(key.name);
    } else if let (Dialect::MySql, Some(condition)) = (w.dialect, &conflict.only_if) {
        // No WHERE in ON DUPLICATE KEY UPDATE: every assignment keeps the
        // current value unless the condition holds. MySQL assigns left to
        // right, each seeing the ones before, so the condition must not read
        // a column assigned before it (the version bump comes last). A
        // refused update and an insert both count one row, so the last
        // kept value also sets the statement's insert id to a mark no
        // AUTO_INCREMENT reaches (`optimistic::MYSQL_REFUSED_INSERT_ID`).
        let last = conflict.set.len().saturating_sub(1);
        for (i, a) in conflict.set.iter().enumerate() {
            if i > 0 {
                w.push(", ");
            }
            w.push_static_ident(a.column.name);
            w.push(" = IF(");
            write_expr(w, condition);
            w.push(", ");
            write_assigned_value(w, a, Some(table));
            w.push(", ");
            if i == last {
                w.push("IF(LAST_INSERT_ID(9223372036854775807) > 0, ");
                w.push_ident(table);
                w.push(".");
                w.push_static_ident(a.column.name);
                w.push(", NULL)");
            } else {
                w.push_ident(table);
                w.push(".");
                w.push_static_ident(a.column.name);
            }
            w.push(")");
        }
    } else {
        // Inside ON CONFLICT a bare column name could mean the existing row or
        // the proposed one (PostgreSQL refuses it as ambiguous): name the table.
        write_assignments(w, &conflict.set, Some(table));
        if let Some(condition) = &conflict.only_if {
            w.push(" WHERE ");
            write_expr(w, condition);
        }
    }
}

/// `col = value` or `col = [table.]col op value`.
fn write_assignments(w: &mut SqlWriter, set: &[Assignment], qualify: Option<&str>) {
    w.push_list(set, ", ", |w, a| {
        w.push_static_ident(a.column.name);
        w.push(" = ");
        write_assigned_value(w, a, qualify);
    });
}

/// The right-hand side of one assignment: `value` or `[table.]col op value`.
fn write_assigned_value(w: &mut SqlWriter, a: &Assignment, qualify: Option<&str>) {
    match &a.value {
        AssignValue::Set(v) => w.push_bind(v.clone()),
        AssignValue::Arithmetic(op, v) => {
            if let Some(table) = qualify {
                w.push_ident(table);
                w.push(".");
            }
            w.push_static_ident(a.column.name);
            w.push(" ");
            w.push(op.sql());
            w.push(" ");
            w.push_bind(v.clone());
        }
    }
}

fn write_update(w: &mut SqlWriter, update: &Update) {
    w.enter_table(update.table);
    w.push("UPDATE ");
    w.push_static_ident(update.table);
    w.push(" SET ");
    write_assignments(w, &update.set, None);
    write_where(w, update.filter.as_ref());
    write_returning(w, &update.returning);
    w.leave_scope();
}

fn write_delete(w: &mut SqlWriter, delete: &Delete) {
    w.enter_table(delete.table);
    w.push("DELETE FROM ");
    w.push_static_ident(delete.table);
    write_where(w, delete.filter.as_ref());
    write_returning(w, &delete.returning);
    w.leave_scope();
}

pub(super) fn write_expr(w: &mut SqlWriter, expr: &Expr) {
    match expr {
        Expr::Column(c) => w.push_column(c),
        Expr::Outer { table, column } => w.push_outer_column(table, column),
        Expr::Qualified { table, column } => {
            match table {
                Cow::Borrowed(table) => w.push_static_ident(table),
                Cow::Owned(alias) => w.push_ident(alias),
            }
            w.push(".");
            w.push_static_ident(column.name);
        }
        Expr::Aggregate(aggregate) => aggregate::write_aggregate(w, aggregate),
        Expr::Value(v) => w.push_bind(v.clone()),
        Expr::Compare(lhs, op, rhs) => {
            write_expr(w, lhs);
            w.push(" ");
            w.push(op.sql());
            w.push(" ");
            write_expr(w, rhs);
        }
        Expr::InList {
            expr,
            values,
            negated,
        } => {
            if values.is_empty() {
                // `x IN ()` is a syntax error; an empty set matches nothing.
                w.push(if *negated { "1 = 1" } else { "1 = 0" });
                return;
            }
            write_expr(w, expr);
            w.push(if *negated { " NOT IN (" } else { " IN (" });
            w.push_list(values, ", ", |w, v| w.push_bind(v.clone()));
            w.push(")");
        }
        Expr::IsNull { expr, negated } => {
            write_expr(w, expr);
            w.push(if *negated { " IS NOT NULL" } else { " IS NULL" });
        }
        Expr::Like {
            expr,
            needle,
            position,
            case_insensitive,
        } => write_like(w, expr, needle, *position, *case_insensitive),
        Expr::And(items) => write_junction(w, items, " AND ", "1 = 1"),
        Expr::Or(items) => write_junction(w, items, " OR ", "1 = 0"),
        Expr::Not(inner) => match inner.as_ref() {
            // `NOT EXISTS (..)` rather than `NOT (EXISTS (..))`.
            Expr::Exists { query, negated } => write_exists(w, query, !negated),
            // A non-empty junction already brings its parentheses.
            Expr::And(items) | Expr::Or(items) if !items.is_empty() => {
                w.push("NOT ");
                write_expr(w, inner);
            }
            _ => {
                w.push("NOT (");
                write_expr(w, inner);
                w.push(")");
            }
        },
        Expr::Subquery(select) => {
            w.push("(");
            write_subquery(w, select);
            w.push(")");
        }
        Expr::Exists { query, negated } => write_exists(w, query, *negated),
        Expr::IsNotTrue(inner) => {
            // PostgreSQL, SQLite (3.23+) and MySQL/MariaDB all have IS NOT TRUE.
            if matches!(inner.as_ref(), Expr::And(items) | Expr::Or(items) if !items.is_empty()) {
                write_expr(w, inner);
            } else {
                w.push("(");
                write_expr(w, inner);
                w.push(")");
            }
            w.push(" IS NOT TRUE");
        }
        Expr::IncludeJson(include) => json_load::write_include(w, include),
        Expr::Raw(sql) => {
            w.push("(");
            super::raw::write_raw(w, sql);
            w.push(")");
        }
        Expr::SelectSubquery(sub) => super::select::write_subquery_expr(w, sub),
        Expr::Invalid(invalid) => {
            w.note_invalid(invalid);
            w.push("1 = 0");
        }
    }
}

fn write_exists(w: &mut SqlWriter, query: &Select, negated: bool) {
    w.push(if negated { "NOT EXISTS (" } else { "EXISTS (" });
    write_subquery(w, query);
    w.push(")");
}

fn write_junction(w: &mut SqlWriter, items: &[Expr], sep: &str, empty: &str) {
    if items.is_empty() {
        w.push(empty);
        return;
    }
    w.push("(");
    w.push_list(items, sep, write_expr);
    w.push(")");
}

/// Case-sensitive matching must mean the same everywhere. PostgreSQL uses LIKE
/// (ILIKE for the case-insensitive mode); MySQL tables created by strata use a
/// binary collation, so LIKE there is case-sensitive too. SQLite's LIKE ignores
/// ASCII case and both LIKE and GLOB refuse patterns over 50,000 bytes, so SQLite
/// compares bytes with `instr`/`substr` instead, which needs no escaping at all.
fn write_like(
    w: &mut SqlWriter,
    expr: &Expr,
    needle: &str,
    position: LikePosition,
    case_insensitive: bool,
) {
    if w.dialect == Dialect::Sqlite {
        return write_sqlite_match(w, expr, needle, position, case_insensitive);
    }
    let escaped = escape_like(needle);
    let pattern = match position {
        LikePosition::Contains => format!("%{escaped}%"),
        LikePosition::StartsWith => format!("{escaped}%"),
        LikePosition::EndsWith => format!("%{escaped}"),
    };
    if case_insensitive && w.dialect == Dialect::MySql {
        w.push("LOWER(");
        write_expr(w, expr);
        w.push(") LIKE LOWER(");
        w.push_bind(Value::Text(pattern));
        w.push(")");
    } else {
        write_expr(w, expr);
        w.push(if case_insensitive {
            " ILIKE "
        } else {
            " LIKE "
        });
        w.push_bind(Value::Text(pattern));
    }
    w.push(" ESCAPE '!'");
}

/// SQLite: `instr(x, n) > 0`, `instr(x, n) = 1`, and
/// `COALESCE(substr(x, length(x) - length(n) + 1), X'') = n`, on BLOB casts so
/// lengths and offsets count bytes (text `length` stops at a NUL). The COALESCE
/// is there because `substr` of an empty BLOB is NULL.
fn write_sqlite_match(
    w: &mut SqlWriter,
    expr: &Expr,
    needle: &str,
    position: LikePosition,
    case_insensitive: bool,
) {
    let haystack = |w: &mut SqlWriter| {
        w.push("CAST(");
        if case_insensitive {
            w.push("LOWER(");
            write_expr(w, expr);
            w.push(")");
        } else {
            write_expr(w, expr);
        }
        w.push(" AS BLOB)");
    };
    let needle = |w: &mut SqlWriter| {
        w.push("CAST(");
        if case_insensitive {
            w.push("LOWER(");
            w.push_bind(Value::Text(needle.to_owned()));
            w.push(")");
        } else {
            w.push_bind(Value::Text(needle.to_owned()));
        }
        w.push(" AS BLOB)");
    };
    match position {
        LikePosition::Contains => {
            w.push("instr(");
            haystack(w);
            w.push(", ");
            needle(w);
            w.push(") > 0");
        }
        LikePosition::StartsWith => {
            w.push("instr(");
            haystack(w);
            w.push(", ");
            needle(w);
            w.push(") = 1");
        }
        LikePosition::EndsWith => {
            w.push("COALESCE(substr(");
            haystack(w);
            w.push(", length(");
            haystack(w);
            w.push(") - length(");
            needle(w);
            w.push(") + 1), X'') = ");
            needle(w);
        }
    }
}

/// Makes LIKE treat `%`, `_` and the escape character `!` in user text literally.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_escapes_wildcards_and_the_escape_character() {
        assert_eq!(escape_like("50%_off!"), "50!%!_off!!");
    }
}
