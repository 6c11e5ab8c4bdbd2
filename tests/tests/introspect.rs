//! Introspection reads back exactly what the models create: push a schema,
//! introspect the live database, and compare with `from_models` on every
//! database (types with `==`, expressions through `normalize`).

use schema_examples::blog::BlogSchema;
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
            t.columns.iter().map(|c| (c.name.clone(), c.ty.clone())).collect::<Vec<_>>()
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
