//! `explain()` on real databases: the seed's "Query Optimization" situations.
//! A table too large to read whole is scanned by a column without an index
//! (a warning), then the index is created and the warning is gone; on
//! PostgreSQL also a misestimate from correlated columns, a sort spilling to
//! disk, a nested loop over many rows, and a write explained with ANALYZE
//! that leaves the table as it was.

use sqlx::{AssertSqlSafe, Executor as _};
use strata::explain::NodeKind;
use strata::{Db, Dialect, Explain as _, ExplainOptions, Model, Plan, PlanWarning};
use strata_tests::{backend_tests, run_on, url_of, Backend};

#[derive(Model, Debug)]
#[strata(table = "events")]
struct Event {
    #[strata(id, default = autoincrement)]
    id: i64,
    /// `n % 1000`: 1 row in 1000 per value.
    bucket: i32,
    /// `a` and `b` are both `n % 100`: always equal, which the planner's
    /// per-column statistics cannot know.
    a: i32,
    b: i32,
    payload: String,
}

/// Rows in `events`: well over the default full-scan threshold (10,000),
/// small enough to insert in about a second.
fn rows(db: &Db) -> i64 {
    match db.dialect() {
        Dialect::Postgres => 100_000,
        Dialect::Sqlite | Dialect::MySql => 50_000,
    }
}

/// Runs setup SQL through whichever pool `db` has.
async fn raw(db: &Db, sql: &str) {
    let sql = AssertSqlSafe(sql.to_owned());
    let done = if let Some(pool) = db.as_postgres() {
        pool.execute(sql).await.map(drop)
    } else if let Some(pool) = db.as_mysql() {
        pool.execute(sql).await.map(drop)
    } else {
        db.as_sqlite().expect("a pool").execute(sql).await.map(drop)
    };
    done.unwrap_or_else(|e| panic!("setup statement failed: {e}"));
}

/// `events` with `rows(db)` rows, the planner's statistics up to date.
async fn events(db: &Db) {
    db.push_schema::<Event>().await.unwrap();
    let n = rows(db);
    let insert = match db.dialect() {
        Dialect::Postgres => format!(
            "INSERT INTO events (bucket, a, b, payload) SELECT g % 1000, g % 100, g % 100, \
             md5(g::text) FROM generate_series(1, {n}) AS g"
        ),
        Dialect::Sqlite => format!(
            "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) \
             INSERT INTO events (bucket, a, b, payload) SELECT g % 1000, g % 100, g % 100, \
             printf('%08x', (g * 2654435761) % 4294967296) FROM s"
        ),
        Dialect::MySql => format!(
            "INSERT INTO events (bucket, a, b, payload) SELECT seq % 1000, seq % 100, \
             seq % 100, MD5(seq) FROM seq_1_to_{n}"
        ),
    };
    raw(db, &insert).await;
    analyze(db).await;
}

async fn analyze(db: &Db) {
    raw(
        db,
        match db.dialect() {
            Dialect::Postgres => "ANALYZE events",
            Dialect::Sqlite => "ANALYZE",
            Dialect::MySql => "ANALYZE TABLE events",
        },
    )
    .await;
}

async fn count(db: &Db) -> u64 {
    Event::count().exec(db).await.unwrap()
}

fn full_scan_warning<'p>(plan: &'p Plan, table: &str) -> Option<&'p PlanWarning> {
    plan.warnings()
        .iter()
        .find(|w| matches!(w, PlanWarning::FullScan { table: t, .. } if t == table))
}

fn uses_index(plan: &Plan, index: &str) -> bool {
    plan.nodes().any(|n| n.index.as_deref() == Some(index))
}

