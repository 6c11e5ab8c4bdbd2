//! Every typed operation against real SQLite, PostgreSQL and MariaDB.

use schema_examples::blog::{BlogSchema, Post, PostStatus, PostTag, Role, Tag, User};
use strata::{decrement, divide, increment, multiply, Db, Error};
use strata_tests::backend_tests;

/// Titles of the posts matching `filter`, sorted.
async fn titles(db: &Db, filter: impl strata::IntoFilter<Post>) -> Vec<String> {
    let mut titles: Vec<String> = Post::find_many()
        .filter(filter)
        .exec(db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.title)
        .collect();
    titles.sort();
    titles
}

/// Titles of all posts in `order`.
async fn ordered(db: &Db, order: strata::Order<Post>) -> Vec<String> {
    Post::find_many()
        .order_by(order)
        .exec(db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.title)
        .collect()
}

async fn blog(db: &Db) {
    db.push_schema::<BlogSchema>().await.unwrap();
}

async fn user(db: &Db, email: &str, name: Option<&str>) -> User {
    let create = User::create().email(email);
    match name {
        Some(name) => create.name(name).exec(db).await.unwrap(),
        None => create.exec(db).await.unwrap(),
    }
}

async fn post(db: &Db, author: &User, title: &str, views: i64) -> Post {
    Post::create()
        .title(title)
        .author_id(&author.id)
        .views(views)
        .exec(db)
        .await
        .unwrap()
}

backend_tests!(create_returns_the_row_with_defaults, |db| async move {
    blog(&db).await;
    let ann = User::create()
        .email("ann@x.io")
        .name("Ann")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(ann.id.len(), 24, "cuid generated: {}", ann.id);
    assert_eq!(
        ann.role,
        Role::User,
        "literal enum default from the database"
    );
    assert_eq!(ann.credits, 0, "literal integer default from the database");
    assert_eq!(ann.name.as_deref(), Some("Ann"));
    assert!(ann.updated_at >= ann.created_at);
    let tag = Tag::create().name("rust").exec(&db).await.unwrap();
    let second = Tag::create().name("sql").exec(&db).await.unwrap();
    assert!(
        tag.id > 0 && second.id > tag.id,
        "autoincrement ids {} {}",
        tag.id,
        second.id
    );
    let p = post(&db, &ann, "Hello", 0).await;
    assert_eq!(p.status, PostStatus::Draft);
    assert!(!p.published);
    assert_eq!(p.id.get_version_num(), 4);
    // What create returned is what a read returns.
    let read = User::find_by_id(&ann.id).exec(&db).await.unwrap().unwrap();
    assert_eq!(read, ann);
});

backend_tests!(find_unique_by_every_key_kind, |db| async move {
    blog(&db).await;
    let ann = user(&db, "ann@x.io", None).await;
    let p = post(&db, &ann, "t", 0).await;
    let tag = Tag::create().name("rust").exec(&db).await.unwrap();
    PostTag::create()
        .post_id(p.id)
        .tag_id(tag.id)
        .exec(&db)
        .await
        .unwrap();

    assert_eq!(
        User::find_by_id(&ann.id).exec(&db).await.unwrap(),
        Some(ann.clone())
    );
    assert_eq!(
        User::find_by_email("ann@x.io").exec(&db).await.unwrap(),
        Some(ann.clone())
    );
    assert_eq!(
        User::find_by_email("nobody@x.io").exec(&db).await.unwrap(),
        None
    );
    let link = PostTag::find_by_post_id_tag_id(p.id, tag.id)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(link.map(|l| l.tag_id), Some(tag.id));
    assert!(PostTag::find_by_post_id_tag_id(p.id, tag.id + 1)
        .exec(&db)
        .await
        .unwrap()
        .is_none());
    let missing = User::find_by_email("nobody@x.io").exec_required(&db).await;
    assert!(
        matches!(missing, Err(Error::NotFound { model: "User" })),
        "{missing:?}"
    );
});

