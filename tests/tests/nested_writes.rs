//! Transactions and nested writes on real SQLite, PostgreSQL and MariaDB:
//! commit, rollback on error, a dropped transaction future, savepoints; every
//! nested write on every relation kind, and the rule that a failed nested
//! write leaves nothing behind.

use schema_examples::blog::{
    BlogSchema, Category, Comment, Post, PostTag, Profile, ProfileSettings, Tag, User,
};
use std::future::pending;
use strata::{Db, Error, Json, WithNested};
use strata_tests::backend_tests;
use uuid::Uuid;

async fn user(db: &Db, email: &str) -> User {
    User::create().email(email).exec(db).await.unwrap()
}

async fn post(db: &Db, author: &User, title: &str) -> Post {
    (Post::create().title(title))
        .author_id(&author.id)
        .exec(db)
        .await
        .unwrap()
}

async fn tag(db: &Db, name: &str) -> Tag {
    Tag::create().name(name).exec(db).await.unwrap()
}

async fn tag_names(db: &Db) -> Vec<String> {
    let tags = Tag::find_many()
        .order_by(Tag::name().asc())
        .exec(db)
        .await
        .unwrap();
    tags.into_iter().map(|t| t.name).collect()
}

fn settings() -> Json<ProfileSettings> {
    Json(ProfileSettings::default())
}

fn titles(posts: &[Post]) -> Vec<&str> {
    posts.iter().map(|p| p.title.as_str()).collect()
}

async fn posts_of(db: &Db, author: &User) -> Vec<Post> {
    Post::find_many()
        .filter(Post::author_id().eq(&author.id))
        .order_by(Post::title().asc())
        .exec(db)
        .await
        .unwrap()
}

/// The titles of the posts in `category`, in title order.
async fn filed_under(db: &Db, category: &Category) -> Vec<String> {
    let posts = Post::find_many()
        .filter(Post::category_id().eq(category.id))
        .order_by(Post::title().asc())
        .exec(db)
        .await
        .unwrap();
    posts.into_iter().map(|p| p.title).collect()
}

/// The names of `post`'s tags, read through the join table.
async fn tags_of(db: &Db, post: &Post) -> Vec<String> {
    let post = Post::find_unique(Post::by_id(post.id))
        .include(Post::tags().order_by(Tag::name().asc()))
        .exec(db)
        .await
        .unwrap()
        .unwrap();
    let tags = post.tags.loaded().unwrap();
    tags.iter().map(|t| t.name.clone()).collect()
}

/// The emails of the users `who` follows, through `_follows`.
async fn following(db: &Db, who: &User) -> Vec<String> {
    let who = User::find_unique(User::by_id(&who.id))
        .include(User::following().order_by(User::email().asc()))
        .exec(db)
        .await
        .unwrap()
        .unwrap();
    let users = who.following.loaded().unwrap();
    users.iter().map(|u| u.email.clone()).collect()
}

async fn user_exists(db: &Db, email: &str) -> bool {
    User::find_by_email(email).exec(db).await.unwrap().is_some()
}

fn related_not_found(model: &str, relation: &str, target: &str) -> impl Fn(&Error) -> bool {
    let (model, relation, target) = (model.to_owned(), relation.to_owned(), target.to_owned());
    move |e| {
        matches!(e, Error::RelatedNotFound { model: m, relation: r, target: t }
            if *m == model && *r == relation && *t == target)
    }
}

// ---------------------------------------------------------------------------
// The transaction core

backend_tests!(transaction_commits_on_ok, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    let count = db
        .transaction(|tx| {
            Box::pin(async move {
                Tag::create().name("a").exec(tx).await?;
                Tag::create().name("b").exec(tx).await?;
                Tag::count().exec(tx).await
            })
        })
        .await?;
    assert_eq!(count, 2);
    assert_eq!(tag_names(&db).await, ["a", "b"]);
    Ok::<_, Error>(())
});

backend_tests!(transaction_rolls_back_on_err, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    let result: Result<(), Error> = db
        .transaction(|tx| {
            Box::pin(async move {
                Tag::create().name("a").exec(tx).await?;
                // The second insert fails on the unique name: the first goes too.
                Tag::create().name("a").exec(tx).await?;
                Ok(())
            })
        })
        .await;
    assert!(result.unwrap_err().is_unique_violation());
    assert!(tag_names(&db).await.is_empty());
    // The connection is usable, and not left inside a transaction: this write
    // is visible from another connection.
    tag(&db, "after").await;
    let other = Db::connect_single(&strata_tests::url_of(&db)).await?;
    assert_eq!(tag_names(&other).await, ["after"]);
    Ok::<_, Error>(())
});

