//! The SQL text of a query depends on its shape only, never on its values
//! (they are bound), so the driver's prepared-statement cache hits on every
//! repeat of a shape (`PoolOptions::statement_cache_capacity`).

use schema_examples::blog::{Post, User};
use strata::dsl::*;
use strata::{increment, sql, ToSql};
use strata_tests::DIALECTS;

/// Renders each query (the same shape, different values) for every dialect:
/// one SQL text per dialect, and the values only in the binds.
fn assert_one_text(shape: &str, queries: &[&dyn ToSql]) {
    for (dialect, name) in DIALECTS {
        let rendered: Vec<_> = queries
            .iter()
            .map(|q| {
                q.to_sql(dialect)
                    .unwrap_or_else(|e| panic!("{shape}@{name}: {e}"))
            })
            .collect();
        for r in &rendered[1..] {
            assert_eq!(
                r.sql, rendered[0].sql,
                "{shape}@{name}: SQL text changed with the values"
            );
        }
        let binds: Vec<_> = rendered.iter().map(|r| format!("{:?}", r.binds)).collect();
        let mut distinct = binds.clone();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            binds.len(),
            "{shape}@{name}: the values are bound: {binds:?}"
        );
    }
}

#[test]
fn find_unique_by_id() {
    let id = uuid::Uuid::from_u128;
    let a = Post::find_unique(Post::by_id(id(1)));
    let b = Post::find_unique(Post::by_id(id(2)));
    let c = Post::find_unique(Post::by_id(id(u128::MAX)));
    assert_one_text("find_unique", &[&a, &b, &c]);
}

#[test]
fn find_many_filtered_ordered_paged() {
    let q = |title: &str, views: i64, take, skip| {
        Post::find_many()
            .filter(Post::title().contains(title))
            .filter(Post::views().gte(views))
            .order_by(Post::views().desc())
            .take(take)
            .skip(skip)
    };
    let (a, b, c) = (q("a", 1, 10, 0), q("it's", 500, 20, 40), q("%_", -3, 1, 7));
    assert_one_text("find_many", &[&a, &b, &c]);
}

#[test]
fn count_and_delete_many_filtered() {
    let (a, b) = (
        Post::count().filter(Post::views().lt(3)),
        Post::count().filter(Post::views().lt(99)),
    );
    assert_one_text("count", &[&a, &b]);
    let (a, b) = (
        Post::delete_many().filter(Post::title().eq("x")),
        Post::delete_many().filter(Post::title().eq("y")),
    );
    assert_one_text("delete_many", &[&a, &b]);
}

#[test]
fn update_by_key() {
    let a = User::update(User::by_email("a@x.io")).credits(increment(1));
    let b = User::update(User::by_email("b@x.io")).credits(increment(7));
    assert_one_text("update", &[&a, &b]);
}

#[test]
fn select_builder_and_raw_sql() {
    let q = |name: &str, min: i64| {
        strata::select((User::email(), count(Post::id())))
            .from::<User>()
            .left_join::<Post>(eq(Post::author_id(), User::id()))
            .filter(eq(User::name(), name))
            .filter(gt(Post::views(), min))
            .group_by(User::email())
    };
    let (a, b) = (q("ann", 1), q("bob", 2));
    assert_one_text("select", &[&a, &b]);
    let raw = |min: i64| sql!("SELECT {Post::title} FROM {Post} WHERE {Post::views} > {min}");
    let (a, b) = (raw(1), raw(2));
    assert_one_text("sql!", &[&a, &b]);
}
