//! Loading relations with `include` on real SQLite, PostgreSQL and MariaDB:
//! every relation kind, nesting, per-parent filter/order/page, projections,
//! and the statement count that makes N+1 impossible.

use schema_examples::blog::{Category, Comment, Post, Tag, User};
use strata::observe::Scope;
use strata::{Db, Error};
use strata_tests::backend_tests;

mod common;

use common::{blog, emails, titles, wide_blog, Blog};

backend_tests!(include_loads_nested_levels_in_order, |db| async move {
    blog(&db).await;
    let query = User::find_many().order_by(User::email().asc()).include(
        User::posts()
            .order_by(Post::title().asc())
            .include(Post::comments().include(Comment::author()))
            .include(Post::tags().order_by(Tag::name().asc())),
    );
    let (users, report) = Scope::new().run(query.exec(&db)).await;
    let users = users?;
    // users, posts, comments, comment authors, tags: one statement each.
    assert_eq!(report.count(), 5, "{:#?}", report.statements());

    assert_eq!(emails(&users), ["ann@x.io", "bob@x.io", "cat@x.io"]);
    let ann_posts = users[0].posts.loaded()?;
    assert_eq!(titles(ann_posts), ["a1", "a2", "a3"]);
    let a1 = &ann_posts[0];
    let comments = a1.comments.loaded()?;
    let bodies: Vec<&str> = comments.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(bodies, ["c1", "c2", "c3"], "comments in primary-key order");
    let authors: Vec<&str> = (comments.iter())
        .map(|c| c.author.loaded().map(|u| u.email.as_str()))
        .collect::<Result<_, _>>()?;
    assert_eq!(authors, ["bob@x.io", "cat@x.io", "ann@x.io"]);
    let tags: Vec<&str> = (a1.tags.loaded()?.iter())
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(tags, ["db", "rust"]);
    assert_eq!(ann_posts[1].tags.loaded()?.len(), 1);
    assert!(ann_posts[2].comments.loaded()?.is_empty());

    assert_eq!(titles(users[1].posts.loaded()?), ["b1"]);
    assert!(users[2].posts.loaded()?.is_empty(), "loaded, and empty");
    // Relations that were not included stay not loaded.
    assert!(users[0].profile.get().is_none());
    assert!(a1.author.get().is_none());
    Ok::<_, Error>(())
});

// With no order of its own, an include is read without `ORDER BY` when
// the child's key compares in Rust as in SQL (integers, uuids) and each
// parent's rows are sorted in the client: rows written out of key order
// must still come in key order, on every database, for both key kinds.
backend_tests!(
    include_without_an_order_comes_in_primary_key_order,
    |db| async move {
        let Blog { bob, .. } = blog(&db).await;
        let uuid = uuid::Uuid::from_u128;
        for i in [3, 1, 4, 2] {
            (Post::create().title(format!("p{i}")))
                .author_id(&bob.id)
                .id(uuid(i << 120 | i))
                .exec(&db)
                .await?;
        }
        let mut comments = Vec::new();
        for i in 1..=4 {
            let comment = (Comment::create().body(format!("c{i}")))
                .post_id(uuid(3 << 120 | 3))
                .author_id(&bob.id)
                .exec(&db)
                .await?;
            comments.push(comment.id);
        }
        // PostgreSQL writes an updated row's new version after the others:
        // read in table order, these two would come last.
        for &id in &comments[..2] {
            Comment::update(Comment::by_id(id))
                .body(format!("c{id} edited"))
                .exec(&db)
                .await?;
        }
        let bob = User::find_unique(User::by_id(bob.id.clone()))
            .include(User::posts().include(Post::comments()))
            .exec(&db)
            .await?
            .expect("bob");
        let posts = bob.posts.loaded()?;
        let ids: Vec<uuid::Uuid> = posts.iter().map(|p| p.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "posts in uuid order");
        let written: Vec<&str> = (titles(posts).into_iter())
            .filter(|t| t.starts_with('p'))
            .collect();
        assert_eq!(written, ["p1", "p2", "p3", "p4"]);
        let p3 = posts.iter().find(|p| p.title == "p3").expect("p3");
        let bodies: Vec<&str> = (p3.comments.loaded()?.iter())
            .map(|c| c.body.as_str())
            .collect();
        let (first, second) = (comments[0], comments[1]);
        let edited = [format!("c{first} edited"), format!("c{second} edited")];
        assert_eq!(bodies, [&*edited[0], &*edited[1], "c3", "c4"]);
        Ok::<_, Error>(())
    }
);

