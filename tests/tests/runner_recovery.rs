//! A no-transaction migration that opens a transaction of its own (SQLite's
//! generated table rebuild does: foreign keys off, `BEGIN IMMEDIATE`, the
//! rebuild, `COMMIT`, foreign keys on) and fails inside it, or never commits
//! it: the runner rolls that transaction back before recording, so the
//! failure is recorded with its error (recorded inside the open transaction,
//! closing the session would roll the record back too), the rows are as they
//! were, later deploys are blocked until `resolve`, and the fixed migration
//! then deploys.

mod runner_support;

use runner_support::{count, exec, migrator, Folders};
use strata::migrate::diff::DiffOptions;
use strata::migrate::generate::generate;
use strata::migrate::introspect::introspect;
use strata::migrate::runner::{Migrator, Resolution, State};
use strata::schema::ModelSchema;
use strata::{Db, Dialect, Error, Model};
use strata_tests::backend_tests;

/// `gadgets`, first version: `name` may be NULL.
#[allow(dead_code)] // the derive's builder types the test does not use
mod v1 {
    use strata::Model;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[strata(table = "gadgets")]
    pub struct Gadget {
        #[strata(id, default = autoincrement)]
        pub id: i32,
        pub name: Option<String>,
    }
}

/// `gadgets`, second version: `name` is required (SQLite rebuilds the table).
#[allow(dead_code)]
mod v2 {
    use strata::Model;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[strata(table = "gadgets")]
    pub struct Gadget {
        #[strata(id, default = autoincrement)]
        pub id: i32,
        pub name: String,
    }
}

fn models_v1() -> Vec<&'static ModelSchema> {
    vec![<v1::Gadget as Model>::SCHEMA]
}

fn models_v2() -> Vec<&'static ModelSchema> {
    vec![<v2::Gadget as Model>::SCHEMA]
}

const CREATE_ITEMS: &str = "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50));\n\
                            INSERT INTO items (id, name) VALUES (1, 'a');\n\
                            INSERT INTO items (id, name) VALUES (2, NULL);\n";

/// The statements that open and end a transaction in a migration file, and
/// the ones around them (SQLite's rebuild shape: foreign keys off first).
fn wrap(dialect: Dialect, body: &str, commit: bool) -> String {
    let (before, begin, after) = match dialect {
        Dialect::Sqlite => (
            "PRAGMA foreign_keys = OFF;\n",
            "BEGIN IMMEDIATE;\n",
            "PRAGMA foreign_keys = ON;\n",
        ),
        Dialect::Postgres | Dialect::MySql => ("", "BEGIN;\n", ""),
    };
    let end = if commit { "COMMIT;\n" } else { "" };
    format!("-- strata:no-transaction\n{before}{begin}{body}{end}{after}")
}

/// The one failed migration's error as recorded in `_strata_migrations.logs`.
async fn failed_logs(migrator: &Migrator) -> Result<String, Error> {
    let status = migrator.status().await?;
    let failed: Vec<_> = status.in_state(&State::Failed).collect();
    assert_eq!(failed.len(), 1, "{status}");
    let record = failed[0]
        .record
        .as_ref()
        .expect("a failed one has a record");
    assert!(
        !record.success && record.finished_at.is_some(),
        "{record:?}"
    );
    Ok(record.logs.clone().unwrap_or_default())
}

/// A later deploy refuses to run past the failed migration.
async fn assert_blocked(db: &Db, migrator: &Migrator, failed: &str) {
    let blocked = migrator.deploy().await.unwrap_err().to_string();
    assert!(
        blocked.contains(failed) && blocked.contains("resolve"),
        "{:?}: {blocked}",
        db.dialect()
    );
}

backend_tests!(
    a_failure_inside_its_own_transaction_is_recorded_with_its_error,
    |db| async move {
        let dialect = db.dialect();
        let dir = Folders::new();
        dir.add("20260101000000_create_items", CREATE_ITEMS, None);
        // PostgreSQL and SQLite roll DDL back too: a rebuild by hand whose
        // copy refuses the NULL. MySQL commits DDL as it runs: a change of
        // rows, then a duplicate key.
        let (broken, expected) = match dialect {
            Dialect::MySql => (
                "UPDATE items SET name = 'changed';\n\
                 INSERT INTO items (id, name) VALUES (1, 'duplicate');\n",
                "Duplicate entry",
            ),
            _ => (
                "UPDATE items SET name = 'changed' WHERE id = 1;\n\
                 CREATE TABLE new_items (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);\n\
                 INSERT INTO new_items (id, name) SELECT id, name FROM items;\n\
                 DROP TABLE items;\n\
                 ALTER TABLE new_items RENAME TO items;\n",
                if dialect == Dialect::Sqlite {
                    "NOT NULL constraint failed"
                } else {
                    "null value in column"
                },
            ),
        };
        let name = "20260101000001_rebuild_items";
        dir.add(name, &wrap(dialect, broken, true), None);
        dir.add(
            "20260101000002_more",
            "CREATE TABLE more (id INTEGER);\n",
            None,
        );
        let migrator = migrator(&db, &dir);

        let err = migrator.deploy().await.unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
        assert!(err.contains("the runner rolled it back"), "{err}");
        assert!(!err.contains("recording the failure"), "{err}");
        let logs = failed_logs(&migrator).await?;
        assert!(
            logs.contains(expected) && logs.contains("rolled it back"),
            "{logs}"
        );

        // Nothing of it stayed: the rows, and no half-built table.
        assert_eq!(count(&db, "SELECT COUNT(*) FROM items").await, 2);
        let changed = "SELECT COUNT(*) FROM items WHERE name = 'changed'";
        assert_eq!(count(&db, changed).await, 0);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM items WHERE name IS NULL").await,
            1
        );
        assert!(!runner_support::exists(&db, "new_items").await);

        assert_blocked(&db, &migrator, name).await;
        assert!(!runner_support::exists(&db, "more").await);

        let fixed = "UPDATE items SET name = 'fixed' WHERE name IS NULL;\n";
        dir.add(name, &wrap(dialect, fixed, true), None);
        migrator.resolve(name, Resolution::RolledBack).await?;
        assert_eq!(migrator.deploy().await?, [name, "20260101000002_more"]);
        let fixed_rows = "SELECT COUNT(*) FROM items WHERE name = 'fixed'";
        assert_eq!(count(&db, fixed_rows).await, 1);
        assert!(migrator.status().await?.is_up_to_date());
        Ok::<_, Error>(())
    }
);

