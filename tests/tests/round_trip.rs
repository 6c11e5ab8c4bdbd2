//! Issue 5's round trip, on every schema in schema-examples and every
//! database: generate the migrations from an empty folder, deploy them with
//! the runner, introspect, and the diff against the models is empty; roll
//! them all back, and the database is empty again. Every generated
//! PostgreSQL migration passes the linter.

mod runner_support;

use runner_support::{assert_lint_clean, migrator, Folders};
use schema_examples::{blog::BlogSchema, shop::ShopSchema};
use strata::migrate::diff::{diff, DiffOptions};
use strata::migrate::generate::generate;
use strata::migrate::introspect::introspect;
use strata::migrate::{from_models, normalize};
use strata::schema::ModelSchema;
use strata::{Db, Error, ModelSet};
use strata_tests::backend_tests;

async fn round_trip(db: &Db, models: &[&'static ModelSchema]) -> Result<(), Error> {
    let dialect = db.dialect();
    let folders = Folders::new();
    let written = generate(
        models,
        dialect,
        &folders.dir(),
        "init",
        &DiffOptions::default(),
    )?;
    assert!(
        !written.is_empty(),
        "an empty folder needs a first migration"
    );
    assert_lint_clean(dialect, &written, models);
    let migrator = migrator(db, &folders);
    let applied = migrator.deploy().await?;
    assert_eq!(applied.len(), written.len());

    let live = introspect(db).await?;
    let target = from_models::db_schema(models, dialect)?;
    if let Err(differences) = normalize::same_schema(dialect, &target, &live) {
        panic!("{dialect:?}: after deploy:\n{}", differences.join("\n"));
    }
    let left = diff(&live, &target, dialect, &DiffOptions::default())?;
    assert!(
        left.is_empty(),
        "{dialect:?}: the diff is not empty: {left:#?}"
    );
    assert!(
        generate(
            models,
            dialect,
            &folders.dir(),
            "again",
            &DiffOptions::default()
        )?
        .is_empty(),
        "a second generate has nothing to do"
    );

    let rolled_back = migrator.down(written.len()).await?;
    assert_eq!(rolled_back.len(), written.len());
    let after = introspect(db).await?;
    assert!(
        after.tables.is_empty() && after.enums.is_empty(),
        "{dialect:?}: not empty after down: {after:#?}"
    );
    Ok(())
}

backend_tests!(blog_round_trips, |db| async move {
    round_trip(&db, &BlogSchema::schemas()).await
});

backend_tests!(shop_round_trips, |db| async move {
    round_trip(&db, &ShopSchema::schemas()).await
});
