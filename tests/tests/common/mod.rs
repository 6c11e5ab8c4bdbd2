//! The blog rows the include tests read (`includes.rs`, `includes_joined.rs`,
//! `includes_property.rs`).
#![allow(dead_code)] // each test file uses its own part

use schema_examples::blog::{
    BlogSchema, Category, Comment, Post, PostTag, Profile, ProfileSettings, Tag, User,
};
use strata::{Db, Dialect, Json};

/// The rows every test reads, ids in creation order:
/// ann manages bob and cat; ann has a profile; categories tech > rust;
/// ann wrote a1 (rust, published, 10 views), a2 (30), a3 (20); bob wrote b1;
/// a1 has comments by bob, cat, ann and tags rust, db; a2 has a comment by
/// bob and tag rust; bob and cat follow ann, ann follows cat.
pub struct Blog {
    pub ann: User,
    pub bob: User,
    pub cat: User,
}

pub async fn blog(db: &Db) -> Blog {
    db.push_schema::<BlogSchema>().await.unwrap();
    let ann = User::create().email("ann@x.io").exec(db).await.unwrap();
    let bob = (User::create().email("bob@x.io"))
        .manager_id(&ann.id)
        .exec(db)
        .await
        .unwrap();
    let cat = (User::create().email("cat@x.io"))
        .manager_id(&ann.id)
        .exec(db)
        .await
        .unwrap();
    (Profile::create())
        .user_id(&ann.id)
        .settings(Json(ProfileSettings::default()))
        .exec(db)
        .await
        .unwrap();
    let tech = Category::create().name("tech").exec(db).await.unwrap();
    let rust = (Category::create().name("rust"))
        .parent_id(tech.id)
        .exec(db)
        .await
        .unwrap();
    let post = |title: &'static str, author: &User, views: i64| {
        Post::create()
            .title(title)
            .author_id(&author.id)
            .views(views)
    };
    let a1 = (post("a1", &ann, 10))
        .category_id(rust.id)
        .published(true)
        .exec(db)
        .await
        .unwrap();
    let a2 = post("a2", &ann, 30).exec(db).await.unwrap();
    post("a3", &ann, 20).exec(db).await.unwrap();
    post("b1", &bob, 5).exec(db).await.unwrap();
    for (on, body, by) in [
        (&a1, "c1", &bob),
        (&a1, "c2", &cat),
        (&a1, "c3", &ann),
        (&a2, "c4", &bob),
    ] {
        (Comment::create().body(body))
            .post_id(on.id)
            .author_id(&by.id)
            .exec(db)
            .await
            .unwrap();
    }
    let tag_rust = Tag::create().name("rust").exec(db).await.unwrap();
    let tag_db = Tag::create().name("db").exec(db).await.unwrap();
    for (post, tag) in [(&a1, &tag_rust), (&a1, &tag_db), (&a2, &tag_rust)] {
        (PostTag::create().post_id(post.id))
            .tag_id(tag.id)
            .exec(db)
            .await
            .unwrap();
    }
    for (followed, follower) in [(&ann, &bob), (&ann, &cat), (&cat, &ann)] {
        follow(db, followed, follower).await;
    }
    Blog { ann, bob, cat }
}

/// `follower` follows `followed`: a row of the implicit join table, whose
/// column A belongs to `followers` (the field name that sorts first).
pub async fn follow(db: &Db, followed: &User, follower: &User) {
    let (a, b) = (followed.id.clone(), follower.id.clone());
    match db.dialect() {
        Dialect::Postgres => {
            let sql = r#"INSERT INTO "_follows" ("A", "B") VALUES ($1, $2)"#;
            sqlx::query(sql)
                .bind(a)
                .bind(b)
                .execute(db.as_postgres().unwrap())
                .await
                .map(drop)
        }
        Dialect::Sqlite => {
            let sql = r#"INSERT INTO "_follows" ("A", "B") VALUES (?, ?)"#;
            sqlx::query(sql)
                .bind(a)
                .bind(b)
                .execute(db.as_sqlite().unwrap())
                .await
                .map(drop)
        }
        Dialect::MySql => {
            let sql = "INSERT INTO `_follows` (`A`, `B`) VALUES (?, ?)";
            sqlx::query(sql)
                .bind(a)
                .bind(b)
                .execute(db.as_mysql().unwrap())
                .await
                .map(drop)
        }
    }
    .unwrap();
}

pub fn titles(posts: &[Post]) -> Vec<&str> {
    posts.iter().map(|p| p.title.as_str()).collect()
}

pub fn emails(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.email.as_str()).collect()
}

/// `parents` users, each with one post with one comment by its author.
pub async fn wide_blog(db: &Db, parents: usize) {
    db.push_schema::<BlogSchema>().await.unwrap();
    let users: Vec<_> = (0..parents)
        .map(|i| {
            User::create()
                .email(format!("u{i:05}@x.io"))
                .id(format!("u{i:05}"))
        })
        .collect();
    User::create_many(users).exec(db).await.unwrap();
    let posts: Vec<_> = (0..parents)
        .map(|i| {
            Post::create()
                .title(format!("p{i}"))
                .author_id(format!("u{i:05}"))
                .id(uuid::Uuid::from_u128(i as u128 + 1))
        })
        .collect();
    Post::create_many(posts).exec(db).await.unwrap();
    let comments: Vec<_> = (0..parents)
        .map(|i| {
            Comment::create()
                .body("hi")
                .post_id(uuid::Uuid::from_u128(i as u128 + 1))
                .author_id(format!("u{i:05}"))
        })
        .collect();
    Comment::create_many(comments).exec(db).await.unwrap();
}
