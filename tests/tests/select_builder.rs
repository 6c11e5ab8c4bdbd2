//! The select builder against real SQLite, PostgreSQL and MariaDB, on the
//! blog schema: joins of every kind with their NULL rows, grouping,
//! DISTINCT, subqueries, CTEs, set operations, a self-join, paging, raw
//! fragments.

use schema_examples::blog::{BlogSchema, Category, Comment, Post, User};
use strata::dsl::*;
use strata::{sql, Db, Dialect, Error};
use strata_tests::backend_tests;

strata::alias!(Manager = User as "manager");

/// ann (manager of bob) wrote a1 (10 views, published) and a2 (30 views);
/// bob (manager of cat) wrote b1 (5 views, in category "rust"); cat wrote
/// nothing. Category "empty" has no posts. bob and cat commented on a1, ann
/// on b1.
struct Blog {
    ann: User,
    bob: User,
    cat: User,
}

async fn blog(db: &Db) -> Blog {
    db.push_schema::<BlogSchema>().await.unwrap();
    let ann = User::create()
        .email("ann@x.io")
        .name("Ann")
        .exec(db)
        .await
        .unwrap();
    let bob = User::create()
        .email("bob@x.io")
        .name("Bob")
        .manager_id(&ann.id)
        .exec(db)
        .await
        .unwrap();
    let cat = User::create()
        .email("cat@x.io")
        .manager_id(&bob.id)
        .exec(db)
        .await
        .unwrap();
    let rust = Category::create().name("rust").exec(db).await.unwrap();
    Category::create().name("empty").exec(db).await.unwrap();
    let post = |title: &'static str, author: &User, views: i64| {
        Post::create()
            .title(title)
            .author_id(&author.id)
            .views(views)
    };
    let a1 = post("a1", &ann, 10).published(true).exec(db).await.unwrap();
    post("a2", &ann, 30).exec(db).await.unwrap();
    let b1 = post("b1", &bob, 5)
        .category_id(rust.id)
        .exec(db)
        .await
        .unwrap();
    for (body, on, by) in [("nice", &a1, &bob), ("spam", &a1, &cat), ("ok", &b1, &ann)] {
        Comment::create()
            .body(body)
            .post_id(on.id)
            .author_id(&by.id)
            .exec(db)
            .await
            .unwrap();
    }
    Blog { ann, bob, cat }
}

fn sorted<T: Ord>(mut rows: Vec<T>) -> Vec<T> {
    rows.sort();
    rows
}

fn s(text: &str) -> String {
    text.to_owned()
}

backend_tests!(inner_join_filters_orders_and_pages, |db| async move {
    blog(&db).await;
    let query = strata::select((Post::title(), User::email(), Post::views()))
        .from::<Post>()
        .inner_join::<User>(eq(Post::author_id(), User::id()))
        .filter(gte(Post::views(), 5))
        .order_by(Post::views().desc());
    let rows: Vec<(String, String, i64)> = query.fetch_all(&db).await.unwrap();
    assert_eq!(
        rows,
        vec![
            (s("a2"), s("ann@x.io"), 30),
            (s("a1"), s("ann@x.io"), 10),
            (s("b1"), s("bob@x.io"), 5),
        ]
    );
    let page = query
        .clone()
        .limit(1)
        .offset(1)
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(page, vec![(s("a1"), s("ann@x.io"), 10)]);
    let published = query
        .filter(Post::published().eq(true))
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(published.0, "a1");
});

backend_tests!(
    a_select_run_again_reads_with_its_new_values,
    |db| async move {
        // Its text is remembered after the first run; each run binds its own
        // values, and a list of another length is another text.
        blog(&db).await;
        let db = &db;
        let by_email = |email: &'static str| {
            strata::select((User::email(), Post::title()))
                .from::<User>()
                .left_join::<Post>(eq(Post::author_id(), User::id()))
                .filter(eq(User::email(), email))
                .order_by(Post::title().asc())
        };
        for _ in 0..2 {
            let ann: Vec<(String, Option<String>)> =
                by_email("ann@x.io").fetch_all(db).await.unwrap();
            assert_eq!(
                ann,
                [
                    (s("ann@x.io"), Some(s("a1"))),
                    (s("ann@x.io"), Some(s("a2")))
                ]
            );
            let cat: Vec<(String, Option<String>)> =
                by_email("cat@x.io").fetch_all(db).await.unwrap();
            assert_eq!(cat, [(s("cat@x.io"), None)]);
            let nobody = by_email("it's \"nobody\"; --").fetch_all(db).await.unwrap();
            assert!(nobody.is_empty());
        }
        let views_in = |views: &[i64]| {
            strata::select(Post::title())
                .from::<Post>()
                .filter(expr(Post::views()).in_list(views.to_vec()))
                .order_by(Post::title().asc())
        };
        for views in [&[10][..], &[10, 5], &[30], &[5, 30, 10]] {
            let titles = views_in(views).fetch_all(db).await.unwrap();
            let mut expected: Vec<String> = [("a1", 10), ("a2", 30), ("b1", 5)]
                .into_iter()
                .filter(|(_, v)| views.contains(v))
                .map(|(t, _)| s(t))
                .collect();
            expected.sort();
            assert_eq!(titles, expected, "views in {views:?}");
        }
    }
);