/// Runs a transaction on `db` that writes a tag and then never finishes, and
/// drops it once the tag is written.
async fn drop_mid_transaction(db: &Db) {
    let (written, wait) = tokio::sync::oneshot::channel();
    let transaction = db.transaction(move |tx| {
        Box::pin(async move {
            Tag::create().name("dropped").exec(tx).await?;
            let _ = written.send(());
            pending::<()>().await;
            Ok(())
        })
    });
    tokio::select! {
        _ = transaction => unreachable!("the transaction never finishes"),
        _ = wait => {}
    }
}

/// After a dropped transaction: its write is gone even for the connection
/// that made it (still inside the transaction, it would see it), and the next
/// write on `db` commits (visible from another connection).
async fn assert_rolled_back(db: &Db) {
    assert!(tag_names(db).await.is_empty());
    tag(db, "after").await;
    let other = Db::connect_single(&strata_tests::url_of(db)).await.unwrap();
    assert_eq!(tag_names(&other).await, ["after"]);
}

backend_tests!(a_dropped_transaction_rolls_back, |db| async move {
    db.push_schema::<BlogSchema>().await.unwrap();
    drop_mid_transaction(&db).await;
    assert_rolled_back(&db).await;
});

backend_tests!(
    a_dropped_transaction_rolls_back_on_a_single_connection,
    |db| async move {
        db.push_schema::<BlogSchema>().await.unwrap();
        let single = Db::connect_single(&strata_tests::url_of(&db))
            .await
            .unwrap();
        drop_mid_transaction(&single).await;
        assert_rolled_back(&single).await;
    }
);

backend_tests!(
    transactions_on_a_single_connection_commit_and_roll_back,
    |db| async move {
        db.push_schema::<BlogSchema>().await?;
        let single = Db::connect_single(&strata_tests::url_of(&db)).await?;
        let failed: Result<(), Error> = single
            .transaction(|tx| {
                Box::pin(async move {
                    Tag::create().name("gone").exec(tx).await?;
                    Err(Error::NotFound { model: "Tag" })
                })
            })
            .await;
        assert!(matches!(failed, Err(Error::NotFound { .. })));
        single
            .transaction(|tx| Box::pin(async move { Tag::create().name("kept").exec(tx).await }))
            .await?;
        assert_eq!(tag_names(&db).await, ["kept"]);
        Ok::<_, Error>(())
    }
);

backend_tests!(a_transaction_inside_one_is_a_savepoint, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    db.transaction(|tx| {
        Box::pin(async move {
            Tag::create().name("outer").exec(tx).await?;
            let inner: Result<(), Error> = tx
                .transaction(|tx| {
                    Box::pin(async move {
                        Tag::create().name("inner").exec(tx).await?;
                        Err(Error::NotFound { model: "Tag" })
                    })
                })
                .await;
            assert!(inner.is_err());
            // The savepoint rolled back alone; the transaction goes on.
            tx.transaction(|tx| Box::pin(async move { Tag::create().name("kept").exec(tx).await }))
                .await?;
            Ok(())
        })
    })
    .await?;
    assert_eq!(tag_names(&db).await, ["kept", "outer"]);
    Ok::<_, Error>(())
});

backend_tests!(
    a_transactions_db_is_unusable_after_it_ends,
    |db| async move {
        db.push_schema::<BlogSchema>().await?;
        let leaked = db
            .transaction(|tx| Box::pin(async move { Ok(tx.clone()) }))
            .await?;
        assert!(Tag::count().exec(&leaked).await.is_err());
        assert_eq!(Tag::count().exec(&db).await?, 0);
        Ok::<_, Error>(())
    }
);

