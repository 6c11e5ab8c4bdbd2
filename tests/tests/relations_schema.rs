//! The blog schema's relation declarations on a real database: `push_schema`
//! creates every table, including the generated join table of the implicit
//! `User.followers`/`User.following` relation (once, after `users`), the
//! foreign keys that `belongs_to` declares hold, and rows read back with every
//! relation field not loaded.

use schema_examples::blog::{
    BlogSchema, Category, Comment, Post, PostTag, Profile, ProfileSettings, Tag, User,
};
use strata::{Db, Dialect, Json};
use strata_tests::backend_tests;

/// Runs `sql` with two text binds through whichever pool `db` has.
async fn exec2(db: &Db, sql: [&'static str; 2], a: &str, b: &str) -> Result<u64, sqlx::Error> {
    let (a, b) = (a.to_owned(), b.to_owned());
    // PostgreSQL numbers its placeholders; the others take `?`.
    match db.dialect() {
        Dialect::Postgres => sqlx::query(sql[0])
            .bind(a)
            .bind(b)
            .execute(db.as_postgres().unwrap())
            .await
            .map(|r| r.rows_affected()),
        Dialect::Sqlite => sqlx::query(sql[1])
            .bind(a)
            .bind(b)
            .execute(db.as_sqlite().unwrap())
            .await
            .map(|r| r.rows_affected()),
        Dialect::MySql => sqlx::query(sql[1])
            .bind(a)
            .bind(b)
            .execute(db.as_mysql().unwrap())
            .await
            .map(|r| r.rows_affected()),
    }
}

/// `follower` follows `followed`: column A holds the `followers` side (the
/// field name that sorts first), B the `following` side.
async fn follow(db: &Db, followed: &User, follower: &User) -> Result<u64, sqlx::Error> {
    let sql = match db.dialect() {
        Dialect::MySql => ["", "INSERT INTO `_follows` (`A`, `B`) VALUES (?, ?)"],
        _ => [
            r#"INSERT INTO "_follows" ("A", "B") VALUES ($1, $2)"#,
            r#"INSERT INTO "_follows" ("A", "B") VALUES (?, ?)"#,
        ],
    };
    exec2(db, sql, &followed.id, &follower.id).await
}

/// How many `_follows` rows have `a` in A and `b` in B.
async fn follows(db: &Db, a: &str, b: &str) -> Result<i64, sqlx::Error> {
    let (a, b) = (a.to_owned(), b.to_owned());
    match db.dialect() {
        Dialect::Postgres => {
            sqlx::query_scalar(r#"SELECT COUNT(*) FROM "_follows" WHERE "A" = $1 AND "B" = $2"#)
                .bind(a)
                .bind(b)
                .fetch_one(db.as_postgres().unwrap())
                .await
        }
        Dialect::Sqlite => {
            sqlx::query_scalar(r#"SELECT COUNT(*) FROM "_follows" WHERE "A" = ? AND "B" = ?"#)
                .bind(a)
                .bind(b)
                .fetch_one(db.as_sqlite().unwrap())
                .await
        }
        Dialect::MySql => {
            sqlx::query_scalar("SELECT COUNT(*) FROM `_follows` WHERE `A` = ? AND `B` = ?")
                .bind(a)
                .bind(b)
                .fetch_one(db.as_mysql().unwrap())
                .await
        }
    }
}

backend_tests!(blog_schema_with_every_relation_kind, |db| async move {
    db.push_schema::<BlogSchema>().await?;

    let ann = User::create().email("ann@example.com").exec(&db).await?;
    let bob = User::create()
        .email("bob@example.com")
        .manager_id(&ann.id)
        .exec(&db)
        .await?;
    Profile::create()
        .user_id(&ann.id)
        .settings(Json(ProfileSettings::default()))
        .exec(&db)
        .await?;
    let rust = Category::create().name("rust").exec(&db).await?;
    let asynch = Category::create()
        .name("async")
        .parent_id(rust.id)
        .exec(&db)
        .await?;
    let post = Post::create()
        .title("Relations")
        .author_id(&ann.id)
        .category_id(asynch.id)
        .exec(&db)
        .await?;
    Comment::create()
        .body("Nice")
        .post_id(post.id)
        .author_id(&bob.id)
        .exec(&db)
        .await?;
    let tag = Tag::create().name("orm").exec(&db).await?;
    PostTag::create()
        .post_id(post.id)
        .tag_id(tag.id)
        .exec(&db)
        .await?;
    // Bob follows Ann, through the generated join table.
    assert_eq!(follow(&db, &ann, &bob).await.unwrap(), 1);
    assert_eq!(follows(&db, &ann.id, &bob.id).await.unwrap(), 1);

    // Read back: the foreign keys are columns, every relation is not loaded.
    let bob = User::find_by_email("bob@example.com")
        .exec(&db)
        .await?
        .expect("bob");
    assert_eq!(bob.manager_id.as_deref(), Some(ann.id.as_str()));
    for user in User::find_many().exec(&db).await? {
        assert!(user.posts.get().is_none());
        assert!(user.profile.get().is_none());
        assert!(user.comments.get().is_none());
        assert!(user.manager.get().is_none());
        assert!(user.reports.get().is_none());
        assert!(user.followers.get().is_none());
        assert!(!user.following.is_loaded());
        assert!(matches!(
            user.posts.loaded(),
            Err(strata::Error::NotLoaded { .. })
        ));
    }
    let post = Post::find_unique(Post::by_id(post.id))
        .exec(&db)
        .await?
        .expect("post");
    assert!(post.author.get().is_none());
    assert!(post.category.get().is_none());
    assert!(post.comments.get().is_none());
    assert!(post.tags.get().is_none());
    let child = Category::find_unique(Category::by_id(asynch.id))
        .exec(&db)
        .await?
        .expect("category");
    assert_eq!(child.parent_id, Some(rust.id));
    assert!(child.parent.get().is_none() && child.children.get().is_none());
    let link = PostTag::find_many().exec(&db).await?;
    assert_eq!(link.len(), 1);
    assert!(link[0].post.get().is_none() && link[0].tag.get().is_none());

    // The belongs_to foreign keys act: deleting Ann sets Bob's manager to
    // NULL, cascades to her post (and its comment and tag link), her profile
    // and her row in the join table.
    User::delete(User::by_id(&ann.id)).exec(&db).await?;
    let bob = User::find_by_email("bob@example.com")
        .exec(&db)
        .await?
        .expect("bob");
    assert_eq!(bob.manager_id, None);
    assert_eq!(Post::count().exec(&db).await?, 0);
    assert_eq!(Comment::count().exec(&db).await?, 0);
    assert_eq!(PostTag::count().exec(&db).await?, 0);
    assert_eq!(Profile::count().exec(&db).await?, 0);
    assert_eq!(follows(&db, &ann.id, &bob.id).await.unwrap(), 0);

    // A reset drops and recreates every table, the join table included.
    db.reset_schema::<BlogSchema>().await?;
    assert_eq!(User::count().exec(&db).await?, 0);
    assert_eq!(
        follows(&db, "nobody", "nobody").await.unwrap(),
        0,
        "the join table exists after a reset"
    );
    Ok::<_, strata::Error>(())
});