backend_tests!(filters_mean_the_same_everywhere, |db| async move {
    blog(&db).await;
    let ann = user(&db, "ann@x.io", Some("Ann")).await;
    user(&db, "bob@x.io", None).await;
    user(&db, "ANNA@x.io", Some("anna")).await;
    for (title, views) in [
        ("Rust", 1),
        ("rusty SQL", 5),
        ("Go", 10),
        ("100% safe_ish", 20),
    ] {
        post(&db, &ann, title, views).await;
    }
    assert_eq!(titles(&db, Post::views().eq(5)).await, ["rusty SQL"]);
    assert_eq!(titles(&db, Post::views().ne(5)).await.len(), 3);
    assert_eq!(
        titles(&db, Post::views().gt(5)).await,
        ["100% safe_ish", "Go"]
    );
    assert_eq!(
        titles(&db, Post::views().gte(10).and(Post::views().lte(10))).await,
        ["Go"]
    );
    assert_eq!(titles(&db, Post::views().lt(5)).await, ["Rust"]);
    assert_eq!(
        titles(&db, Post::views().in_([1, 20])).await,
        ["100% safe_ish", "Rust"]
    );
    assert_eq!(
        titles(&db, Post::views().not_in([1, 20])).await,
        ["Go", "rusty SQL"]
    );
    assert_eq!(
        titles(&db, Post::views().in_(Vec::<i64>::new())).await,
        Vec::<String>::new()
    );
    assert_eq!(
        titles(&db, Post::views().not_in(Vec::<i64>::new()))
            .await
            .len(),
        4
    );
    // Case-sensitive by default on every database (SQLite LIKE and MySQL's
    // default collations would ignore case).
    assert_eq!(
        titles(&db, Post::title().contains("ust")).await,
        ["Rust", "rusty SQL"]
    );
    assert_eq!(
        titles(&db, Post::title().contains("rust")).await,
        ["rusty SQL"]
    );
    assert_eq!(
        titles(&db, Post::title().contains("RUST").insensitive()).await,
        ["Rust", "rusty SQL"]
    );
    assert_eq!(titles(&db, Post::title().starts_with("R")).await, ["Rust"]);
    assert_eq!(
        titles(&db, Post::title().ends_with("SQL")).await,
        ["rusty SQL"]
    );
    // Wildcards in input are literal.
    assert_eq!(
        titles(&db, Post::title().contains("0% s")).await,
        ["100% safe_ish"]
    );
    assert_eq!(
        titles(&db, Post::title().contains("%")).await,
        ["100% safe_ish"]
    );
    assert_eq!(
        titles(&db, Post::title().contains("e_i")).await,
        ["100% safe_ish"]
    );
    assert_eq!(
        titles(&db, Post::title().contains("_").insensitive()).await,
        ["100% safe_ish"]
    );
    assert_eq!(
        titles(&db, Post::title().contains("s_f")).await,
        Vec::<String>::new()
    );
    assert_eq!(
        titles(&db, Post::views().eq(1).or(Post::views().eq(10)).not()).await,
        ["100% safe_ish", "rusty SQL"]
    );
    assert_eq!(
        titles(&db, strata::or([Post::views().eq(1), Post::views().eq(10)])).await,
        ["Go", "Rust"]
    );
    assert_eq!(
        titles(&db, strata::and(Vec::<strata::Filter<Post>>::new()))
            .await
            .len(),
        4
    );
    assert_eq!(
        titles(&db, strata::not(Post::title().starts_with("R")))
            .await
            .len(),
        3
    );

    let named = User::count()
        .filter(User::name().is_not_null())
        .exec(&db)
        .await
        .unwrap();
    let unnamed = User::count()
        .filter(User::name().is_null())
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((named, unnamed), (2, 1));
    // Equality on text is case-sensitive everywhere too.
    assert_eq!(
        User::count()
            .filter(User::email().eq("anna@x.io"))
            .exec(&db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        User::count()
            .filter(User::email().eq("ANNA@x.io"))
            .exec(&db)
            .await
            .unwrap(),
        1
    );
});

backend_tests!(ordering_puts_nulls_in_the_same_place, |db| async move {
    blog(&db).await;
    let ann = user(&db, "ann@x.io", None).await;
    for (title, rating) in [("a", Some(2.0)), ("b", None), ("c", Some(1.0))] {
        Post::create()
            .title(title)
            .author_id(&ann.id)
            .rating(rating)
            .exec(&db)
            .await
            .unwrap();
    }
    // NULL sorts as the largest value unless told otherwise.
    assert_eq!(ordered(&db, Post::rating().asc()).await, ["c", "a", "b"]);
    assert_eq!(ordered(&db, Post::rating().desc()).await, ["b", "a", "c"]);
    assert_eq!(
        ordered(&db, Post::rating().asc().nulls_first()).await,
        ["b", "c", "a"]
    );
    assert_eq!(
        ordered(&db, Post::rating().desc().nulls_last()).await,
        ["a", "c", "b"]
    );
});

backend_tests!(offset_and_cursor_pagination, |db| async move {
    blog(&db).await;
    for i in 0..7 {
        user(&db, &format!("u{i}@x.io"), None).await;
    }
    let emails = |users: Vec<User>| users.into_iter().map(|u| u.email).collect::<Vec<_>>();
    let page = User::find_many()
        .order_by(User::email().desc())
        .skip(2)
        .take(2)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(emails(page), ["u4@x.io", "u3@x.io"]);
    let rest = User::find_many()
        .order_by(User::email().asc())
        .skip(5)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(emails(rest), ["u5@x.io", "u6@x.io"]);

    // Walk every page with a cursor: each row once, in order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = User::find_many().order_by(User::email().asc()).take(3);
        if let Some(email) = &cursor {
            query = query.cursor(User::by_email(email)).skip(1);
        }
        let page = query.exec(&db).await.unwrap();
        if page.is_empty() {
            break;
        }
        cursor = page.last().map(|u| u.email.clone());
        seen.extend(emails(page));
    }
    assert_eq!(
        seen,
        (0..7).map(|i| format!("u{i}@x.io")).collect::<Vec<_>>()
    );

    // The cursor is inclusive and keeps the sort direction.
    let from = User::find_many()
        .order_by(User::email().desc())
        .cursor(User::by_email("u2@x.io"))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(emails(from), ["u2@x.io", "u1@x.io", "u0@x.io"]);
    // Ties on the sort key break on the primary key, so no row is skipped.
    let same_credits = User::find_many()
        .order_by(User::credits().asc())
        .cursor(User::by_email("u3@x.io"))
        .exec(&db)
        .await
        .unwrap();
    let ids: Vec<String> = same_credits.iter().map(|u| u.id.clone()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    // A nullable sort key cannot carry a cursor: a clear error, not wrong pages.
    let err = User::find_many()
        .order_by(User::name().asc())
        .cursor(User::by_email("u3@x.io"))
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("User.name"), "{err}");
});

