//! The SQL the select builder renders, per dialect: one snapshot per feature.
//! Where a database lacks the feature the snapshot shows strata's error.

use schema_examples::blog::{Category, Comment, Post, User};
use strata::dsl::*;
use strata::{sql, ToSql};
use strata_tests::{show_sql, DIALECTS};

strata::alias!(Manager = User as "manager");

/// Snapshots `query` once per dialect, named `{name}@{dialect}`.
fn snapshot(name: &str, query: &impl ToSql) {
    for (dialect, suffix) in DIALECTS {
        let shown = match query.to_sql(dialect) {
            Ok(rendered) => show_sql(&rendered),
            Err(e) => format!("error: {e}"),
        };
        insta::assert_snapshot!(format!("{name}@{suffix}"), shown);
    }
}

#[test]
fn inner_join_where_order_limit() {
    let query = strata::select((Post::title(), User::email()))
        .from::<Post>()
        .inner_join::<User>(eq(Post::author_id(), User::id()))
        .filter(Post::published().eq(true))
        .filter(gt(Post::views(), 10))
        .order_by(Post::published_at().desc())
        .order_by(expr(User::email()).asc())
        .limit(20)
        .offset(40);
    snapshot("select_inner_join", &query);
}

#[test]
fn every_join_kind() {
    let left = strata::select((User::email(), Post::title()))
        .from::<User>()
        .left_join::<Post>(eq(Post::author_id(), User::id()));
    snapshot("select_left_join", &left);
    let right = strata::select((User::email(), Post::title()))
        .from::<User>()
        .right_join::<Post>(eq(Post::author_id(), User::id()));
    snapshot("select_right_join", &right);
    let full = strata::select((Category::name(), Post::title()))
        .from::<Category>()
        .full_join::<Post>(eq(Post::category_id(), Category::id()));
    snapshot("select_full_join", &full);
}

#[test]
fn group_by_having_order_by_aggregate() {
    let query = strata::select((User::email(), count(Post::id()), sum(Post::views())))
        .from::<User>()
        .left_join::<Post>(eq(Post::author_id(), User::id()))
        .group_by(User::email())
        .having(gt(count(Post::id()), 1))
        .order_by(sum(Post::views()).desc())
        .order_by(User::email().asc());
    snapshot("select_group_by_having", &query);
}

#[test]
fn distinct_and_distinct_on() {
    let distinct = strata::select(Post::author_id()).from::<Post>().distinct();
    snapshot("select_distinct", &distinct);
    let on = strata::select((Post::author_id(), Post::title()))
        .from::<Post>()
        .distinct_on(Post::author_id())
        .order_by(Post::author_id().asc())
        .order_by(Post::views().desc());
    snapshot("select_distinct_on", &on);
}

#[test]
fn self_join_through_an_alias() {
    let query = strata::select((User::email(), Manager::col(User::email())))
        .from::<User>()
        .left_join::<Manager>(eq(User::manager_id(), Manager::col(User::id())))
        .order_by(Manager::col(User::email()).asc());
    snapshot("select_self_join", &query);
}

#[test]
fn subqueries_in_where() {
    let has_comments = strata::select(Comment::id())
        .from::<Comment>()
        .filter(eq(Comment::post_id(), Post::id()));
    let exists_query = strata::select(Post::title())
        .from::<Post>()
        .filter(exists(has_comments.clone()))
        .filter(not_exists(has_comments.filter(eq(Comment::body(), "spam"))));
    snapshot("select_exists", &exists_query);

    let popular_authors = strata::select(Post::author_id())
        .from::<Post>()
        .filter(gte(Post::views(), 100));
    let in_query = strata::select(User::email())
        .from::<User>()
        .filter(in_subquery(User::id(), popular_authors));
    snapshot("select_in_subquery", &in_query);

    let post_count = strata::select(count_all())
        .from::<Post>()
        .filter(eq(Post::author_id(), User::id()))
        .scalar();
    let scalar_query = strata::select((User::email(), post_count.clone()))
        .from::<User>()
        .filter(gt(post_count, 0));
    snapshot("select_scalar_subquery", &scalar_query);
}

#[test]
fn derived_table_and_cte() {
    let totals = strata::select((Post::author_id(), sum(Post::views())))
        .from::<Post>()
        .group_by(Post::author_id())
        .as_derived("totals");
    let derived = strata::select((User::email(), totals.col::<1>()))
        .from::<User>()
        .inner_join_table(&totals, eq(totals.col::<0>(), User::id()))
        .filter(gt(totals.col::<1>(), 10));
    snapshot("select_derived_table", &derived);
    let every_user = strata::select((Post::title(), totals.col::<1>().nullable()))
        .from::<Post>()
        .right_join_table(&totals, eq(totals.col::<0>(), Post::author_id()));
    snapshot("select_right_join_derived_table", &every_user);

    let recent = strata::select((Post::id(), Post::title()))
        .from::<Post>()
        .order_by(Post::created_at().desc())
        .limit(10)
        .as_cte("recent");
    let cte = strata::select((recent.col::<1>(), count(Comment::id())))
        .from_table(&recent)
        .left_join::<Comment>(eq(Comment::post_id(), recent.col::<0>()))
        .group_by(recent.col::<1>());
    snapshot("select_cte", &cte);
}

#[test]
fn set_operations() {
    let authors = strata::select(Post::author_id()).from::<Post>();
    let commenters = strata::select(Comment::author_id()).from::<Comment>();
    snapshot("select_union", &authors.clone().union(commenters.clone()));
    snapshot(
        "select_union_all_paged",
        &authors
            .clone()
            .union_all(commenters.clone())
            .limit(5)
            .offset(5),
    );
    snapshot(
        "select_intersect",
        &authors.clone().intersect(commenters.clone()),
    );
    let top = strata::select(Post::author_id())
        .from::<Post>()
        .order_by(Post::views().desc())
        .limit(3);
    snapshot("select_except_member_limited", &authors.except(top));
}

#[test]
fn raw_fragments_in_select_where_group_and_order() {
    let year = raw::<i64>(sql!("CAST({Post::views} / 100 AS BIGINT)"));
    let query = strata::select((year.clone(), count_all()))
        .from::<Post>()
        .filter(raw_condition(sql!("{Post::title} <> {\"draft\"}")))
        .group_by(year.clone())
        .order_by(year.desc());
    snapshot("select_raw_fragments", &query);
}

#[test]
fn a_condition_on_a_table_not_in_the_query_is_an_error_naming_it() {
    let query = strata::select(User::email())
        .from::<User>()
        .filter(eq(Post::title(), "x"));
    for (dialect, _) in DIALECTS {
        let err = query.to_sql(dialect).unwrap_err();
        assert!(
            matches!(
                &err,
                strata::Error::InvalidValue { model: "select", field: Some("title"), reason }
                    if reason.contains("\"posts\"")
            ),
            "{err:?}"
        );
    }
    // Inside a subquery, the enclosing query's tables are in scope.
    let correlated = strata::select(User::email()).from::<User>().filter(exists(
        strata::select(Post::id())
            .from::<Post>()
            .filter(eq(Post::author_id(), User::id())),
    ));
    assert!(correlated.to_sql(strata::Dialect::Postgres).is_ok());
    // But a subquery's tables are not in scope outside it.
    let leaked = strata::select(User::email())
        .from::<User>()
        .filter(exists(strata::select(Post::id()).from::<Post>()))
        .order_by(Post::views().desc());
    assert!(leaked.to_sql(strata::Dialect::Postgres).is_err());
}
