//! The SQL of each include shape (strategy "batched"), per dialect: one
//! statement per level, parents' keys as one array on PostgreSQL and an `IN`
//! list elsewhere, per-parent pages through ROW_NUMBER.

use schema_examples::blog::{Comment, Post, Tag, User};
use strata::render::Rendered;
use strata::{Dialect, Value};
use strata_tests::{show_sql, DIALECTS};

fn show(statements: Vec<Rendered>) -> String {
    statements
        .iter()
        .map(show_sql)
        .collect::<Vec<_>>()
        .join("\n")
}

fn text_keys(keys: &[&str]) -> Vec<Vec<Value>> {
    keys.iter()
        .map(|k| vec![Value::Text((*k).into())])
        .collect()
}

fn uuid_keys(n: u128) -> Vec<Vec<Value>> {
    (1..=n)
        .map(|i| vec![Value::Uuid(uuid::Uuid::from_u128(i))])
        .collect()
}

macro_rules! snapshot {
    ($name:literal, $relation:expr, $keys:expr) => {
        for (dialect, suffix) in DIALECTS {
            let statements = $relation.statements_for_keys($keys, dialect).unwrap();
            insta::assert_snapshot!(format!("{}@{suffix}", $name), show(statements));
        }
    };
}

#[test]
fn has_many() {
    snapshot!("include_has_many", User::posts(), text_keys(&["u1", "u2"]));
}

#[test]
fn has_many_filtered_ordered_and_paged_per_parent() {
    snapshot!(
        "include_has_many_paged",
        User::posts()
            .filter(Post::published().eq(true))
            .order_by(Post::views().desc())
            .skip(1)
            .take(2),
        text_keys(&["u1", "u2"])
    );
}

#[test]
fn belongs_to() {
    snapshot!("include_belongs_to", Comment::author(), text_keys(&["u1"]));
}

#[test]
fn many_to_many_through_a_join_model() {
    snapshot!(
        "include_many_to_many_through",
        Post::tags().order_by(Tag::name().asc()),
        uuid_keys(2)
    );
}

#[test]
fn implicit_many_to_many_self_relation_paged() {
    snapshot!(
        "include_implicit_many_to_many_paged",
        User::followers().order_by(User::email().asc()).take(3),
        text_keys(&["u1"])
    );
}

#[test]
fn selected_columns() {
    snapshot!(
        "include_select",
        User::posts().select((Post::title(), Post::views())),
        text_keys(&["u1"])
    );
}

#[test]
fn no_parents_no_statement() {
    for (dialect, _) in DIALECTS {
        let statements = User::posts()
            .statements_for_keys(Vec::new(), dialect)
            .unwrap();
        assert!(statements.is_empty());
    }
}

/// SQLite and MySQL split a batch whose `IN` list would pass the bind limit;
/// PostgreSQL sends any batch as one array.
#[test]
fn batches_split_under_the_bind_limit() {
    let keys = |n: usize| -> Vec<Vec<Value>> {
        (0..n).map(|i| vec![Value::Text(format!("u{i}"))]).collect()
    };
    let count = |dialect, n| {
        User::posts()
            .statements_for_keys(keys(n), dialect)
            .unwrap()
            .len()
    };
    assert_eq!(count(Dialect::Postgres, 100_000), 1);
    assert_eq!(count(Dialect::Sqlite, 32_766), 1);
    assert_eq!(count(Dialect::Sqlite, 32_767), 2);
    assert_eq!(count(Dialect::MySql, 65_535), 1);
    assert_eq!(count(Dialect::MySql, 65_536), 2);
    let paged = |dialect, n| {
        (User::posts()
            .take(2)
            .statements_for_keys(keys(n), dialect)
            .unwrap())
        .iter()
        .map(|r| r.binds.len())
        .max()
    };
    // The page's own bind leaves room for one key fewer per statement.
    assert_eq!(paged(Dialect::Sqlite, 40_000), Some(32_766));
}
