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

/// A schema written by hand, not by strata: unnamed constraints, aliases of
/// types, inline references, an expression index with a predicate.
fn hand_written(dialect: strata::Dialect) -> &'static str {
    match dialect {
        strata::Dialect::Postgres => {
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
             CREATE TABLE people (id int4 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
               name character varying(100) NOT NULL UNIQUE, mood mood DEFAULT 'ok',
               born timestamp with time zone, CHECK (char_length(name) > 1));
             CREATE TABLE pets (id bigserial PRIMARY KEY,
               owner_id int REFERENCES people ON DELETE CASCADE, name text);
             CREATE INDEX pets_lower_name ON pets (lower(name)) WHERE owner_id IS NOT NULL;"
        }
        strata::Dialect::Sqlite => {
            "CREATE TABLE people (id INTEGER PRIMARY KEY AUTOINCREMENT,
               name VARCHAR(100) NOT NULL UNIQUE, mood TEXT DEFAULT 'ok',
               born TEXT, CHECK (length(name) > 1));
             CREATE TABLE pets (id INTEGER PRIMARY KEY,
               owner_id INTEGER REFERENCES people ON DELETE CASCADE, name TEXT);
             CREATE INDEX pets_lower_name ON pets (lower(name)) WHERE owner_id IS NOT NULL;"
        }
        strata::Dialect::MySql => {
            "CREATE TABLE people (id INT(11) AUTO_INCREMENT PRIMARY KEY,
               name VARCHAR(100) NOT NULL UNIQUE, mood ENUM('sad', 'ok', 'happy') DEFAULT 'ok',
               born DATETIME, CHECK (char_length(name) > 1));
             CREATE TABLE pets (id BIGINT(20) AUTO_INCREMENT PRIMARY KEY,
               owner_id INT(11), name TEXT,
               FOREIGN KEY (owner_id) REFERENCES people (id) ON DELETE CASCADE);
             CREATE INDEX pets_name ON pets (name(20));"
        }
    }
}

backend_tests!(hand_written_schemas_are_read, |db| async move {
    use strata::migrate::{Action, IndexPart};
    use strata::Dialect::*;
    let dialect = db.dialect();
    execute_raw(&db, hand_written(dialect)).await;
    let live = introspect(&db).await.unwrap();
    let people = live.table("people").unwrap();
    let column = |name: &str| people.column(name).unwrap().clone();
    assert!(column("id").generated && !column("id").nullable);
    assert_eq!(column("name").ty, "varchar(100)");
    assert!(!column("name").nullable);
    let born_type = match dialect {
        Postgres => "timestamptz",
        Sqlite => "text",
        MySql => "datetime",
    };
    assert_eq!(column("born").ty, born_type);
    assert_eq!(people.uniques.len(), 1);
    assert_eq!(people.uniques[0].columns, ["name"]);
    assert_eq!(people.checks.len(), 1, "{:?}", people.checks);
    let expected_check = match dialect {
        Sqlite => "length(name) > 1",
        _ => "char_length(name) > 1",
    };
    assert_eq!(
        normalize::expression(dialect, &people.checks[0].expression),
        normalize::expression(dialect, expected_check)
    );
    let default = column("mood").default.unwrap();
    assert_eq!(normalize::expression(dialect, &default), "'ok'");
    if dialect == Postgres {
        assert_eq!(
            live.enum_type("mood").unwrap().values,
            ["sad", "ok", "happy"]
        );
        assert_eq!(column("mood").ty, "mood");
    }
    if dialect == MySql {
        assert_eq!(column("mood").ty, "enum('sad','ok','happy')");
    }

    let pets = live.table("pets").unwrap();
    let fk = &pets.foreign_keys[0];
    assert_eq!(
        (fk.columns.as_slice(), fk.referenced_table.as_str()),
        (&["owner_id".to_owned()][..], "people")
    );
    assert_eq!(fk.referenced_columns, ["id"]);
    assert_eq!(fk.on_delete, Action::Cascade);
    assert_eq!(pets.indexes.len(), 1, "{:?}", pets.indexes);
    let index = &pets.indexes[0];
    match dialect {
        MySql => assert_eq!(
            index.parts,
            [IndexPart::Column {
                name: "name".into(),
                descending: false
            }]
        ),
        _ => {
            assert_eq!(index.parts, [IndexPart::Expression("lower(name)".into())]);
            let predicate = index.predicate.as_deref().unwrap();
            assert_eq!(
                normalize::expression(dialect, predicate),
                "owner_id is not null"
            );
        }
    }
});
