//! The index advisor (`strata::migrate::advise`) on real databases: each
//! situation of the seed's "Indexing Strategies" and "Index Anti-patterns"
//! built with the models plus hand-made indexes, and the finding (table,
//! index, DDL) asserted; the suggested DDL then applied, after which only
//! its consequences remain.

use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, Executor as _};
use strata::cli::{execute, parse_from};
use strata::migrate::runner::UrlSources;
use strata::migrate::{advise, Advice, Finding};
use strata::schema::ModelSchema;
use strata::{Db, Dialect, Model, ModelSet};
use strata_tests::{backend_tests, run_on, url_of, Backend};

#[derive(Model, Debug)]
#[strata(table = "customers")]
struct Customer {
    #[strata(id, default = autoincrement)]
    id: i64,
    name: String,
}

// Clippy's duplicated_attributes lint takes two indexes sharing a field for
// one option written twice (see README, "Model attributes").
#[allow(clippy::duplicated_attributes)]
#[derive(Model, Debug)]
#[strata(table = "orders")]
#[strata(index(fields(customer_id, placed_at)))]
#[strata(index(fields(status)))]
#[strata(index(fields(placed_at)))]
#[strata(index(fields(note)))]
struct Order {
    #[strata(id, default = autoincrement)]
    id: i64,
    #[strata(references(model = Customer, field = id))]
    customer_id: i64,
    #[strata(unique)]
    reference: String,
    status: String,
    placed_at: i64,
    note: String,
    code: String,
}

/// Its foreign key has no index.
#[derive(Model, Debug)]
#[strata(table = "order_lines")]
struct OrderLine {
    #[strata(id, default = autoincrement)]
    id: i64,
    #[strata(references(model = Order, field = id))]
    order_id: i64,
    sku: String,
}

/// Every foreign key indexed, every index unique or used.
#[derive(Model, Debug)]
#[strata(table = "books", index(fields(customer_id, title)))]
struct Book {
    #[strata(id, default = autoincrement)]
    id: i64,
    #[strata(references(model = Customer, field = id))]
    customer_id: i64,
    #[strata(unique)]
    isbn: String,
    title: String,
}

type Shop = (Customer, Order, OrderLine);

