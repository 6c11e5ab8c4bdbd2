//! Rendering an include read in its parent's statement ([`JsonInclude`],
//! strategy `Joined`): the enclosing row's related rows as one JSON array of
//! row arrays, built by a correlated subquery, so a whole include tree is one
//! statement. Each row array holds the child's columns in order (see
//! `schema/json_row.rs` for each type's JSON shape), then one element per
//! nested include. Rows are aggregated in the include's order, which ends
//! with the child's primary key, as in the batched strategy.
//!
//! The subquery gets the next alias (`"t1"`, `"t2"`..) from the writer's
//! scopes like every subquery, and reaches its parent row through the
//! enclosing scope's name, so nesting and self-relations need nothing special.
//!
//! PostgreSQL: `json_agg` with an ORDER BY; a per-parent page reads a
//! correlated derived table with ORDER BY/LIMIT/OFFSET, ordered again by the
//! aggregate. At the top level, a statement without LIMIT/OFFSET joins each
//! include `LEFT JOIN LATERAL .. ON TRUE`; one with LIMIT/OFFSET keeps the
//! subqueries in the select list, which PostgreSQL evaluates after the limit
//! (a lateral join would be evaluated for every row before it).
//!
//! ```sql
//! SELECT "id", "email", .., "j1"."__v" FROM "users" LEFT JOIN LATERAL (
//!   SELECT COALESCE(json_agg(json_build_array("t1"."id", "t1"."title", ..) ORDER BY "t1"."views" DESC, "t1"."id" ASC), '[]') AS "__v"
//!   FROM (SELECT "t1"."id", "t1"."title", .. FROM "posts" AS "t1" WHERE "t1"."author_id" = "users"."id" AND (..)
//!         ORDER BY "t1"."views" DESC, "t1"."id" ASC LIMIT $1 OFFSET $2) AS "t1"
//! ) AS "j1" ON TRUE
//! ```
//!
//! SQLite: `json_group_array(json_array(..) ORDER BY ..)` (aggregate ORDER BY
//! needs SQLite 3.44; the bundled one is newer), paged through a correlated
//! derived table like PostgreSQL. Nested arrays are passed through `json()`
//! so they are embedded as JSON, never as text.
//!
//! MySQL/MariaDB: `COALESCE(JSON_ARRAYAGG(JSON_ARRAY(..) ORDER BY .. LIMIT ..), JSON_ARRAY())`.
//! MariaDB has neither LATERAL nor correlated derived tables, but pages
//! inside the aggregate. The statement is prefixed with `SET STATEMENT
//! group_concat_max_len = .. FOR`: MariaDB cuts a JSON_ARRAYAGG at that length
//! (1 MB by default) without an error. MySQL 8 accepts neither the aggregate's
//! ORDER BY nor `SET STATEMENT`, so there the joined strategy fails with the
//! server's syntax error.

use super::statement::{write_expr, write_limit_offset, write_order};
use super::{Dialect, SqlWriter};
use crate::query::ast::{Expr, JsonInclude, Select};
use crate::schema::{ColumnSchema, SqlType};

/// The column a lateral include's subquery produces.
const LATERAL_COLUMN: &str = "__v";

/// PostgreSQL's `json_build_array` takes at most 100 arguments.
const PG_MAX_ARGS: usize = 100;

/// `(SELECT <aggregate> FROM ..)`: the rows of `include` as one JSON value.
pub(super) fn write_include(w: &mut SqlWriter, include: &JsonInclude) {
    w.push("(");
    write_aggregate_select(w, include, None);
    w.push(")");
}

/// Whether the top-level `select` reads its includes through lateral joins
/// (PostgreSQL, without LIMIT/OFFSET); see the module docs.
pub(super) fn uses_lateral(w: &SqlWriter, select: &Select, top_level: bool) -> bool {
    top_level
        && w.dialect == Dialect::Postgres
        && select.limit.is_none()
        && select.offset.is_none()
        && includes(select).next().is_some()
}