backend_tests!(concurrent_transactions_on_spawned_tasks, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    // Transactions and nested writes are Send futures; concurrent ones each
    // get a connection (the cached one or the pool's) and all commit.
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                db.transaction(move |tx| {
                    Box::pin(async move {
                        Tag::create().name(format!("a{i}")).exec(tx).await?;
                        Tag::create().name(format!("b{i}")).exec(tx).await
                    })
                })
                .await?;
                User::create()
                    .email(format!("u{i}@x.io"))
                    .with(
                        User::posts().create(|u: &User| Post::create().author_id(&u.id).title("t")),
                    )
                    .exec(&db)
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap()?;
    }
    assert_eq!(Tag::count().exec(&db).await?, 16);
    assert_eq!(Post::count().exec(&db).await?, 8);
    Ok::<_, Error>(())
});

// ---------------------------------------------------------------------------
// has_many and has_one

backend_tests!(create_with_nested_creates, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    let ann = User::create()
        .email("ann@x.io")
        .with(User::posts().create(|ann: &User| Post::create().author_id(&ann.id).title("first")))
        .with(User::posts().create_many(|ann: &User| {
            ["second", "third"].map(|title| Post::create().author_id(&ann.id).title(title))
        }))
        .with(User::profile().create(|ann: &User| {
            Profile::create()
                .user_id(&ann.id)
                .settings(settings())
                .bio("hi")
        }))
        .exec(&db)
        .await?;
    assert_eq!(ann.email, "ann@x.io");
    assert_eq!(
        titles(&posts_of(&db, &ann).await),
        ["first", "second", "third"]
    );
    let profile = Profile::find_by_user_id(&ann.id).exec(&db).await?.unwrap();
    assert_eq!(profile.bio.as_deref(), Some("hi"));
    Ok::<_, Error>(())
});

backend_tests!(a_nested_create_gets_the_parents_key, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    let bob = user(&db, "bob@x.io").await;
    // The foreign key is the parent's, whatever the builder set.
    let ann = User::create()
        .email("ann@x.io")
        .with(User::posts().create(move |_: &User| Post::create().author_id(&bob.id).title("mine")))
        .exec(&db)
        .await?;
    assert_eq!(titles(&posts_of(&db, &ann).await), ["mine"]);
    Ok::<_, Error>(())
});

backend_tests!(create_with_connect_and_connect_or_create, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    let bob = user(&db, "bob@x.io").await;
    let moved = post(&db, &bob, "moved").await;
    let fresh = Uuid::new_v4();
    let ann = User::create()
        .email("ann@x.io")
        .with(User::posts().connect(Post::by_id(moved.id)))
        .with(
            User::posts().connect_or_create(Post::by_id(fresh), move |ann: &User| {
                Post::create().id(fresh).author_id(&ann.id).title("created")
            }),
        )
        .exec(&db)
        .await?;
    assert_eq!(titles(&posts_of(&db, &ann).await), ["created", "moved"]);
    assert!(posts_of(&db, &bob).await.is_empty());
    // connect_or_create of a row that exists connects it.
    User::update(User::by_id(&bob.id))
        .with(
            User::posts().connect_or_create(Post::by_id(fresh), |bob: &User| {
                Post::create().author_id(&bob.id).title("never")
            }),
        )
        .exec(&db)
        .await?;
    assert_eq!(titles(&posts_of(&db, &bob).await), ["created"]);
    assert_eq!(Post::count().exec(&db).await?, 2);
    Ok::<_, Error>(())
});

backend_tests!(a_connect_to_a_missing_row_writes_nothing, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    let err = User::create()
        .email("ann@x.io")
        .with(User::posts().create(|ann: &User| Post::create().author_id(&ann.id).title("a")))
        .with(User::posts().connect(Post::by_id(Uuid::new_v4())))
        .exec(&db)
        .await
        .unwrap_err();
    assert!(related_not_found("User", "posts", "Post")(&err), "{err:?}");
    assert_eq!(
        err.to_string(),
        "User.posts: no such Post row related to this User (it does not exist, or belongs to another row)"
    );
    assert!(!user_exists(&db, "ann@x.io").await);
    assert_eq!(Post::count().exec(&db).await?, 0);
    Ok::<_, Error>(())
});

backend_tests!(
    a_unique_violation_in_a_nested_create_rolls_back_the_parent,
    |db| async move {
        db.push_schema::<BlogSchema>().await?;
        Category::create().name("rust").exec(&db).await?;
        let err = Category::create()
            .name("tech")
            .with(Category::children().create(|_: &Category| Category::create().name("rust")))
            .exec(&db)
            .await
            .unwrap_err();
        match &err {
            Error::UniqueViolation { model, fields, .. } => {
                assert_eq!((*model, fields.as_slice()), ("Category", &["name"][..]));
            }
            other => panic!("expected a unique violation, got {other:?}"),
        }
        assert!(Category::find_by_name("tech").exec(&db).await?.is_none());
        Ok::<_, Error>(())
    }
);

