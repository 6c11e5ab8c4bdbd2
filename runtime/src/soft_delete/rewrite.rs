//! The statement rewrites behind soft delete, as pure functions of the AST:
//! what the built-in interceptor (`super::SoftDelete`) applies to every
//! operation, and what the snapshot tests render.
//!
//! - every SELECT of a soft-deleted table, at any depth (the statement's own
//!   rows, relation filters' EXISTS, `_count` subqueries, cursor lookups,
//!   joined includes' JSON subqueries, include loads), gets `AND "deleted_at"
//!   IS NULL`. Only the statement's own table follows the query's [`Scope`]
//!   (`with_deleted`, `only_deleted`); related rows are always the live ones.
//! - an UPDATE changes live rows only (or deleted ones, for `restore`).
//! - a DELETE becomes `UPDATE .. SET "deleted_at" = now WHERE .. AND
//!   "deleted_at" IS NULL`, keeping its RETURNING, unless forced.
//! - an upsert whose key finds a deleted row revives it: `deleted_at = NULL`
//!   joins the update's assignments.

use super::tables::Tables;
use super::Scope;
use crate::query::ast::{
    AssignValue, Assignment, Expr, JsonInclude, Load, Projection, Select, Statement, Update,
};
use crate::schema::{ColumnSchema, ModelSchema};
use crate::value::Value;

/// Applies soft delete to `statement`, an operation on `model` with `scope`.
/// Nothing changes when no table `model` reaches is soft-deleted.
pub fn apply(statement: &mut Statement, model: &'static ModelSchema, scope: Scope) {
    let tables = Tables::of(model);
    if !tables.is_empty() {
        apply_with(statement, tables, scope);
    }
    // A model without soft delete has no deleted rows.
    if scope == Scope::OnlyDeleted && model.soft_delete.is_none() {
        let filter = match statement {
            Statement::Select(s) => &mut s.filter,
            Statement::Update(u) => &mut u.filter,
            Statement::Delete(d) => &mut d.filter,
            Statement::Insert(_) => return,
        };
        and(filter, Some(nothing()));
    }
}

/// A condition no row meets (an empty `IN` list renders as false).
fn nothing() -> Expr {
    Expr::InList {
        expr: Box::new(Expr::Value(Value::Bool(true))),
        values: Vec::new(),
        negated: false,
    }
}

/// [`apply`] for one include level read in its own statement: the child
/// rows are always the live ones.
pub fn apply_load(load: &mut Load, child: &'static ModelSchema) {
    let tables = Tables::of(child);
    if tables.is_empty() {
        return;
    }
    if let Some(filter) = &mut load.filter {
        hide_in_expr(filter, tables);
    }
    and(
        &mut load.filter,
        condition(tables.column(load.table), Scope::Live),
    );
}

fn apply_with(statement: &mut Statement, tables: Tables, scope: Scope) {
    match statement {
        Statement::Select(select) => hide_in_select(select, tables, scope),
        Statement::Update(update) => {
            if let Some(filter) = &mut update.filter {
                hide_in_expr(filter, tables);
            }
            and(
                &mut update.filter,
                condition(tables.column(update.table), scope),
            );
        }
        Statement::Delete(delete) => {
            if let Some(filter) = &mut delete.filter {
                hide_in_expr(filter, tables);
            }
            let Some(column) = tables.column(delete.table) else {
                return;
            };
            match scope {
                // `force_delete`: a real DELETE, of any row.
                Scope::WithDeleted => {}
                // Purging rows already soft-deleted: a real DELETE of those.
                Scope::OnlyDeleted => and(&mut delete.filter, condition(Some(column), scope)),
                Scope::Live => {
                    let Some(now) = crate::query::write::now_value(column.ty) else {
                        return;
                    };
                    let mut filter = delete.filter.take();
                    and(&mut filter, condition(Some(column), Scope::Live));
                    *statement = Statement::Update(Update {
                        table: delete.table,
                        set: vec![Assignment {
                            column,
                            value: AssignValue::Set(now),
                        }],
                        filter,
                        returning: std::mem::take(&mut delete.returning),
                    });
                }
            }
        }
        Statement::Insert(insert) => {
            let column = tables.column(insert.table);
            if let (Some(conflict), Some(column), Scope::Live) =
                (&mut insert.on_conflict, column, scope)
            {
                if !conflict.set.iter().any(|a| a.column.is(column)) {
                    conflict.set.push(Assignment {
                        column,
                        value: AssignValue::Set(Value::Null(column.ty)),
                    });
                }
            }
        }
    }
}

/// The condition `scope` puts on a table's own rows, if any.
fn condition(column: Option<&'static ColumnSchema>, scope: Scope) -> Option<Expr> {
    let column = column?;
    let negated = match scope {
        Scope::Live => false,
        Scope::OnlyDeleted => true,
        Scope::WithDeleted => return None,
    };
    Some(Expr::IsNull {
        expr: Box::new(Expr::Column(column)),
        negated,
    })
}

/// ANDs `extra` into `filter`.
fn and(filter: &mut Option<Expr>, extra: Option<Expr>) {
    let Some(extra) = extra else { return };
    *filter = Some(match filter.take() {
        None => extra,
        Some(Expr::And(mut items)) => {
            items.push(extra);
            Expr::And(items)
        }
        Some(existing) => Expr::And(vec![existing, extra]),
    });
}