/// Writes `select.computed[index]`, which is an include, as its lateral
/// join's column: `"j1"."__v"`.
pub(super) fn write_lateral_column(w: &mut SqlWriter, select: &Select, index: usize) {
    let nth = select.computed[..index]
        .iter()
        .filter(|e| matches!(e, Expr::IncludeJson(_)))
        .count();
    w.push_ident(&lateral_alias(select, nth));
    w.push(".");
    w.push_ident(LATERAL_COLUMN);
}

/// ` LEFT JOIN LATERAL (..) AS "j1" ON TRUE` for each include of `select`.
pub(super) fn write_lateral_joins(w: &mut SqlWriter, select: &Select) {
    for (nth, include) in includes(select).enumerate() {
        w.push(" LEFT JOIN LATERAL (");
        write_aggregate_select(w, include, Some(LATERAL_COLUMN));
        w.push(") AS ");
        w.push_ident(&lateral_alias(select, nth));
        w.push(" ON TRUE");
    }
}

/// MariaDB's per-statement lift of the JSON_ARRAYAGG length cap, for a
/// top-level `select` that reads includes.
pub(super) fn write_statement_prefix(w: &mut SqlWriter, select: &Select) {
    if w.dialect == Dialect::MySql && includes(select).next().is_some() {
        w.push("SET STATEMENT group_concat_max_len = 4294967295 FOR ");
    }
}

fn includes(select: &Select) -> impl Iterator<Item = &JsonInclude> {
    select.computed.iter().filter_map(|e| match e {
        Expr::IncludeJson(include) => Some(&**include),
        _ => None,
    })
}

/// `"j1"`, `"j2"`.. by position; one equal to the statement's table gets a
/// `_` suffix so that the table's columns can stay unqualified.
fn lateral_alias(select: &Select, nth: usize) -> String {
    let mut alias = format!("j{}", nth + 1);
    while alias == select.table {
        alias.push('_');
    }
    alias
}

/// `SELECT <aggregate> [AS output] FROM <rows>`, in a new subquery scope.
fn write_aggregate_select(w: &mut SqlWriter, include: &JsonInclude, output: Option<&str>) {
    let alias = w.enter_subquery();
    let paged = include.skip.is_some() || include.take.is_some();
    let page_in_aggregate = paged && w.dialect == Dialect::MySql;
    w.push("SELECT ");
    write_aggregate(w, include, page_in_aggregate);
    if let Some(output) = output {
        w.push(" AS ");
        w.push_ident(output);
    }
    w.push(" FROM ");
    if paged && !page_in_aggregate {
        // The page, as a derived table under the same alias: the aggregate
        // reads its columns by the names it would read the table's.
        w.push("(SELECT ");
        w.push_list(carried_columns(include), ", ", |w, c| w.push_column(c));
        w.push(" FROM ");
        write_related_rows(w, include, &alias);
        w.push(" ORDER BY ");
        w.push_list(&include.order_by, ", ", write_order);
        write_limit_offset(w, include.take, include.skip);
        w.push(") AS ");
        w.push_ident(&alias);
    } else {
        write_related_rows(w, include, &alias);
    }
    w.leave_scope();
}

/// The JSON array of row arrays, in the include's order; `[]` for no rows.
fn write_aggregate(w: &mut SqlWriter, include: &JsonInclude, with_page: bool) {
    let order = |w: &mut SqlWriter| {
        w.push(" ORDER BY ");
        w.push_list(&include.order_by, ", ", write_order);
    };
    match w.dialect {
        Dialect::Postgres => {
            w.push("COALESCE(json_agg(");
            write_row(w, include);
            order(w);
            w.push("), '[]')");
        }
        // json_group_array of no rows is already `[]`.
        Dialect::Sqlite => {
            w.push("json_group_array(");
            write_row(w, include);
            order(w);
            w.push(")");
        }
        Dialect::MySql => {
            w.push("COALESCE(JSON_ARRAYAGG(");
            write_row(w, include);
            order(w);
            if with_page {
                write_limit_offset(w, include.take, include.skip);
            }
            w.push("), JSON_ARRAY())");
        }
    }
}

