//! The statements each nested-write shape runs, per dialect, as recorded by a
//! statement scope on a real database (later statements depend on what
//! earlier ones return, so they cannot be rendered ahead). Binds are not
//! shown: the text is what varies by shape; `nested_writes.rs` checks the
//! outcomes. Each snapshot is one write, from BEGIN to COMMIT or ROLLBACK.

use schema_examples::blog::{BlogSchema, Category, Post, Profile, ProfileSettings, Tag, User};
use std::future::Future;
use strata::observe::Scope;
use strata::{Db, Dialect, Json, WithNested};
use strata_tests::backend_tests;
use uuid::Uuid;

/// Snapshots the statements `write` runs as `{name}@{dialect}`.
async fn snapshot<T>(db: &Db, name: &str, write: impl Future<Output = T>) -> T {
    let (output, report) = Scope::new().run(write).await;
    let suffix = match db.dialect() {
        Dialect::Postgres => "postgres",
        Dialect::Sqlite => "sqlite",
        Dialect::MySql => "mysql",
    };
    insta::assert_snapshot!(format!("{name}@{suffix}"), report.statements().join("\n"));
    output
}

struct Rows {
    ann: User,
    bob: User,
    post: Post,
    tech: Category,
    rust: Tag,
}

async fn rows(db: &Db) -> Rows {
    db.push_schema::<BlogSchema>().await.unwrap();
    let ann = User::create().email("ann@x.io").exec(db).await.unwrap();
    let bob = User::create().email("bob@x.io").exec(db).await.unwrap();
    let post = (Post::create().title("p"))
        .author_id(&ann.id)
        .exec(db)
        .await
        .unwrap();
    let tech = Category::create().name("tech").exec(db).await.unwrap();
    let rust = Tag::create().name("rust").exec(db).await.unwrap();
    Rows {
        ann,
        bob,
        post,
        tech,
        rust,
    }
}

backend_tests!(nested_creates_sql, |db| async move {
    rows(&db).await;
    let write = User::create()
        .email("cat@x.io")
        .with(User::posts().create(|cat: &User| Post::create().author_id(&cat.id).title("a")))
        .with(User::posts().create_many(|cat: &User| {
            ["b", "c"].map(|title| Post::create().author_id(&cat.id).title(title))
        }))
        .with(User::profile().create(|cat: &User| {
            (Profile::create().user_id(&cat.id)).settings(Json(ProfileSettings::default()))
        }))
        .exec(&db);
    snapshot(&db, "nested_create_has_many_has_one", write).await?;
    Ok::<_, strata::Error>(())
});

backend_tests!(nested_has_many_update_sql, |db| async move {
    let Rows {
        ann,
        bob,
        post,
        tech,
        ..
    } = rows(&db).await;
    let write = User::update(User::by_id(&bob.id))
        .name("Bob")
        .with(User::posts().connect(Post::by_id(post.id)))
        .with(
            User::posts().connect_or_create(Post::by_id(Uuid::new_v4()), |bob: &User| {
                Post::create().author_id(&bob.id).title("new")
            }),
        )
        .with(User::posts().update(Post::by_id(post.id), Post::changes().title("q")))
        .with(User::posts().delete(Post::by_id(post.id)))
        .exec(&db);
    snapshot(&db, "nested_update_has_many", write).await?;
    let p2 = (Post::create().title("p2"))
        .author_id(&ann.id)
        .exec(&db)
        .await?;
    let write = Category::update(Category::by_id(tech.id))
        .with(Category::posts().connect(Post::by_id(p2.id)))
        .with(Category::posts().disconnect(Post::by_id(p2.id)))
        .with(Category::posts().set([Post::by_id(p2.id)]))
        .exec(&db);
    snapshot(&db, "nested_update_has_many_nullable", write).await?;
    Ok::<_, strata::Error>(())
});

backend_tests!(nested_has_one_sql, |db| async move {
    let Rows { ann, .. } = rows(&db).await;
    let write = User::update(User::by_id(&ann.id))
        .with(User::profile().create(|ann: &User| {
            (Profile::create().user_id(&ann.id)).settings(Json(ProfileSettings::default()))
        }))
        .with(User::profile().update(Profile::changes().bio("hi")))
        .with(User::profile().delete())
        .exec(&db);
    snapshot(&db, "nested_update_has_one", write).await?;
    Ok::<_, strata::Error>(())
});

backend_tests!(nested_belongs_to_sql, |db| async move {
    let Rows { ann, bob, .. } = rows(&db).await;
    let write = Post::create()
        .title("t")
        .author_id(&bob.id)
        .with(Post::author().connect(User::by_email("ann@x.io")))
        .with(Post::category().create(Category::create().name("new")))
        .exec(&db);
    let post = snapshot(&db, "nested_create_belongs_to", write).await?;
    assert_eq!(post.author_id, ann.id);
    let write = Post::update(Post::by_id(post.id))
        .with(
            Post::category()
                .connect_or_create(Category::by_name("tech"), Category::create().name("tech")),
        )
        .with(Post::author().update(User::changes().name("Ann")))
        .with(Post::category().delete())
        .exec(&db);
    snapshot(&db, "nested_update_belongs_to", write).await?;
    let write = Post::update(Post::by_id(post.id))
        .with(Post::category().disconnect())
        .exec(&db);
    snapshot(&db, "nested_update_belongs_to_disconnect", write).await?;
    Ok::<_, strata::Error>(())
});

backend_tests!(nested_many_to_many_sql, |db| async move {
    let Rows { post, rust, .. } = rows(&db).await;
    let write = Post::update(Post::by_id(post.id))
        .with(Post::tags().connect(Tag::by_name("rust")))
        .with(Post::tags().create(|_: &Post| Tag::create().name("db")))
        .with(
            Post::tags()
                .connect_or_create(Tag::by_name("sql"), |_: &Post| Tag::create().name("sql")),
        )
        .with(Post::tags().disconnect(Tag::by_name("db")))
        .with(Post::tags().update(Tag::by_id(rust.id), Tag::changes().name("Rust")))
        .with(Post::tags().set([Tag::by_id(rust.id)]))
        .with(Post::tags().delete(Tag::by_id(rust.id)))
        .exec(&db);
    snapshot(&db, "nested_many_to_many_through", write).await?;
    Ok::<_, strata::Error>(())
});

backend_tests!(nested_implicit_many_to_many_sql, |db| async move {
    let Rows { ann, bob, .. } = rows(&db).await;
    let write = User::update(User::by_id(&ann.id))
        .with(User::following().connect(User::by_id(&bob.id)))
        .with(User::followers().connect(User::by_id(&bob.id)))
        .with(User::following().disconnect(User::by_id(&bob.id)))
        .with(User::followers().set([]))
        .exec(&db);
    snapshot(&db, "nested_many_to_many_implicit", write).await?;
    Ok::<_, strata::Error>(())
});

backend_tests!(nested_write_rolled_back_sql, |db| async move {
    rows(&db).await;
    let write = User::create()
        .email("cat@x.io")
        .with(User::posts().connect(Post::by_id(Uuid::nil())))
        .exec(&db);
    let result = snapshot(&db, "nested_connect_missing_rolls_back", write).await;
    assert!(matches!(result, Err(strata::Error::RelatedNotFound { .. })));
});