backend_tests!(
    full_scan_warning_goes_away_with_the_index,
    |db| async move {
        events(&db).await;
        let query = || Event::find_many().filter(Event::bucket().eq(7));

        let before = query().explain(&db).await?;
        let scan = before
            .nodes()
            .find(|n| n.kind == NodeKind::FullScan)
            .unwrap_or_else(|| panic!("no full scan in\n{before}"));
        assert_eq!(scan.relation.as_deref(), Some("events"), "{before}");
        match full_scan_warning(&before, "events") {
            Some(PlanWarning::FullScan {
                rows: scanned,
                threshold,
                ..
            }) => {
                // MariaDB's row count is InnoDB's estimate, near the real one.
                let n = rows(&db) as f64;
                assert!(*scanned > 0.8 * n && *scanned < 1.2 * n, "{scanned} of {n}");
                assert_eq!(*threshold, 10_000);
            }
            _ => panic!("no full-scan warning for events in\n{before}"),
        }
        let shown = before.to_string();
        assert!(shown.contains("full scan of table \"events\""), "{shown}");

        // Under a higher threshold the same scan is no warning.
        let lenient = ExplainOptions {
            full_scan_rows: 1_000_000,
            ..ExplainOptions::default()
        };
        let tolerated = query().explain_with(&db, lenient).await?;
        assert!(
            full_scan_warning(&tolerated, "events").is_none(),
            "{tolerated}"
        );

        raw(&db, "CREATE INDEX events_bucket_idx ON events (bucket)").await;
        analyze(&db).await;
        let after = query().explain(&db).await?;
        assert!(uses_index(&after, "events_bucket_idx"), "{after}");
        assert!(full_scan_warning(&after, "events").is_none(), "{after}");
        assert!(
            !after.nodes().any(|n| n.kind == NodeKind::FullScan),
            "{after}"
        );
        Ok::<_, strata::Error>(())
    }
);

backend_tests!(
    every_builder_explains_and_writes_change_nothing,
    |db| async move {
        db.push_schema::<Event>().await?;
        for i in 0..3 {
            Event::create()
                .bucket(i)
                .a(i)
                .b(i)
                .payload(format!("p{i}"))
                .exec(&db)
                .await?;
        }
        let plans = vec![
            Event::find_many().take(2).explain(&db).await?,
            Event::find_first().explain(&db).await?,
            Event::find_unique(Event::by_id(1)).explain(&db).await?,
            Event::find_many()
                .select(Event::payload())
                .explain(&db)
                .await?,
            Event::find_many()
                .omit(Event::payload())
                .explain(&db)
                .await?,
            Event::count().explain(&db).await?,
            Event::exists().explain(&db).await?,
            Event::update(Event::by_id(1))
                .payload("changed")
                .explain(&db)
                .await?,
            Event::update_many(Event::bucket().eq(1))
                .payload("changed")
                .explain(&db)
                .await?,
            Event::delete(Event::by_id(2)).explain(&db).await?,
            Event::delete_many().explain(&db).await?,
            Event::create()
                .bucket(9)
                .a(9)
                .b(9)
                .payload("new")
                .explain(&db)
                .await?,
            Event::upsert(
                Event::by_id(1),
                Event::create().bucket(8).a(8).b(8).payload("up"),
                Event::changes().payload("upserted"),
            )
            .explain(&db)
            .await?,
        ];
        for plan in &plans {
            assert!(plan.root().iter().count() >= 1, "{plan}");
            assert!(!plan.sql().is_empty());
        }
        // An update with nothing to set runs a read, and explains that read.
        let read = Event::update(Event::by_id(1))
            .into_inner()
            .explain(&db)
            .await?;
        assert!(read.sql().starts_with("SELECT"), "{}", read.sql());
        let counted = (Event::update_many(Event::bucket().eq(1)).into_inner())
            .explain(&db)
            .await?;
        assert!(
            counted.sql().starts_with("SELECT COUNT(*)"),
            "{}",
            counted.sql()
        );
        // ANALYZE ran the writes on PostgreSQL; all were rolled back.
        assert_eq!(count(&db).await, 3);
        let first = Event::find_unique(Event::by_id(1))
            .exec_required(&db)
            .await?;
        assert_eq!(first.payload, "p0");
        Ok::<_, strata::Error>(())
    }
);

