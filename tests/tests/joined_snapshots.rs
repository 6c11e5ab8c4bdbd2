//! The SQL of the joined include strategy, per dialect: a whole include tree
//! in the read's one statement, each include a correlated subquery that
//! aggregates its rows into JSON (a lateral join at the top level on
//! PostgreSQL when the read has no LIMIT/OFFSET).

use schema_examples::blog::{Category, Comment, Post, Tag, User};
use strata::query::ast::Statement;
use strata::relation::Strategy;
use strata::render::render;
use strata::Dialect;
use strata_tests::{show_sql, DIALECTS};

fn show(statement: &Statement, dialect: Dialect) -> String {
    show_sql(&render(statement, dialect))
}

/// Snapshots `build()`'s statement once per dialect, named `{name}@{dialect}`.
fn snapshot(name: &str, build: impl Fn() -> Statement) {
    for (dialect, suffix) in DIALECTS {
        insta::assert_snapshot!(format!("{name}@{suffix}"), show(&build(), dialect));
    }
}

#[test]
fn three_levels_in_one_statement() {
    snapshot("joined_three_levels", || {
        User::find_many()
            .strategy(Strategy::Joined)
            .include(User::posts().include(Post::comments().include(Comment::author())))
            .statement()
            .unwrap()
    });
}

#[test]
fn has_many_filtered_ordered_and_paged_per_parent() {
    snapshot("joined_has_many_paged", || {
        User::find_many()
            .strategy(Strategy::Joined)
            .include(
                User::posts()
                    .filter(Post::published().eq(true))
                    .order_by(Post::rating().desc())
                    .skip(1)
                    .take(2)
                    .include(Post::comments()),
            )
            .statement()
            .unwrap()
    });
}

#[test]
fn to_one_relations_and_a_limited_read() {
    snapshot("joined_to_one_limited", || {
        Post::find_many()
            .strategy(Strategy::Joined)
            .take(10)
            .include(Post::author())
            .include(Post::category().include(Category::parent()))
            .statement()
            .unwrap()
    });
}

#[test]
fn many_to_many_through_a_join_model() {
    snapshot("joined_many_to_many_through", || {
        Post::find_many()
            .strategy(Strategy::Joined)
            .include(Post::tags().order_by(Tag::name().asc()))
            .statement()
            .unwrap()
    });
}

#[test]
fn implicit_many_to_many_self_relation_paged() {
    snapshot("joined_implicit_many_to_many_paged", || {
        User::find_unique(User::by_id("u1"))
            .strategy(Strategy::Joined)
            .include(User::followers().order_by(User::email().asc()).take(3))
            .statement()
    });
}

#[test]
fn selected_columns() {
    snapshot("joined_select", || {
        User::find_first()
            .strategy(Strategy::Joined)
            .include(User::posts().select((Post::title(), Post::views())))
            .statement()
            .unwrap()
    });
}
