//! Relation filters (`some`, `every`, `none`, `is`, `is_not`) and relation
//! counts (`with_count`) on real SQLite, PostgreSQL and MariaDB: exact result
//! sets on data where the empty and NULL cases decide the answer, and one
//! statement per query however many rows there are.

use schema_examples::blog::{
    BlogSchema, Category, Comment, Post, PostTag, Profile, ProfileSettings, Role, Tag, User,
};
use strata::observe::Scope;
use strata::{increment, Db, Dialect, Error, IntoFilter, Json};
use strata_tests::backend_tests;

/// The rows every test reads:
///
/// - users ann (ADMIN), bob, cat (MODERATOR), dan; bob and cat report to
///   ann, dan to bob. ann's profile has a bio, bob's has none (NULL); cat and
///   dan have no profile.
/// - posts: ann a1 (published, rating 4, tech, tags rust+db), a2 (published,
///   rating 5, tag rust); bob b1 (published, rating NULL, tag db), b2 (draft,
///   rating 4.5, category life); cat none; dan d1 (draft, rating 1, tag db).
/// - comments: cat on b1, ann on a1, bob on a1. Tag `empty` has no posts.
/// - bob and cat follow ann; ann follows cat.
async fn blog(db: &Db) {
    db.push_schema::<BlogSchema>().await.unwrap();
    let user = |email: &'static str, name: &'static str| User::create().email(email).name(name);
    let ann = user("ann@x.io", "Ann")
        .role(Role::Admin)
        .exec(db)
        .await
        .unwrap();
    let bob = user("bob@x.io", "Bob")
        .manager_id(&ann.id)
        .exec(db)
        .await
        .unwrap();
    let cat = (user("cat@x.io", "Cat").manager_id(&ann.id))
        .role(Role::Moderator)
        .exec(db)
        .await
        .unwrap();
    let dan = user("dan@x.io", "Dan")
        .manager_id(&bob.id)
        .exec(db)
        .await
        .unwrap();
    for (owner, bio) in [(&ann, Some("hi")), (&bob, None)] {
        let profile =
            (Profile::create().user_id(&owner.id)).settings(Json(ProfileSettings::default()));
        match bio {
            Some(bio) => profile.bio(bio).exec(db).await.unwrap(),
            None => profile.exec(db).await.unwrap(),
        };
    }
    let tech = Category::create().name("tech").exec(db).await.unwrap();
    let life = Category::create().name("life").exec(db).await.unwrap();
    let post = |title: &'static str, author: &User, published: bool| {
        Post::create()
            .title(title)
            .author_id(&author.id)
            .published(published)
    };
    let a1 = (post("a1", &ann, true).rating(4.0))
        .category_id(tech.id)
        .exec(db)
        .await
        .unwrap();
    let a2 = post("a2", &ann, true).rating(5.0).exec(db).await.unwrap();
    let b1 = post("b1", &bob, true).exec(db).await.unwrap();
    (post("b2", &bob, false).rating(4.5))
        .category_id(life.id)
        .exec(db)
        .await
        .unwrap();
    let d1 = post("d1", &dan, false).rating(1.0).exec(db).await.unwrap();
    for (on, body, by) in [(&b1, "nice", &cat), (&a1, "mine", &ann), (&a1, "ok", &bob)] {
        (Comment::create().body(body))
            .post_id(on.id)
            .author_id(&by.id)
            .exec(db)
            .await
            .unwrap();
    }
    let rust = Tag::create().name("rust").exec(db).await.unwrap();
    let tag_db = Tag::create().name("db").exec(db).await.unwrap();
    Tag::create().name("empty").exec(db).await.unwrap();
    for (post, tag) in [
        (&a1, &rust),
        (&a1, &tag_db),
        (&a2, &rust),
        (&b1, &tag_db),
        (&d1, &tag_db),
    ] {
        (PostTag::create().post_id(post.id))
            .tag_id(tag.id)
            .exec(db)
            .await
            .unwrap();
    }
    for (followed, follower) in [(&ann, &bob), (&ann, &cat), (&cat, &ann)] {
        follow(db, followed, follower).await;
    }
}

