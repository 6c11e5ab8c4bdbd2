//! The SQL `sql!` fragments render to, per dialect: quoted tables and
//! columns, placeholders numbered across nested fragments, IN lists (one
//! array bind on PostgreSQL), the empty list, and a fragment inside an ORM
//! statement continuing its numbering.

use chrono::{TimeZone, Utc};
use schema_examples::blog::{Post, Role, User};
use strata::query::ast::{Expr, Projection, Select, Statement};
use strata::render::render;
use strata::{sql, Model, Sql, ToSql, Value};
use strata_tests::{show_sql, DIALECTS};

/// Snapshots `fragment` once per dialect, named `{name}@{dialect}`.
fn snapshot(name: &str, fragment: &Sql) {
    for (dialect, suffix) in DIALECTS {
        let rendered = fragment.to_sql(dialect).unwrap();
        insta::assert_snapshot!(format!("{name}@{suffix}"), show_sql(&rendered));
    }
}

#[test]
fn select_with_models_columns_and_binds() {
    let since = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    snapshot(
        "raw_select",
        &sql!("SELECT {User::id}, {User::email} FROM {User} WHERE {User::created_at} > {since} AND {User::role} = {Role::Admin} AND {User::email} <> {\"x\"}"),
    );
}

#[test]
fn bare_columns_and_literal_braces() {
    let (id, name) = ("u1", "{x}");
    snapshot(
        "raw_update_bare",
        &sql!("UPDATE {User} SET {User::name:bare} = {name}, {User::credits:bare} = {User::credits:bare} + {1_i32} WHERE {User::id} = {id} -- {{not a placeholder}}"),
    );
}

#[test]
fn nested_fragments_number_placeholders_in_order() {
    let min = 10_i64;
    let filter = Some(sql!("AND {Post::views} >= {min}"));
    let none: Option<Sql> = None;
    let columns = Sql::join(
        vec![
            sql!("{Post::id}"),
            sql!("{Post::title}"),
            sql!("{Post::views} + {1_i64}"),
        ],
        ", ",
    );
    snapshot(
        "raw_nested",
        &sql!("SELECT {columns} FROM {Post} WHERE {Post::published} = {true} {filter} {none} {Sql::empty()} LIMIT {5_i64}"),
    );
}

#[test]
fn in_lists_and_the_empty_list() {
    let authors = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
    snapshot(
        "raw_in_list",
        &sql!("SELECT {Post::id} FROM {Post} WHERE {Sql::in_list(Post::author_id(), authors)} AND {Sql::not_in_list(Post::status(), [schema_examples::blog::PostStatus::Draft])}"),
    );
    let none: Vec<i64> = Vec::new();
    snapshot(
        "raw_empty_in_list",
        &sql!("SELECT {Post::id} FROM {Post} WHERE {Sql::in_list(Post::views(), none.clone())} OR {Sql::not_in_list(Post::views(), none)}"),
    );
}

#[test]
fn a_fragment_inside_an_orm_statement_continues_its_numbering() {
    let mut select = Select::new(
        User::SCHEMA.table,
        Projection::Columns(vec![User::id().schema()]),
    );
    select.filter = Some(Expr::And(vec![
        Expr::Compare(
            Box::new(Expr::Column(User::email().schema())),
            strata::query::ast::CompareOp::Eq,
            Box::new(Expr::Value(Value::Text("a@x.io".into()))),
        ),
        Expr::Raw(sql!(
            "{User::credits} > {5_i32} OR {User::name} = {\"Ann\"}"
        )),
    ]));
    select.limit = Some(3);
    let statement = Statement::Select(select);
    for (dialect, suffix) in DIALECTS {
        insta::assert_snapshot!(
            format!("raw_in_orm_select@{suffix}"),
            show_sql(&render(&statement, dialect))
        );
    }
}

#[test]
fn unsuffixed_literals_and_optional_text_bind_as_expected() {
    let maybe: Option<&str> = None;
    let rendered = sql!("SELECT {1}, {2.5}, {\"a\"}, {maybe}, {Some(\"b\")}")
        .to_sql(strata::Dialect::Postgres)
        .unwrap();
    assert_eq!(rendered.sql, "SELECT $1, $2, $3, $4, $5");
    assert_eq!(
        rendered.binds,
        [
            Value::I32(1),
            Value::F64(2.5),
            Value::Text("a".into()),
            Value::Null(strata::schema::SqlType::Text),
            Value::Text("b".into()),
        ]
    );
}