backend_tests!(left_join_reads_missing_rows_as_none, |db| async move {
    blog(&db).await;
    let rows: Vec<(String, Option<String>, Option<i64>)> =
        strata::select((User::email(), Post::title(), Post::views()))
            .from::<User>()
            .left_join::<Post>(eq(Post::author_id(), User::id()))
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(
        sorted(rows),
        vec![
            (s("ann@x.io"), Some(s("a1")), Some(10)),
            (s("ann@x.io"), Some(s("a2")), Some(30)),
            (s("bob@x.io"), Some(s("b1")), Some(5)),
            (s("cat@x.io"), None, None),
        ]
    );
});

backend_tests!(
    expressions_over_a_left_joined_table_are_read_nullable,
    |db| async move {
        blog(&db).await;
        // An expression reads as the type it was built with; `.nullable()` says
        // that a left join may leave it NULL.
        let doubled = raw::<i64>(sql!("{Post::views} * 2")).nullable();
        let rows: Vec<(String, Option<i64>, Option<i64>)> =
            strata::select((User::email(), expr(Post::views()).nullable(), doubled))
                .from::<User>()
                .left_join::<Post>(eq(Post::author_id(), User::id()))
                .filter(eq(User::email(), "cat@x.io"))
                .fetch_all(&db)
                .await
                .unwrap();
        assert_eq!(rows, vec![(s("cat@x.io"), None, None)]);
        // Without it, the NULL is a decoding error on every database (sqlx's
        // SQLite driver would read it as 0; strata refuses that).
        let err = strata::select((User::email(), expr(Post::views())))
            .from::<User>()
            .left_join::<Post>(eq(Post::author_id(), User::id()))
            .filter(eq(User::email(), "cat@x.io"))
            .fetch_all(&db)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Database(_)), "{err:?}");
    }
);

backend_tests!(
    right_join_makes_the_earlier_sources_nullable,
    |db| async move {
        blog(&db).await;
        let rows: Vec<(Option<String>, String)> = strata::select((Post::title(), User::email()))
            .from::<Post>()
            .right_join::<User>(eq(Post::author_id(), User::id()))
            .fetch_all(&db)
            .await
            .unwrap();
        assert_eq!(
            sorted(rows),
            vec![
                (None, s("cat@x.io")),
                (Some(s("a1")), s("ann@x.io")),
                (Some(s("a2")), s("ann@x.io")),
                (Some(s("b1")), s("bob@x.io")),
            ]
        );
    }
);

backend_tests!(full_join_or_its_error_on_mysql, |db| async move {
    blog(&db).await;
    let query = strata::select((Category::name(), Post::title()))
        .from::<Category>()
        .full_join::<Post>(eq(Post::category_id(), Category::id()));
    // Both sides may be missing: every column reads as an Option.
    let result = query.fetch_all(&db).await;
    if db.dialect() == Dialect::MySql {
        let err = result.unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidValue {
                    model: "Post",
                    field: Some("full_join"),
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("no FULL JOIN"), "{err}");
        return;
    }
    let rows: Vec<(Option<String>, Option<String>)> = result.unwrap();
    assert_eq!(
        sorted(rows),
        vec![
            (None, Some(s("a1"))),
            (None, Some(s("a2"))),
            (Some(s("empty")), None),
            (Some(s("rust")), Some(s("b1"))),
        ]
    );
});