/// One row's array: its columns, then its nested includes.
fn write_row(w: &mut SqlWriter, include: &JsonInclude) {
    let count = include.columns.len() + include.nested.len();
    let element = |w: &mut SqlWriter, i: usize| match include.columns.get(i) {
        Some(column) => write_value(w, column),
        None => write_nested(w, &include.nested[i - include.columns.len()]),
    };
    match w.dialect {
        Dialect::Postgres if count > PG_MAX_ARGS => {
            // Concatenated jsonb arrays of at most 100 elements each.
            w.push("(");
            let chunks = (0..count).step_by(PG_MAX_ARGS);
            w.push_list(chunks, " || ", |w, start| {
                w.push("jsonb_build_array(");
                w.push_list(start..count.min(start + PG_MAX_ARGS), ", ", element);
                w.push(")");
            });
            w.push(")");
        }
        Dialect::Postgres => {
            w.push("json_build_array(");
            w.push_list(0..count, ", ", element);
            w.push(")");
        }
        Dialect::Sqlite => {
            w.push("json_array(");
            w.push_list(0..count, ", ", element);
            w.push(")");
        }
        Dialect::MySql => {
            w.push("JSON_ARRAY(");
            w.push_list(0..count, ", ", element);
            w.push(")");
        }
    }
}

fn write_nested(w: &mut SqlWriter, nested: &Expr) {
    if w.dialect == Dialect::Sqlite {
        // A subquery's result is text to SQLite unless marked as JSON.
        w.push("json(");
        write_expr(w, nested);
        w.push(")");
    } else {
        write_expr(w, nested);
    }
}

/// A column as the JSON value `schema/json_row.rs` decodes for its type.
fn write_value(w: &mut SqlWriter, column: &'static ColumnSchema) {
    let wrapped = |w: &mut SqlWriter, before: &str, after: &str| {
        w.push(before);
        w.push_column(column);
        w.push(after);
    };
    // SQLite's hex() and printf() turn NULL into text: keep NULL NULL.
    let unless_null = |w: &mut SqlWriter, before: &str, after: &str| {
        w.push("CASE WHEN ");
        w.push_column(column);
        w.push(" IS NULL THEN NULL ELSE ");
        wrapped(w, before, after);
        w.push(" END");
    };
    let nullable_json = column.ty == SqlType::Json && column.nullable;
    match (column.ty, w.dialect) {
        (SqlType::Bytes, Dialect::Postgres) => wrapped(w, "encode(", ", 'hex')"),
        (SqlType::Bytes, Dialect::Sqlite) => unless_null(w, "hex(", ")"),
        (SqlType::Bytes, Dialect::MySql) => wrapped(w, "HEX(", ")"),
        // Floats and decimals as text: exact digits (see json_row.rs). An f32
        // is written as the double it widens to: MariaDB writes a FLOAT with
        // 6 digits, and a double's digits name the f32 exactly anywhere.
        (SqlType::Real, Dialect::Postgres) => {
            wrapped(w, "CAST(CAST(", " AS double precision) AS TEXT)")
        }
        (SqlType::Real, Dialect::MySql) => wrapped(w, "CAST(CAST(", " AS DOUBLE) AS CHAR)"),
        (SqlType::Double | SqlType::Decimal, Dialect::Postgres) => wrapped(w, "CAST(", " AS TEXT)"),
        (SqlType::Double | SqlType::Decimal, Dialect::MySql) => wrapped(w, "CAST(", " AS CHAR)"),
        (SqlType::Real | SqlType::Double, Dialect::Sqlite) => write_sqlite_float(w, column),
        // A nullable JSON column as `[value]`, so SQL NULL stays apart from JSON null.
        (SqlType::Json, Dialect::Postgres) if nullable_json => {
            unless_null(w, "json_build_array(", ")")
        }
        (SqlType::Json, Dialect::Sqlite) if nullable_json => {
            unless_null(w, "json_array(json(", "))")
        }
        (SqlType::Json, Dialect::MySql) if nullable_json => unless_null(w, "JSON_ARRAY(", ")"),
        // SQLite stores JSON as text: embed it as JSON.
        (SqlType::Json, Dialect::Sqlite) => wrapped(w, "json(", ")"),
        _ => w.push_column(column),
    }
}