/// `follower` follows `followed`: a row of the implicit join table `_follows`,
/// whose column A holds the followed user (the `followers` side).
async fn follow(db: &Db, followed: &User, follower: &User) {
    let (a, b) = (followed.id.clone(), follower.id.clone());
    match db.dialect() {
        Dialect::Postgres => {
            let sql = r#"INSERT INTO "_follows" ("A", "B") VALUES ($1, $2)"#;
            let pool = db.as_postgres().unwrap();
            sqlx::query(sql)
                .bind(a)
                .bind(b)
                .execute(pool)
                .await
                .map(drop)
        }
        Dialect::Sqlite => {
            let sql = r#"INSERT INTO "_follows" ("A", "B") VALUES (?, ?)"#;
            let pool = db.as_sqlite().unwrap();
            sqlx::query(sql)
                .bind(a)
                .bind(b)
                .execute(pool)
                .await
                .map(drop)
        }
        Dialect::MySql => {
            let sql = "INSERT INTO `_follows` (`A`, `B`) VALUES (?, ?)";
            let pool = db.as_mysql().unwrap();
            sqlx::query(sql)
                .bind(a)
                .bind(b)
                .execute(pool)
                .await
                .map(drop)
        }
    }
    .unwrap();
}

/// Names of the users matching `filter`, sorted.
async fn users(db: &Db, filter: impl IntoFilter<User>) -> Vec<String> {
    let found = User::find_many()
        .filter(filter)
        .order_by(User::email().asc());
    let found = found.exec(db).await.unwrap();
    found.into_iter().map(|u| u.name.unwrap()).collect()
}

/// Titles of the posts matching `filter`, sorted.
async fn posts(db: &Db, filter: impl IntoFilter<Post>) -> Vec<String> {
    let found = Post::find_many()
        .filter(filter)
        .order_by(Post::title().asc());
    let found = found.exec(db).await.unwrap();
    found.into_iter().map(|p| p.title).collect()
}

/// Names of the tags matching `filter`, sorted.
async fn tags(db: &Db, filter: impl IntoFilter<Tag>) -> Vec<String> {
    let found = Tag::find_many().filter(filter).order_by(Tag::name().asc());
    let found = found.exec(db).await.unwrap();
    found.into_iter().map(|t| t.name).collect()
}

backend_tests!(to_many_some_every_none, |db| async move {
    blog(&db).await;
    let published = || Post::published().eq(true);
    assert_eq!(
        users(&db, User::posts().some(published())).await,
        ["Ann", "Bob"]
    );
    // A user without posts passes `every` and `none`.
    assert_eq!(
        users(&db, User::posts().every(published())).await,
        ["Ann", "Cat"]
    );
    assert_eq!(
        users(&db, User::posts().none(published())).await,
        ["Cat", "Dan"]
    );
    // b1's rating is NULL: it does not satisfy `rating >= 3`, so bob fails
    // `every` although his other post passes; and it does not count as a
    // match for `none`, so only b2 (4.5) keeps bob out there.
    let rated = || Post::rating().gte(3.0);
    assert_eq!(
        users(&db, User::posts().every(rated())).await,
        ["Ann", "Cat"]
    );
    assert_eq!(
        users(&db, User::posts().none(rated())).await,
        ["Cat", "Dan"]
    );
    assert_eq!(
        users(&db, User::posts().some(Post::rating().is_null())).await,
        ["Bob"]
    );
    // The relation's own filter narrows the rows looked at: among published
    // posts only, dan (whose only post is a draft) passes too.
    let published_rated = User::posts().filter(published()).every(rated());
    assert_eq!(users(&db, published_rated).await, ["Ann", "Cat", "Dan"]);
});

