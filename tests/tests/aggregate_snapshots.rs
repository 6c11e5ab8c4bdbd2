//! The SQL of model aggregates and group-bys per dialect: the casts that give
//! each aggregate one result type everywhere, filters in the model's scope
//! (relation filters included), GROUP BY, HAVING, ORDER BY on aggregates
//! with NULLs placed alike, and paging ended by the group keys.

use schema_examples::blog::{Post, PostStatus, Role, User};
use strata::dsl::*;
use strata::ToSql;
use strata_tests::{show_sql, DIALECTS};

/// Snapshots `query` once per dialect, named `{name}@{dialect}`.
fn snapshot(name: &str, query: &impl ToSql) {
    for (dialect, suffix) in DIALECTS {
        let rendered = query.to_sql(dialect).unwrap();
        insta::assert_snapshot!(format!("{name}@{suffix}"), show_sql(&rendered));
    }
}

#[test]
fn aggregate_with_every_function() {
    snapshot(
        "aggregate_every_function",
        &Post::aggregate((
            count_all(),
            count(Post::rating()),
            count_distinct(Post::author_id()),
            sum(Post::views()),
            sum(Post::rating()),
            avg(Post::views()),
            avg(Post::rating()),
            min(Post::created_at()),
            max(Post::title()),
        )),
    );
}

#[test]
fn aggregate_filtered_through_a_relation() {
    snapshot(
        "aggregate_filtered",
        &Post::aggregate((count_all(), sum(Post::views())))
            .filter(Post::published().eq(true))
            .filter(Post::author().is(User::role().eq(Role::Admin))),
    );
}

#[test]
fn group_by_with_having_order_and_page() {
    snapshot(
        "group_by_full",
        &Post::group_by((Post::author_id(), Post::status()))
            .aggregate((count_all(), sum(Post::views()), avg(Post::rating())))
            .filter(Post::published().eq(true))
            .having(sum(Post::views()).gt(100).and(count_all().gte(2)))
            .order_by(sum(Post::views()).desc())
            .take(10)
            .skip(20),
    );
}

#[test]
fn group_by_enum_key_in_having() {
    snapshot(
        "group_by_enum_having",
        &Post::group_by(Post::status())
            .aggregate(count_all())
            .having(Post::status().ne(PostStatus::Archived)),
    );
}

#[test]
fn group_by_orders_nullable_aggregates_and_keys() {
    snapshot(
        "group_by_order_nulls",
        &Post::group_by(Post::category_id())
            .aggregate((max(Post::rating()), count_all()))
            .order_by(max(Post::rating()).asc())
            .order_by(count_all().desc())
            .order_by(Post::category_id().asc().nulls_first()),
    );
}

#[test]
fn group_by_without_aggregates_reads_the_distinct_keys() {
    snapshot(
        "group_by_keys_only",
        &Post::group_by(Post::author_id()).filter(Post::views().gt(0)),
    );
}