backend_tests!(
    a_transaction_left_open_is_rolled_back_and_recorded_failed,
    |db| async move {
        let dialect = db.dialect();
        let dir = Folders::new();
        dir.add("20260101000000_create_items", CREATE_ITEMS, None);
        let name = "20260101000001_no_commit";
        let body = "UPDATE items SET name = 'changed';\n";
        dir.add(name, &wrap(dialect, body, false), None);
        let migrator = migrator(&db, &dir);

        let err = migrator.deploy().await.unwrap_err().to_string();
        assert!(
            err.contains(name) && err.contains("left a transaction open"),
            "{err}"
        );
        let logs = failed_logs(&migrator).await?;
        assert!(
            logs.contains("left a transaction open") && logs.contains("Add the COMMIT"),
            "{logs}"
        );
        let changed = "SELECT COUNT(*) FROM items WHERE name = 'changed'";
        assert_eq!(count(&db, changed).await, 0, "rolled back, not committed");
        assert_blocked(&db, &migrator, name).await;

        dir.add(name, &wrap(dialect, body, true), None);
        migrator.resolve(name, Resolution::RolledBack).await?;
        assert_eq!(migrator.deploy().await?, [name]);
        assert_eq!(count(&db, changed).await, 2);
        assert!(migrator.status().await?.is_up_to_date());
        Ok::<_, Error>(())
    }
);

// The generated migrations for `name` turning NOT NULL over a row holding
// NULL. On SQLite that is the 12-step rebuild in its own transaction, whose
// copy step fails; PostgreSQL's and MySQL's recipes fail their own way. Each
// is recorded failed with the database's error, and nothing is lost; once the
// row is fixed, resolve and deploy apply it.
backend_tests!(
    a_generated_migration_the_rows_refuse_is_recorded_with_its_error,
    |db| async move {
        let dialect = db.dialect();
        let folders = Folders::new();
        let dir = folders.dir();
        generate(
            &models_v1(),
            dialect,
            &dir,
            "gadgets",
            &DiffOptions::default(),
        )?;
        let migrator = migrator(&db, &folders);
        migrator.deploy().await?;
        exec(
            &db,
            "INSERT INTO gadgets (name) VALUES ('kept');\nINSERT INTO gadgets (name) VALUES (NULL);",
        )
        .await?;

        let written = generate(
            &models_v2(),
            dialect,
            &dir,
            "name_required",
            &DiffOptions::default(),
        )?;
        if dialect == Dialect::Sqlite {
            assert_eq!(written.len(), 1);
            assert!(written[0].no_transaction, "{}", written[0].up);
            assert!(
                written[0].up.contains("BEGIN IMMEDIATE"),
                "{}",
                written[0].up
            );
        }
        let err = migrator.deploy().await.unwrap_err().to_string();
        let status = migrator.status().await?;
        let failed: Vec<_> = status.in_state(&State::Failed).collect();
        assert_eq!(failed.len(), 1, "{status}");
        let failed_name = failed[0].name.clone();
        let logs = failed_logs(&migrator).await?;
        let expected = match dialect {
            Dialect::Sqlite => "NOT NULL constraint failed",
            Dialect::Postgres => "violated by some row",
            Dialect::MySql => "",
        };
        assert!(logs.contains(expected) && !logs.is_empty(), "{logs}");
        assert!(err.contains(&failed_name) && !err.contains("recording the failure"));
        if dialect == Dialect::Sqlite {
            assert!(logs.contains("rolled it back"), "{logs}");
        }

        assert_eq!(count(&db, "SELECT COUNT(*) FROM gadgets").await, 2);
        let live = introspect(&db).await?;
        let nullable = (live.table("gadgets"))
            .and_then(|t| t.column("name"))
            .map(|c| c.nullable);
        assert_eq!(nullable, Some(true), "{dialect:?}: still nullable");
        assert_blocked(&db, &migrator, &failed_name).await;

        exec(&db, "UPDATE gadgets SET name = 'named' WHERE name IS NULL").await?;
        migrator
            .resolve(&failed_name, Resolution::RolledBack)
            .await?;
        migrator.deploy().await?;
        assert!(migrator.status().await?.is_up_to_date());
        assert_eq!(count(&db, "SELECT COUNT(*) FROM gadgets").await, 2);
        let live = introspect(&db).await?;
        let nullable = (live.table("gadgets"))
            .and_then(|t| t.column("name"))
            .map(|c| c.nullable);
        assert_eq!(nullable, Some(false), "{dialect:?}: now required");
        Ok::<_, Error>(())
    }
);