backend_tests!(group_by_having_ordered_by_an_aggregate, |db| async move {
    blog(&db).await;
    let query = strata::select((User::email(), count(Post::id()), sum(Post::views())))
        .from::<User>()
        .left_join::<Post>(eq(Post::author_id(), User::id()))
        .group_by(User::email())
        .order_by(sum(Post::views()).desc());
    let rows: Vec<(String, i64, Option<i64>)> = query.fetch_all(&db).await.unwrap();
    assert_eq!(
        rows,
        vec![
            // NULL sorts as the largest value, first when descending.
            (s("cat@x.io"), 0, None),
            (s("ann@x.io"), 2, Some(40)),
            (s("bob@x.io"), 1, Some(5)),
        ]
    );
    let busy = query
        .having(gt(count(Post::id()), 1))
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(busy, vec![(s("ann@x.io"), 2, Some(40))]);
});

backend_tests!(distinct_and_distinct_on, |db| async move {
    let blog = blog(&db).await;
    let authors = strata::select(Post::author_id())
        .from::<Post>()
        .distinct()
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(
        sorted(authors),
        sorted(vec![blog.ann.id.clone(), blog.bob.id.clone()])
    );
    let most_viewed = strata::select((Post::author_id(), Post::title()))
        .from::<Post>()
        .distinct_on(Post::author_id())
        .order_by(Post::author_id().asc())
        .order_by(Post::views().desc())
        .fetch_all(&db)
        .await;
    if db.dialect() != Dialect::Postgres {
        let err = most_viewed.unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidValue {
                    field: Some("distinct_on"),
                    ..
                }
            ),
            "{err:?}"
        );
        return;
    }
    assert_eq!(
        sorted(most_viewed.unwrap()),
        sorted(vec![(blog.ann.id, s("a2")), (blog.bob.id, s("b1"))])
    );
});

backend_tests!(self_join_through_an_alias, |db| async move {
    blog(&db).await;
    let rows: Vec<(String, Option<String>)> =
        strata::select((User::email(), Manager::col(User::email())))
            .from::<User>()
            .left_join::<Manager>(eq(User::manager_id(), Manager::col(User::id())))
            .order_by(User::email().asc())
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(
        rows,
        vec![
            (s("ann@x.io"), None),
            (s("bob@x.io"), Some(s("ann@x.io"))),
            (s("cat@x.io"), Some(s("bob@x.io"))),
        ]
    );
});

backend_tests!(subqueries_in_where_and_select, |db| async move {
    let blog = blog(&db).await;
    let comments_on_post = strata::select(Comment::id())
        .from::<Comment>()
        .filter(eq(Comment::post_id(), Post::id()));
    let commented: Vec<String> = strata::select(Post::title())
        .from::<Post>()
        .filter(exists(comments_on_post.clone()))
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(sorted(commented), vec![s("a1"), s("b1")]);
    let without_spam: Vec<String> = strata::select(Post::title())
        .from::<Post>()
        .filter(not_exists(
            comments_on_post.filter(eq(Comment::body(), "spam")),
        ))
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(sorted(without_spam), vec![s("a2"), s("b1")]);

    let viewed_authors = strata::select(Post::author_id())
        .from::<Post>()
        .filter(gte(Post::views(), 10));
    let emails = strata::select(User::email())
        .from::<User>()
        .filter(in_subquery(User::id(), viewed_authors.clone()))
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(emails, vec![s("ann@x.io")]);
    let others = strata::select(User::email())
        .from::<User>()
        .filter(not_in_subquery(User::id(), viewed_authors))
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(sorted(others), vec![s("bob@x.io"), s("cat@x.io")]);

    let post_count = strata::select(count_all())
        .from::<Post>()
        .filter(eq(Post::author_id(), User::id()))
        .scalar();
    let counts: Vec<(String, Option<i64>)> = strata::select((User::id(), post_count.clone()))
        .from::<User>()
        .filter(gt(post_count, 0))
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(
        sorted(counts),
        sorted(vec![(blog.ann.id, Some(2)), (blog.bob.id, Some(1))])
    );
});

backend_tests!(derived_table_and_cte_as_sources, |db| async move {
    blog(&db).await;
    let totals = strata::select((Post::author_id(), sum(Post::views())))
        .from::<Post>()
        .group_by(Post::author_id())
        .as_derived("totals");
    let rows: Vec<(String, Option<i64>)> = strata::select((User::email(), totals.col::<1>()))
        .from::<User>()
        .inner_join_table(&totals, eq(totals.col::<0>(), User::id()))
        .filter(gt(totals.col::<1>(), 6))
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(rows, vec![(s("ann@x.io"), Some(40))]);

    let viewed = strata::select((Post::id(), Post::title()))
        .from::<Post>()
        .filter(gte(Post::views(), 10))
        .as_cte("viewed");
    let rows: Vec<(String, i64)> = strata::select((viewed.col::<1>(), count(Comment::id())))
        .from_table(&viewed)
        .left_join::<Comment>(eq(Comment::post_id(), viewed.col::<0>()))
        .group_by(viewed.col::<1>())
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(sorted(rows), vec![(s("a1"), 2), (s("a2"), 0)]);

    // A CTE joined to a model's table, and read from twice by name.
    let titles: Vec<String> = strata::select(viewed.col::<1>())
        .from::<Post>()
        .inner_join_table(&viewed, eq(viewed.col::<0>(), Post::id()))
        .filter(in_subquery(
            Post::id(),
            strata::select(viewed.col::<0>()).from_table(&viewed),
        ))
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(sorted(titles), vec![s("a1"), s("a2")]);
});