backend_tests!(to_one_is_and_is_not, |db| async move {
    blog(&db).await;
    assert_eq!(
        posts(&db, Post::author().is(User::name().eq("Ann"))).await,
        ["a1", "a2"]
    );
    assert_eq!(
        posts(&db, Post::author().is_not(User::role().eq(Role::Admin))).await,
        ["b1", "b2", "d1"]
    );
    // A nullable foreign key: a post without a category passes `is_not`.
    let tech = || Category::name().eq("tech");
    assert_eq!(posts(&db, Post::category().is(tech())).await, ["a1"]);
    assert_eq!(
        posts(&db, Post::category().is_not(tech())).await,
        ["a2", "b1", "b2", "d1"]
    );
    // has_one: bob's profile has a NULL bio; cat and dan have no profile.
    let has_bio = || Profile::bio().is_not_null();
    assert_eq!(users(&db, User::profile().is(has_bio())).await, ["Ann"]);
    assert_eq!(
        users(&db, User::profile().is_not(has_bio())).await,
        ["Bob", "Cat", "Dan"]
    );
    let no_bio = || Profile::bio().is_null();
    assert_eq!(
        users(&db, User::profile().is_not(no_bio())).await,
        ["Ann", "Cat", "Dan"]
    );
    // Comment.post and Comment.author, both required.
    let comments: Vec<String> = Comment::find_many()
        .filter(
            Comment::post()
                .is(Post::title().eq("a1"))
                .and(Comment::author().is_not(User::name().eq("Ann"))),
        )
        .exec(&db)
        .await?
        .into_iter()
        .map(|c| c.body)
        .collect();
    assert_eq!(comments, ["ok"]);
    Ok::<_, Error>(())
});