backend_tests!(update_with_connect_disconnect_and_set, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    let ann = user(&db, "ann@x.io").await;
    let [p1, p2, p3] = [
        post(&db, &ann, "p1").await,
        post(&db, &ann, "p2").await,
        post(&db, &ann, "p3").await,
    ];
    let tech = Category::create().name("tech").exec(&db).await?;
    let tech = Category::update(Category::by_id(tech.id))
        .name("Tech")
        .with(Category::posts().connect(Post::by_id(p1.id)))
        .with(Category::posts().connect(Post::by_id(p2.id)))
        .exec(&db)
        .await?;
    assert_eq!(tech.name, "Tech");
    assert_eq!(filed_under(&db, &tech).await, ["p1", "p2"]);
    Category::update(Category::by_id(tech.id))
        .with(Category::posts().disconnect(Post::by_id(p1.id)))
        .exec(&db)
        .await?;
    assert_eq!(filed_under(&db, &tech).await, ["p2"]);
    Category::update(Category::by_id(tech.id))
        .with(Category::posts().set([Post::by_id(p1.id), Post::by_id(p3.id)]))
        .exec(&db)
        .await?;
    assert_eq!(filed_under(&db, &tech).await, ["p1", "p3"]);
    // Disconnecting a post that is not in the category is an error, and the
    // update's own change goes with it.
    let err = Category::update(Category::by_id(tech.id))
        .name("renamed")
        .with(Category::posts().disconnect(Post::by_id(p2.id)))
        .exec(&db)
        .await
        .unwrap_err();
    assert!(
        related_not_found("Category", "posts", "Post")(&err),
        "{err:?}"
    );
    assert!(Category::find_by_name("renamed").exec(&db).await?.is_none());
    // set() with a missing key changes nothing either.
    let err = Category::update(Category::by_id(tech.id))
        .with(Category::posts().set([Post::by_id(p2.id), Post::by_id(Uuid::new_v4())]))
        .exec(&db)
        .await
        .unwrap_err();
    assert!(
        related_not_found("Category", "posts", "Post")(&err),
        "{err:?}"
    );
    assert_eq!(filed_under(&db, &tech).await, ["p1", "p3"]);
    // set([]) empties the relation.
    Category::update(Category::by_id(tech.id))
        .with(Category::posts().set([]))
        .exec(&db)
        .await?;
    assert!(filed_under(&db, &tech).await.is_empty());
    Ok::<_, Error>(())
});

backend_tests!(
    clearing_a_required_foreign_key_is_refused,
    |db| async move {
        db.push_schema::<BlogSchema>().await?;
        let ann = user(&db, "ann@x.io").await;
        let p1 = post(&db, &ann, "p1").await;
        let err = User::update(User::by_id(&ann.id))
            .name("Ann")
            .with(User::posts().disconnect(Post::by_id(p1.id)))
            .exec(&db)
            .await
            .unwrap_err();
        match &err {
            Error::InvalidValue {
                model,
                field,
                reason,
            } => {
                assert_eq!((*model, *field), ("User", Some("posts")));
                assert!(reason.contains("Post.author_id"), "{reason}");
            }
            other => panic!("expected InvalidValue, got {other:?}"),
        }
        let ann = User::find_unique(User::by_id(&ann.id))
            .exec(&db)
            .await?
            .unwrap();
        assert_eq!(ann.name, None);
        Ok::<_, Error>(())
    }
);

