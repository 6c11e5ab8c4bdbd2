//! The migration runner on real databases: deploy, the lock under two
//! concurrent runners, failed migrations and resolve, checksums, down,
//! baseline, and PostgreSQL's invalid-index report (squash and reset:
//! runner_squash_reset.rs).

mod runner_support;

use runner_support::{count, exists, migrator, sleep_sql, Folders};
use std::time::Duration;
use strata::migrate::runner::{Resolution, State};
use strata::{Db, Dialect, Error};
use strata_tests::{backend_tests, run_on, Backend};

const CREATE_ITEMS: &str = "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50));\n";

backend_tests!(
    deploy_applies_pending_in_order_and_records_them,
    |db| async move {
        let dir = Folders::new();
        dir.add(
            "20260101000000_create_items",
            CREATE_ITEMS,
            Some("DROP TABLE items;"),
        );
        dir.add(
        "20260101000001_seed_items",
        "INSERT INTO items (id, name) VALUES (1, 'a');\nINSERT INTO items (id, name) VALUES (2, 'b');\n",
        Some("DELETE FROM items;"),
    );
        // A no-transaction migration: statement by statement, on every database.
        let index = match db.dialect() {
            Dialect::Postgres => "CREATE INDEX CONCURRENTLY items_name ON items (name);\n",
            _ => "CREATE INDEX items_name ON items (name);\n",
        };
        dir.add(
            "20260101000002_index_items",
            &format!("-- strata:no-transaction\n{index}"),
            None,
        );
        let migrator = migrator(&db, &dir);
        let before = chrono::Utc::now() - chrono::Duration::seconds(1);
        let applied = migrator.deploy().await?;
        assert_eq!(applied, dir.names());
        assert_eq!(count(&db, "SELECT COUNT(*) FROM items").await, 2);

        let status = migrator.status().await?;
        assert!(status.is_up_to_date(), "{status}");
        let files = migrator.dir().list()?;
        for (m, file) in status.migrations.iter().zip(&files) {
            let record = m.record.as_ref().expect("a record per applied migration");
            assert_eq!(record.checksum, file.checksum, "{}", m.name);
            assert_eq!(record.checksum.len(), 64);
            assert!(record.success && record.rolled_back_at.is_none());
            let finished = record.finished_at.expect("finished_at");
            assert!(record.started_at >= before && finished >= record.started_at);
            assert!(record.execution_time_ms.is_some_and(|ms| ms >= 0));
        }

        assert_eq!(
            migrator.deploy().await?,
            Vec::<String>::new(),
            "a second deploy is a no-op"
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM items").await, 2);
        Ok::<_, Error>(())
    }
);

backend_tests!(
    two_runners_at_once_apply_each_migration_once,
    |db| async move {
        let dir = Folders::new();
        let sleep = sleep_sql(db.dialect());
        dir.add(
            "20260101000000_create_runs",
            "CREATE TABLE runs (step INTEGER NOT NULL);\n",
            None,
        );
        for step in 1..=3 {
            dir.add(
                &format!("2026010100000{step}_step_{step}"),
                &format!("{sleep}\nINSERT INTO runs (step) VALUES ({step});\n"),
                None,
            );
        }
        let (a, b) = (migrator(&db, &dir), migrator(&db, &dir));
        let first = tokio::spawn(async move { a.deploy().await });
        let second = tokio::spawn(async move { b.deploy().await });
        let mut applied = first.await.expect("runner a")?;
        applied.extend(second.await.expect("runner b")?);
        applied.sort();
        assert_eq!(
            applied,
            dir.names(),
            "each migration applied by exactly one runner"
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM runs").await, 3);
        assert_eq!(count(&db, "SELECT COUNT(DISTINCT step) FROM runs").await, 3);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM _strata_migrations").await,
            4
        );
        Ok::<_, Error>(())
    }
);

backend_tests!(a_runner_gives_up_after_the_lock_timeout, |db| async move {
    let dir = Folders::new();
    let slow = format!("{0}\n{0}\n{0}\n{0}\n", sleep_sql(db.dialect()));
    dir.add("20260101000000_slow", &slow, None);
    let holder = migrator(&db, &dir);
    let running = tokio::spawn(async move { holder.deploy().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let impatient = migrator(&db, &dir).lock_timeout(Duration::from_millis(200));
    match impatient.deploy().await {
        Err(Error::MigrationLocked { waited }) => assert!(waited >= Duration::from_millis(200)),
        other => panic!("expected MigrationLocked, got {other:?}"),
    }
    assert_eq!(running.await.expect("holder")?, dir.names());
    Ok::<_, Error>(())
});

backend_tests!(
    a_failed_migration_blocks_deploys_until_resolved,
    |db| async move {
        let dir = Folders::new();
        dir.add("20260101000000_create_items", CREATE_ITEMS, None);
        let broken = "CREATE TABLE half (id INTEGER);\nSELECT * FROM no_such_table;\n";
        dir.add("20260101000001_broken", broken, None);
        dir.add(
            "20260101000002_create_more",
            "CREATE TABLE more (id INTEGER);\n",
            None,
        );
        let migrator = migrator(&db, &dir);

        let err = migrator.deploy().await.unwrap_err();
        assert!(
            matches!(&err, Error::Migration { name, .. } if name == "20260101000001_broken"),
            "{err}"
        );
        let status = migrator.status().await?;
        let states: Vec<&State> = status.migrations.iter().map(|m| &m.state).collect();
        assert_eq!(states, [&State::Applied, &State::Failed, &State::Pending]);
        let record = status.migrations[1].record.as_ref().unwrap();
        assert!(
            !record.success
                && record
                    .logs
                    .as_deref()
                    .unwrap_or("")
                    .contains("no_such_table")
        );
        // PostgreSQL and SQLite ran it in a transaction; MySQL committed the DDL.
        assert_eq!(exists(&db, "half").await, db.dialect() == Dialect::MySql);

        let blocked = migrator.deploy().await.unwrap_err().to_string();
        assert!(
            blocked.contains("20260101000001_broken") && blocked.contains("resolve"),
            "{blocked}"
        );
        assert!(
            !exists(&db, "more").await,
            "nothing after a failed migration runs"
        );

        dir.add(
            "20260101000001_broken",
            "CREATE TABLE fixed (id INTEGER);\n",
            None,
        );
        if db.dialect() == Dialect::MySql {
            drop_table(&db, "half").await;
        }
        migrator
            .resolve("20260101000001_broken", Resolution::RolledBack)
            .await?;
        let applied = migrator.deploy().await?;
        assert_eq!(
            applied,
            ["20260101000001_broken", "20260101000002_create_more"]
        );
        assert!(exists(&db, "fixed").await && exists(&db, "more").await);
        assert!(migrator.status().await?.is_up_to_date());

        let again = migrator
            .resolve("20260101000001_broken", Resolution::Applied)
            .await;
        assert!(again.unwrap_err().to_string().contains("not failed"));
        Ok::<_, Error>(())
    }
);

backend_tests!(
    resolve_applied_records_a_migration_finished_by_hand,
    |db| async move {
        let dir = Folders::new();
        dir.add(
            "20260101000000_broken",
            "SELECT * FROM no_such_table;\n",
            None,
        );
        dir.add("20260101000001_create_items", CREATE_ITEMS, None);
        let migrator = migrator(&db, &dir);
        assert!(migrator.deploy().await.is_err());
        migrator
            .resolve("20260101000000_broken", Resolution::Applied)
            .await?;
        assert_eq!(migrator.deploy().await?, ["20260101000001_create_items"]);
        let status = migrator.status().await?;
        assert!(status.is_up_to_date(), "{status}");
        let logs = status.migrations[0].record.as_ref().unwrap().logs.clone();
        assert!(logs.unwrap_or_default().contains("resolved as applied"));
        Ok::<_, Error>(())
    }
);

backend_tests!(
    an_edited_migration_is_refused_with_both_checksums,
    |db| async move {
        let dir = Folders::new();
        dir.add("20260101000000_create_items", CREATE_ITEMS, None);
        let migrator = migrator(&db, &dir);
        migrator.deploy().await?;
        let recorded = migrator.dir().list()?[0].checksum.clone();
        dir.add(
            "20260101000000_create_items",
            &CREATE_ITEMS.replace("50", "80"),
            None,
        );
        dir.add(
            "20260101000001_more",
            "CREATE TABLE more (id INTEGER);\n",
            None,
        );
        let current = migrator.dir().list()?[0].checksum.clone();

        let err = migrator.deploy().await.unwrap_err();
        let message = err.to_string();
        match &err {
            Error::MigrationEdited { name, file, .. } => {
                assert_eq!(name, "20260101000000_create_items");
                assert!(
                    file.ends_with("20260101000000_create_items/up.sql"),
                    "{file}"
                );
            }
            other => panic!("expected MigrationEdited, got {other:?}"),
        }
        assert!(
            message.contains(&recorded) && message.contains(&current),
            "{message}"
        );
        assert!(
            !exists(&db, "more").await,
            "nothing applied past an edited migration"
        );
        let status = migrator.status().await?;
        assert!(
            matches!(status.migrations[0].state, State::Edited { .. }),
            "{status}"
        );
        // A CRLF checkout of the original file is not an edit.
        dir.add(
            "20260101000000_create_items",
            &CREATE_ITEMS.replace('\n', "\r\n"),
            None,
        );
        assert_eq!(migrator.deploy().await?, ["20260101000001_more"]);
        Ok::<_, Error>(())
    }
);

backend_tests!(down_rolls_back_the_last_n_in_reverse, |db| async move {
    let dir = Folders::new();
    dir.add_tables(&["a", "b", "c"], true);
    let migrator = migrator(&db, &dir);
    migrator.deploy().await?;
    let rolled_back = migrator.down(2).await?;
    assert_eq!(
        rolled_back,
        ["20260101000002_create_c", "20260101000001_create_b"]
    );
    assert!(exists(&db, "a").await && !exists(&db, "b").await && !exists(&db, "c").await);
    let status = migrator.status().await?;
    let states: Vec<&State> = status.migrations.iter().map(|m| &m.state).collect();
    assert_eq!(
        states,
        [&State::Applied, &State::RolledBack, &State::RolledBack]
    );
    assert_eq!(migrator.up(Some(1)).await?, ["20260101000001_create_b"]);
    assert_eq!(migrator.deploy().await?, ["20260101000002_create_c"]);

    dir.add(
        "20260101000003_no_down",
        "CREATE TABLE d (id INTEGER);\n",
        None,
    );
    migrator.deploy().await?;
    let err = migrator.down(2).await.unwrap_err();
    assert!(
        matches!(&err, Error::Migration { name, reason } if name == "20260101000003_no_down" && reason.contains("down.sql")),
        "{err}"
    );
    assert!(
        exists(&db, "c").await,
        "nothing rolled back when one of them cannot be"
    );
    Ok::<_, Error>(())
});

backend_tests!(
    an_applied_migration_whose_folder_is_gone_is_missing,
    |db| async move {
        let dir = Folders::new();
        dir.add_tables(&["a", "b"], false);
        let migrator = migrator(&db, &dir);
        migrator.deploy().await?;
        std::fs::remove_dir_all(dir.path().join("20260101000000_create_a")).unwrap();
        let status = migrator.status().await?;
        let states: Vec<(&str, &State)> = (status.migrations.iter())
            .map(|m| (m.name.as_str(), &m.state))
            .collect();
        assert_eq!(
            states,
            [
                ("20260101000000_create_a", &State::Missing),
                ("20260101000001_create_b", &State::Applied)
            ]
        );
        assert!(
            status.to_string().contains("1 applied, 1 missing"),
            "{status}"
        );
        Ok::<_, Error>(())
    }
);

backend_tests!(
    baseline_marks_existing_migrations_without_running_them,
    |db| async move {
        let dir = Folders::new();
        dir.add_tables(&["a", "b", "c"], false);
        let migrator = migrator(&db, &dir);
        let missing = migrator
            .baseline(Some("20260101000009_nope"))
            .await
            .unwrap_err();
        assert!(
            missing.to_string().contains("20260101000009_nope"),
            "{missing}"
        );

        let marked = migrator.baseline(Some("20260101000001_create_b")).await?;
        assert_eq!(
            marked,
            ["20260101000000_create_a", "20260101000001_create_b"]
        );
        assert!(
            !exists(&db, "a").await && !exists(&db, "b").await,
            "baseline runs nothing"
        );
        assert_eq!(migrator.deploy().await?, ["20260101000002_create_c"]);
        assert!(exists(&db, "c").await);
        Ok::<_, Error>(())
    }
);

backend_tests!(
    migrations_for_another_database_are_refused,
    |db| async move {
        let dir = Folders::new();
        let other = match db.dialect() {
            Dialect::Sqlite => Dialect::Postgres,
            _ => Dialect::Sqlite,
        };
        dir.dir().ensure_dialect(other)?;
        let err = migrator(&db, &dir).deploy().await.unwrap_err();
        assert!(matches!(err, Error::MigrationFiles { .. }), "{err}");
        Ok::<_, Error>(())
    }
);

#[tokio::test]
async fn a_failed_concurrent_index_build_is_reported_with_the_fix() {
    run_on(Backend::Postgres, |db: Db| async move {
        let dir = Folders::new();
        dir.add("20260101000000_create_items", CREATE_ITEMS, None);
        dir.add(
            "20260101000001_seed_duplicates",
            "INSERT INTO items (id, name) VALUES (1, 'same'), (2, 'same');\n",
            None,
        );
        let unique = "-- strata:no-transaction\n\
                      CREATE UNIQUE INDEX CONCURRENTLY items_name_key ON items (name);\n";
        dir.add("20260101000002_unique_name", unique, None);
        let migrator = migrator(&db, &dir);
        let message = migrator.deploy().await.unwrap_err().to_string();
        assert!(message.contains("20260101000002_unique_name"), "{message}");
        assert!(
            message.contains("invalid index items_name_key"),
            "{message}"
        );
        assert!(
            message.contains("DROP INDEX CONCURRENTLY \"items_name_key\""),
            "{message}"
        );

        // The fix the message gives, followed step by step.
        exec(&db, "DROP INDEX CONCURRENTLY items_name_key").await;
        exec(&db, "DELETE FROM items WHERE id = 2").await;
        migrator
            .resolve("20260101000002_unique_name", Resolution::RolledBack)
            .await?;
        assert_eq!(migrator.deploy().await?, ["20260101000002_unique_name"]);
        let valid = "SELECT COUNT(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                     WHERE c.relname = 'items_name_key' AND i.indisvalid";
        assert_eq!(count(&db, valid).await, 1);
        Ok::<_, Error>(())
    })
    .await
}

/// A second runner waiting for the lock must not stall a CREATE INDEX
/// CONCURRENTLY of the runner holding it: the build waits for every open
/// transaction, and a waiter polls with short ones instead of blocking in one.
/// (With the blocking `pg_advisory_lock` this test fails: PostgreSQL reports
/// "deadlock detected" between the waiter and the index build.)
#[tokio::test]
async fn a_waiting_runner_does_not_stall_a_concurrent_index_build() {
    run_on(Backend::Postgres, |db: Db| async move {
        let dir = Folders::new();
        dir.add("20260101000000_create_items", CREATE_ITEMS, None);
        dir.add("20260101000001_wait", sleep_sql(Dialect::Postgres), None);
        let index = "-- strata:no-transaction\n\
                     CREATE INDEX CONCURRENTLY items_name ON items (name);\n";
        dir.add("20260101000002_index", index, None);
        let (a, b) = (migrator(&db, &dir), migrator(&db, &dir));
        let both = async {
            let first = tokio::spawn(async move { a.deploy().await });
            let second = tokio::spawn(async move { b.deploy().await });
            let mut applied = first.await.expect("runner a")?;
            applied.extend(second.await.expect("runner b")?);
            Ok::<_, Error>(applied)
        };
        let mut applied = tokio::time::timeout(Duration::from_secs(30), both)
            .await
            .expect("both runners finish")?;
        applied.sort();
        assert_eq!(applied, dir.names());
        Ok::<_, Error>(())
    })
    .await
}

async fn exec(db: &Db, sql: &str) {
    runner_support::exec(db, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn drop_table(db: &Db, table: &str) {
    exec(db, &format!("DROP TABLE {table}")).await;
}