/// SQLite's 17-digit `printf` is exact for magnitudes from about 1e-80 to
/// 1e100 but can miss by an ulp beyond (1e300 prints as 9.9999999999999996e+299),
/// so a value outside 2^-256..2^256 is first scaled into it by an exact
/// power of two, written after a `p`: `1.2345678901234567e+76p512` is that
/// number times 2^512. (The literals are 2^512 and 2^-512 exactly.)
fn write_sqlite_float(w: &mut SqlWriter, column: &'static ColumnSchema) {
    const UP: &str = " * 1.3407807929942597e154";
    const DOWN: &str = " * 7.458340731200207e-155";
    let tiers: [(&str, &str, &[&str]); 4] = [
        (">= 1e231", "p1024", &[DOWN, DOWN]),
        (">= 1e77", "p512", &[DOWN]),
        ("< 1e-231", "p-1024", &[UP, UP]),
        ("< 1e-77", "p-512", &[UP]),
    ];
    w.push("CASE WHEN ");
    w.push_column(column);
    w.push(" IS NULL OR ");
    w.push_column(column);
    w.push(" = 0 THEN ");
    w.push_column(column);
    for (test, suffix, scale) in tiers {
        w.push(" WHEN abs(");
        w.push_column(column);
        w.push(") ");
        w.push(test);
        w.push(" THEN printf('%!.17g");
        w.push(suffix);
        w.push("', ");
        w.push_column(column);
        scale.iter().for_each(|factor| w.push(factor));
        w.push(")");
    }
    w.push(" ELSE printf('%!.17g', ");
    w.push_column(column);
    w.push(") END");
}

/// `"posts" AS "t1" [JOIN "join" AS "t1j" ON ..] WHERE <matches the parent row> [AND (filter)]`.
fn write_related_rows(w: &mut SqlWriter, include: &JsonInclude, alias: &str) {
    w.push_ident(include.table);
    w.push(" AS ");
    w.push_ident(alias);
    let parent_key = &include.parent_key;
    match &include.join {
        None => {
            w.push(" WHERE ");
            w.push_list(
                include.key.iter().zip(parent_key),
                " AND ",
                |w, (child, parent)| {
                    w.push_column(child);
                    w.push(" = ");
                    w.push_outer_column(include.parent_table, parent);
                },
            );
        }
        Some(join) => {
            let join_alias = join_alias(w, alias);
            let join_column = |w: &mut SqlWriter, column: &ColumnSchema| {
                w.push_ident(&join_alias);
                w.push(".");
                w.push_ident(column.name);
            };
            w.push(" JOIN ");
            w.push_ident(join.table);
            w.push(" AS ");
            w.push_ident(&join_alias);
            w.push(" ON ");
            let on = join.child_side.iter().zip(&join.child_key);
            w.push_list(on, " AND ", |w, (side, child)| {
                join_column(w, side);
                w.push(" = ");
                w.push_column(child);
            });
            w.push(" WHERE ");
            let matching = join.parent_side.iter().zip(parent_key);
            w.push_list(matching, " AND ", |w, (side, parent)| {
                join_column(w, side);
                w.push(" = ");
                w.push_outer_column(include.parent_table, parent);
            });
            if let Some(filter) = &join.filter {
                // Its columns qualified by the join table's alias.
                w.push(" AND (");
                w.enter_alias(join_alias);
                write_expr(w, filter);
                w.leave_scope();
                w.push(")");
            }
        }
    }
    if let Some(filter) = &include.filter {
        w.push(" AND (");
        write_expr(w, filter);
        w.push(")");
    }
}

