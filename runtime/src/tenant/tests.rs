//! The tenant filter on hand-built statements: both built-in filters hold
//! together, writes are filled and checked, the upsert guard renders per
//! dialect. (Relations, includes and the builder: tests/tenant_snapshots.rs.)

use super::{Tenant, TenantFilter, CURRENT};
use crate::error::Error;
use crate::intercept::chain::{Chain, Op};
use crate::intercept::{Action, Args, Interceptor, Operation};
use crate::query::ast::{
    AssignValue, Assignment, CompareOp, Delete, Expr, Insert, OnConflict, Projection, Select,
    Statement, Update,
};
use crate::render::{render, Dialect};
use crate::schema::test_schema::{column, model};
use crate::schema::{ColumnSchema, ModelSchema, SoftDeleteSchema, SqlType, TenantSchema};
use crate::value::Value;

static COLUMNS: [ColumnSchema; 4] = [
    column("id", SqlType::BigInt, false),
    column("tenant_id", SqlType::BigInt, false),
    column("name", SqlType::Text, false),
    column("deleted_at", SqlType::Timestamptz, true),
];

/// Tenant-scoped and soft-deleted.
static DOCS: ModelSchema = ModelSchema {
    soft_delete: Some(SoftDeleteSchema {
        column: 3,
        partial_uniques: false,
    }),
    tenant: Some(TenantSchema {
        column: 1,
        row_level_security: false,
    }),
    ..model("Doc", "docs", &COLUMNS)
};

/// Neither.
static PLAIN: ModelSchema = model("Plain", "plain", &COLUMNS);

fn by_name() -> Expr {
    Expr::Compare(
        Box::new(Expr::Column(&COLUMNS[2])),
        CompareOp::Eq,
        Box::new(Expr::Value(Value::Text("a".into()))),
    )
}

/// `statement` through the chain every `Db` runs (no user interceptors:
/// the built-in soft delete, then the tenant filter), rendered for
/// PostgreSQL.
fn prepared(
    model: &'static ModelSchema,
    action: Action,
    statement: Statement,
) -> crate::Result<String> {
    prepared_in(model, action, statement, Dialect::Postgres)
}

fn prepared_in(
    model: &'static ModelSchema,
    action: Action,
    statement: Statement,
    dialect: Dialect,
) -> crate::Result<String> {
    let op = Op::model(model, action);
    let prepared = Chain::default().prepare(op, statement, |s| Ok(render(&s, dialect).sql))?;
    match prepared.body {
        crate::intercept::chain::Body::Run(sql) => Ok(sql),
        crate::intercept::chain::Body::Skip { .. } => unreachable!("nothing skips"),
    }
}

fn as_tenant<T>(id: i64, f: impl FnOnce() -> T) -> T {
    CURRENT.sync_scope(Tenant::Id(Value::I64(id)), f)
}

fn find(model: &'static ModelSchema) -> Statement {
    let mut select = Select::new(model.table, Projection::CountAll);
    select.filter = Some(by_name());
    Statement::Select(select)
}

#[test]
fn soft_delete_and_tenant_both_hold() {
    // The classic bug: one filter replacing the other's condition.
    let sql = as_tenant(7, || prepared(&DOCS, Action::FindMany, find(&DOCS))).unwrap();
    assert_eq!(
        sql,
        r#"SELECT COUNT(*) FROM "docs" WHERE ("name" = $1 AND "deleted_at" IS NULL AND "tenant_id" = $2)"#
    );
    // A soft delete (DELETE become UPDATE) keeps the tenant too.
    let delete = Statement::Delete(Delete {
        table: "docs",
        filter: Some(by_name()),
        returning: Vec::new(),
    });
    let sql = as_tenant(7, || prepared(&DOCS, Action::DeleteMany, delete)).unwrap();
    assert_eq!(
        sql,
        r#"UPDATE "docs" SET "deleted_at" = $1 WHERE ("name" = $2 AND "deleted_at" IS NULL AND "tenant_id" = $3)"#
    );
}

#[test]
fn a_user_filter_stays_under_both() {
    // What a user interceptor ANDed in (an OR, say) stays whole.
    let mut select = Select::new("docs", Projection::CountAll);
    select.filter = Some(Expr::Or(vec![by_name(), by_name()]));
    let sql = as_tenant(7, || {
        prepared(&DOCS, Action::FindMany, Statement::Select(select))
    })
    .unwrap();
    assert_eq!(
        sql,
        r#"SELECT COUNT(*) FROM "docs" WHERE (("name" = $1 OR "name" = $2) AND "deleted_at" IS NULL AND "tenant_id" = $3)"#
    );
}

#[test]
fn no_scope_is_an_error_and_unscoped_adds_nothing() {
    let missing = prepared(&DOCS, Action::FindMany, find(&DOCS));
    assert!(
        matches!(missing, Err(Error::MissingTenant { model: "Doc" })),
        "{missing:?}"
    );
    let sql = CURRENT
        .sync_scope(Tenant::Unscoped, || {
            prepared(&DOCS, Action::FindMany, find(&DOCS))
        })
        .unwrap();
    assert_eq!(
        sql,
        r#"SELECT COUNT(*) FROM "docs" WHERE ("name" = $1 AND "deleted_at" IS NULL)"#
    );
}

