//! The joined include strategy on real SQLite, PostgreSQL and MariaDB: every
//! scenario of `includes.rs` read both ways, which must give equal rows in
//! equal order, and a whole include tree in exactly one statement.

use schema_examples::blog::{Category, Comment, Post, Tag, User};
use strata::observe::Scope;
use strata::relation::{Relation, Strategy};
use strata::{Db, Error, HasMany};
use strata_tests::backend_tests;

mod common;

use common::{blog, emails, titles, wide_blog, Blog};

const BOTH: [Strategy; 2] = [Strategy::Batched, Strategy::Joined];

/// Runs `read` with each strategy; asserts both return the same, and that
/// the joined read is one statement. Returns the joined result.
async fn both<T, F, Fut>(read: F) -> Result<T, Error>
where
    T: PartialEq + std::fmt::Debug,
    F: Fn(Strategy) -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let batched = read(Strategy::Batched).await?;
    let (joined, report) = Scope::new().run(read(Strategy::Joined)).await;
    let joined = joined?;
    assert_eq!(report.count(), 1, "{:#?}", report.statements());
    assert_eq!(batched, joined, "batched and joined reads differ");
    Ok(joined)
}

backend_tests!(joined_loads_nested_levels_in_order, |db| async move {
    blog(&db).await;
    let users = both(|strategy| {
        (User::find_many().order_by(User::email().asc()))
            .strategy(strategy)
            .include(
                User::posts()
                    .order_by(Post::title().asc())
                    .include(Post::comments().include(Comment::author()))
                    .include(Post::tags().order_by(Tag::name().asc())),
            )
            .exec(&db)
    })
    .await?;
    assert_eq!(emails(&users), ["ann@x.io", "bob@x.io", "cat@x.io"]);
    let ann_posts = users[0].posts.loaded()?;
    assert_eq!(titles(ann_posts), ["a1", "a2", "a3"]);
    let comments = ann_posts[0].comments.loaded()?;
    let authors: Vec<&str> = (comments.iter())
        .map(|c| c.author.loaded().map(|u| u.email.as_str()))
        .collect::<Result<_, _>>()?;
    assert_eq!(authors, ["bob@x.io", "cat@x.io", "ann@x.io"]);
    let tags: Vec<&str> = (ann_posts[0].tags.loaded()?.iter())
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(tags, ["db", "rust"]);
    assert!(users[2].posts.loaded()?.is_empty(), "loaded, and empty");
    assert!(users[0].profile.get().is_none(), "not included, not loaded");
    Ok::<_, Error>(())
});

backend_tests!(
    joined_filters_orders_and_pages_per_parent,
    |db| async move {
        blog(&db).await;
        let read = |posts: fn() -> Relation<User, Post, HasMany<Post>>| {
            let db = db.clone();
            async move {
                let users = both(|strategy| {
                    (User::find_many().order_by(User::email().asc()))
                        .strategy(strategy)
                        .include(posts())
                        .exec(&db)
                })
                .await?;
                Ok::<_, Error>(
                    (users.iter())
                        .map(|u| titles(u.posts.get().unwrap_or_default()).join(","))
                        .collect::<Vec<_>>(),
                )
            }
        };
        assert_eq!(
            read(|| User::posts().order_by(Post::views().desc()).take(2)).await?,
            ["a2,a3", "b1", ""]
        );
        assert_eq!(
            read(|| User::posts().order_by(Post::views().desc()).skip(1).take(1)).await?,
            ["a3", "", ""]
        );
        assert_eq!(
            read(|| User::posts().order_by(Post::views().desc()).skip(2)).await?,
            ["a1", "", ""]
        );
        assert_eq!(
            read(|| User::posts().filter(Post::published().eq(true))).await?,
            ["a1", "", ""]
        );
        // Ties on the sort key fall back to the primary key in both strategies.
        read(|| User::posts().order_by(Post::published().asc()).take(1)).await?;
        // NULLs (no rating anywhere) sort the same way in both, either direction.
        read(|| User::posts().order_by(Post::rating().desc()).take(2)).await?;
        read(|| User::posts().order_by(Post::category_id().asc()).skip(1)).await?;
        // A relation filter inside an include.
        read(|| User::posts().filter(Post::comments().some(Comment::body().eq("c2")))).await?;
        Ok::<_, Error>(())
    }
);

