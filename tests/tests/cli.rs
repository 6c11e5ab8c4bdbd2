//! `strata::cli` in-process: parsed command lines run against real
//! databases, their reports snapshot-tested (times masked), and the URL
//! choice (`--url`, `DIRECT_URL`, `DATABASE_URL`, poolers) end to end.

mod runner_support;

use runner_support::{exec, exists, Folders};
use schema_examples::blog::BlogSchema;
use strata::cli::{execute, parse_from};
use strata::migrate::runner::UrlSources;
use strata::{Error, ModelSet};
use strata_tests::{backend_tests, url_of};

/// Runs `strata <args> --migrations-dir <folders>` with `sources`; the
/// outcome and the report.
async fn strata(
    folders: &Folders,
    sources: &UrlSources,
    args: &[&str],
) -> (Result<bool, Error>, String) {
    let dir = folders.path().to_string_lossy().into_owned();
    let argv = ["strata", "--migrations-dir", &dir]
        .into_iter()
        .chain(args.iter().copied());
    let cli = parse_from(argv).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let mut out = Vec::new();
    let result = execute(&cli, &BlogSchema::schemas(), sources, &mut out).await;
    (result, String::from_utf8(out).expect("UTF-8 report"))
}

fn explicit(url: String) -> UrlSources {
    UrlSources {
        explicit: Some(url),
        ..UrlSources::default()
    }
}

/// The report with each `YYYY-MM-DD HH:MM:SS UTC`, `(N ms)` and database
/// error text masked.
fn mask(report: &str) -> String {
    report
        .lines()
        .map(|line| match line.find(" UTC") {
            _ if line.starts_with("    error: ") => "    error: <database error>".to_string(),
            Some(end) if end >= 19 => {
                let rest = &line[end + 4..];
                let rest = if rest.starts_with(" (") {
                    " (<ms>)"
                } else {
                    rest
                };
                format!("{}<when>{rest}", &line[..end - 19])
            }
            _ => line.to_string(),
        })
        .map(|line| line + "\n")
        .collect()
}

backend_tests!(migrate_commands_report_what_they_did, |db| async move {
    let folders = Folders::new();
    folders.add(
        "20260101000000_create_items",
        "CREATE TABLE items (id INTEGER PRIMARY KEY);\n",
        Some("DROP TABLE items;\n"),
    );
    folders.add(
        "20260101000001_create_more",
        "CREATE TABLE more (id INTEGER);\n",
        Some("DROP TABLE more;\n"),
    );
    let sources = explicit(url_of(&db));

    let (ok, report) = strata(&folders, &sources, &["migrate", "status"]).await;
    assert!(ok?);
    insta::assert_snapshot!("status_pending", report);
    let (ok, report) = strata(&folders, &sources, &["migrate", "deploy"]).await;
    assert!(ok?);
    insta::assert_snapshot!("deploy", report);
    assert!(exists(&db, "more").await);
    let (ok, report) = strata(&folders, &sources, &["migrate", "deploy"]).await;
    assert!(ok?);
    assert_eq!(report, "already up to date: nothing to apply\n");
    let (_, report) = strata(&folders, &sources, &["migrate", "down", "1"]).await;
    assert_eq!(report, "rolled back 20260101000001_create_more\n");
    let (ok, report) = strata(&folders, &sources, &["migrate", "status"]).await;
    assert!(ok?);
    insta::assert_snapshot!("status_rolled_back", mask(&report));
    Ok::<_, Error>(())
});