backend_tests!(
    include_filters_orders_and_pages_per_parent,
    |db| async move {
        blog(&db).await;
        let by_views = || User::posts().order_by(Post::views().desc());
        let read = |posts: strata::relation::Relation<User, Post, strata::HasMany<Post>>| {
            let db = db.clone();
            async move {
                let users = (User::find_many().order_by(User::email().asc()))
                    .include(posts)
                    .exec(&db)
                    .await?;
                Ok::<_, Error>(
                    (users.iter())
                        .map(|u| titles(u.posts.get().unwrap_or_default()).join(","))
                        .collect::<Vec<_>>(),
                )
            }
        };
        // A limit per parent, not in total: bob still gets his post.
        assert_eq!(read(by_views().take(2)).await?, ["a2,a3", "b1", ""]);
        assert_eq!(read(by_views().skip(1).take(1)).await?, ["a3", "", ""]);
        assert_eq!(read(by_views().skip(2)).await?, ["a1", "", ""]);
        let published = User::posts().filter(Post::published().eq(true));
        assert_eq!(read(published).await?, ["a1", "", ""]);
        // Ties on the sort key fall back to the primary key, the same every time.
        let same = User::posts().order_by(Post::published().asc()).take(1);
        let first = read(same).await?;
        let again = read(User::posts().order_by(Post::published().asc()).take(1)).await?;
        assert_eq!(first, again);
        Ok::<_, Error>(())
    }
);

backend_tests!(include_to_one_relations, |db| async move {
    let Blog { ann, bob, cat } = blog(&db).await;
    let posts = (Post::find_many().order_by(Post::title().asc()))
        .include(Post::author())
        .include(Post::category().include(Category::parent()))
        .exec(&db)
        .await?;
    let authors: Vec<&str> = (posts.iter())
        .map(|p| p.author.loaded().map(|a| a.email.as_str()))
        .collect::<Result<_, _>>()?;
    assert_eq!(authors, ["ann@x.io", "ann@x.io", "ann@x.io", "bob@x.io"]);
    let rust = posts[0]
        .category
        .loaded()?
        .as_ref()
        .expect("a1 has a category");
    assert_eq!(rust.name, "rust");
    let parent = rust.parent.loaded()?.as_ref().expect("rust is under tech");
    assert_eq!(parent.name, "tech");
    assert_eq!(
        posts[1].category.loaded()?,
        &None,
        "a NULL foreign key loads as None"
    );

    let users = (User::find_many().order_by(User::email().asc()))
        .include(User::profile())
        .include(User::manager())
        .include(User::reports().order_by(User::email().asc()))
        .exec(&db)
        .await?;
    assert!(users[0].profile.loaded()?.is_some());
    assert!(users[1].profile.loaded()?.is_none());
    assert_eq!(users[0].manager.loaded()?, &None);
    let bobs_manager = users[1].manager.loaded()?.as_ref().map(|m| m.id.clone());
    assert_eq!(bobs_manager, Some(ann.id.clone()));
    assert_eq!(
        emails(users[0].reports.loaded()?),
        [bob.email.as_str(), cat.email.as_str()]
    );
    assert!(users[2].reports.loaded()?.is_empty());

    let tech = (Category::find_first().filter(Category::name().eq("tech")))
        .include(Category::children())
        .exec(&db)
        .await?
        .expect("tech exists");
    let children: Vec<&str> = (tech.children.loaded()?.iter())
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(children, ["rust"]);
    Ok::<_, Error>(())
});

backend_tests!(include_many_to_many_both_ways, |db| async move {
    let Blog { ann, .. } = blog(&db).await;
    let users = (User::find_many().order_by(User::email().asc()))
        .include(User::followers().order_by(User::email().asc()))
        .include(User::following().order_by(User::email().asc()))
        .exec(&db)
        .await?;
    assert_eq!(
        emails(users[0].followers.loaded()?),
        ["bob@x.io", "cat@x.io"]
    );
    assert_eq!(emails(users[0].following.loaded()?), ["cat@x.io"]);
    assert_eq!(emails(users[1].following.loaded()?), ["ann@x.io"]);
    assert!(users[1].followers.loaded()?.is_empty());
    assert_eq!(emails(users[2].followers.loaded()?), ["ann@x.io"]);

    let tags = (Tag::find_many().order_by(Tag::name().asc()))
        .include(Tag::posts().order_by(Post::title().desc()).take(1))
        .exec(&db)
        .await?;
    assert_eq!(titles(tags[0].posts.loaded()?), ["a1"], "db");
    assert_eq!(
        titles(tags[1].posts.loaded()?),
        ["a2"],
        "rust: a2 before a1, one per tag"
    );

    let one = User::find_unique(User::by_id(ann.id.clone()))
        .include(User::following())
        .exec(&db)
        .await?
        .expect("ann exists");
    assert_eq!(emails(one.following.loaded()?), ["cat@x.io"]);
    Ok::<_, Error>(())
});