backend_tests!(joined_to_one_relations, |db| async move {
    let Blog { ann, bob, cat } = blog(&db).await;
    let posts = both(|strategy| {
        (Post::find_many().order_by(Post::title().asc()))
            .strategy(strategy)
            .include(Post::author())
            .include(Post::category().include(Category::parent()))
            .exec(&db)
    })
    .await?;
    let rust = posts[0]
        .category
        .loaded()?
        .as_ref()
        .expect("a1 has a category");
    assert_eq!(
        rust.parent.loaded()?.as_ref().map(|c| c.name.as_str()),
        Some("tech")
    );
    assert_eq!(
        posts[1].category.loaded()?,
        &None,
        "a NULL foreign key loads as None"
    );

    let users = both(|strategy| {
        (User::find_many().order_by(User::email().asc()))
            .strategy(strategy)
            .include(User::profile())
            .include(User::manager())
            .include(User::reports().order_by(User::email().asc()))
            .exec(&db)
    })
    .await?;
    assert!(users[0].profile.loaded()?.is_some());
    assert!(users[1].profile.loaded()?.is_none());
    let bobs_manager = users[1].manager.loaded()?.as_ref().map(|m| m.id.clone());
    assert_eq!(bobs_manager, Some(ann.id.clone()));
    assert_eq!(
        emails(users[0].reports.loaded()?),
        [bob.email.as_str(), cat.email.as_str()]
    );

    let tech = both(|strategy| {
        (Category::find_first().filter(Category::name().eq("tech")))
            .strategy(strategy)
            .include(Category::children().include(Category::posts()))
            .exec(&db)
    })
    .await?
    .expect("tech exists");
    assert_eq!(tech.children.loaded()?.len(), 1);

    // A required belongs_to filtered out is the same error either way.
    for strategy in [Strategy::Batched, Strategy::Joined] {
        let missing = Comment::find_many()
            .strategy(strategy)
            .include(Comment::author().filter(User::email().eq("nobody")))
            .exec(&db)
            .await;
        assert!(
            matches!(
                missing,
                Err(Error::InvalidValue {
                    field: Some("author"),
                    ..
                })
            ),
            "{strategy:?}: {missing:?}"
        );
    }
    Ok::<_, Error>(())
});

backend_tests!(joined_many_to_many_both_ways, |db| async move {
    let Blog { ann, .. } = blog(&db).await;
    let users = both(|strategy| {
        (User::find_many().order_by(User::email().asc()))
            .strategy(strategy)
            .include(User::followers().order_by(User::email().asc()))
            .include(User::following().order_by(User::email().desc()).take(1))
            .exec(&db)
    })
    .await?;
    assert_eq!(
        emails(users[0].followers.loaded()?),
        ["bob@x.io", "cat@x.io"]
    );
    assert_eq!(emails(users[1].following.loaded()?), ["ann@x.io"]);

    let tags = both(|strategy| {
        (Tag::find_many().order_by(Tag::name().asc()))
            .strategy(strategy)
            .include(
                Tag::posts()
                    .order_by(Post::title().desc())
                    .take(1)
                    .include(Post::tags()),
            )
            .exec(&db)
    })
    .await?;
    assert_eq!(
        titles(tags[1].posts.loaded()?),
        ["a2"],
        "rust: a2 before a1"
    );

    let one = both(|strategy| {
        User::find_unique(User::by_id(ann.id.clone()))
            .strategy(strategy)
            .include(User::following())
            .with_count(User::posts())
            .exec(&db)
    })
    .await?
    .expect("ann exists");
    assert_eq!(emails(one.following.loaded()?), ["cat@x.io"]);
    assert_eq!(one.posts.count(), Some(3), "counts next to joined includes");
    Ok::<_, Error>(())
});

/// A partial post as seen: title, views, and whether the rest is unread.
type PostSeen = (Option<String>, Option<i64>, bool);