/// Runs each `;`-terminated line of `sql` on its own, as CONCURRENTLY needs.
async fn run_sql(db: &Db, sql: &str) {
    for statement in sql.lines().filter(|l| !l.starts_with("--")) {
        let statement = statement.trim_end_matches(';').to_owned();
        let done = if let Some(pool) = db.as_postgres() {
            pool.execute(AssertSqlSafe(statement.clone()))
                .await
                .map(drop)
        } else if let Some(pool) = db.as_sqlite() {
            pool.execute(AssertSqlSafe(statement.clone()))
                .await
                .map(drop)
        } else if let Some(pool) = db.as_mysql() {
            pool.execute(AssertSqlSafe(statement.clone()))
                .await
                .map(drop)
        } else {
            unreachable!("a Db is one of the three")
        };
        done.unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

async fn advice_on(db: &Db, models: &[&'static ModelSchema]) -> Advice {
    advise(db, models).await.expect("advise")
}

fn find<'a>(advice: &'a Advice, index: &str, kind: fn(&Finding) -> bool) -> Option<&'a Finding> {
    (advice.findings.iter()).find(|f| f.index() == index && kind(f))
}

fn redundant(f: &Finding) -> bool {
    matches!(f, Finding::RedundantIndex { .. })
}

fn unused(f: &Finding) -> bool {
    matches!(f, Finding::UnusedIndex { .. })
}

/// What is left after acting on every finding but the unused indexes
/// (which the new indexes are, unscanned): the foreign key's new index,
/// which no model declares. Returns the indexes of the findings left that
/// are not unused ones.
fn answered_leaves(after: &Advice) -> Vec<&str> {
    let left: Vec<&Finding> = after.findings.iter().filter(|f| !unused(f)).collect();
    for finding in &left {
        assert!(
            matches!(finding, Finding::UndeclaredIndex { .. }),
            "{finding}"
        );
    }
    left.iter().map(|f| f.index()).collect()
}

/// Reads `orders` by status through its index (sequential scans off, so the
/// tiny table cannot avoid it), then asks the session to flush its counters.
async fn use_status_index(db: &Db) {
    let pool = db.as_postgres().expect("PostgreSQL");
    let mut conn = pool.acquire().await.unwrap();
    for sql in [
        "SET enable_seqscan = off",
        "SELECT id FROM orders WHERE status = 'open'",
        "SELECT count(*) FROM orders WHERE status = 'shipped'",
        "SELECT pg_stat_force_next_flush()",
        "RESET enable_seqscan",
    ] {
        conn.execute(sql).await.unwrap();
    }
}

/// Advice once `pg_stat_user_indexes` shows a scan of `used` (the counters
/// reach the view asynchronously); fails after ten seconds.
async fn advice_after_scan_of(db: &Db, models: &[&'static ModelSchema], used: &str) -> Advice {
    let start = Instant::now();
    loop {
        let advice = advice_on(db, models).await;
        if find(&advice, used, unused).is_none() {
            return advice;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{used} still unscanned after 10 s:\n{advice}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The hand-made indexes of the PostgreSQL situations.
const SITUATIONS: &str = "\
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX orders_open_customer_idx ON orders (customer_id) WHERE status = 'open';
CREATE INDEX orders_customer_desc_idx ON orders (customer_id DESC, placed_at);
CREATE UNIQUE INDEX orders_code_key ON orders (code);
CREATE INDEX orders_code_note_idx ON orders (code, note);
CREATE INDEX orders_code_note_copy_idx ON orders (code, note);
CREATE INDEX orders_customer_cover_idx ON orders (customer_id) INCLUDE (note);
CREATE INDEX orders_reference_idx ON orders (reference);
CREATE INDEX orders_note_pattern_idx ON orders (note text_pattern_ops, code);
DROP INDEX orders_placed_at_idx;
DROP INDEX orders_note_idx;
CREATE INDEX orders_note_idx ON orders (note DESC);";

#[tokio::test]
async fn postgres_situations_each_give_their_finding() {
    run_on(Backend::Postgres, |db| async move {
        let models = Shop::schemas();
        db.push_schema::<Shop>().await.unwrap();
        run_sql(&db, SITUATIONS).await;
        let customer = Customer::create().name("Ada").exec(&db).await.unwrap();
        for (i, status) in ["open", "shipped", "open"].into_iter().enumerate() {
            Order::create()
                .customer_id(customer.id)
                .reference(format!("R{i}"))
                .status(status)
                .placed_at(i as i64)
                .note("n")
                .code(format!("C{i}"))
                .exec(&db)
                .await
                .unwrap();
        }
        OrderLine::create()
            .order_id(1)
            .sku("S1")
            .exec(&db)
            .await
            .unwrap();
        use_status_index(&db).await;
        let advice = advice_after_scan_of(&db, &models, "orders_status_idx").await;
        let text = advice.to_string();

        // A redundant pair: (customer_id) leads the model's (customer_id, placed_at).
        assert_eq!(
            find(&advice, "orders_customer_idx", redundant),
            Some(&Finding::RedundantIndex {
                table: "orders".into(),
                index: "orders_customer_idx".into(),
                covered_by: "orders_customer_id_placed_at_idx".into(),
                duplicate: false,
                declared_by: None,
                ddl: r#"DROP INDEX CONCURRENTLY "orders_customer_idx";"#.into(),
            }),
            "{text}"
        );
        // An exact duplicate of the UNIQUE constraint's index.
        match find(&advice, "orders_reference_idx", redundant) {
            Some(Finding::RedundantIndex {
                covered_by,
                duplicate: true,
                ..
            }) => assert_eq!(covered_by, "orders_reference_key"),
            other => panic!("expected a duplicate, got {other:?}\n{text}"),
        }
        // Of two equal standalone indexes one goes: here the later by name.
        match find(&advice, "orders_code_note_idx", redundant) {
            Some(Finding::RedundantIndex {
                covered_by,
                duplicate: true,
                ..
            }) => assert_eq!(covered_by, "orders_code_note_copy_idx"),
            other => panic!("expected a duplicate, got {other:?}\n{text}"),
        }
        // Not redundant: a partial index, a unique prefix, another order,
        // another operator class, an INCLUDE the longer index lacks; and no
        // constraint is ever offered for dropping.
        for kept in [
            "orders_code_note_copy_idx",
            "orders_customer_cover_idx",
            "orders_open_customer_idx",
            "orders_code_key",
            "orders_customer_desc_idx",
            "orders_note_pattern_idx",
            "orders_reference_key",
            "orders_pkey",
        ] {
            assert_eq!(find(&advice, kept, redundant), None, "{kept}\n{text}");
        }
        assert_eq!(advice.findings.iter().filter(|f| redundant(f)).count(), 3);

        // Unused next to used: the scanned status index is not reported; a
        // never-scanned one is, with its size; unique ones never are.
        assert_eq!(find(&advice, "orders_status_idx", unused), None, "{text}");
        match find(&advice, "orders_customer_id_placed_at_idx", unused) {
            Some(Finding::UnusedIndex {
                table,
                size_bytes,
                only_index_of_foreign_key,
                declared_by,
                ddl,
                ..
            }) => {
                assert_eq!(table, "orders");
                assert!(*size_bytes > 0);
                // orders_customer_idx supports the foreign key too.
                assert_eq!(only_index_of_foreign_key, &None);
                assert_eq!(declared_by, &Some("Order"));
                assert_eq!(
                    ddl,
                    r#"DROP INDEX CONCURRENTLY "orders_customer_id_placed_at_idx";"#
                );
            }
            other => panic!("expected unused, got {other:?}\n{text}"),
        }
        for unique in ["orders_code_key", "orders_reference_key", "orders_pkey"] {
            assert_eq!(find(&advice, unique, unused), None, "{unique}\n{text}");
        }
        assert!(text.contains("has not been scanned since the statistics"), "{text}");

        // A foreign key without an index.
        assert!(
            advice.findings.contains(&Finding::UnindexedForeignKey {
                table: "order_lines".into(),
                foreign_key: "order_lines_order_id_fkey".into(),
                columns: vec!["order_id".into()],
                referenced_table: "orders".into(),
                index: "order_lines_order_id_idx".into(),
                declared_by: None,
                ddl: r#"CREATE INDEX CONCURRENTLY "order_lines_order_id_idx" ON "order_lines" ("order_id");"#.into(),
            }),
            "{text}"
        );
        // orders' and order_lines' other keys are indexed.
        let unindexed = (advice.findings.iter())
            .filter(|f| matches!(f, Finding::UnindexedForeignKey { .. }))
            .count();
        assert_eq!(unindexed, 1, "{text}");

        // A model index the database lacks, and one it has in another form.
        assert!(
            advice.findings.contains(&Finding::MissingIndex {
                table: "orders".into(),
                index: "orders_placed_at_idx".into(),
                model: "Order",
                ddl: r#"CREATE INDEX CONCURRENTLY "orders_placed_at_idx" ON "orders" ("placed_at");"#.into(),
            }),
            "{text}"
        );
        assert!(
            advice.findings.contains(&Finding::ChangedIndex {
                table: "orders".into(),
                index: "orders_note_idx".into(),
                model: "Order",
                ddl: "DROP INDEX CONCURRENTLY \"orders_note_idx\";\n\
                      CREATE INDEX CONCURRENTLY \"orders_note_idx\" ON \"orders\" (\"note\");"
                    .into(),
            }),
            "{text}"
        );
        // Indexes no model declares.
        let mut undeclared: Vec<&str> = (advice.findings.iter())
            .filter(|f| matches!(f, Finding::UndeclaredIndex { .. }))
            .map(|f| f.index())
            .collect();
        undeclared.sort_unstable();
        assert_eq!(
            undeclared,
            [
                "orders_code_key",
                "orders_code_note_copy_idx",
                "orders_code_note_idx",
                "orders_customer_cover_idx",
                "orders_customer_desc_idx",
                "orders_customer_idx",
                "orders_note_pattern_idx",
                "orders_open_customer_idx",
                "orders_reference_idx",
            ],
            "{text}"
        );
        assert_eq!(
            find(&advice, "orders_customer_idx", |f| matches!(
                f,
                Finding::UndeclaredIndex { .. }
            ))
            .map(Finding::ddl),
            Some(r#"DROP INDEX CONCURRENTLY "orders_customer_idx";"#)
        );
        assert!(advice.skipped.is_empty());

        // Acting on every finding but the unused ones leaves only unused
        // indexes (the new ones have not been scanned yet).
        // (An index both redundant and undeclared is dropped once.)
        let mut scripts: Vec<&str> = Vec::new();
        for finding in advice.findings.iter().filter(|f| !unused(f)) {
            if !scripts.contains(&finding.ddl()) {
                scripts.push(finding.ddl());
            }
        }
        for script in scripts {
            run_sql(&db, script).await;
        }
        let after = advice_after_scan_of(&db, &models, "orders_status_idx").await;
        assert_eq!(answered_leaves(&after), ["order_lines_order_id_idx"], "{after}");
        assert!(find(&after, "orders_placed_at_idx", unused).is_some(), "{after}");
    })
    .await;
}

#[tokio::test]
async fn postgres_clean_schema_has_no_findings() {
    run_on(Backend::Postgres, |db| async move {
        let models = <(Customer, Book)>::schemas();
        db.push_schema::<(Customer, Book)>().await.unwrap();
        let customer = Customer::create().name("Ada").exec(&db).await.unwrap();
        Book::create()
            .customer_id(customer.id)
            .isbn("978-0")
            .title("Notes")
            .exec(&db)
            .await
            .unwrap();
        // Counters reset: the finding says since when.
        let pool = db.as_postgres().unwrap();
        pool.execute("SELECT pg_stat_reset()").await.unwrap();
        let before = advice_on(&db, &models).await;
        match before.findings.first() {
            Some(Finding::UnusedIndex {
                stats_since: Some(_),
                ..
            }) => {}
            other => panic!("expected an unused index with a reset time, got {other:?}"),
        }
        assert!(
            before
                .to_string()
                .contains("since the statistics were reset at 2"),
            "{before}"
        );
        // Only the scan count stands between this schema and no findings.
        assert_eq!(
            before
                .findings
                .iter()
                .map(Finding::index)
                .collect::<Vec<_>>(),
            ["books_customer_id_title_idx"],
            "{before}"
        );
        let mut conn = pool.acquire().await.unwrap();
        for sql in [
            "SET enable_seqscan = off",
            "SELECT id FROM books WHERE customer_id = 1",
            "SELECT pg_stat_force_next_flush()",
            "RESET enable_seqscan",
        ] {
            conn.execute(sql).await.unwrap();
        }
        drop(conn);
        let advice = advice_after_scan_of(&db, &models, "books_customer_id_title_idx").await;
        assert!(advice.is_empty(), "{advice}");
        assert_eq!(advice.to_string(), "no index findings\n");
    })
    .await;
}

// What every database checks: the models against the database, and
// foreign keys (not on MySQL, where InnoDB indexes each one itself).
backend_tests!(models_against_the_database, |db| async move {
    let models = Shop::schemas();
    db.push_schema::<Shop>().await.unwrap();
    let dialect = db.dialect();
    let drop_placed_at = match dialect {
        Dialect::MySql => "DROP INDEX orders_placed_at_idx ON orders;",
        _ => "DROP INDEX orders_placed_at_idx;",
    };
    run_sql(&db, drop_placed_at).await;
    run_sql(
        &db,
        "CREATE INDEX orders_extra_idx ON orders (placed_at, id);",
    )
    .await;
    let advice = advice_on(&db, &models).await;
    let text = advice.to_string();

    let missing = find(&advice, "orders_placed_at_idx", |f| {
        matches!(f, Finding::MissingIndex { model: "Order", .. })
    });
    let undeclared = find(&advice, "orders_extra_idx", |f| {
        matches!(f, Finding::UndeclaredIndex { .. })
    });
    let (missing, undeclared) = match (missing, undeclared) {
        (Some(m), Some(u)) => (m.ddl().to_owned(), u.ddl().to_owned()),
        _ => panic!("expected missing and undeclared findings:\n{text}"),
    };
    assert!(missing.contains("orders_placed_at_idx"), "{missing}");
    assert!(undeclared.contains("orders_extra_idx"), "{undeclared}");
    let fk = (advice.findings.iter()).find(|f| matches!(f, Finding::UnindexedForeignKey { .. }));
    match dialect {
        Dialect::MySql => {
            assert_eq!(fk, None, "{text}");
            assert_eq!(advice.skipped.len(), 2, "{text}");
        }
        _ => {
            let fk = fk.unwrap_or_else(|| panic!("no foreign key finding:\n{text}"));
            assert_eq!(
                (fk.table(), fk.index()),
                ("order_lines", "order_lines_order_id_idx")
            );
        }
    }
    if dialect != Dialect::Postgres {
        assert!(text.contains("not checked: redundant and unused"), "{text}");
        // Everything found is about the models or foreign keys.
        assert_eq!(
            advice.findings.len(),
            2 + usize::from(dialect == Dialect::Sqlite)
        );
    }

    // The suggested DDL runs, and the findings it answers are gone.
    run_sql(&db, &missing).await;
    run_sql(&db, &undeclared).await;
    if let Some(fk) = fk {
        run_sql(&db, fk.ddl()).await;
    }
    let after = advice_on(&db, &models).await;
    let expected: &[&str] = match dialect {
        Dialect::MySql => &[],
        _ => &["order_lines_order_id_idx"],
    };
    assert_eq!(answered_leaves(&after), expected, "{after}");
});

backend_tests!(cli_advise_prints_the_findings, |db| async move {
    db.push_schema::<Shop>().await.unwrap();
    let url = url_of(&db);
    let sources = UrlSources {
        explicit: Some(url.clone()),
        ..UrlSources::default()
    };
    let cli = parse_from(["strata", "advise", "--exit-code"]).unwrap();
    let mut out = Vec::new();
    let ok = execute(&cli, &Shop::schemas(), &sources, &mut out).await;
    let report = String::from_utf8(out).unwrap();
    match db.dialect() {
        // InnoDB indexed the foreign key: nothing to report.
        Dialect::MySql => {
            assert!(ok.unwrap(), "{report}");
            assert!(report.starts_with("no index findings\n"), "{report}");
        }
        _ => {
            assert!(!ok.unwrap(), "--exit-code fails on findings:\n{report}");
            assert!(
                report
                    .contains(r#"order_lines: foreign key "order_lines_order_id_fkey" (order_id)"#),
                "{report}"
            );
        }
    }
});

// A unique key the database lost comes back with the online recipe
// (PostgreSQL: the index CONCURRENTLY, then the constraint over it); a
// foreign key whose index the models declare gets that index suggested.
backend_tests!(
    lost_unique_key_and_declared_foreign_key_index,
    |db| async move {
        let models = Shop::schemas();
        db.push_schema::<Shop>().await.unwrap();
        let dialect = db.dialect();
        let changes = match dialect {
            Dialect::Postgres => {
                "ALTER TABLE orders DROP CONSTRAINT orders_reference_key;\n\
             DROP INDEX orders_customer_id_placed_at_idx;"
            }
            Dialect::MySql => "ALTER TABLE orders DROP INDEX orders_reference_key;",
            // A SQLite UNIQUE constraint lives in CREATE TABLE.
            Dialect::Sqlite => "DROP INDEX orders_customer_id_placed_at_idx;",
        };
        run_sql(&db, changes).await;
        let advice = advice_on(&db, &models).await;
        let text = advice.to_string();
        let missing = |index: &str| {
            find(&advice, index, |f| {
                matches!(f, Finding::MissingIndex { .. })
            })
            .map(|f| f.ddl().to_owned())
        };
        let unique = missing("orders_reference_key");
        match dialect {
        Dialect::Postgres => assert_eq!(
            unique.as_deref(),
            Some(
                "CREATE UNIQUE INDEX CONCURRENTLY \"orders_reference_key\" ON \"orders\" (\"reference\");\n\
                 ALTER TABLE \"orders\" ADD CONSTRAINT \"orders_reference_key\" UNIQUE USING INDEX \"orders_reference_key\";"
            ),
            "{text}"
        ),
        Dialect::MySql => {
            let ddl = unique.unwrap_or_else(|| panic!("no missing unique key:\n{text}"));
            assert!(ddl.contains("UNIQUE (`reference`)"), "{ddl}");
        }
        Dialect::Sqlite => assert_eq!(unique, None, "{text}"),
    }
        if dialect != Dialect::MySql {
            let declared = Finding::UnindexedForeignKey {
                table: "orders".into(),
                foreign_key: "orders_customer_id_fkey".into(),
                columns: vec!["customer_id".into()],
                referenced_table: "customers".into(),
                index: "orders_customer_id_placed_at_idx".into(),
                declared_by: Some("Order"),
                ddl: missing("orders_customer_id_placed_at_idx")
                    .unwrap_or_else(|| panic!("no missing index:\n{text}")),
            };
            assert!(advice.findings.contains(&declared), "{text}");
        }
        let mut scripts: Vec<&str> = Vec::new();
        for finding in advice.findings.iter().filter(|f| !unused(f)) {
            if !scripts.contains(&finding.ddl()) {
                scripts.push(finding.ddl());
            }
        }
        for script in scripts {
            run_sql(&db, script).await;
        }
        let after = advice_on(&db, &models).await;
        let leaves: &[&str] = match dialect {
            Dialect::MySql => &[],
            _ => &["order_lines_order_id_idx"],
        };
        assert_eq!(answered_leaves(&after), leaves, "{after}");
    }
);