backend_tests!(
    include_with_select_or_omit_reads_partial_rows,
    |db| async move {
        blog(&db).await;
        let users = (User::find_many().order_by(User::email().asc()))
            .include(
                User::posts()
                    .order_by(Post::title().asc())
                    .select((Post::title(), Post::views())),
            )
            .exec(&db)
            .await?;
        assert!(
            users[0].posts.get().is_none(),
            "partial rows are not whole posts"
        );
        let partial = users[0].posts.partial().expect("loaded partially");
        let titles: Vec<_> = partial.iter().map(|p| p.title.clone()).collect();
        assert_eq!(
            titles,
            [Some("a1".to_owned()), Some("a2".into()), Some("a3".into())]
        );
        assert_eq!(partial[1].views, Some(30));
        assert!(partial
            .iter()
            .all(|p| p.content.is_none() && p.id.is_none()));

        let posts = (Post::find_many().order_by(Post::title().asc()))
            .include(Post::author().omit(User::email()))
            .exec(&db)
            .await?;
        let author = posts[0]
            .author
            .partial()
            .flatten()
            .expect("a1 has an author");
        assert!(author.email.is_none());
        assert!(author.id.is_some());

        let nested = User::find_many()
            .include(
                User::posts()
                    .select(Post::title())
                    .include(Post::comments()),
            )
            .exec(&db)
            .await;
        assert!(
            matches!(
                nested,
                Err(Error::InvalidValue {
                    field: Some("posts"),
                    ..
                })
            ),
            "{nested:?}"
        );
        Ok::<_, Error>(())
    }
);

backend_tests!(relations_not_included_are_not_loaded, |db| async move {
    blog(&db).await;
    let user = User::find_first().exec(&db).await?.expect("a user");
    assert!(!user.posts.is_loaded());
    assert!(user.posts.get().is_none());
    assert!(matches!(
        user.posts.loaded(),
        Err(Error::NotLoaded { model: "Post" })
    ));
    assert!(user.manager.get().is_none());
    assert!(user.profile.loaded().is_err());
    Ok::<_, Error>(())
});

async fn three_levels(db: &Db, parents: usize) -> Result<(), Error> {
    wide_blog(db, parents).await;
    let query = User::find_many().include(User::posts().include(Post::comments()));
    let (users, report) = Scope::new().run(query.exec(db)).await;
    let users = users?;
    assert_eq!(users.len(), parents);
    assert_eq!(
        report.count(),
        3,
        "users, posts, comments: {:?}",
        report.repeated()
    );
    for user in &users {
        let posts = user.posts.loaded()?;
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].author_id, user.id);
        assert_eq!(posts[0].comments.loaded()?.len(), 1);
    }
    Ok(())
}

backend_tests!(
    three_level_include_is_three_statements_for_1_parent,
    |db| async move { three_levels(&db, 1).await }
);

backend_tests!(
    three_level_include_is_three_statements_for_100_parents,
    |db| async move { three_levels(&db, 100).await }
);

backend_tests!(
    three_level_include_is_three_statements_for_10000_parents,
    |db| async move { three_levels(&db, 10_000).await }
);

/// Everything `tracing` writes on this thread while the guard lives.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn warnings(&self) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .matches("possible N+1")
            .count()
    }
}

backend_tests!(
    n_plus_one_detector_fires_on_a_loop_not_on_an_include,
    |db| async move {
        blog(&db).await;
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::WARN)
            .finish();
        // The test runs on one thread (a current-thread runtime), so a thread
        // default catches every event of the scope.
        let _guard = tracing::subscriber::set_default(subscriber);

        let posts = Post::find_many().exec(&db).await?;
        let looped = async {
            for _ in 0..3 {
                for post in &posts {
                    let author = User::find_unique(User::by_id(post.author_id.clone()))
                        .exec(&db)
                        .await?;
                    assert!(author.is_some());
                }
            }
            Ok::<_, Error>(())
        };
        let (result, report) = Scope::new().warn_repeats_over(10).run(looped).await;
        result?;
        let suspects = report.suspected_n_plus_one();
        assert_eq!(suspects.len(), 1, "{suspects:?}");
        assert_eq!(suspects[0].1, 12, "the loop's find_unique ran 12 times");
        assert_eq!(
            captured.warnings(),
            1,
            "one tracing warning, when it crossed 10"
        );

        let included = User::find_many().include(User::posts().include(Post::comments()));
        let (result, report) = Scope::new()
            .warn_repeats_over(1)
            .run(included.exec(&db))
            .await;
        result?;
        assert!(
            report.suspected_n_plus_one().is_empty(),
            "{:?}",
            report.statements()
        );
        assert_eq!(captured.warnings(), 1, "the include warned about nothing");
        Ok::<_, Error>(())
    }
);
