//! The runner's `squash` (and a squash adopted by another database) and
//! `reset`, on real databases.

mod runner_support;

use runner_support::{count, exec, exists, migrator, Folders};
use schema_examples::blog::BlogSchema;
use strata::migrate::ddl::create::{create_schema, drop_schema};
use strata::migrate::files::NewMigration;
use strata::migrate::from_models::db_schema;
use strata::migrate::runner::Migrator;
use strata::{Error, ModelSet};
use strata_tests::backend_tests;

const CREATE_ITEMS: &str = "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50));\n";

backend_tests!(
    squash_collapses_applied_migrations_into_one,
    |db| async move {
        let dir = Folders::new();
        dir.add(
            "20260101000000_create_items",
            CREATE_ITEMS,
            Some("DROP TABLE items;\n"),
        );
        dir.add(
            "20260101000001_seed",
            "INSERT INTO items (id, name) VALUES (1, 'a');\n",
            Some("DELETE FROM items;\n"),
        );
        dir.add(
            "20260101000002_more",
            "CREATE TABLE more (id INTEGER);\n",
            Some("DROP TABLE more;\n"),
        );
        let migrator = migrator(&db, &dir);
        migrator.up(Some(2)).await?;
        let refused = migrator.squash("squashed").await.unwrap_err().to_string();
        assert!(refused.contains("20260101000002_more"), "{refused}");
        migrator.deploy().await?;

        let squashed = migrator.squash("squashed").await?;
        assert!(squashed.name.ends_with("_squashed"), "{}", squashed.name);
        let listed = migrator.dir().list()?;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].name, squashed.name);
        assert!(
            squashed.up.contains("CREATE TABLE more") && squashed.up.contains("INSERT INTO items")
        );
        let status = migrator.status().await?;
        assert!(status.is_up_to_date(), "{status}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM _strata_migrations").await,
            1
        );

        // The squashed migration builds the same database from nothing.
        assert_eq!(migrator.reset(false).await?, [squashed.name.as_str()]);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM items").await, 1);
        assert!(exists(&db, "more").await);
        assert_eq!(migrator.down(1).await?, [squashed.name]);
        assert!(!exists(&db, "items").await && !exists(&db, "more").await);
        Ok::<_, Error>(())
    }
);

backend_tests!(
    another_database_adopts_a_squash_without_running_it,
    |db| async move {
        let old = Folders::new();
        old.add("20260101000000_create_items", CREATE_ITEMS, None);
        old.add(
            "20260101000001_seed",
            "INSERT INTO items (id, name) VALUES (1, 'a');\n",
            None,
        );
        let new = old.copy();
        migrator(&db, &old).deploy().await?;
        let squashed = migrator(&db, &new).squash("squashed").await?;

        // Another environment: the old migrations applied, the squash not yet.
        migrator(&db, &old).reset(false).await?;
        let partly = Folders::new();
        partly.add("20260101000000_create_items", CREATE_ITEMS, None);
        let deployed = migrator(&db, &new).deploy().await?;
        assert_eq!(deployed, [squashed.name.as_str()]);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM items").await,
            1,
            "adopted, not run again"
        );
        let status = migrator(&db, &new).status().await?;
        assert!(status.is_up_to_date(), "{status}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM _strata_migrations").await,
            1
        );

        // A database that applied only some of them is refused.
        migrator(&db, &partly).reset(false).await?;
        let refused = migrator(&db, &new).deploy().await.unwrap_err().to_string();
        assert!(
            refused.contains("not applied: 20260101000001_seed"),
            "{refused}"
        );
        Ok::<_, Error>(())
    }
);

backend_tests!(
    squash_of_generated_migrations_creates_the_recorded_schema,
    |db| async move {
        let dialect = db.dialect();
        let schema = db_schema(&BlogSchema::schemas(), dialect)?;
        let dir = Folders::new();
        let statements =
            |list: Vec<String>| list.iter().map(|s| format!("{s};\n")).collect::<String>();
        let (create, drop) = (
            statements(create_schema(dialect, &schema)),
            statements(drop_schema(dialect, &schema)),
        );
        let seed = "INSERT INTO tags (name) VALUES ('rust');\n";
        for (slug, up, down) in [
            ("create_blog", create.as_str(), drop.as_str()),
            ("seed_tags", seed, "DELETE FROM tags;\n"),
        ] {
            let schema = Some(&schema);
            let no_transaction = false;
            (dir.dir()).write(NewMigration {
                slug,
                up,
                down,
                schema,
                no_transaction,
            })?;
        }
        let migrator = migrator(&db, &dir);
        migrator.deploy().await?;

        let squashed = migrator.squash("baseline").await?;
        let header: Vec<&str> = squashed.up.lines().take(2).collect();
        assert!(
            header[0].starts_with("-- strata:squashes ") && header[0].ends_with("_create_blog")
        );
        assert!(header[1].starts_with("-- strata:squashes ") && header[1].ends_with("_seed_tags"));
        assert!(
            squashed.up.ends_with(&create),
            "then the recorded schema, created from nothing"
        );
        assert_eq!(squashed.down.as_deref(), Some(drop.as_str()));
        assert_eq!(squashed.schema.as_ref(), Some(&schema));
        assert_eq!(migrator.reset(false).await?, [squashed.name.as_str()]);
        for table in &schema.tables {
            assert!(exists(&db, &table.name).await, "{}", table.name);
        }
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM tags").await,
            0,
            "data is not part of a schema"
        );
        Ok::<_, Error>(())
    }
);

backend_tests!(reset_drops_everything_and_reapplies, |db| async move {
    let dir = Folders::new();
    dir.add("20260101000000_create_items", CREATE_ITEMS, None);
    let migrator = migrator(&db, &dir);
    migrator.deploy().await?;
    exec(&db, "INSERT INTO items (id, name) VALUES (1, 'a')")
        .await
        .unwrap();
    exec(&db, "CREATE TABLE stray (id INTEGER)").await.unwrap();
    assert_eq!(
        migrator.reset(false).await?,
        ["20260101000000_create_items"]
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM items").await, 0);
    assert!(!exists(&db, "stray").await);
    Ok::<_, Error>(())
});

#[tokio::test]
async fn reset_refuses_a_non_local_url_without_force() {
    let dir = Folders::new();
    for url in [
        "postgres://app:secret@db.example.com:5432/app",
        "mysql://root@10.0.0.7:3306/app",
    ] {
        let err = Migrator::new(url, dir.dir())
            .reset(false)
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, Error::InvalidUrl { .. }), "{message}");
        assert!(
            message.contains("--force") && !message.contains("secret"),
            "{message}"
        );
    }
}