/// The PostgreSQL test database's URL with more `-c name=value` settings
/// for every connection (the harness puts its `options` parameter last).
fn with_settings(db: &Db, settings: &[&str]) -> String {
    let mut url = url_of(db);
    assert!(url.contains("options="), "{url}");
    for setting in settings {
        url.push_str("%20-c%20");
        url.push_str(&setting.replace('=', "%3D"));
    }
    url
}

#[tokio::test]
async fn postgres_misestimate_from_correlated_columns() {
    run_on(Backend::Postgres, |db| async move {
        events(&db).await;
        let query = || Event::find_many().filter(Event::a().eq(1).and(Event::b().eq(1)));
        let plan = query().explain(&db).await?;
        assert!(plan.analyzed());
        let found = plan.warnings().iter().find_map(|w| match w {
            PlanWarning::Misestimate {
                table,
                estimated,
                actual,
                ..
            } => Some((table.clone(), *estimated, *actual)),
            _ => None,
        });
        // Per-column statistics: 1% of rows have a = 1, 1% have b = 1, so
        // 0.01% for both; in fact they are the same 1%.
        let (table, estimated, actual) =
            found.unwrap_or_else(|| panic!("no misestimate in\n{plan}"));
        assert_eq!(table.as_deref(), Some("events"));
        assert!(estimated * 10.0 <= actual, "{estimated} vs {actual}");
        assert!(plan.to_string().contains("x off"), "{plan}");

        // Extended statistics tell the planner that b follows from a.
        let stats = "CREATE STATISTICS events_ab (dependencies) ON a, b FROM events";
        raw(&db, stats).await;
        analyze(&db).await;
        let fixed = query().explain(&db).await?;
        let misestimated = |w: &PlanWarning| matches!(w, PlanWarning::Misestimate { .. });
        assert!(!fixed.warnings().iter().any(misestimated), "{fixed}");
        Ok::<_, strata::Error>(())
    })
    .await
}

#[tokio::test]
async fn postgres_sort_spills_to_disk_under_a_small_work_mem() {
    run_on(Backend::Postgres, |db| async move {
        events(&db).await;
        let spills = |plan: &Plan| {
            plan.warnings()
                .iter()
                .any(|w| matches!(w, PlanWarning::SortSpill { .. }))
        };
        let sorted = || Event::find_many().order_by(Event::payload().asc());

        let small = with_settings(&db, &["work_mem=64kB", "max_parallel_workers_per_gather=0"]);
        let small = Db::connect_single(&small).await?;
        let plan = sorted().explain(&small).await?;
        assert!(spills(&plan), "{plan}");
        let sort = plan.nodes().find(|n| n.kind == NodeKind::Sort).unwrap();
        assert_eq!(
            sort.sort_method.as_deref(),
            Some("external merge"),
            "{plan}"
        );
        assert!(sort.disk_kb.is_some_and(|kb| kb > 0.0), "{plan}");
        assert!(plan.to_string().contains("spilled to disk"), "{plan}");

        let large = with_settings(
            &db,
            &["work_mem=256MB", "max_parallel_workers_per_gather=0"],
        );
        let large = Db::connect_single(&large).await?;
        let plan = sorted().explain(&large).await?;
        assert!(!spills(&plan), "{plan}");
        Ok::<_, strata::Error>(())
    })
    .await
}