fn hide_in_select(select: &mut Select, tables: Tables, scope: Scope) {
    if let Projection::Exprs(exprs) = &mut select.projection {
        exprs.iter_mut().for_each(|e| hide_in_expr(e, tables));
    }
    let nested = (select.computed.iter_mut())
        .chain(&mut select.filter)
        .chain(&mut select.group_by)
        .chain(&mut select.having)
        .chain(select.order_exprs.iter_mut().map(|o| &mut o.expr));
    nested.for_each(|e| hide_in_expr(e, tables));
    and(
        &mut select.filter,
        condition(tables.column(select.table), scope),
    );
}

fn hide_in_json(include: &mut JsonInclude, tables: Tables) {
    if let Some(filter) = &mut include.filter {
        hide_in_expr(filter, tables);
    }
    include
        .nested
        .iter_mut()
        .for_each(|e| hide_in_expr(e, tables));
    and(
        &mut include.filter,
        condition(tables.column(include.table), Scope::Live),
    );
}

/// Every subquery inside `expr` reads live rows only. The select
/// builder's subqueries follow its own rules (`super::select`).
fn hide_in_expr(expr: &mut Expr, tables: Tables) {
    match expr {
        Expr::Subquery(query) | Expr::Exists { query, .. } => {
            hide_in_select(query, tables, Scope::Live)
        }
        Expr::IncludeJson(include) => hide_in_json(include, tables),
        operator => operator.for_each_operand_mut(|e| hide_in_expr(e, tables)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::ast::Delete;
    use crate::render::{render, Dialect};
    use crate::schema::{KeySchema, SoftDeleteSchema, SqlType};

    const fn column(name: &'static str, ty: SqlType, nullable: bool) -> ColumnSchema {
        ColumnSchema {
            field: name,
            name,
            ty,
            nullable,
            default: None,
            updated_at: false,
            db_type: None,
        }
    }

    static COLUMNS: [ColumnSchema; 2] = [
        column("id", SqlType::BigInt, false),
        column("deleted_at", SqlType::Timestamptz, true),
    ];

    static DOCS: ModelSchema = ModelSchema {
        name: "Doc",
        table: "docs",
        columns: &COLUMNS,
        primary_key: KeySchema {
            name: "docs_pkey",
            columns: &[0],
        },
        uniques: &[],
        foreign_keys: &[],
        indexes: &[],
        checks: &[],
        relations: &[],
        version: None,
        soft_delete: Some(SoftDeleteSchema {
            column: 1,
            partial_uniques: false,
        }),
        tenant: None,
    };

    fn sql(statement: &Statement) -> String {
        render(statement, Dialect::Postgres).sql
    }

    fn by_id() -> Expr {
        Expr::Compare(
            Box::new(Expr::Column(&COLUMNS[0])),
            crate::query::ast::CompareOp::Eq,
            Box::new(Expr::Value(Value::I64(1))),
        )
    }

    #[test]
    fn reads_see_live_rows_deleted_rows_or_both() {
        let read = |scope| {
            let mut select = Select::new("docs", Projection::CountAll);
            select.filter = Some(by_id());
            let mut statement = Statement::Select(select);
            apply(&mut statement, &DOCS, scope);
            sql(&statement)
        };
        assert_eq!(
            read(Scope::Live),
            r#"SELECT COUNT(*) FROM "docs" WHERE ("id" = $1 AND "deleted_at" IS NULL)"#
        );
        assert_eq!(
            read(Scope::OnlyDeleted),
            r#"SELECT COUNT(*) FROM "docs" WHERE ("id" = $1 AND "deleted_at" IS NOT NULL)"#
        );
        assert_eq!(
            read(Scope::WithDeleted),
            r#"SELECT COUNT(*) FROM "docs" WHERE "id" = $1"#
        );
    }

    #[test]
    fn a_subquery_reads_live_rows_whatever_the_scope() {
        let mut select = Select::new("docs", Projection::CountAll);
        select.filter = Some(Expr::Exists {
            query: Box::new(Select::new("docs", Projection::One)),
            negated: false,
        });
        let mut statement = Statement::Select(select);
        apply(&mut statement, &DOCS, Scope::WithDeleted);
        assert_eq!(
            sql(&statement),
            r#"SELECT COUNT(*) FROM "docs" WHERE EXISTS (SELECT 1 FROM "docs" AS "t1" WHERE "t1"."deleted_at" IS NULL)"#
        );
    }

    #[test]
    fn a_delete_becomes_an_update_unless_forced() {
        let delete = || {
            Statement::Delete(Delete {
                table: "docs",
                filter: Some(by_id()),
                returning: vec![&COLUMNS[0]],
            })
        };
        let mut soft = delete();
        apply(&mut soft, &DOCS, Scope::Live);
        assert_eq!(
            sql(&soft),
            r#"UPDATE "docs" SET "deleted_at" = $1 WHERE ("id" = $2 AND "deleted_at" IS NULL) RETURNING "id""#
        );
        let mut forced = delete();
        apply(&mut forced, &DOCS, Scope::WithDeleted);
        assert_eq!(forced, delete());
    }
}