backend_tests!(select_distinct_count_exists, |db| async move {
    blog(&db).await;
    let ann = user(&db, "ann@x.io", Some("Ann")).await;
    let bob = user(&db, "bob@x.io", None).await;
    for author in [&ann, &ann, &bob] {
        post(&db, author, "t", 3).await;
    }
    let pairs = User::find_many()
        .order_by(User::email().asc())
        .select((User::email(), User::name()))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(
        pairs,
        [
            ("ann@x.io".to_string(), Some("Ann".to_string())),
            ("bob@x.io".to_string(), None)
        ]
    );
    let one: Vec<i32> = User::find_many()
        .select(User::credits())
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(one, [0, 0]);
    let mut authors = Post::find_many()
        .distinct()
        .select(Post::author_id())
        .exec(&db)
        .await
        .unwrap();
    authors.sort();
    let mut expected = vec![ann.id.clone(), bob.id.clone()];
    expected.sort();
    assert_eq!(authors, expected);

    #[derive(Debug, PartialEq)]
    struct Summary {
        email: String,
        credits: i32,
    }
    impl From<(String, i32)> for Summary {
        fn from((email, credits): (String, i32)) -> Self {
            Summary { email, credits }
        }
    }
    let summaries: Vec<Summary> = User::find_many()
        .filter(User::email().eq("bob@x.io"))
        .select((User::email(), User::credits()))
        .exec_into(&db)
        .await
        .unwrap();
    assert_eq!(
        summaries,
        [Summary {
            email: "bob@x.io".into(),
            credits: 0
        }]
    );

    // omit: every column but the named ones; those read back as None.
    let lean = Post::find_many()
        .filter(Post::author_id().eq(&bob.id))
        .omit((Post::content(), Post::metadata()))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(lean.len(), 1);
    assert_eq!(
        (lean[0].content.clone(), lean[0].metadata.clone()),
        (None, None)
    );
    assert_eq!(lean[0].author_id.as_deref(), Some(bob.id.as_str()));
    assert_eq!(lean[0].views, Some(3));
    assert_eq!(lean[0].rating, Some(None), "selected and NULL");

    assert_eq!(Post::count().exec(&db).await.unwrap(), 3);
    assert_eq!(
        Post::count()
            .filter(Post::author_id().eq(&bob.id))
            .exec(&db)
            .await
            .unwrap(),
        1
    );
    assert!(User::exists()
        .filter(User::email().eq("bob@x.io"))
        .exec(&db)
        .await
        .unwrap());
    assert!(!User::exists()
        .filter(User::email().eq("cy@x.io"))
        .exec(&db)
        .await
        .unwrap());
    let first = User::find_first()
        .order_by(User::email().desc())
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(first.map(|u| u.email).as_deref(), Some("bob@x.io"));
    let none = User::find_first()
        .filter(User::credits().gt(5))
        .exec(&db)
        .await
        .unwrap();
    assert!(none.is_none());
});