backend_tests!(
    nested_update_and_delete_touch_only_related_rows,
    |db| async move {
        db.push_schema::<BlogSchema>().await?;
        let ann = user(&db, "ann@x.io").await;
        let bob = user(&db, "bob@x.io").await;
        let [a1, a2] = [post(&db, &ann, "a1").await, post(&db, &ann, "a2").await];
        let b1 = post(&db, &bob, "b1").await;
        User::update(User::by_id(&ann.id))
            .with(User::posts().update(Post::by_id(a1.id), Post::changes().title("a1!")))
            .with(User::posts().delete(Post::by_id(a2.id)))
            .exec(&db)
            .await?;
        assert_eq!(titles(&posts_of(&db, &ann).await), ["a1!"]);
        for nested in [
            User::posts().update(Post::by_id(b1.id), Post::changes().title("stolen")),
            User::posts().delete(Post::by_id(b1.id)),
        ] {
            let err = User::update(User::by_id(&ann.id))
                .name("Ann")
                .with(nested)
                .exec(&db)
                .await
                .unwrap_err();
            assert!(related_not_found("User", "posts", "Post")(&err), "{err:?}");
        }
        assert_eq!(titles(&posts_of(&db, &bob).await), ["b1"]);
        let ann = User::find_unique(User::by_id(&ann.id))
            .exec(&db)
            .await?
            .unwrap();
        assert_eq!(ann.name, None);
        Ok::<_, Error>(())
    }
);

backend_tests!(has_one_writes, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    let ann = User::create()
        .email("ann@x.io")
        .with(
            User::profile()
                .create(|ann: &User| Profile::create().user_id(&ann.id).settings(settings())),
        )
        .exec(&db)
        .await?;
    User::update(User::by_id(&ann.id))
        .with(User::profile().update(Profile::changes().bio("hello")))
        .exec(&db)
        .await?;
    let profile = Profile::find_by_user_id(&ann.id).exec(&db).await?.unwrap();
    assert_eq!(profile.bio.as_deref(), Some("hello"));
    // A second profile: the required, unique foreign key refuses it.
    let err = User::update(User::by_id(&ann.id))
        .with(
            User::profile()
                .create(|ann: &User| Profile::create().user_id(&ann.id).settings(settings())),
        )
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_unique_violation(), "{err:?}");
    User::update(User::by_id(&ann.id))
        .with(User::profile().delete())
        .exec(&db)
        .await?;
    assert_eq!(Profile::count().exec(&db).await?, 0);
    let err = User::update(User::by_id(&ann.id))
        .with(User::profile().update(Profile::changes().bio("again")))
        .exec(&db)
        .await
        .unwrap_err();
    assert!(
        related_not_found("User", "profile", "Profile")(&err),
        "{err:?}"
    );
    // connect moves another user's profile over.
    let bob = User::create()
        .email("bob@x.io")
        .with(
            User::profile()
                .create(|bob: &User| Profile::create().user_id(&bob.id).settings(settings())),
        )
        .exec(&db)
        .await?;
    User::update(User::by_id(&ann.id))
        .with(User::profile().connect(Profile::by_user_id(&bob.id)))
        .exec(&db)
        .await?;
    assert!(Profile::find_by_user_id(&ann.id).exec(&db).await?.is_some());
    assert!(Profile::find_by_user_id(&bob.id).exec(&db).await?.is_none());
    // Profile.user_id is required: the profile cannot be disconnected.
    let err = User::update(User::by_id(&ann.id))
        .with(User::profile().disconnect())
        .exec(&db)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err:?}");
    Ok::<_, Error>(())
});

backend_tests!(self_relations_with_a_nullable_key, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    let boss = user(&db, "boss@x.io").await;
    let bob = user(&db, "bob@x.io").await;
    // belongs_to on create, has_many on update: both set manager_id.
    let cat = User::create()
        .email("cat@x.io")
        .with(User::manager().connect(User::by_email("boss@x.io")))
        .exec(&db)
        .await?;
    assert_eq!(cat.manager_id.as_deref(), Some(boss.id.as_str()));
    User::update(User::by_id(&boss.id))
        .with(User::reports().connect(User::by_id(&bob.id)))
        .exec(&db)
        .await?;
    let reports = User::find_many()
        .filter(User::manager_id().eq(&boss.id))
        .order_by(User::email().asc())
        .exec(&db)
        .await?;
    let emails: Vec<_> = reports.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, ["bob@x.io", "cat@x.io"]);
    let cat = User::update(User::by_id(&cat.id))
        .with(User::manager().disconnect())
        .exec(&db)
        .await?;
    assert_eq!(cat.manager_id, None);
    Ok::<_, Error>(())
});

// ---------------------------------------------------------------------------
// belongs_to