backend_tests!(
    a_failed_migration_fails_status_until_resolved,
    |db| async move {
        let folders = Folders::new();
        folders.add(
            "20260101000000_broken",
            "SELECT * FROM no_such_table;\n",
            None,
        );
        let sources = explicit(url_of(&db));
        let (result, _) = strata(&folders, &sources, &["migrate", "deploy"]).await;
        let message = result.unwrap_err().to_string();
        assert!(
            message.starts_with("migration 20260101000000_broken: failed:"),
            "{message}"
        );
        let (ok, report) = strata(&folders, &sources, &["migrate", "status"]).await;
        assert!(!ok?, "status exits non-zero over a failed migration");
        insta::assert_snapshot!("status_failed", mask(&report));

        folders.add(
            "20260101000000_broken",
            "CREATE TABLE fixed (id INTEGER);\n",
            None,
        );
        let args = [
            "migrate",
            "resolve",
            "--rolled-back",
            "20260101000000_broken",
        ];
        let (ok, report) = strata(&folders, &sources, &args).await;
        assert!(ok?);
        assert_eq!(report, "recorded 20260101000000_broken as rolled back\n");
        let (ok, report) = strata(&folders, &sources, &["migrate", "deploy"]).await;
        assert!(ok?);
        assert_eq!(report, "applied 20260101000000_broken\n");
        Ok::<_, Error>(())
    }
);

backend_tests!(
    direct_url_is_used_over_a_pooled_database_url,
    |db| async move {
        let folders = Folders::new();
        folders.add(
            "20260101000000_create_items",
            "CREATE TABLE items (id INTEGER);\n",
            None,
        );
        let pooled = "postgres://app:secret@pool.internal:6432/app".to_string();
        let refused = UrlSources {
            database_url: Some(pooled.clone()),
            ..UrlSources::default()
        };
        let (result, _) = strata(&folders, &refused, &["migrate", "deploy"]).await;
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains("DIRECT_URL") && !message.contains("secret"),
            "{message}"
        );

        let direct = UrlSources {
            direct_url: Some(url_of(&db)),
            database_url: Some(pooled),
            ..UrlSources::default()
        };
        let (ok, report) = strata(&folders, &direct, &["migrate", "deploy"]).await;
        assert!(ok?);
        assert_eq!(report, "applied 20260101000000_create_items\n");
        assert!(exists(&db, "items").await);
        Ok::<_, Error>(())
    }
);

backend_tests!(
    baseline_up_squash_and_reset_report_what_they_did,
    |db| async move {
        let folders = Folders::new();
        folders.add_tables(&["a", "b", "c"], true);
        let sources = explicit(url_of(&db));
        let run = |args: &'static [&'static str]| strata(&folders, &sources, args);

        let (ok, report) = run(&["migrate", "baseline", "20260101000000_create_a"]).await;
        assert!(ok?);
        assert_eq!(
            report,
            "recorded as applied without running it: 20260101000000_create_a\n"
        );
        let (_, report) = run(&["migrate", "up", "1"]).await;
        assert_eq!(report, "applied 20260101000001_create_b\n");
        let (_, report) = run(&["migrate", "up"]).await;
        assert_eq!(report, "applied 20260101000002_create_c\n");
        exec(&db, "CREATE TABLE a (id INTEGER)").await.unwrap();

        let (ok, report) = run(&["migrate", "squash", "--name", "all_tables"]).await;
        assert!(ok?);
        assert!(
            report.starts_with("squashed 3 migrations into 2") && report.ends_with("_all_tables\n"),
            "{report}"
        );
        let (ok, report) = run(&["migrate", "reset"]).await;
        assert!(ok?);
        let mut lines = report.lines();
        assert_eq!(lines.next(), Some("dropped every table, view and type"));
        assert!(lines
            .next()
            .is_some_and(|l| l.starts_with("applied 2") && l.ends_with("_all_tables")));
        assert!(exists(&db, "a").await && exists(&db, "c").await);
        Ok::<_, Error>(())
    }
);