backend_tests!(self_relations, |db| async move {
    blog(&db).await;
    assert_eq!(
        users(&db, User::reports().some(User::name().eq("Dan"))).await,
        ["Bob"]
    );
    // cat, who reports to ann, is a moderator; cat and dan have no reports.
    let all_users = User::reports().every(User::role().eq(Role::User));
    assert_eq!(users(&db, all_users).await, ["Bob", "Cat", "Dan"]);
    assert_eq!(
        users(&db, User::manager().is(User::name().eq("Ann"))).await,
        ["Bob", "Cat"]
    );
    // ann has no manager (a NULL key): she passes `is_not`.
    assert_eq!(
        users(&db, User::manager().is_not(User::name().eq("Ann"))).await,
        ["Ann", "Dan"]
    );
    // Two levels up the same table: whose manager's manager is ann.
    let grand = User::manager().is(User::manager().is(User::name().eq("Ann")));
    assert_eq!(users(&db, grand).await, ["Dan"]);
    let categories: Vec<String> = Category::find_many()
        .filter(Category::children().none(Category::name().eq("x")))
        .order_by(Category::name().asc())
        .exec(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(categories, ["life", "tech"]);
});

backend_tests!(nested_and_combined, |db| async move {
    blog(&db).await;
    // Users with a post commented on by cat: bob (b1).
    let by_cat = Comment::author().is(User::name().eq("Cat"));
    assert_eq!(
        users(&db, User::posts().some(Post::comments().some(by_cat))).await,
        ["Bob"]
    );
    // Users none of whose posts has a comment by an admin: ann commented on
    // her own a1, so only she fails.
    let no_admin_comments =
        Post::comments().none(Comment::author().is(User::role().eq(Role::Admin)));
    assert_eq!(
        users(&db, User::posts().every(no_admin_comments)).await,
        ["Bob", "Cat", "Dan"]
    );
    // Composed with column filters, or/not.
    let filter = User::name().eq("Dan").or(User::posts()
        .some(Post::tags().some(Tag::name().eq("rust")))
        .not()
        .and(User::followers().some(User::name().eq("Ann"))));
    assert_eq!(users(&db, filter).await, ["Cat", "Dan"]);
    // The same filters work in count, exists, update_many and delete_many.
    let with_drafts = || User::posts().some(Post::published().eq(false));
    assert_eq!(User::count().filter(with_drafts()).exec(&db).await?, 2);
    assert!(
        User::exists()
            .filter(User::posts().some(Post::views().gt(-1)))
            .exec(&db)
            .await?
    );
    let updated = User::update_many(with_drafts())
        .credits(increment(5))
        .exec(&db)
        .await?;
    assert_eq!(updated, 2);
    assert_eq!(users(&db, User::credits().eq(5)).await, ["Bob", "Dan"]);
    // A self-relation filter in a DELETE (the same table in the subquery).
    let without_reports = || User::reports().none(User::email().contains("@"));
    let deleted = Comment::delete_many()
        .filter(Comment::author().is(without_reports()))
        .exec(&db)
        .await?;
    assert_eq!(deleted, 1, "cat's comment");
    let without_posts = User::posts().none(Post::views().gte(0));
    let removed = User::delete_many()
        .filter(without_reports().and(without_posts))
        .exec(&db)
        .await?;
    assert_eq!(removed, 1, "cat: no reports, no posts");
    Ok::<_, Error>(())
});

backend_tests!(many_to_many_filters, |db| async move {
    blog(&db).await;
    let rust = || Tag::name().eq("rust");
    assert_eq!(posts(&db, Post::tags().some(rust())).await, ["a1", "a2"]);
    // Posts without tags (b2) pass `every` and `none`.
    assert_eq!(posts(&db, Post::tags().every(rust())).await, ["a2", "b2"]);
    assert_eq!(
        posts(&db, Post::tags().none(rust())).await,
        ["b1", "b2", "d1"]
    );
    // The other side; `empty` has no posts.
    let published = || Post::published().eq(true);
    assert_eq!(
        tags(&db, Tag::posts().every(published())).await,
        ["empty", "rust"]
    );
    assert_eq!(
        tags(&db, Tag::posts().some(Post::published().eq(false))).await,
        ["db"]
    );
    // The implicit self many-to-many: bob and cat follow ann, ann follows cat.
    assert_eq!(
        users(&db, User::followers().some(User::name().eq("Bob"))).await,
        ["Ann"]
    );
    assert_eq!(
        users(&db, User::following().some(User::name().eq("Ann"))).await,
        ["Bob", "Cat"]
    );
    assert_eq!(
        users(&db, User::following().none(User::role().eq(Role::Admin))).await,
        ["Ann", "Dan"]
    );
});

/// `(name, count)` per user, sorted by email.
fn user_counts(users: &[User], read: impl Fn(&User) -> Option<u64>) -> Vec<(String, Option<u64>)> {
    users
        .iter()
        .map(|u| (u.name.clone().unwrap(), read(u)))
        .collect()
}

backend_tests!(counts_in_one_statement, |db| async move {
    blog(&db).await;
    let query = User::find_many()
        .order_by(User::email().asc())
        .with_count(User::posts().filter(Post::published().eq(true)))
        .with_count(User::followers())
        .with_count(User::reports());
    let (found, report) = Scope::new().run(query.exec(&db)).await;
    let found = found?;
    assert_eq!(report.count(), 1, "{:#?}", report.statements());
    let names = ["Ann", "Bob", "Cat", "Dan"];
    let expect = |counts: [u64; 4]| -> Vec<(String, Option<u64>)> {
        names
            .iter()
            .zip(counts)
            .map(|(n, c)| (n.to_string(), Some(c)))
            .collect()
    };
    // Filtered: bob's draft b2 and dan's d1 are not counted; cat has none.
    assert_eq!(
        user_counts(&found, |u| u.posts.count()),
        expect([2, 1, 0, 0])
    );
    assert_eq!(
        user_counts(&found, |u| u.followers.count()),
        expect([2, 0, 1, 0])
    );
    assert_eq!(
        user_counts(&found, |u| u.reports.count()),
        expect([2, 1, 0, 0])
    );
    // Counting does not load the rows, and relations not counted stay unset.
    assert!(!found[0].posts.is_loaded());
    assert_eq!(found[0].comments.count(), None);

    // Many-to-many through the join model, and a count filtered by a
    // relation filter.
    let found = Post::find_many()
        .order_by(Post::title().asc())
        .with_count(Post::tags())
        .with_count(Post::comments().filter(Comment::author().is(User::role().eq(Role::User))))
        .exec(&db)
        .await?;
    let counts: Vec<(&str, Option<u64>, Option<u64>)> = found
        .iter()
        .map(|p| (p.title.as_str(), p.tags.count(), p.comments.count()))
        .collect();
    assert_eq!(
        counts,
        [
            ("a1", Some(2), Some(1)),
            ("a2", Some(1), Some(0)),
            ("b1", Some(1), Some(0)),
            ("b2", Some(0), Some(0)),
            ("d1", Some(1), Some(0)),
        ]
    );
    let found = Tag::find_many()
        .order_by(Tag::name().asc())
        .with_count(Tag::posts().filter(Post::published().eq(true)))
        .exec(&db)
        .await?;
    let counts: Vec<(&str, Option<u64>)> = found
        .iter()
        .map(|t| (t.name.as_str(), t.posts.count()))
        .collect();
    assert_eq!(
        counts,
        [("db", Some(2)), ("empty", Some(0)), ("rust", Some(2))]
    );
    Ok::<_, Error>(())
});

backend_tests!(counts_on_single_row_reads, |db| async move {
    blog(&db).await;
    let ann = User::find_unique(User::by_email("ann@x.io"))
        .with_count(User::following())
        .with_count(User::posts())
        .exec_required(&db)
        .await?;
    assert_eq!(
        (ann.following.count(), ann.posts.count()),
        (Some(1), Some(2))
    );
    let first = User::find_first()
        .filter(User::posts().none(Post::published().eq(true)))
        .order_by(User::email().desc())
        .with_count(User::posts())
        .exec(&db)
        .await?
        .unwrap();
    assert_eq!(
        (first.name.as_deref(), first.posts.count()),
        (Some("Dan"), Some(1))
    );
    // Counts fill the model's relation fields: not with select/omit.
    let refused = User::find_many()
        .with_count(User::posts())
        .select(User::email())
        .exec(&db)
        .await;
    assert!(
        matches!(refused, Err(Error::InvalidValue { model: "User", .. })),
        "{refused:?}"
    );
    let refused = User::find_many()
        .with_count(User::posts())
        .omit(User::name())
        .exec(&db)
        .await;
    assert!(
        matches!(refused, Err(Error::InvalidValue { model: "User", .. })),
        "{:?}",
        refused.err()
    );
    Ok::<_, Error>(())
});

backend_tests!(with_includes, |db| async move {
    blog(&db).await;
    // A relation filter inside an include's filter, and counts next to an
    // include: one statement for the users (with their counts), one for the posts.
    let commented = Post::comments().some(Comment::author().is_not(User::name().eq("Ann")));
    let query = User::find_many()
        .filter(User::posts().some(Post::published().eq(true)))
        .order_by(User::email().asc())
        .with_count(User::posts())
        .include(
            User::posts()
                .filter(commented)
                .order_by(Post::title().asc()),
        );
    let (found, report) = Scope::new().run(query.exec(&db)).await;
    let found = found?;
    assert_eq!(report.count(), 2, "{:#?}", report.statements());
    let loaded: Vec<(&str, Option<u64>, Vec<&str>)> = found
        .iter()
        .map(|u| {
            let titles = u.posts.get().unwrap_or_default();
            let titles = titles.iter().map(|p| p.title.as_str()).collect();
            (
                u.name.as_deref().unwrap_or_default(),
                u.posts.count(),
                titles,
            )
        })
        .collect();
    assert_eq!(
        loaded,
        [("Ann", Some(2), vec!["a1"]), ("Bob", Some(2), vec!["b1"])]
    );
    Ok::<_, Error>(())
});