backend_tests!(updates_are_atomic_and_return_the_row, |db| async move {
    blog(&db).await;
    let ann = user(&db, "ann@x.io", None).await;
    let p = post(&db, &ann, "t", 10).await;
    let updated = Post::update(Post::by_id(p.id))
        .views(increment(5))
        .rating(Some(3.0))
        .published(true)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(
        (updated.views, updated.rating, updated.published),
        (15, Some(3.0), true)
    );
    let updated = Post::update(Post::by_id(p.id))
        .views(decrement(3))
        .rating(multiply(2.0))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((updated.views, updated.rating), (12, Some(6.0)));
    let updated = Post::update(Post::by_id(p.id))
        .views(divide(4))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(updated.views, 3);
    let cleared = Post::update(Post::by_id(p.id))
        .rating(None)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(cleared.rating, None);

    // updated_at moves on every update.
    let before = User::find_by_id(&ann.id).exec_required(&db).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let after = User::update(User::by_id(&ann.id))
        .credits(increment(1))
        .exec(&db)
        .await
        .unwrap();
    assert!(after.updated_at > before.updated_at);
    assert_eq!(after.created_at, before.created_at);

    // Updating the key the row was found by returns the row under its new key.
    let renamed = User::update(User::by_email("ann@x.io"))
        .email("ann2@x.io")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(renamed.email, "ann2@x.io");

    let missing = User::update(User::by_email("nobody@x.io"))
        .credits(1)
        .exec(&db)
        .await;
    assert!(
        matches!(missing, Err(Error::NotFound { model: "User" })),
        "{missing:?}"
    );

    post(&db, &ann, "u", 1).await;
    post(&db, &ann, "v", 100).await;
    let n = Post::update_many(Post::views().lt(50))
        .views(increment(1000))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(n, 2);
    let big = Post::count()
        .filter(Post::views().gte(1000))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(big, 2);
    // Rows matched but unchanged still count (MySQL reports found rows).
    let same = Post::update_many(Post::views().gte(1000))
        .published(true)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(same, 2);
});