backend_tests!(generate_then_deploy_leaves_no_diff, |db| async move {
    let folders = Folders::new();
    let sources = explicit(url_of(&db));
    let (ok, report) = strata(&folders, &sources, &["migrate", "diff", "--exit-code"]).await;
    assert!(!ok?, "an empty database differs from the models");
    assert!(
        report.starts_with("-- up\n") && report.contains("posts"),
        "{report}"
    );

    let (ok, report) = strata(&folders, &sources, &["migrate", "generate", "create_blog"]).await;
    assert!(ok?);
    let written: Vec<&str> = report.lines().collect();
    assert!(!written.is_empty(), "{report}");
    for line in &written {
        assert!(
            line.starts_with("wrote ") && line.contains("_create_blog"),
            "{report}"
        );
    }
    assert_eq!(folders.names().len(), written.len());
    let (ok, report) = strata(&folders, &sources, &["migrate", "generate", "again"]).await;
    assert!(ok?);
    assert_eq!(
        report,
        "no changes: the models match the newest migration's schema\n"
    );

    let (ok, report) = strata(&folders, &sources, &["migrate", "deploy"]).await;
    assert!(ok?);
    assert_eq!(report.lines().count(), written.len(), "{report}");
    let (ok, report) = strata(&folders, &sources, &["migrate", "diff", "--exit-code"]).await;
    assert!(ok?, "{report}");
    assert_eq!(report, "no differences: the database matches the models\n");

    let bad = ["migrate", "generate", "x", "--rename", "no_equals_sign"];
    let (result, _) = strata(&folders, &sources, &bad).await;
    assert!(result.unwrap_err().to_string().contains("rename hint"));
    Ok::<_, Error>(())
});

#[tokio::test]
async fn reset_on_a_remote_url_needs_force() {
    let folders = Folders::new();
    let sources = explicit("postgres://app@db.example.com:5432/app".into());
    let (result, _) = strata(&folders, &sources, &["migrate", "reset"]).await;
    let message = result.unwrap_err().to_string();
    assert!(message.contains("--force"), "{message}");
}

#[tokio::test]
async fn resolve_takes_exactly_one_resolution() {
    for args in [
        vec!["strata", "migrate", "resolve"],
        vec![
            "strata",
            "migrate",
            "resolve",
            "--applied",
            "a",
            "--rolled-back",
            "a",
        ],
    ] {
        assert!(parse_from(&args).is_err(), "{args:?} should not parse");
    }
    assert!(parse_from(["strata", "migrate", "resolve", "--applied", "a"]).is_ok());
}

#[tokio::test]
async fn erd_prints_the_models_diagram() {
    let folders = Folders::new();
    let (ok, report) = strata(&folders, &UrlSources::default(), &["erd"]).await;
    assert!(ok.unwrap());
    assert_eq!(
        report,
        strata::migrate::erd::mermaid(&BlogSchema::schemas())
    );
    assert!(
        report.starts_with("erDiagram\n") && report.contains("posts"),
        "{report}"
    );
}

#[tokio::test]
async fn lint_fails_on_a_dangerous_postgres_migration() {
    let folders = Folders::new();
    folders
        .dir()
        .ensure_dialect(strata::Dialect::Postgres)
        .unwrap();
    folders.add(
        "20260101000000_index_posts",
        "CREATE INDEX posts_title ON posts (title);\n",
        None,
    );
    folders.add(
        "20260101000001_safe_index",
        "-- strata:no-transaction\nSET lock_timeout = '2s';\n\
         CREATE INDEX CONCURRENTLY posts_views ON posts (views);\n",
        None,
    );
    let (ok, report) = strata(&folders, &UrlSources::default(), &["migrate", "lint"]).await;
    assert!(!ok.unwrap(), "a lint error fails the command:\n{report}");
    let unsafe_index = "20260101000000_index_posts/up.sql:1: require-concurrent-index-creation";
    assert!(report.contains(unsafe_index), "{report}");
    assert!(!report.contains("20260101000001_safe_index"), "{report}");
    assert!(
        report.ends_with("linted 2 migrations: 2 errors, 0 warnings\n"),
        "{report}"
    );

    let args = ["migrate", "lint", "20260101000001_safe_index"];
    let (ok, report) = strata(&folders, &UrlSources::default(), &args).await;
    assert!(ok.unwrap(), "{report}");
}
