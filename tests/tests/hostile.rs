//! Hostile strings are data, never SQL: every filter and write takes them as
//! bound values and they come back byte for byte.

use schema_examples::blog::{BlogSchema, Tag, User};
use strata::{increment, Dialect, Error};
use strata_tests::backend_tests;

fn hostile_strings(dialect: Dialect) -> Vec<String> {
    let mut strings: Vec<String> = [
        "'",
        "''",
        "\"",
        "`",
        "\\",
        "\\'",
        "'; DROP TABLE users; --",
        "\"; DROP TABLE \"users\"; --",
        "` OR 1=1 #",
        "/* comment */",
        "%",
        "_",
        "!",
        "*?[]",
        "100%_!*?[x]",
        "$1 ? ?1 :name @p1",
        "🦀 emoji 👩‍👩‍👧 and ünïcödé",
        "line\nbreak\r\ttab",
        " trailing space",
        "",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    strings.push("x".repeat(1024 * 1024));
    strings.push(format!(
        "{}'; --{}",
        "é".repeat(300_000),
        "🦀".repeat(10_000)
    ));
    if dialect != Dialect::Postgres {
        strings.push("nul\0byte".into());
    }
    strings
}

backend_tests!(
    hostile_strings_round_trip_through_every_filter_and_write,
    |db| async move {
        db.push_schema::<BlogSchema>().await.unwrap();
        let dialect = db.dialect();
        for (i, text) in hostile_strings(dialect).iter().enumerate() {
            let email = format!("u{i}@x.io");
            let user = User::create()
                .email(&email)
                .name(text.as_str())
                .exec(&db)
                .await
                .unwrap();
            assert_eq!(user.name.as_deref(), Some(text.as_str()), "create #{i}");
            let by_name = |f| User::find_many().filter(f).exec(&db);
            let found = by_name(User::name().eq(text.as_str())).await.unwrap();
            assert_eq!(found.len(), 1, "eq #{i}");
            assert_eq!(found[0].name.as_deref(), Some(text.as_str()));
            let probes = [
                User::name().contains(text.as_str()),
                User::name().starts_with(text.as_str()),
                User::name().ends_with(text.as_str()),
                User::name().contains(text.as_str()).insensitive(),
            ];
            for (p, probe) in probes.into_iter().enumerate() {
                let hits = User::find_many()
                    .filter(probe)
                    .filter(User::email().eq(&email))
                    .exec(&db)
                    .await;
                assert_eq!(hits.unwrap().len(), 1, "text match {p} on #{i}");
            }
            assert_eq!(
                User::count()
                    .filter(User::name().in_([text.as_str(), "other"]))
                    .exec(&db)
                    .await
                    .unwrap(),
                1,
                "in #{i}"
            );
            let updated = User::update(User::by_email(&email))
                .name(format!("{text}{text}"))
                .exec(&db)
                .await
                .unwrap();
            assert_eq!(updated.name, Some(format!("{text}{text}")), "update #{i}");
            let upserted = User::upsert(
                User::by_email(&email),
                User::create().email(&email),
                User::changes().name(text.as_str()).credits(increment(1)),
            )
            .exec(&db)
            .await
            .unwrap();
            assert_eq!(upserted.name.as_deref(), Some(text.as_str()), "upsert #{i}");
            // A tag whose unique key is hostile text, found by that key.
            if text.len() < 200 {
                Tag::create().name(text.as_str()).exec(&db).await.unwrap();
                let tag = Tag::find_by_name(text.as_str()).exec(&db).await.unwrap();
                assert_eq!(tag.map(|t| t.name), Some(text.clone()), "unique key #{i}");
            }
        }
        // Nothing was executed as SQL: every row is there and the tables still exist.
        let n = hostile_strings(dialect).len() as u64;
        assert_eq!(User::count().exec(&db).await.unwrap(), n);
        let removed = User::delete_many()
            .filter(User::name().contains("DROP TABLE"))
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(removed, 2);
        assert_eq!(User::count().exec(&db).await.unwrap(), n - 2);
    }
);

backend_tests!(
    nul_bytes_are_refused_clearly_where_text_cannot_hold_them,
    |db| async move {
        db.push_schema::<BlogSchema>().await.unwrap();
        let result = User::create()
            .email("nul@x.io")
            .name("a\0b")
            .exec(&db)
            .await;
        if db.dialect() == Dialect::Postgres {
            match result {
                Err(Error::InvalidValue {
                    model: "User",
                    reason,
                    ..
                }) => {
                    assert!(reason.contains("NUL"), "{reason}")
                }
                other => panic!("expected InvalidValue, got {other:?}"),
            }
            assert_eq!(
                User::count().exec(&db).await.unwrap(),
                0,
                "nothing half-written"
            );
        } else {
            assert_eq!(result.unwrap().name.as_deref(), Some("a\0b"));
        }
    }
);