#[test]
fn a_model_reaching_no_tenant_table_is_left_alone() {
    let op = Op::model(&PLAIN, Action::FindMany);
    assert!(!op.rewrites(), "no AST path for a plain model");
    // No scope needed, nothing added.
    let sql = prepared(&PLAIN, Action::FindMany, find(&PLAIN)).unwrap();
    assert_eq!(sql, r#"SELECT COUNT(*) FROM "plain" WHERE "name" = $1"#);
}

#[test]
fn a_scope_of_another_type_is_refused() {
    let text = CURRENT.sync_scope(Tenant::Id(Value::Text("7".into())), || {
        prepared(&DOCS, Action::FindMany, find(&DOCS))
    });
    let Err(Error::InvalidValue {
        model,
        field,
        reason,
    }) = text
    else {
        panic!("{text:?}")
    };
    assert_eq!((model, field), ("Doc", Some("tenant_id")));
    assert!(reason.contains("does not fit"), "{reason}");
    // An integer of another width is the same id.
    let narrow = CURRENT.sync_scope(Tenant::Id(Value::I32(7)), || {
        let mut statement = find(&DOCS);
        let mut op = Operation::new(
            Some(&DOCS),
            Action::FindMany,
            Args::Statement(&mut statement),
        );
        TenantFilter.before(&mut op).map(drop)
    });
    assert!(narrow.is_ok(), "{narrow:?}");
}

fn insert(columns: Vec<&'static ColumnSchema>, rows: Vec<Vec<Value>>) -> Statement {
    Statement::Insert(Insert {
        table: "docs",
        columns,
        rows,
        on_conflict: None,
        returning: vec![&COLUMNS[0]],
    })
}

#[test]
fn a_create_gets_the_scope_tenant_or_is_refused() {
    let name = vec![Value::Text("a".into())];
    let filled = as_tenant(7, || {
        prepared(
            &DOCS,
            Action::CreateMany,
            insert(vec![&COLUMNS[2]], vec![name.clone(), name.clone()]),
        )
    });
    assert_eq!(
        filled.unwrap(),
        r#"INSERT INTO "docs" ("name", "tenant_id") VALUES ($1, $2), ($3, $4) RETURNING "id""#
    );
    let own = vec![Value::I64(7), Value::Text("a".into())];
    let other = vec![Value::I64(8), Value::Text("b".into())];
    let refused = as_tenant(7, || {
        prepared(
            &DOCS,
            Action::CreateMany,
            insert(vec![&COLUMNS[1], &COLUMNS[2]], vec![own, other]),
        )
    });
    let Err(Error::TenantMismatch {
        model,
        field,
        scope,
        written,
    }) = refused
    else {
        panic!("{refused:?}")
    };
    assert_eq!(
        (model, field, &*scope, &*written),
        ("Doc", "tenant_id", "7", "8")
    );
    // Unscoped: the create must name the tenant itself.
    let unnamed = CURRENT.sync_scope(Tenant::Unscoped, || {
        prepared(&DOCS, Action::Create, insert(vec![&COLUMNS[2]], vec![name]))
    });
    assert!(
        matches!(
            unnamed,
            Err(Error::InvalidValue {
                model: "Doc",
                field: Some("tenant_id"),
                ..
            })
        ),
        "{unnamed:?}"
    );
}

#[test]
fn an_update_cannot_move_a_row_to_another_tenant() {
    let update = |to: i64| {
        Statement::Update(Update {
            table: "docs",
            set: vec![Assignment {
                column: &COLUMNS[1],
                value: AssignValue::Set(Value::I64(to)),
            }],
            filter: Some(by_name()),
            returning: Vec::new(),
        })
    };
    let moved = as_tenant(7, || prepared(&DOCS, Action::UpdateMany, update(8)));
    assert!(
        matches!(moved, Err(Error::TenantMismatch { .. })),
        "{moved:?}"
    );
    let same = as_tenant(7, || prepared(&DOCS, Action::UpdateMany, update(7))).unwrap();
    assert_eq!(
        same,
        r#"UPDATE "docs" SET "tenant_id" = $1 WHERE ("name" = $2 AND "deleted_at" IS NULL AND "tenant_id" = $3)"#
    );
}

#[test]
fn an_upsert_updates_only_the_scope_tenants_row() {
    let upsert = |set: Vec<Assignment>| {
        Statement::Insert(Insert {
            table: "docs",
            columns: vec![&COLUMNS[0], &COLUMNS[2]],
            rows: vec![vec![Value::I64(1), Value::Text("a".into())]],
            on_conflict: Some(OnConflict {
                target: vec![&COLUMNS[0]],
                set,
                only_if: None,
            }),
            returning: vec![&COLUMNS[0]],
        })
    };
    let rename = || {
        vec![Assignment {
            column: &COLUMNS[2],
            value: AssignValue::Set(Value::Text("b".into())),
        }]
    };
    let run = |dialect, set| {
        as_tenant(7, || {
            prepared_in(&DOCS, Action::Upsert, upsert(set), dialect)
        })
        .unwrap()
    };
    assert_eq!(
        run(Dialect::Postgres, rename()),
        r#"INSERT INTO "docs" ("id", "name", "tenant_id") VALUES ($1, $2, $3) ON CONFLICT ("id") DO UPDATE SET "name" = $4, "deleted_at" = $5 WHERE "docs"."tenant_id" = $6 RETURNING "id""#
    );
    assert_eq!(
        run(Dialect::MySql, rename()),
        "INSERT INTO `docs` (`id`, `name`, `tenant_id`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE `name` = IF(`docs`.`tenant_id` = ?, ?, `docs`.`name`), `deleted_at` = IF(`docs`.`tenant_id` = ?, ?, IF(LAST_INSERT_ID(9223372036854775807) > 0, `docs`.`deleted_at`, NULL))"
    );
}
