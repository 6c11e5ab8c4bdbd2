//! `sql!` against real SQLite, PostgreSQL and MariaDB: results into structs,
//! tuples, scalars and models; composition (join, empty, optional fragments,
//! IN lists including the empty list); writes; and hostile values that stay
//! data.

use chrono::{Duration, Utc};
use schema_examples::blog::{BlogSchema, Post, Role, User};
use strata::{sql, Db, Dialect, Error, Sql, ToSql};
use strata_tests::backend_tests;

async fn blog(db: &Db) -> (User, User) {
    db.push_schema::<BlogSchema>().await.unwrap();
    let ann = User::create()
        .email("ann@x.io")
        .name("Ann")
        .role(Role::Admin)
        .exec(db)
        .await
        .unwrap();
    let bob = User::create().email("bob@x.io").exec(db).await.unwrap();
    for (author, title, views) in [(&ann, "A1", 10), (&ann, "A2", 20), (&bob, "B1", 5)] {
        Post::create()
            .title(title)
            .author_id(&author.id)
            .views(views)
            .exec(db)
            .await
            .unwrap();
    }
    (ann, bob)
}

#[derive(strata::FromRow, Debug, PartialEq)]
struct AuthorStats {
    email: String,
    posts: i64,
}

#[derive(strata::FromRow, Debug, PartialEq)]
struct Author {
    email: String,
    name: Option<String>,
}

#[derive(strata::FromRow, Debug, PartialEq)]
struct PostWithAuthor {
    title: String,
    #[strata(flatten)]
    author: Author,
}

