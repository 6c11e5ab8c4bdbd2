//! Introspection reads back exactly what the models create: push a schema,
//! introspect the live database, and compare with `from_models` on every
//! database (types with `==`, expressions through `normalize`).

use schema_examples::blog::BlogSchema;
use schema_examples::shop::{ShopSchema, Warehouse};
use strata::migrate::{from_models, introspect::introspect, normalize, DbSchema};
use strata::{Db, ModelSet};
use strata_tests::{backend_tests, DIALECTS};

async fn assert_round_trip<M: ModelSet>(db: &Db) -> DbSchema {
    db.push_schema::<M>().await.unwrap();
    let live = introspect(db).await.unwrap();
    let expected = from_models::db_schema(&M::schemas(), db.dialect()).unwrap();
    if let Err(differences) = normalize::same_schema(db.dialect(), &expected, &live) {
        panic!(
            "{:?}: the live schema differs from the models':\n{}\n\nlive: {live:#?}",
            db.dialect(),
            differences.join("\n")
        );
    }
    // Types are canonical on both sides, so they compare exactly.
    for (model, read) in expected.tables.iter().zip(&live.tables) {
        let types = |t: &strata::migrate::Table| {
            t.columns
                .iter()
                .map(|c| (c.name.clone(), c.ty.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(types(model), types(read), "{}", model.name);
    }
    live
}

fn suffix(db: &Db) -> &'static str {
    let dialect = db.dialect();
    let (_, suffix) = DIALECTS.into_iter().find(|(d, _)| *d == dialect).unwrap();
    suffix
}

backend_tests!(blog_round_trips, |db| async move {
    let live = assert_round_trip::<BlogSchema>(&db).await;
    assert!(live.table("_follows").is_some(), "the implicit join table");
    // The raw text each database gives back (what `normalize` must map).
    insta::assert_snapshot!(
        format!("blog_live@{}", suffix(&db)),
        serde_json::to_string_pretty(&live).unwrap()
    );
});

backend_tests!(shop_round_trips, |db| async move {
    let live = assert_round_trip::<ShopSchema>(&db).await;
    let lines = live.table("order_lines").unwrap();
    let stock_fk = lines.foreign_keys.iter().find(|fk| fk.columns.len() == 2);
    assert_eq!(
        stock_fk.map(|fk| fk.referenced_columns.clone()),
        Some(vec!["warehouse_id".to_owned(), "product_id".to_owned()])
    );
    insta::assert_snapshot!(
        format!("shop_live@{}", suffix(&db)),
        serde_json::to_string_pretty(&live).unwrap()
    );
});

backend_tests!(strata_bookkeeping_tables_are_left_out, |db| async move {
    db.push_schema::<Warehouse>().await.unwrap();
    let sql = match db.dialect() {
        strata::Dialect::MySql => {
            "CREATE TABLE `_strata_migrations` (`name` varchar(255) PRIMARY KEY)"
        }
        _ => "CREATE TABLE \"_strata_migrations\" (\"name\" text PRIMARY KEY)",
    };
    execute_raw(&db, sql).await;
    let live = introspect(&db).await.unwrap();
    let names: Vec<&str> = live.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["warehouses"]);
});

/// Runs hand-written SQL on the test database, outside strata.
async fn execute_raw(db: &Db, sql: &'static str) {
    let result = match db.dialect() {
        strata::Dialect::Postgres => sqlx::raw_sql(sql)
            .execute(db.as_postgres().unwrap())
            .await
            .map(drop),
        strata::Dialect::Sqlite => sqlx::raw_sql(sql)
            .execute(db.as_sqlite().unwrap())
            .await
            .map(drop),
        strata::Dialect::MySql => sqlx::raw_sql(sql)
            .execute(db.as_mysql().unwrap())
            .await
            .map(drop),
    };
    result.unwrap();
}