backend_tests!(belongs_to_writes, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    let ann = user(&db, "ann@x.io").await;
    let bob = user(&db, "bob@x.io").await;
    // connect replaces the foreign key the builder set.
    let p = Post::create()
        .title("p")
        .author_id(&bob.id)
        .with(Post::author().connect(User::by_email("ann@x.io")))
        .with(Post::category().create(Category::create().name("tech")))
        .exec(&db)
        .await?;
    assert_eq!(p.author_id, ann.id);
    let tech = Category::find_by_name("tech").exec(&db).await?.unwrap();
    assert_eq!(p.category_id, Some(tech.id));
    // connect_or_create: an existing row is connected, a missing one created.
    let p = Post::update(Post::by_id(p.id))
        .with(
            Post::category()
                .connect_or_create(Category::by_name("tech"), Category::create().name("tech")),
        )
        .exec(&db)
        .await?;
    assert_eq!(p.category_id, Some(tech.id));
    let p = Post::update(Post::by_id(p.id))
        .with(
            Post::category()
                .connect_or_create(Category::by_name("rust"), Category::create().name("rust")),
        )
        .exec(&db)
        .await?;
    let rust = Category::find_by_name("rust").exec(&db).await?.unwrap();
    assert_eq!(p.category_id, Some(rust.id));
    // update writes the row the foreign key points to.
    Post::update(Post::by_id(p.id))
        .with(Post::author().update(User::changes().name("Ann")))
        .exec(&db)
        .await?;
    let ann = User::find_unique(User::by_id(&ann.id))
        .exec(&db)
        .await?
        .unwrap();
    assert_eq!(ann.name.as_deref(), Some("Ann"));
    // delete removes the category; on_delete = set_null clears the key, and
    // the row returned is read after that.
    let p = Post::update(Post::by_id(p.id))
        .with(Post::category().delete())
        .exec(&db)
        .await?;
    assert_eq!(p.category_id, None);
    assert!(Category::find_by_name("rust").exec(&db).await?.is_none());
    // With the key NULL, update and delete have no row to write.
    let err = Post::update(Post::by_id(p.id))
        .with(Post::category().update(Category::changes().name("x")))
        .exec(&db)
        .await
        .unwrap_err();
    assert!(
        related_not_found("Post", "category", "Category")(&err),
        "{err:?}"
    );
    // disconnect clears it.
    let p = Post::update(Post::by_id(p.id))
        .with(Post::category().connect(Category::by_name("tech")))
        .exec(&db)
        .await?;
    assert_eq!(p.category_id, Some(tech.id));
    let p = Post::update(Post::by_id(p.id))
        .with(Post::category().disconnect())
        .exec(&db)
        .await?;
    assert_eq!(p.category_id, None);
    Ok::<_, Error>(())
});

backend_tests!(
    a_belongs_to_connect_to_a_missing_row_writes_nothing,
    |db| async move {
        db.push_schema::<BlogSchema>().await?;
        let ann = user(&db, "ann@x.io").await;
        let err = Post::create()
            .title("orphan")
            .author_id(&ann.id)
            .with(Post::category().create(Category::create().name("made first")))
            .with(Post::author().connect(User::by_email("nobody@x.io")))
            .exec(&db)
            .await
            .unwrap_err();
        assert!(related_not_found("Post", "author", "User")(&err), "{err:?}");
        assert_eq!(Post::count().exec(&db).await?, 0);
        assert_eq!(Category::count().exec(&db).await?, 0);
        Ok::<_, Error>(())
    }
);

// ---------------------------------------------------------------------------
// many_to_many