backend_tests!(joined_select_or_omit_reads_partial_rows, |db| async move {
    blog(&db).await;
    let mut read = Vec::new();
    for strategy in BOTH {
        let users = (User::find_many().order_by(User::email().asc()))
            .strategy(strategy)
            .include(
                User::posts()
                    .order_by(Post::views().asc())
                    .select((Post::title(), Post::views())),
            )
            .exec(&db)
            .await?;
        assert!(
            users[0].posts.get().is_none(),
            "partial rows are not whole posts"
        );
        let rows: Vec<Vec<PostSeen>> = (users.iter())
            .map(|u| {
                (u.posts.partial().expect("loaded partially").iter())
                    .map(|p| {
                        (
                            p.title.clone(),
                            p.views,
                            p.content.is_none() && p.id.is_none(),
                        )
                    })
                    .collect()
            })
            .collect();
        read.push(rows);
    }
    assert_eq!(read[0], read[1]);
    assert_eq!(read[1][0][0], (Some("a1".to_owned()), Some(10), true));

    let mut authors = Vec::new();
    for strategy in BOTH {
        let posts = (Post::find_many().order_by(Post::title().asc()))
            .strategy(strategy)
            .include(Post::author().omit(User::email()))
            .include(Post::category().select(Category::name()))
            .exec(&db)
            .await?;
        let seen: Vec<_> = (posts.iter())
            .map(|p| {
                let author = p
                    .author
                    .partial()
                    .flatten()
                    .expect("every post has an author");
                let category = p.category.partial().expect("loaded partially");
                (
                    author.id.clone(),
                    author.email.is_none(),
                    category.and_then(|c| c.name.clone()),
                )
            })
            .collect();
        authors.push(seen);
    }
    assert_eq!(authors[0], authors[1]);
    assert_eq!(authors[1][0].2.as_deref(), Some("rust"));

    for strategy in BOTH {
        let nested = User::find_many()
            .strategy(strategy)
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
            "{strategy:?}: {nested:?}"
        );
    }
    Ok::<_, Error>(())
});

backend_tests!(
    joined_roots_with_limits_distinct_and_cursors,
    |db| async move {
        blog(&db).await;
        // A read with LIMIT/OFFSET (scalar subqueries on PostgreSQL) and one
        // without (lateral joins) agree with the batched reads.
        both(|strategy| {
            (Post::find_many()
                .order_by(Post::views().desc())
                .skip(1)
                .take(2))
            .strategy(strategy)
            .include(Post::comments().include(Comment::author()))
            .exec(&db)
        })
        .await?;
        both(|strategy| {
            (User::find_many()
                .distinct()
                .filter(User::posts().some(Post::views().gt(0))))
            .order_by(User::email().asc())
            .strategy(strategy)
            .include(User::posts().order_by(Post::views().asc()))
            .exec(&db)
        })
        .await?;
        let first = both(|strategy| {
            (User::find_first().order_by(User::email().desc()))
                .strategy(strategy)
                .include(User::manager().include(User::posts()))
                .exec(&db)
        })
        .await?;
        assert_eq!(first.map(|u| u.email), Some("cat@x.io".to_owned()));
        let all = Post::find_many()
            .order_by(Post::title().asc())
            .exec(&db)
            .await?;
        let from_a2 = both(|strategy| {
            (Post::find_many().order_by(Post::title().asc()))
                .cursor(Post::by_id(all[1].id))
                .take(2)
                .strategy(strategy)
                .include(Post::tags().include(Tag::posts()))
                .exec(&db)
        })
        .await?;
        assert_eq!(titles(&from_a2), ["a2", "a3"]);
        Ok::<_, Error>(())
    }
);

async fn three_levels_in_one_statement(db: &Db, parents: usize) -> Result<(), Error> {
    wide_blog(db, parents).await;
    let query = (User::find_many().strategy(Strategy::Joined))
        .include(User::posts().include(Post::comments().include(Comment::author())));
    let (users, report) = Scope::new().run(query.exec(db)).await;
    let users = users?;
    assert_eq!(report.count(), 1, "{:?}", report.statements());
    assert_eq!(users.len(), parents);
    for user in &users {
        let posts = user.posts.loaded()?;
        assert_eq!(posts.len(), 1);
        let comments = posts[0].comments.loaded()?;
        assert_eq!(comments.len(), 1);
        assert_eq!(comments[0].author.loaded()?.id, user.id);
    }
    Ok(())
}

backend_tests!(
    joined_three_level_include_is_one_statement_for_1_parent,
    |db| async move { three_levels_in_one_statement(&db, 1).await }
);

backend_tests!(
    joined_three_level_include_is_one_statement_for_10000_parents,
    |db| async move { three_levels_in_one_statement(&db, 10_000).await }
);