#[tokio::test]
async fn postgres_hash_join_spills_to_disk_under_a_small_work_mem() {
    run_on(Backend::Postgres, |db| async move {
        events(&db).await;
        let join = || {
            strata::Sql::text(
                "SELECT e.id, f.id FROM events AS e JOIN events AS f ON f.payload = e.payload",
            )
        };
        let hash_spill = |plan: &Plan| {
            plan.warnings().iter().find_map(|w| match w {
                PlanWarning::HashSpill { batches, .. } => Some(*batches),
                _ => None,
            })
        };
        // Only a hash join may join here.
        let settings = |work_mem: &'static str| {
            [
                work_mem,
                "enable_mergejoin=off",
                "enable_nestloop=off",
                "max_parallel_workers_per_gather=0",
            ]
        };
        let small = with_settings(&db, &settings("work_mem=64kB"));
        let plan = join().explain(&Db::connect_single(&small).await?).await?;
        let batches = hash_spill(&plan).unwrap_or_else(|| panic!("no hash spill in\n{plan}"));
        assert!(batches.is_some_and(|b| b > 1), "{plan}");
        assert!(plan.to_string().contains("batches"), "{plan}");

        let large = with_settings(&db, &settings("work_mem=256MB"));
        let plan = join().explain(&Db::connect_single(&large).await?).await?;
        assert!(plan.nodes().any(|n| n.kind == NodeKind::HashJoin), "{plan}");
        assert_eq!(hash_spill(&plan), None, "{plan}");
        Ok::<_, strata::Error>(())
    })
    .await
}

#[tokio::test]
async fn postgres_nested_loop_over_many_outer_rows() {
    run_on(Backend::Postgres, |db| async move {
        events(&db).await;
        let join = || {
            strata::Sql::text(
                "SELECT e.id FROM events AS e JOIN events AS f ON f.id = e.id WHERE e.bucket < 500",
            )
        };
        let large_loop = |plan: &Plan| {
            plan.warnings().iter().find_map(|w| match w {
                PlanWarning::LargeNestedLoop { outer_rows, .. } => Some(*outer_rows),
                _ => None,
            })
        };
        // With hash and merge joins off, the planner must loop.
        let url = with_settings(
            &db,
            &[
                "enable_hashjoin=off",
                "enable_mergejoin=off",
                "max_parallel_workers_per_gather=0",
            ],
        );
        let looping = Db::connect_single(&url).await?;
        let plan = join().explain(&looping).await?;
        assert!(
            plan.nodes().any(|n| n.kind == NodeKind::NestedLoop),
            "{plan}"
        );
        let outer =
            large_loop(&plan).unwrap_or_else(|| panic!("no nested-loop warning in\n{plan}"));
        assert!(outer >= 40_000.0, "{outer}\n{plan}");

        // Left to itself the planner hashes: no loop, no warning.
        let plan = join().explain(&db).await?;
        assert!(large_loop(&plan).is_none(), "{plan}");
        Ok::<_, strata::Error>(())
    })
    .await
}

#[tokio::test]
async fn postgres_analyze_of_a_write_is_rolled_back() {
    run_on(Backend::Postgres, |db| async move {
        events(&db).await;
        let before = count(&db).await;
        let delete = Event::delete_many().filter(Event::bucket().eq(7));
        let plan = delete.explain(&db).await?;
        assert!(plan.analyzed());
        assert_eq!(plan.root().kind, NodeKind::Modify, "{plan}");
        // The DELETE ran: its scan found the bucket's 100 rows..
        let scan = &plan.root().children[0];
        assert_eq!(scan.actual_rows, Some(100.0), "{plan}");
        // .. and was rolled back.
        assert_eq!(count(&db).await, before);
        assert_eq!(
            Event::count()
                .filter(Event::bucket().eq(7))
                .exec(&db)
                .await?,
            100
        );

        let update = Event::update_many(Event::bucket().eq(8)).a(-1).into_inner();
        update.explain(&db).await?;
        assert_eq!(Event::count().filter(Event::a().eq(-1)).exec(&db).await?, 0);

        // Inside a transaction, the explain is a savepoint rolled back alone.
        db.transaction(|tx| {
            Box::pin(async move {
                Event::delete_many().explain(tx).await?;
                assert_eq!(count(tx).await, before);
                Ok(())
            })
        })
        .await?;
        assert_eq!(count(&db).await, before);
        Ok::<_, strata::Error>(())
    })
    .await
}