backend_tests!(many_to_many_through_a_join_model, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    let ann = user(&db, "ann@x.io").await;
    let [rust, sql] = [tag(&db, "rust").await, tag(&db, "sql").await];
    let p = Post::create()
        .title("p")
        .author_id(&ann.id)
        .with(Post::tags().connect(Tag::by_name("rust")))
        // Connecting twice is a no-op, not a duplicate link.
        .with(Post::tags().connect(Tag::by_id(rust.id)))
        .with(Post::tags().create(|_: &Post| Tag::create().name("new")))
        .exec(&db)
        .await?;
    assert_eq!(tags_of(&db, &p).await, ["new", "rust"]);
    assert_eq!(PostTag::count().exec(&db).await?, 2);
    Post::update(Post::by_id(p.id))
        .with(Post::tags().connect(Tag::by_id(rust.id)))
        .with(
            Post::tags()
                .connect_or_create(Tag::by_name("sql"), |_: &Post| Tag::create().name("sql")),
        )
        .with(
            Post::tags().connect_or_create(Tag::by_name("db"), |_: &Post| Tag::create().name("db")),
        )
        .with(Post::tags().disconnect(Tag::by_name("new")))
        .exec(&db)
        .await?;
    assert_eq!(tags_of(&db, &p).await, ["db", "rust", "sql"]);
    // The tag itself stays; only the link went.
    assert_eq!(tag_names(&db).await, ["db", "new", "rust", "sql"]);
    Post::update(Post::by_id(p.id))
        // The same tag named twice is linked once.
        .with(Post::tags().set([Tag::by_id(sql.id), Tag::by_name("new"), Tag::by_name("sql")]))
        .with(Post::tags().update(Tag::by_id(sql.id), Tag::changes().name("SQL")))
        .exec(&db)
        .await?;
    assert_eq!(tags_of(&db, &p).await, ["SQL", "new"]);
    // Writes through the relation need the tag to be linked to this post.
    for nested in [
        Post::tags().disconnect(Tag::by_name("rust")),
        Post::tags().update(Tag::by_name("rust"), Tag::changes().name("x")),
        Post::tags().delete(Tag::by_name("rust")),
        Post::tags().connect(Tag::by_name("missing")),
    ] {
        let err = Post::update(Post::by_id(p.id))
            .title("changed")
            .with(nested)
            .exec(&db)
            .await
            .unwrap_err();
        assert!(related_not_found("Post", "tags", "Tag")(&err), "{err:?}");
    }
    assert_eq!(
        Post::find_unique(Post::by_id(p.id))
            .exec(&db)
            .await?
            .unwrap()
            .title,
        "p"
    );
    Post::update(Post::by_id(p.id))
        .with(Post::tags().delete(Tag::by_name("new")))
        .exec(&db)
        .await?;
    assert_eq!(tags_of(&db, &p).await, ["SQL"]);
    assert_eq!(tag_names(&db).await, ["SQL", "db", "rust"]);
    Ok::<_, Error>(())
});

backend_tests!(
    many_to_many_through_an_implicit_join_table,
    |db| async move {
        db.push_schema::<BlogSchema>().await?;
        let [bob, cat, dan] = [
            user(&db, "bob@x.io").await,
            user(&db, "cat@x.io").await,
            user(&db, "dan@x.io").await,
        ];
        let ann = User::create()
            .email("ann@x.io")
            .with(User::following().connect(User::by_id(&bob.id)))
            .with(User::following().connect(User::by_id(&cat.id)))
            .with(User::followers().connect(User::by_id(&dan.id)))
            .exec(&db)
            .await?;
        assert_eq!(following(&db, &ann).await, ["bob@x.io", "cat@x.io"]);
        assert_eq!(following(&db, &dan).await, ["ann@x.io"]);
        User::update(User::by_id(&ann.id))
            .with(User::following().disconnect(User::by_id(&bob.id)))
            .with(User::following().connect(User::by_id(&cat.id)))
            .exec(&db)
            .await?;
        assert_eq!(following(&db, &ann).await, ["cat@x.io"]);
        User::update(User::by_id(&ann.id))
            .with(User::following().set([User::by_id(&bob.id), User::by_id(&dan.id)]))
            .exec(&db)
            .await?;
        assert_eq!(following(&db, &ann).await, ["bob@x.io", "dan@x.io"]);
        // dan still follows ann: the other direction of the same table.
        assert_eq!(following(&db, &dan).await, ["ann@x.io"]);
        let err = User::update(User::by_id(&ann.id))
            .with(User::followers().disconnect(User::by_id(&bob.id)))
            .exec(&db)
            .await
            .unwrap_err();
        assert!(
            related_not_found("User", "followers", "User")(&err),
            "{err:?}"
        );
        Ok::<_, Error>(())
    }
);

// ---------------------------------------------------------------------------
// Inside a transaction

