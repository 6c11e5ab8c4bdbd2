//! The SQL of relation filters (`some`, `every`, `none`, `is`, `is_not`) and
//! relation counts (`with_count`), per dialect: each is a correlated subquery
//! in the one statement, its table aliased `"t1"`, `"t2"`.. by depth.

use schema_examples::blog::{Category, Comment, Post, PostStatus, Profile, Role, Tag, User};
use strata::query::ast::Statement;
use strata::render::render;
use strata::{increment, Dialect};
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
fn to_many_filters() {
    snapshot("some", || {
        User::find_many()
            .filter(User::posts().some(Post::published().eq(true)))
            .statement()
            .unwrap()
    });
    // A post whose rating is NULL does not satisfy `rating >= 3`: IS NOT TRUE.
    snapshot("every", || {
        User::find_many()
            .filter(User::posts().every(Post::rating().gte(3.0)))
            .statement()
            .unwrap()
    });
    snapshot("none", || {
        User::find_many()
            .filter(User::posts().none(Post::status().eq(PostStatus::Archived)))
            .statement()
            .unwrap()
    });
    // The relation's own filter narrows the rows `every` looks at.
    snapshot("every_of_filtered_relation", || {
        User::find_many()
            .filter(
                User::posts()
                    .filter(Post::published().eq(true))
                    .every(Post::views().gt(10)),
            )
            .statement()
            .unwrap()
    });
}

#[test]
fn to_one_filters() {
    snapshot("is_belongs_to", || {
        Post::find_many()
            .filter(Post::author().is(User::role().eq(Role::Admin)))
            .statement()
            .unwrap()
    });
    snapshot("is_not_nullable_belongs_to", || {
        Post::find_many()
            .filter(Post::category().is_not(Category::name().eq("news")))
            .statement()
            .unwrap()
    });
    snapshot("is_has_one", || {
        User::find_many()
            .filter(User::profile().is(Profile::bio().is_not_null()))
            .statement()
            .unwrap()
    });
}

#[test]
fn nested_and_combined_filters() {
    snapshot("nested_some", || {
        User::find_many()
            .filter(User::posts().some(
                Post::comments().some(Comment::author().is(User::role().eq(Role::Moderator))),
            ))
            .statement()
            .unwrap()
    });
    snapshot("combined_with_columns_and_not", || {
        Post::find_many()
            .filter(
                Post::published()
                    .eq(true)
                    .and(Post::tags().some(Tag::name().eq("rust")).not())
                    .or(Post::comments().none(Comment::body().contains("spam"))),
            )
            .order_by(Post::created_at().desc())
            .take(10)
            .statement()
            .unwrap()
    });
}

#[test]
fn self_relations() {
    snapshot("self_has_many", || {
        User::find_many()
            .filter(User::reports().some(User::role().eq(Role::Admin)))
            .statement()
            .unwrap()
    });
    snapshot("self_belongs_to", || {
        User::find_many()
            .filter(User::manager().is(User::name().eq("Ann")))
            .statement()
            .unwrap()
    });
    // Three levels of the same table: managers of managers.
    snapshot("self_nested", || {
        Category::find_many()
            .filter(
                Category::children().some(Category::children().some(Category::name().eq("rust"))),
            )
            .statement()
            .unwrap()
    });
}

#[test]
fn many_to_many() {
    snapshot("many_to_many_through_model", || {
        Post::find_many()
            .filter(Post::tags().some(Tag::name().eq("rust")))
            .statement()
            .unwrap()
    });
    snapshot("many_to_many_every", || {
        Tag::find_many()
            .filter(Tag::posts().every(Post::published().eq(true)))
            .statement()
            .unwrap()
    });
    snapshot("many_to_many_implicit", || {
        User::find_many()
            .filter(User::followers().some(User::email().ends_with("@example.com")))
            .statement()
            .unwrap()
    });
}

#[test]
fn counts() {
    snapshot("count_has_many", || {
        User::find_many()
            .with_count(User::posts())
            .statement()
            .unwrap()
    });
    snapshot("count_filtered_and_several", || {
        User::find_many()
            .filter(User::email().ends_with("@example.com"))
            .with_count(User::posts().filter(Post::published().eq(true)))
            .with_count(User::comments())
            .order_by(User::email().asc())
            .statement()
            .unwrap()
    });
    snapshot("count_many_to_many", || {
        Post::find_first()
            .with_count(Post::tags())
            .with_count(Post::comments().filter(Comment::author().is(User::role().eq(Role::Admin))))
            .statement()
            .unwrap()
    });
    snapshot("count_implicit_many_to_many_find_unique", || {
        User::find_unique(User::by_email("ann@example.com"))
            .with_count(User::followers().filter(User::role().eq(Role::Admin)))
            .with_count(User::following())
            .statement()
    });
}

#[test]
fn relation_filters_in_other_statements() {
    snapshot("count_with_relation_filter", || {
        User::count()
            .filter(User::posts().some(Post::views().gt(100)))
            .statement()
    });
    snapshot("update_many_with_relation_filter", || {
        User::update_many(User::posts().none(Post::published().eq(true)))
            .credits(increment(1))
            .into_inner()
            .statement()
    });
    snapshot("delete_many_with_self_relation_filter", || {
        User::delete_many()
            .filter(User::reports().none(User::role().eq(Role::User)))
            .statement()
    });
    // The cursor's subqueries are aliased like any other.
    snapshot("cursor_with_relation_filter", || {
        User::find_many()
            .filter(User::posts().some(Post::published().eq(true)))
            .order_by(User::created_at().desc())
            .cursor(User::by_email("ann@example.com"))
            .take(2)
            .statement()
            .unwrap()
    });
}