backend_tests!(
    results_into_structs_tuples_scalars_and_models,
    |db| async move {
        let (ann, _) = blog(&db).await;
        let since = Utc::now() - Duration::days(1);
        let stats: Vec<AuthorStats> = sql!(
        "SELECT {User::email}, COUNT({Post::id}) AS posts FROM {User} JOIN {Post} ON {Post::author_id} = {User::id}
         WHERE {User::created_at} > {since} GROUP BY {User::email} ORDER BY {User::email}"
    )
    .fetch_all(&db)
    .await
    .unwrap();
        let expected = [("ann@x.io", 2), ("bob@x.io", 1)].map(|(email, posts)| AuthorStats {
            email: email.into(),
            posts,
        });
        assert_eq!(stats, expected);

        let tuples: Vec<(String, i64)> =
            sql!("SELECT {Post::title}, {Post::views} FROM {Post} ORDER BY {Post::views} DESC")
                .fetch_all(&db)
                .await
                .unwrap();
        assert_eq!(
            tuples,
            [("A2".into(), 20), ("A1".into(), 10), ("B1".into(), 5)]
        );

        let nested: PostWithAuthor = sql!(
            "SELECT {Post::title}, {User::email}, {User::name} FROM {Post}
         JOIN {User} ON {User::id} = {Post::author_id} WHERE {Post::title} = {\"B1\"}"
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(
            nested.author,
            Author {
                email: "bob@x.io".into(),
                name: None
            }
        );

        let min = 10_i64;
        let count: i64 = sql!("SELECT COUNT(*) FROM {Post} WHERE {Post::views} >= {min}")
            .fetch_scalar(&db)
            .await
            .unwrap();
        assert_eq!(count, 2);
        let name: Option<String> =
            sql!("SELECT {User::name} FROM {User} WHERE {User::email} = {\"bob@x.io\"}")
                .fetch_scalar(&db)
                .await
                .unwrap();
        assert_eq!(name, None, "a NULL scalar read as Option");

        let users: Vec<User> =
            sql!("SELECT {User}.* FROM {User} WHERE {User::role} = {Role::Admin}")
                .fetch_all(&db)
                .await
                .unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(
            (users[0].id.as_str(), users[0].role),
            (ann.id.as_str(), Role::Admin)
        );

        let none: Option<(String,)> =
            sql!("SELECT {User::email} FROM {User} WHERE {User::email} = {\"nobody\"}")
                .fetch_optional(&db)
                .await
                .unwrap();
        assert_eq!(none, None);
        let missing = sql!("SELECT {User::email} FROM {User} WHERE 1 = 0")
            .fetch_one::<(String,)>(&db)
            .await;
        assert!(
            matches!(missing, Err(Error::NotFound { model: "sql!" })),
            "{missing:?}"
        );
    }
);

backend_tests!(
    row_shape_mismatches_are_errors_naming_the_field,
    |db| async move {
        blog(&db).await;
        let swapped = sql!("SELECT {User::name}, {User::email} FROM {User}")
            .fetch_all::<Author>(&db)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            swapped.contains("Author.email reads column 0") && swapped.contains("\"name\""),
            "{swapped}"
        );
        let extra = sql!("SELECT {User::email}, {User::name}, {User::id} FROM {User}")
            .fetch_all::<(String, Option<String>)>(&db)
            .await
            .unwrap_err()
            .to_string();
        assert!(extra.contains("returned 3 columns but"), "{extra}");
        let short = sql!("SELECT {User::email} FROM {User}")
            .fetch_all::<Author>(&db)
            .await
            .unwrap_err()
            .to_string();
        assert!(short.contains("Author.name reads column 1"), "{short}");
    }
);

/// Titles of the posts `condition` selects, sorted.
async fn titles(db: &Db, condition: Sql) -> Vec<String> {
    sql!("SELECT {Post::title} FROM {Post} WHERE {condition} ORDER BY {Post::title}")
        .fetch_all::<String>(db)
        .await
        .unwrap()
}

backend_tests!(in_lists_joins_and_optional_fragments, |db| async move {
    let (ann, bob) = blog(&db).await;
    let ids = vec![ann.id.clone(), "nobody".to_owned()];
    assert_eq!(
        titles(&db, Sql::in_list(Post::author_id(), ids)).await,
        ["A1", "A2"]
    );
    let empty: Vec<String> = Vec::new();
    assert!(titles(&db, Sql::in_list(Post::author_id(), empty.clone()))
        .await
        .is_empty());
    assert_eq!(
        titles(&db, Sql::not_in_list(Post::author_id(), empty.clone())).await,
        ["A1", "A2", "B1"],
        "NOT IN the empty list holds for every row"
    );
    assert_eq!(
        titles(&db, sql!("NOT ({Sql::in_list(Post::author_id(), empty)})")).await,
        ["A1", "A2", "B1"]
    );
    // Every post's category is NULL: the empty set still decides, a real list cannot.
    let no_ids: Vec<i32> = Vec::new();
    assert!(
        titles(&db, Sql::in_list(Post::category_id(), no_ids.clone()))
            .await
            .is_empty()
    );
    assert_eq!(
        titles(&db, Sql::not_in_list(Post::category_id(), no_ids)).await,
        ["A1", "A2", "B1"],
        "a NULL is NOT IN the empty set"
    );
    assert!(titles(&db, Sql::not_in_list(Post::category_id(), [1]))
        .await
        .is_empty());
    assert_eq!(
        titles(&db, Sql::not_in_list(Post::author_id(), [bob.id.clone()])).await,
        ["A1", "A2"]
    );
    // An enum list: one array bind cast to the enum's array type on PostgreSQL.
    let admins: Vec<String> = sql!("SELECT {User::email} FROM {User} WHERE {Sql::in_list(User::role(), [Role::Admin, Role::Moderator])}")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(admins, ["ann@x.io"]);

    let conditions = vec![
        sql!("{Post::views} > {6_i64}"),
        sql!("{Post::author_id} = {ann.id}"),
    ];
    assert_eq!(
        titles(&db, Sql::join(conditions, " AND ")).await,
        ["A1", "A2"]
    );
    assert_eq!(
        titles(
            &db,
            Sql::join(vec![sql!("1 = 0"), sql!("{Post::views} = {5_i64}")], " OR ")
        )
        .await,
        ["B1"]
    );

    for (min_views, expected) in [(None, vec!["A1", "A2", "B1"]), (Some(15_i64), vec!["A2"])] {
        let filter: Option<Sql> = min_views.map(|min| sql!("AND {Post::views} >= {min}"));
        let rows: Vec<String> = sql!(
            "SELECT {Post::title} FROM {Post} WHERE 1 = 1 {filter} {Sql::empty()} ORDER BY {Post::title}"
        )
        .fetch_all(&db)
        .await
        .unwrap();
        assert_eq!(rows, expected, "min_views {min_views:?}");
    }
});

backend_tests!(execute_reports_rows_affected, |db| async move {
    let (ann, _) = blog(&db).await;
    let step = 5_i64;
    let updated = sql!(
        "UPDATE {Post} SET {Post::views:bare} = {Post::views:bare} + {step} WHERE {Post::author_id} = {ann.id}"
    )
    .execute(&db)
    .await
    .unwrap();
    assert_eq!(updated, 2);
    let views: Vec<i64> = sql!("SELECT {Post::views} FROM {Post} WHERE {Post::author_id} = {ann.id} ORDER BY {Post::views}")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(views, [15, 25]);
    let deleted = sql!("DELETE FROM {Post} WHERE {Post::views} < {20_i64}")
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    let violated = sql!("UPDATE {Post} SET {Post::views:bare} = {-1_i64}")
        .execute(&db)
        .await;
    assert!(
        matches!(violated, Err(Error::CheckViolation { .. })),
        "{violated:?}"
    );
});

/// Values no statement should ever be changed by: quotes, comment and
/// statement terminators, template and placeholder syntax, backslashes, NUL
/// (not on PostgreSQL, whose text cannot hold it).
fn hostile_values(dialect: Dialect) -> Vec<String> {
    let mut values: Vec<String> = [
        "'",
        "''",
        "\"",
        "`",
        "\\",
        "\\'",
        "'; DROP TABLE users; --",
        "\"; DELETE FROM \"posts\"; --",
        "-- comment",
        "/* comment",
        "{User}",
        "{User::email}",
        "{{}}",
        "$1",
        "$2::text",
        "?",
        "? OR 1=1",
        ":name @p1 ?1",
        "🦀 ünïcödé",
        "line\nbreak\r\ttab",
        "",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    if dialect != Dialect::Postgres {
        values.push("nul\0byte".into());
    }
    values
}

backend_tests!(
    hostile_values_cannot_change_the_statement,
    |db| async move {
        let (ann, bob) = blog(&db).await;
        let dialect = db.dialect();
        let write = |name: &str, id: &str| {
            sql!("UPDATE {User} SET {User::name:bare} = {name} WHERE {User::id} = {id}")
        };
        let read = |name: &str| {
            let others = Sql::in_list(User::email(), [name.to_owned(), "bob@x.io".to_owned()]);
            sql!("SELECT {User::name} FROM {User} WHERE {User::name} = {name} AND ({others} OR {User::id} = {ann.id})")
        };
        let benign_write = write("benign", &ann.id).to_sql(dialect).unwrap();
        let benign_read = read("benign").to_sql(dialect).unwrap();
        for value in hostile_values(dialect) {
            let statement = write(&value, &ann.id);
            let rendered = statement.to_sql(dialect).unwrap();
            assert_eq!(rendered.sql, benign_write.sql, "write text for {value:?}");
            assert_eq!(statement.execute(&db).await.unwrap(), 1, "{value:?}");
            let query = read(&value);
            assert_eq!(
                query.to_sql(dialect).unwrap().sql,
                benign_read.sql,
                "read text for {value:?}"
            );
            let back: Vec<Option<String>> = query.fetch_all(&db).await.unwrap();
            assert_eq!(back, [Some(value.clone())], "round trip of {value:?}");
        }
        // Nothing else was touched: both users and all posts are still there.
        let users: i64 = sql!("SELECT COUNT(*) FROM {User}")
            .fetch_scalar(&db)
            .await
            .unwrap();
        let posts: i64 = sql!("SELECT COUNT(*) FROM {Post}")
            .fetch_scalar(&db)
            .await
            .unwrap();
        assert_eq!((users, posts), (2, 3));
        let bob_name: Option<String> =
            sql!("SELECT {User::name} FROM {User} WHERE {User::id} = {bob.id}")
                .fetch_scalar(&db)
                .await
                .unwrap();
        assert_eq!(bob_name, None);
        if dialect == Dialect::Postgres {
            let refused = write("nul\0byte", &ann.id).execute(&db).await.unwrap_err();
            assert!(refused.to_string().contains("NUL"), "{refused}");
        }
    }
);