/// The join table's alias next to the child's: `"t1j"` (suffixed like any
/// alias that would equal a top-level table's name).
fn join_alias(w: &SqlWriter, alias: &str) -> String {
    let mut name = format!("{alias}j");
    while (w.scopes.iter()).any(|s| !s.aliased && s.name == name) {
        name.push('_');
    }
    name
}

/// What a paged include's derived table must carry: the columns written,
/// the ones ordered by, and those nested includes match on, in schema order
/// of first use.
fn carried_columns(include: &JsonInclude) -> Vec<&'static ColumnSchema> {
    let nested_keys = include.nested.iter().flat_map(|e| match e {
        Expr::IncludeJson(nested) => nested.parent_key.as_slice(),
        _ => &[],
    });
    let mut columns: Vec<&'static ColumnSchema> = Vec::new();
    let wanted = (include.columns.iter().copied())
        .chain(include.order_by.iter().map(|o| o.column))
        .chain(nested_keys.copied());
    for column in wanted {
        if !columns.iter().any(|c| c.is(column)) {
            columns.push(column);
        }
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::ast::{OrderBy, Projection, Statement};
    use crate::render::render;

    fn column(name: &str, ty: SqlType) -> &'static ColumnSchema {
        Box::leak(Box::new(ColumnSchema {
            field: Box::leak(name.to_owned().into_boxed_str()),
            name: Box::leak(name.to_owned().into_boxed_str()),
            ty,
            nullable: false,
            default: None,
            updated_at: false,
            db_type: None,
        }))
    }

    /// A read of table `j1` (the name of the first lateral join) including
    /// `columns` of `wide`.
    fn read(columns: Vec<&'static ColumnSchema>) -> Statement {
        let id = column("id", SqlType::Int);
        let include = JsonInclude {
            parent_table: "j1",
            parent_key: vec![id],
            table: "wide",
            columns,
            key: vec![column("parent_id", SqlType::Int)],
            join: None,
            filter: None,
            order_by: vec![OrderBy {
                column: id,
                descending: false,
                nulls: None,
            }],
            skip: None,
            take: None,
            nested: Vec::new(),
        };
        let mut select = Select::new("j1", Projection::Columns(vec![id]));
        select.computed.push(Expr::IncludeJson(Box::new(include)));
        Statement::Select(select)
    }

    #[test]
    fn more_than_100_values_are_concatenated_jsonb_arrays_on_postgres() {
        let columns = (0..150)
            .map(|i| column(&format!("c{i}"), SqlType::Int))
            .collect();
        let sql = render(&read(columns), Dialect::Postgres).sql;
        assert!(
            sql.contains(r#"json_agg((jsonb_build_array("t1"."c0", "#),
            "{sql}"
        );
        assert!(
            sql.contains(r#""t1"."c99") || jsonb_build_array("t1"."c100", "#),
            "{sql}"
        );
        let sqlite = render(&read(vec![column("c0", SqlType::Int)]), Dialect::Sqlite).sql;
        assert!(sqlite.contains(r#"json_array("t1"."c0")"#), "{sqlite}");
    }

    #[test]
    fn a_lateral_alias_never_equals_the_table() {
        let sql = render(&read(vec![column("c0", SqlType::Int)]), Dialect::Postgres).sql;
        assert!(
            sql.starts_with(r#"SELECT "id", "j1_"."__v" FROM "j1" LEFT JOIN LATERAL"#),
            "{sql}"
        );
        assert!(sql.ends_with(r#"AS "j1_" ON TRUE"#), "{sql}");
    }
}