backend_tests!(set_operations_between_selects, |db| async move {
    let blog = blog(&db).await;
    let authors = strata::select(Post::author_id()).from::<Post>();
    let commenters = strata::select(Comment::author_id()).from::<Comment>();
    let (ann, bob, cat) = (blog.ann.id, blog.bob.id, blog.cat.id);
    let union = authors
        .clone()
        .union(commenters.clone())
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(
        sorted(union),
        sorted(vec![ann.clone(), bob.clone(), cat.clone()])
    );
    let all = authors
        .clone()
        .union_all(commenters.clone())
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(all.len(), 6, "3 posts and 3 comments: {all:?}");
    let both = authors
        .clone()
        .intersect(commenters.clone())
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(sorted(both), sorted(vec![ann.clone(), bob.clone()]));
    let only_commenters = commenters
        .clone()
        .except(authors.clone())
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(only_commenters, vec![cat.clone()]);
    // A member with its own ORDER BY and LIMIT, and paging of the whole.
    let top_author = strata::select(Post::author_id())
        .from::<Post>()
        .order_by(Post::views().desc())
        .limit(1);
    let rest = authors
        .clone()
        .except(top_author)
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(rest, vec![bob.clone()]);
    // Sorting combined rows: read the compound as a derived table.
    let people = authors.union(commenters).as_derived("people");
    let descending: Vec<String> = strata::select(people.col::<0>())
        .from_table(&people)
        .order_by(people.col::<0>().desc())
        .fetch_all(&db)
        .await
        .unwrap();
    let mut expected = vec![ann, bob, cat];
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(descending, expected);
});

backend_tests!(raw_fragments_typed_by_the_caller, |db| async move {
    blog(&db).await;
    let min = 6_i64;
    let doubled = raw::<i64>(sql!("{Post::views} * 2"));
    let rows: Vec<(String, i64)> = strata::select((Post::title(), doubled.clone()))
        .from::<Post>()
        .filter(raw_condition(sql!("{Post::views} >= {min}")))
        .order_by(doubled.desc())
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(rows, vec![(s("a2"), 60), (s("a1"), 20)]);
    // A hostile value stays a value.
    let hostile = "x' OR '1'='1";
    let none: Vec<String> = strata::select(Post::title())
        .from::<Post>()
        .filter(raw_condition(sql!("{Post::title} = {hostile}")))
        .fetch_all(&db)
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
});

backend_tests!(fetch_one_optional_and_into_structs, |db| async move {
    blog(&db).await;
    #[derive(Debug, PartialEq)]
    struct Views {
        title: String,
        views: i64,
    }
    impl From<(String, i64)> for Views {
        fn from((title, views): (String, i64)) -> Self {
            Views { title, views }
        }
    }
    let query = strata::select((Post::title(), Post::views()))
        .from::<Post>()
        .order_by(Post::title().asc());
    let rows: Vec<Views> = query.fetch_all_into(&db).await.unwrap();
    assert_eq!(
        rows[0],
        Views {
            title: s("a1"),
            views: 10
        }
    );
    assert_eq!(rows.len(), 3);
    #[derive(strata::FromRow, Debug, PartialEq)]
    struct TitleViews {
        title: String,
        views: i64,
    }
    let named: Vec<TitleViews> = query.fetch_all_as(&db).await.unwrap();
    assert_eq!(
        named[2],
        TitleViews {
            title: s("b1"),
            views: 5
        }
    );
    let none = query
        .clone()
        .filter(eq(Post::title(), "zzz"))
        .fetch_optional(&db)
        .await
        .unwrap();
    assert_eq!(none, None);
    let err = query
        .filter(eq(Post::title(), "zzz"))
        .fetch_one(&db)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { model: "select" }),
        "{err:?}"
    );
});
