//! Every index kind and CHECK constraint a model can declare, created by
//! `push_schema` on each database (scoped with `dialects(..)` where a database
//! lacks a feature), and what the database then enforces.

use strata::render::create_schema;
use strata::{Db, Dialect, Error, Model, ModelSet};
use strata_tests::{backend_tests, DIALECTS};

// Clippy's duplicated_attributes lint takes the dialects the indexes share
// for one option written twice (see README, "Model attributes").
#[allow(clippy::duplicated_attributes)]
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "listings")]
#[strata(index(
    fields(slug),
    name = "listings_live_slug_key",
    unique,
    where = "NOT archived",
    dialects(postgres, sqlite)
))]
#[strata(index(
    expression = "lower(title)",
    name = "listings_title_lower_idx",
    dialects(postgres, sqlite)
))]
#[strata(index(fields(price(desc), created_at)))]
#[strata(index(
    fields(price),
    include(title),
    name = "listings_price_covering_idx",
    dialects(postgres)
))]
#[strata(index(fields(tags), using = gin, dialects(postgres)))]
#[strata(index(fields(created_at), using = brin, dialects(postgres)))]
#[strata(check = "length(slug) > 0")]
#[strata(check(name = "listings_price_range_check", expr = "price <= 1000000"))]
struct Listing {
    #[strata(id, default = autoincrement)]
    id: i64,
    slug: String,
    title: String,
    #[strata(check = "price >= 0")]
    price: i64,
    #[strata(default = false)]
    archived: bool,
    tags: Option<serde_json::Value>,
    #[strata(default = now)]
    created_at: chrono::DateTime<chrono::Utc>,
}

/// A partial index declared for every database: MySQL and MariaDB have none.
#[derive(Model, Debug)]
#[strata(table = "drafts", index(fields(title), where = "title <> ''"))]
struct Draft {
    #[strata(id, default = autoincrement)]
    id: i64,
    title: String,
}

/// A covering index declared for every database: only PostgreSQL has one.
#[derive(Model, Debug)]
#[strata(table = "reports", index(fields(day), include(total)))]
struct Report {
    #[strata(id, default = autoincrement)]
    id: i64,
    day: i32,
    total: i64,
}

async fn listing(db: &Db, slug: &str, price: i64, archived: bool) -> strata::Result<Listing> {
    Listing::create()
        .slug(slug)
        .title(format!("Listing {slug}"))
        .price(price)
        .archived(archived)
        .exec(db)
        .await
}

#[test]
fn index_kinds_ddl() {
    for (dialect, suffix) in DIALECTS {
        let ddl = create_schema(&<Listing as ModelSet>::schemas(), dialect).unwrap();
        insta::assert_snapshot!(format!("index_kinds_ddl@{suffix}"), ddl.join(";\n\n"));
    }
}

#[test]
fn a_feature_the_database_lacks_is_an_error_naming_model_index_and_database() {
    for (model, dialect, index, feature) in [
        (Draft::SCHEMA, Dialect::MySql, "drafts_title_idx", "`where`"),
        (
            Report::SCHEMA,
            Dialect::MySql,
            "reports_day_idx",
            "`include`",
        ),
        (
            Report::SCHEMA,
            Dialect::Sqlite,
            "reports_day_idx",
            "`include`",
        ),
    ] {
        let error = create_schema(&[model], dialect).unwrap_err();
        match &error {
            Error::UnsupportedIndex {
                model: m,
                index: i,
                dialect: d,
                ..
            } => assert_eq!((*m, *i, *d), (model.name, index, dialect)),
            other => panic!("expected UnsupportedIndex, got {other:?}"),
        }
        let message = error.to_string();
        assert!(message.contains(feature), "{message}");
        assert!(message.contains("dialects("), "{message}");
    }
    // Where the database has the feature, the same models are created.
    assert!(create_schema(&[Draft::SCHEMA], Dialect::Sqlite).is_ok());
    assert!(create_schema(&[Report::SCHEMA], Dialect::Postgres).is_ok());
}

backend_tests!(
    unsupported_index_is_refused_before_anything_is_created,
    |db| async move {
        let dialect = db.dialect();
        let pushed = db.push_schema::<(Draft, Report)>().await;
        match (dialect, pushed) {
            (Dialect::Postgres, Ok(())) => {
                Draft::create().title("t").exec(&db).await.unwrap();
                Report::create().day(1).total(2).exec(&db).await.unwrap();
            }
            (Dialect::Sqlite | Dialect::MySql, Err(Error::UnsupportedIndex { .. })) => {
                // Refused before any statement ran: the tables do not exist.
                assert!(Draft::count().exec(&db).await.is_err());
            }
            (_, other) => panic!("unexpected push_schema result on {dialect:?}: {other:?}"),
        }
    }
);