backend_tests!(concurrent_increments_lose_nothing, |db| async move {
    blog(&db).await;
    let ann = user(&db, "ann@x.io", None).await;
    let p = post(&db, &ann, "t", 0).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                for _ in 0..5 {
                    Post::update(Post::by_id(p.id))
                        .views(increment(1))
                        .exec(&db)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let p = Post::find_by_id(p.id).exec_required(&db).await.unwrap();
    assert_eq!(p.views, 100);
});

backend_tests!(upsert_inserts_then_updates_atomically, |db| async move {
    blog(&db).await;
    let upsert = || {
        User::upsert(
            User::by_email("eve@x.io"),
            User::create().email("eve@x.io").name("Eve"),
            User::changes().credits(increment(10)),
        )
    };
    let first = upsert().exec(&db).await.unwrap();
    assert_eq!((first.credits, first.name.as_deref()), (0, Some("Eve")));
    let second = upsert().exec(&db).await.unwrap();
    assert_eq!(
        (second.id.as_str(), second.credits),
        (first.id.as_str(), 10)
    );
    // Many racing upserts of one key: one row, every increment applied.
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                User::upsert(
                    User::by_email("race@x.io"),
                    User::create().email("race@x.io"),
                    User::changes().credits(increment(1)),
                )
                .exec(&db)
                .await
                .unwrap()
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let race = User::find_by_email("race@x.io")
        .exec_required(&db)
        .await
        .unwrap();
    assert_eq!(race.credits, 9, "first insert plus nine increments");
    assert_eq!(User::count().exec(&db).await.unwrap(), 2);
    // With no update columns the existing row comes back unchanged.
    let same = User::upsert(
        User::by_email("eve@x.io"),
        User::create().email("eve@x.io"),
        User::changes(),
    )
    .exec(&db)
    .await
    .unwrap();
    assert_eq!(same.credits, 10);
});

backend_tests!(deletes_return_what_they_removed, |db| async move {
    blog(&db).await;
    let ann = user(&db, "ann@x.io", None).await;
    for name in ["a", "b", "c"] {
        Tag::create().name(name).exec(&db).await.unwrap();
    }
    let p = post(&db, &ann, "t", 0).await;
    let removed = Post::delete(Post::by_id(p.id)).exec(&db).await.unwrap();
    assert_eq!(removed, p);
    let again = Post::delete(Post::by_id(p.id)).exec(&db).await;
    assert!(
        matches!(again, Err(Error::NotFound { model: "Post" })),
        "{again:?}"
    );
    let n = Tag::delete_many()
        .filter(Tag::name().ne("b"))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(Tag::delete_many().exec(&db).await.unwrap(), 1);
    // Cascade from the schema's foreign keys.
    post(&db, &ann, "t2", 0).await;
    User::delete(User::by_id(&ann.id)).exec(&db).await.unwrap();
    assert_eq!(Post::count().exec(&db).await.unwrap(), 0);
});

backend_tests!(create_many_splits_under_the_bind_limit, |db| async move {
    blog(&db).await;
    // Nine columns a row (unset nullable ones go as NULL): 40,000 rows is
    // 360,000 binds, several statements on every database.
    let ann = user(&db, "ann@x.io", None).await;
    let n = Post::create_many((0..40_000).map(|i| {
        Post::create()
            .id(uuid::Uuid::new_v4())
            .title(format!("p{i}"))
            .author_id(&ann.id)
    }))
    .exec(&db)
    .await
    .unwrap();
    assert_eq!(n, 40_000);
    assert_eq!(Post::count().exec(&db).await.unwrap(), 40_000);
    // Rows with and without an optional field still share statements.
    let n = Tag::create_many([Tag::create().name("x"), Tag::create().name("y")])
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(n, 2);
    // One failing row rolls back the whole batch.
    let dup = Tag::create_many([Tag::create().name("z"), Tag::create().name("x")])
        .exec(&db)
        .await;
    assert!(matches!(dup, Err(Error::UniqueViolation { .. })), "{dup:?}");
    assert_eq!(Tag::count().exec(&db).await.unwrap(), 2);
});
