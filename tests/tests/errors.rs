//! Each error variant, produced by the real database and classified the same
//! way on all three.

use schema_examples::blog::{BlogSchema, Post, Tag, User};
use std::time::Duration;
use strata::{Db, Dialect, Error, Model, PoolOptions};
use strata_tests::backend_tests;

#[derive(Model, Debug)]
#[allow(dead_code)] // read only through the database's errors
#[strata(table = "checked")]
struct Checked {
    #[strata(id, default = autoincrement)]
    id: i32,
    // The database enforces more than the Rust type says: a NOT NULL column
    // behind an Option, and a CHECK.
    #[strata(db_type = "text not null")]
    note: Option<String>,
    // (NOT NULL inside the spelling: MySQL wants it before the CHECK.)
    #[strata(db_type = "integer not null check (qty >= 0)")]
    qty: Option<i32>,
}

backend_tests!(unique_violation_names_the_fields, |db| async move {
    db.push_schema::<BlogSchema>().await.unwrap();
    let ann = User::create().email("ann@x.io").exec(&db).await.unwrap();
    let err = User::create()
        .email("ann@x.io")
        .exec(&db)
        .await
        .unwrap_err();
    match &err {
        Error::UniqueViolation {
            model,
            constraint,
            fields,
            ..
        } => {
            assert_eq!(*model, "User");
            assert_eq!(fields, &["email"]);
            if db.dialect() != Dialect::Sqlite {
                assert_eq!(constraint.as_deref(), Some("users_email_key"));
            }
        }
        other => panic!("expected UniqueViolation, got {other:?}"),
    }
    assert!(err.is_unique_violation());
    assert!(err.to_string().contains("email"), "{err}");
    let err = User::create()
        .id(&ann.id)
        .email("other@x.io")
        .exec(&db)
        .await
        .unwrap_err();
    match err {
        Error::UniqueViolation { fields, .. } => assert_eq!(fields, ["id"]),
        other => panic!("expected UniqueViolation on the primary key, got {other:?}"),
    }
    // An update into a taken key is the same error.
    let bob = User::create().email("bob@x.io").exec(&db).await.unwrap();
    let err = User::update(User::by_id(&bob.id))
        .email("ann@x.io")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_unique_violation(), "{err:?}");
});

backend_tests!(foreign_key_violation, |db| async move {
    db.push_schema::<BlogSchema>().await.unwrap();
    let err = Post::create()
        .title("t")
        .author_id("no-such-user")
        .exec(&db)
        .await
        .unwrap_err();
    match err {
        Error::ForeignKeyViolation { constraint, .. } => {
            if db.dialect() != Dialect::Sqlite {
                assert_eq!(constraint.as_deref(), Some("posts_author_id_fkey"));
            }
        }
        other => panic!("expected ForeignKeyViolation, got {other:?}"),
    }
    assert_eq!(Post::count().exec(&db).await.unwrap(), 0);
});

backend_tests!(not_null_and_check_violations, |db| async move {
    db.push_schema::<Checked>().await.unwrap();
    let err = Checked::create().qty(1).exec(&db).await.unwrap_err();
    match err {
        Error::NotNullViolation { column, .. } => assert_eq!(column.as_deref(), Some("note")),
        other => panic!("expected NotNullViolation, got {other:?}"),
    }
    let row = Checked::create().note("n").qty(1).exec(&db).await.unwrap();
    let err = Checked::update(Checked::by_id(row.id))
        .note(None)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotNullViolation { .. }), "{err:?}");
    let err = Checked::create()
        .note("n")
        .qty(-1)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::CheckViolation { .. }), "{err:?}");
    assert_eq!(Checked::count().exec(&db).await.unwrap(), 1);
});

backend_tests!(lock_wait_is_a_timeout, |db| async move {
    db.push_schema::<BlogSchema>().await.unwrap();
    let tag = Tag::create().name("locked").exec(&db).await.unwrap();
    let url = strata_tests::url_of(&db);
    let impatient = Db::connect_with(
        &url,
        PoolOptions {
            lock_timeout: Some(Duration::from_millis(300)),
            ..PoolOptions::default()
        },
    )
    .await
    .unwrap();
    // Another session holds a write lock on the row (the whole database on SQLite).
    let holder = strata_tests::hold_write_lock(&db, "tags", "id", tag.id).await;
    let err = Tag::update(Tag::by_id(tag.id))
        .name("mine")
        .exec(&impatient)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    drop(holder);
});

backend_tests!(an_exhausted_pool_is_pool_timed_out, |db| async move {
    db.push_schema::<BlogSchema>().await.unwrap();
    let url = strata_tests::url_of(&db);
    let small = Db::connect_with(
        &url,
        PoolOptions {
            max_connections: 1,
            acquire_timeout: Duration::from_millis(200),
            ..PoolOptions::default()
        },
    )
    .await
    .unwrap();
    let busy = strata_tests::occupy_one_connection(&small).await;
    let err = Tag::count().exec(&small).await.unwrap_err();
    assert!(matches!(err, Error::PoolTimedOut), "{err:?}");
    drop(busy);
    assert_eq!(Tag::count().exec(&small).await.unwrap(), 0);
});

#[tokio::test]
async fn an_unknown_url_scheme_is_a_clear_error() {
    let err = Db::connect("oracle://scott:tiger@db/orcl")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::InvalidUrl { .. }));
    assert!(
        text.contains("oracle://scott:***@db/orcl"),
        "password redacted: {text}"
    );
    assert!(text.contains("sqlite:"), "{text}");
}