#[tokio::test]
async fn postgres_estimate_runs_nothing() {
    run_on(Backend::Postgres, |db| async move {
        events(&db).await;
        let estimate = ExplainOptions {
            analyze: false,
            ..ExplainOptions::default()
        };
        let plan = Event::find_many()
            .filter(Event::bucket().eq(7))
            .explain_with(&db, estimate.clone())
            .await?;
        assert!(!plan.analyzed());
        assert!(plan.nodes().all(|n| n.actual_rows.is_none()), "{plan}");
        assert!(plan.execution_time_ms().is_none());
        // The scan's estimate is its output (~100 rows); the table's size
        // comes from the catalog.
        assert!(full_scan_warning(&plan, "events").is_some(), "{plan}");
        let json = plan.raw_json().expect("PostgreSQL's plan is JSON");
        assert!(json[0]["Plan"]["Node Type"].is_string(), "{json}");

        let delete = Event::delete_many().explain_with(&db, estimate).await?;
        assert_eq!(delete.root().kind, NodeKind::Modify);
        assert_eq!(count(&db).await, 100_000);
        Ok::<_, strata::Error>(())
    })
    .await
}

#[tokio::test]
async fn sqlite_plan_display() {
    run_on(Backend::Sqlite, |db| async move {
        events(&db).await;
        let query = || {
            Event::find_many()
                .filter(Event::bucket().eq(7))
                .order_by(Event::payload().asc())
        };
        let before = query().explain(&db).await?;
        insta::assert_snapshot!("sqlite_full_scan", before.to_string());
        raw(&db, "CREATE INDEX events_bucket_idx ON events (bucket)").await;
        let after = query().explain(&db).await?;
        insta::assert_snapshot!("sqlite_index_search", after.to_string());
        assert!(after.raw_text().contains("USING INDEX events_bucket_idx"));
        Ok::<_, strata::Error>(())
    })
    .await
}

backend_tests!(joined_include_read_explains, |db| async move {
    use schema_examples::blog::{BlogSchema, Post, User};
    use strata::relation::Strategy;
    db.push_schema::<BlogSchema>().await?;
    let ann = User::create().email("ann@x.io").exec(&db).await?;
    Post::create()
        .title("Hi")
        .author_id(&ann.id)
        .exec(&db)
        .await?;
    // On MariaDB the statement starts with `SET STATEMENT .. FOR`; the
    // EXPLAIN goes after it.
    let plan = User::find_many()
        .include(User::posts())
        .strategy(Strategy::Joined)
        .explain(&db)
        .await?;
    let reads = |table: &str| plan.nodes().any(|n| n.relation.as_deref() == Some(table));
    assert!(reads("users") && reads("posts"), "{plan}");
    Ok::<_, strata::Error>(())
});

backend_tests!(to_sql_is_what_exec_sends, |db| async move {
    use strata::observe::Scope;
    use strata::ToSql as _;
    db.push_schema::<Event>().await?;
    let dialect = db.dialect();
    let filter = || Event::bucket().eq(3).and(Event::payload().contains("x"));
    let cases: Vec<(String, Vec<String>)> = vec![
        (
            Event::find_many()
                .filter(filter())
                .take(5)
                .to_sql(dialect)?
                .sql,
            Scope::new()
                .run(Event::find_many().filter(filter()).take(5).exec(&db))
                .await
                .1
                .statements()
                .to_vec(),
        ),
        (
            Event::count().filter(filter()).to_sql(dialect)?.sql,
            Scope::new()
                .run(Event::count().filter(filter()).exec(&db))
                .await
                .1
                .statements()
                .to_vec(),
        ),
        (
            Event::delete_many().filter(filter()).to_sql(dialect)?.sql,
            Scope::new()
                .run(Event::delete_many().filter(filter()).exec(&db))
                .await
                .1
                .statements()
                .to_vec(),
        ),
    ];
    for (to_sql, sent) in cases {
        assert_eq!(sent, vec![to_sql]);
    }
    Ok::<_, strata::Error>(())
});
