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

use super::Scope;
use crate::query::ast::{AssignValue, Assignment, Expr, Load, Statement, Update};
use crate::query::row_filter::{self, and};
use crate::schema::reach::Reach;
use crate::schema::{ColumnSchema, ModelSchema};
use crate::value::Value;

/// Applies soft delete to `statement`, an operation on `model` with `scope`.
/// Nothing changes when no table `model` reaches is soft-deleted.
pub fn apply(statement: &mut Statement, model: &'static ModelSchema, scope: Scope) {
    let reach = Reach::of(model);
    if reach.soft_delete() {
        apply_with(statement, reach, scope);
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
    let reach = Reach::of(child);
    if reach.soft_delete() {
        row_filter::in_load(load, &mut live_rows(reach, Scope::Live));
    }
}

/// The soft-delete condition of each table: the statement's own rows
/// follow `scope`, related rows are always the live ones.
fn live_rows(reach: Reach, scope: Scope) -> impl FnMut(&'static str, bool) -> Option<Expr> {
    move |table, own| {
        let scope = if own { scope } else { Scope::Live };
        condition(reach.soft_delete_column(table), scope)
    }
}

fn apply_with(statement: &mut Statement, reach: Reach, scope: Scope) {
    let mut rows = live_rows(reach, scope);
    match statement {
        Statement::Select(_) | Statement::Update(_) => {
            row_filter::in_statement(statement, &mut rows)
        }
        Statement::Delete(delete) => {
            row_filter::in_nested(&mut delete.filter, &mut rows);
            let Some(column) = reach.soft_delete_column(delete.table) else {
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
            let column = reach.soft_delete_column(insert.table);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::ast::{Delete, Projection, Select};
    use crate::render::{render, Dialect};
    use crate::schema::test_schema::{column, model};
    use crate::schema::{SoftDeleteSchema, SqlType};

    static COLUMNS: [ColumnSchema; 2] = [
        column("id", SqlType::BigInt, false),
        column("deleted_at", SqlType::Timestamptz, true),
    ];

    static DOCS: ModelSchema = ModelSchema {
        soft_delete: Some(SoftDeleteSchema {
            column: 1,
            partial_uniques: false,
        }),
        ..model("Doc", "docs", &COLUMNS)
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