backend_tests!(
    unique_partial_index_applies_only_inside_its_predicate,
    |db| async move {
        db.push_schema::<Listing>().await.unwrap();
        // Outside the predicate (archived) a slug may repeat.
        listing(&db, "lamp", 10, true).await.unwrap();
        listing(&db, "lamp", 12, true).await.unwrap();
        // Inside it, once.
        listing(&db, "lamp", 15, false).await.unwrap();
        let second_live = listing(&db, "lamp", 16, false).await;
        if db.dialect() == Dialect::MySql {
            // Scoped away: MySQL/MariaDB have no partial indexes, and strata
            // creates none rather than a full unique index.
            second_live.unwrap();
            return;
        }
        match second_live {
            Err(Error::UniqueViolation {
                constraint, fields, ..
            }) => {
                // SQLite names the columns of an index on columns, not the index.
                if db.dialect() == Dialect::Postgres {
                    assert_eq!(constraint.as_deref(), Some("listings_live_slug_key"));
                }
                assert_eq!(fields, ["slug"]);
            }
            other => panic!("expected a unique violation, got {other:?}"),
        }
        let live = Listing::count()
            .filter(
                Listing::slug()
                    .eq("lamp")
                    .and(Listing::archived().eq(false)),
            )
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(live, 1);
    }
);

backend_tests!(check_constraints_refuse_bad_rows_by_name, |db| async move {
    db.push_schema::<Listing>().await.unwrap();
    listing(&db, "ok", 0, false).await.unwrap();
    for (slug, price, constraint) in [
        ("neg", -1, "listings_price_check"),
        ("", 1, "listings_check"),
        ("big", 2_000_000, "listings_price_range_check"),
    ] {
        match listing(&db, slug, price, false).await {
            Err(Error::CheckViolation { constraint: c, .. }) => {
                assert_eq!(c.as_deref(), Some(constraint))
            }
            other => panic!("expected {constraint} to refuse the row, got {other:?}"),
        }
    }
    // An update is checked too.
    let err = Listing::update(Listing::by_id(1))
        .price(-5)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::CheckViolation { constraint: Some(c), .. } if c == "listings_price_check"),
        "{err:?}"
    );
    assert_eq!(Listing::count().exec(&db).await.unwrap(), 1);
});

backend_tests!(descending_and_expression_indexes_exist, |db| async move {
    db.push_schema::<Listing>().await.unwrap();
    let indexes = index_definitions(&db).await;
    let find = |name: &str| {
        (indexes.iter())
            .find(|(n, _)| n == name)
            .map(|(_, definition)| definition.clone())
    };
    let descending = find("listings_price_created_at_idx").expect("descending index");
    let expression = find("listings_title_lower_idx");
    match db.dialect() {
        Dialect::Postgres => {
            assert!(
                descending.contains("(price DESC, created_at)"),
                "{descending}"
            );
            let expression = expression.expect("expression index");
            assert!(expression.contains("(lower(title))"), "{expression}");
            for (name, part) in [
                ("listings_price_covering_idx", "INCLUDE (title)"),
                ("listings_tags_idx", "USING gin"),
                ("listings_created_at_idx", "USING brin"),
                ("listings_live_slug_key", "WHERE (NOT archived)"),
            ] {
                let definition = find(name).unwrap_or_else(|| panic!("{name} in {indexes:?}"));
                assert!(definition.contains(part), "{definition}");
            }
        }
        Dialect::Sqlite => {
            assert!(descending.contains(r#""price" DESC"#), "{descending}");
            let expression = expression.expect("expression index");
            assert!(expression.contains("lower(title)"), "{expression}");
        }
        Dialect::MySql => {
            // information_schema's collation `D` is a stored descending key.
            assert_eq!(descending, "price:D,created_at:A");
            assert_eq!(expression, None, "scoped away from MySQL/MariaDB");
            assert_eq!(find("listings_live_slug_key"), None);
        }
    }
});

/// Each index of `listings` with its definition: PostgreSQL's `indexdef`,
/// SQLite's `CREATE INDEX` text, MySQL's columns with their collation.
async fn index_definitions(db: &Db) -> Vec<(String, String)> {
    match db.dialect() {
        Dialect::Postgres => sqlx::query_as(
            "SELECT indexname::text, indexdef FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename = 'listings'",
        )
        .fetch_all(db.as_postgres().unwrap())
        .await
        .unwrap(),
        Dialect::Sqlite => sqlx::query_as(
            "SELECT name, sql FROM sqlite_master \
             WHERE type = 'index' AND tbl_name = 'listings' AND sql IS NOT NULL",
        )
        .fetch_all(db.as_sqlite().unwrap())
        .await
        .unwrap(),
        Dialect::MySql => sqlx::query_as(
            "SELECT CAST(INDEX_NAME AS CHAR), \
             CAST(GROUP_CONCAT(CONCAT(COLUMN_NAME, ':', COLLATION) ORDER BY SEQ_IN_INDEX) AS CHAR) \
             FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'listings' GROUP BY INDEX_NAME",
        )
        .fetch_all(db.as_mysql().unwrap())
        .await
        .unwrap(),
    }
}