backend_tests!(
    a_nested_write_inside_a_transaction_is_a_savepoint,
    |db| async move {
        db.push_schema::<BlogSchema>().await?;
        db.transaction(|tx| {
            Box::pin(async move {
                let failed = User::create()
                    .email("ann@x.io")
                    .with(User::posts().connect(Post::by_id(Uuid::new_v4())))
                    .exec(tx)
                    .await;
                assert!(matches!(failed, Err(Error::RelatedNotFound { .. })));
                let bob = User::create()
                    .email("bob@x.io")
                    .with(
                        User::comments()
                            .create_many(|_: &User| Vec::<strata::Create<Comment>>::new()),
                    )
                    .exec(tx)
                    .await?;
                assert_eq!(bob.email, "bob@x.io");
                Ok(())
            })
        })
        .await?;
        assert!(!user_exists(&db, "ann@x.io").await);
        assert!(user_exists(&db, "bob@x.io").await);
        Ok::<_, Error>(())
    }
);

backend_tests!(
    a_belongs_to_write_provides_a_required_foreign_key,
    |db| async move {
        db.push_schema::<BlogSchema>().await?;
        let ann = user(&db, "ann@x.io").await;
        // No `author_id(..)`: the relation's connect provides it.
        let post = Post::create()
            .title("connected")
            .author(Post::author().connect(User::by_id(ann.id.clone())))
            .exec(&db)
            .await?;
        assert_eq!(post.author_id, ann.id);
        let by_create = Post::create()
            .author(Post::author().create(User::create().email("new@x.io")))
            .title("created with its author")
            .exec(&db)
            .await?;
        let new = User::find_by_email("new@x.io")
            .exec(&db)
            .await?
            .expect("created");
        assert_eq!(by_create.author_id, new.id);

        // A missing author: nothing is written.
        let missing = Post::create()
            .title("orphan")
            .author(Post::author().connect(User::by_id("nobody".to_owned())))
            .exec(&db)
            .await;
        assert!(
            missing
                .as_ref()
                .is_err_and(related_not_found("Post", "author", "User")),
            "{missing:?}"
        );
        // A write on another relation cannot provide the key.
        let wrong = Post::create()
            .title("wrong")
            .author(Post::comments().create(|p: &Post| {
                Comment::create()
                    .body("x")
                    .post_id(p.id)
                    .author_id(&p.author_id)
            }))
            .exec(&db)
            .await;
        assert!(
            matches!(
                &wrong,
                Err(Error::InvalidValue {
                    field: Some("author"),
                    ..
                })
            ),
            "{wrong:?}"
        );
        assert_eq!(Post::count().exec(&db).await?, 2);
        // create_many cannot run nested writes; it says so instead of inserting.
        let many = Post::create_many([Post::create()
            .title("many")
            .author(Post::author().connect(User::by_id(ann.id.clone())))])
        .exec(&db)
        .await;
        assert!(matches!(many, Err(Error::InvalidValue { .. })), "{many:?}");
        Ok::<_, Error>(())
    }
);

backend_tests!(nested_creates_nest, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    // users -> posts -> comments, in one transaction.
    let ann = User::create()
        .email("ann@x.io")
        .with(User::posts().create(|ann: &User| {
            let author = ann.id.clone();
            Post::create()
                .author_id(&ann.id)
                .title("deep")
                .with(Post::comments().create(move |post: &Post| {
                    Comment::create()
                        .body("first!")
                        .post_id(post.id)
                        .author_id(&author)
                }))
        }))
        .exec(&db)
        .await?;
    let users = User::find_many()
        .include(User::posts().include(Post::comments()))
        .exec(&db)
        .await?;
    assert_eq!(users.len(), 1);
    let posts = users[0].posts.loaded()?;
    assert_eq!(titles(posts), ["deep"]);
    let bodies: Vec<&str> = (posts[0].comments.loaded()?.iter())
        .map(|c| c.body.as_str())
        .collect();
    assert_eq!(bodies, ["first!"]);
    assert_eq!(posts[0].author_id, ann.id);

    // A failure two levels down rolls back every level.
    let failed = User::create()
        .email("bob@x.io")
        .with(User::posts().create(|bob: &User| {
            Post::create()
                .author_id(&bob.id)
                .title("doomed")
                .with(Post::comments().create(|post: &Post| {
                    Comment::create()
                        .body("x")
                        .post_id(post.id)
                        .author_id("nobody")
                }))
        }))
        .exec(&db)
        .await;
    assert!(
        matches!(failed, Err(Error::ForeignKeyViolation { .. })),
        "{failed:?}"
    );
    assert!(!user_exists(&db, "bob@x.io").await);
    assert_eq!(Post::count().exec(&db).await?, 1);
    Ok::<_, Error>(())
});
