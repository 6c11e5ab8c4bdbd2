//! The zero-downtime linter over the catalogue in `tests/lint-catalogue/`:
//! every known-dangerous migration is flagged by the rule its header names
//! (its findings are snapshot-tested, so a reader sees the messages), and
//! every safe migration passes and really applies on its database.

use std::path::{Path, PathBuf};

use schema_examples::blog::{Category, Comment, Post, PostTag, Profile, Tag, User};
use sqlx::{AssertSqlSafe, Executor as _};
use strata::migrate::ddl::create::create_schema;
use strata::migrate::files::{MigrationsDir, NewMigration};
use strata::migrate::from_models::db_schema;
use strata::migrate::lint::{
    lint, lint_dir, lint_migration, lint_with, Finding, LintOptions, Severity,
};
use strata::schema::ModelSchema;
use strata::{Db, Dialect, Model};
use strata_tests::{run_on, Backend};

fn blog() -> Vec<&'static ModelSchema> {
    vec![
        User::SCHEMA,
        Profile::SCHEMA,
        Category::SCHEMA,
        Post::SCHEMA,
        Comment::SCHEMA,
        Tag::SCHEMA,
        PostTag::SCHEMA,
    ]
}

/// One catalogue file and what its header says.
struct Case {
    name: String,
    dialect: Dialect,
    /// `-- expect: rule`: the rule that must flag it (dangerous files only).
    expect: Option<String>,
    sql: String,
}

fn catalogue(kind: &str) -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("lint-catalogue")
        .join(kind);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .collect();
    paths.sort();
    paths.iter().map(|path| case(path)).collect()
}

fn case(path: &Path) -> Case {
    let sql = std::fs::read_to_string(path).unwrap();
    let header = |key: &str| {
        sql.lines()
            .filter_map(|line| line.strip_prefix("-- "))
            .find_map(|line| line.strip_prefix(key))
            .map(|value| value.trim().to_string())
    };
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let dialect = match header("dialect:").as_deref() {
        Some("postgres") => Dialect::Postgres,
        Some("mysql") => Dialect::MySql,
        Some("sqlite") => Dialect::Sqlite,
        other => panic!("{name}: header `-- dialect:` is {other:?}"),
    };
    Case {
        name,
        dialect,
        expect: header("expect:"),
        sql,
    }
}

fn render(findings: &[Finding]) -> String {
    let shown: Vec<String> = findings.iter().map(Finding::to_string).collect();
    shown.join("\n\n")
}

#[test]
fn every_dangerous_migration_is_flagged_by_the_rule_its_header_names() {
    let cases = catalogue("dangerous");
    let mut missed = Vec::new();
    for case in &cases {
        let expect = (case.expect.as_deref())
            .unwrap_or_else(|| panic!("{}: no `-- expect:` header", case.name));
        let findings = lint(&case.sql, case.dialect, &blog());
        if !findings.iter().any(|f| f.rule == expect) {
            missed.push(format!(
                "{} (wanted {expect}):\n{}",
                case.name,
                render(&findings)
            ));
        }
    }
    assert!(missed.is_empty(), "not flagged:\n{}", missed.join("\n\n"));

    let mut rules: Vec<&str> = cases.iter().filter_map(|c| c.expect.as_deref()).collect();
    rules.sort();
    rules.dedup();
    assert!(
        cases.len() >= 15 && rules.len() >= 15,
        "{} cases, rules {rules:?}",
        cases.len()
    );
    for dialect in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
        assert!(cases.iter().filter(|c| c.dialect == dialect).count() >= 4);
    }
}

#[test]
fn dangerous_findings_read_as_reports() {
    for case in catalogue("dangerous") {
        let findings = lint(&case.sql, case.dialect, &blog());
        insta::assert_snapshot!(format!("lint_{}", case.name), render(&findings));
    }
}

#[test]
fn safe_migrations_pass() {
    let cases = catalogue("safe");
    assert!(cases.len() >= 10);
    for case in &cases {
        let findings = lint(&case.sql, case.dialect, &blog());
        assert!(findings.is_empty(), "{}:\n{}", case.name, render(&findings));
    }
}

/// The safe recipes are real SQL: each applies on its database, over the
/// blog schema, statement by statement as a no-transaction migration runs.
async fn apply_safe(backend: Backend) {
    for case in catalogue("safe")
        .into_iter()
        .filter(|c| c.dialect == backend.dialect())
    {
        run_on(backend, |db| async move {
            db.push_schema::<schema_examples::blog::BlogSchema>()
                .await?;
            for statement in statements(&case.sql) {
                if let Err(e) = exec(&db, &statement).await {
                    panic!("{}: `{statement}` failed on {backend}: {e}", case.name);
                }
            }
            Ok::<_, strata::Error>(())
        })
        .await;
    }
}

/// Runs raw SQL through whichever pool `db` has.
async fn exec(db: &Db, sql: &str) -> Result<(), sqlx::Error> {
    let sql = AssertSqlSafe(sql.to_owned());
    if let Some(pool) = db.as_postgres() {
        pool.execute(sql).await.map(drop)
    } else if let Some(pool) = db.as_mysql() {
        pool.execute(sql).await.map(drop)
    } else {
        db.as_sqlite().expect("a pool").execute(sql).await.map(drop)
    }
}

/// The catalogue writes one statement per `;`-ended line group.
fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in sql.lines().filter(|l| !l.trim_start().starts_with("--")) {
        current.push_str(line);
        current.push('\n');
        if line.trim_end().ends_with(';') {
            out.push(std::mem::take(&mut current));
        }
    }
    out
}

#[tokio::test]
async fn safe_migrations_apply_on_postgres() {
    apply_safe(Backend::Postgres).await;
}

#[tokio::test]
async fn safe_migrations_apply_on_mysql() {
    apply_safe(Backend::MySql).await;
}

#[tokio::test]
async fn safe_migrations_apply_on_sqlite() {
    apply_safe(Backend::Sqlite).await;
}

#[test]
fn a_finding_names_its_statement_line_and_file() {
    let sql = "SET lock_timeout = '1s';\n\n-- drop it\nALTER TABLE users\n  DROP COLUMN name;\n";
    let findings = lint(sql, Dialect::Postgres, &blog());
    assert_eq!(findings.len(), 1, "{}", render(&findings));
    let finding = &findings[0];
    assert_eq!(finding.rule, "mapped-column-removed");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.line, 4);
    assert_eq!(finding.statement, "ALTER TABLE users\n  DROP COLUMN name");
    assert!(
        finding.message.contains("Model `User`"),
        "{}",
        finding.message
    );

    let dir = tempfile::tempdir().unwrap();
    let migrations = MigrationsDir::new(dir.path());
    let migration = migrations
        .write(NewMigration {
            slug: "drop_name",
            up: sql,
            down: "",
            schema: None,
            no_transaction: false,
        })
        .unwrap();
    let findings = lint_migration(&migration, Dialect::Postgres, &blog());
    let shown = findings[0].to_string();
    let file = migration.path.join("up.sql");
    assert!(
        shown.starts_with(&format!(
            "{}:4: mapped-column-removed: Model `User` still maps `users.name`",
            file.display()
        )),
        "{shown}"
    );
    assert!(
        shown.contains("\n  statement: ALTER TABLE users"),
        "{shown}"
    );
    assert!(shown.contains("\n  fix: Contract last"), "{shown}");
}

#[test]
fn allow_comments_and_options_silence_one_rule() {
    let drop = "SET lock_timeout = '1s';\nALTER TABLE users DROP COLUMN name;\n";
    let allowed = "SET lock_timeout = '1s';\n-- strata:allow(mapped-column-removed)\nALTER TABLE users DROP COLUMN name;\n";
    assert_eq!(lint(drop, Dialect::Postgres, &blog()).len(), 1);
    // Allowing a rule also silences the plainer ones it stands for there.
    assert_eq!(lint(allowed, Dialect::Postgres, &blog()), []);
    let other = allowed.replace("mapped-column-removed", "ban-drop-column");
    let rules: Vec<String> = (lint(&other, Dialect::Postgres, &blog()).into_iter())
        .map(|f| f.rule)
        .collect();
    assert_eq!(rules, ["mapped-column-removed"]);
    let options = LintOptions {
        allow: vec!["mapped-column-removed".into(), "ban-drop-column".into()],
        ..LintOptions::default()
    };
    assert!(lint_with(drop, Dialect::Postgres, &blog(), &options).is_empty());
    // squawk's own ignore comments work on its rules.
    let ignored =
        "-- squawk-ignore require-concurrent-index-creation\nCREATE INDEX i ON posts (title);\n";
    let rules: Vec<String> = lint(ignored, Dialect::Postgres, &[])
        .into_iter()
        .map(|f| f.rule)
        .collect();
    assert_eq!(rules, ["require-lock-timeout"]);
}

#[test]
fn without_models_only_the_sql_rules_apply() {
    let sql = "SET lock_timeout = '1s';\nALTER TABLE users DROP COLUMN name;\n";
    let findings = lint(sql, Dialect::Postgres, &[]);
    let rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["ban-drop-column"]);
    assert_eq!(findings[0].severity, Severity::Warning);
}

#[test]
fn a_not_null_column_on_a_table_created_in_the_same_file_is_fine() {
    for (dialect, sql) in [
        (Dialect::Postgres, "SET lock_timeout = '1s';\nCREATE TABLE notes (id bigint PRIMARY KEY);\nALTER TABLE notes ADD COLUMN body text NOT NULL;\n"),
        (Dialect::Sqlite, "CREATE TABLE notes (id INTEGER PRIMARY KEY);\nALTER TABLE notes ADD COLUMN body TEXT NOT NULL DEFAULT '';\n"),
        (Dialect::MySql, "CREATE TABLE notes (id BIGINT PRIMARY KEY);\nALTER TABLE notes ADD COLUMN body TEXT NOT NULL;\n"),
    ] {
        let findings = lint(sql, dialect, &blog());
        assert!(findings.is_empty(), "{dialect:?}:\n{}", render(&findings));
    }
    // The same column on an existing, unmapped table is flagged.
    let later = "SET lock_timeout = '1s';\nALTER TABLE notes ADD COLUMN body text NOT NULL;\n";
    let rules: Vec<String> = lint(later, Dialect::Postgres, &blog())
        .into_iter()
        .map(|f| f.rule)
        .collect();
    assert_eq!(rules, ["not-null-without-default"]);
}

#[test]
fn a_foreign_key_is_supported_by_a_model_index_or_one_built_in_the_file() {
    // posts.author_id is indexed by the Post model; comments.author_id is not.
    let indexed = "-- strata:no-transaction\nSET lock_timeout = '1s';\nALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID;\n";
    assert!(lint(indexed, Dialect::Postgres, &blog()).is_empty());
    let built = "-- strata:no-transaction\nSET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY c_author ON comments (author_id, created_at);\nALTER TABLE comments ADD CONSTRAINT fk FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID;\n";
    assert!(lint(built, Dialect::Postgres, &blog()).is_empty());
    let unsupported = built.replace("(author_id, created_at)", "(created_at, author_id)");
    let rules: Vec<String> = lint(&unsupported, Dialect::Postgres, &blog())
        .into_iter()
        .map(|f| f.rule)
        .collect();
    assert_eq!(rules, ["fk-without-index"]);
}

#[test]
fn text_in_strings_and_comments_is_not_a_statement() {
    let sql = "/* ALTER TABLE users DROP COLUMN name; */\nUPDATE posts SET title = 'DROP TABLE users; ALTER TABLE posts DROP COLUMN title';\n-- DROP TABLE tags;\n";
    for dialect in [Dialect::MySql, Dialect::Sqlite, Dialect::Postgres] {
        let findings = lint(sql, dialect, &blog());
        assert!(findings.is_empty(), "{dialect:?}:\n{}", render(&findings));
    }
}

#[test]
fn a_migrations_folder_is_linted_file_by_file() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = MigrationsDir::new(dir.path());
    assert_eq!(lint_dir(&migrations, &blog()).unwrap(), []);
    migrations.ensure_dialect(Dialect::Postgres).unwrap();
    let index = "SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY posts_category_id_idx ON posts (category_id);\n";
    let write = |slug: &str, up: &str, no_transaction: bool| {
        migrations
            .write(NewMigration {
                slug,
                up,
                down: "",
                schema: None,
                no_transaction,
            })
            .unwrap()
    };
    let safe = write("index_category", index, true);
    let unsafe_ = write("index_again", index, false);
    let findings = lint_dir(&migrations, &blog()).unwrap();
    let files: Vec<_> = findings.iter().map(|f| f.file.clone().unwrap()).collect();
    assert_eq!(
        files,
        [unsafe_.path.join("up.sql")],
        "{}",
        render(&findings)
    );
    assert_eq!(findings[0].rule, "concurrently-in-transaction");
    assert!(lint_migration(&safe, Dialect::Postgres, &blog()).is_empty());
}

/// What the findings claim, checked on the real databases: the statements
/// they flag fail, or break the code that is running, as their messages say.
async fn refused(db: &Db, sql: &str) -> String {
    match exec(db, sql).await {
        Ok(()) => panic!("`{sql}` succeeded"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn postgres_does_what_the_findings_say() {
    run_on(Backend::Postgres, |db| async move {
        db.push_schema::<schema_examples::blog::BlogSchema>()
            .await?;
        User::create().email("ann@x.io").exec(&db).await?;
        // not-null-without-default: refused on a table with rows.
        let error = refused(&db, "ALTER TABLE users ADD COLUMN nickname text NOT NULL").await;
        assert!(error.contains("contains null values"), "{error}");
        // concurrently-in-transaction: refused in the
        // migration's transaction.
        let pool = db.as_postgres().unwrap();
        let mut tx = pool.begin().await?;
        let index = "CREATE INDEX CONCURRENTLY users_name_idx ON users (name)";
        let error = tx
            .execute(AssertSqlSafe(index))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("cannot run inside a transaction block"),
            "{error}"
        );
        tx.rollback().await?;
        // mapped-column-removed: the model's queries fail from then on.
        exec(&db, "ALTER TABLE users DROP COLUMN name").await?;
        let error = User::find_many().exec(&db).await.unwrap_err().to_string();
        assert!(error.contains("does not exist"), "{error}");
        Ok::<_, Box<dyn std::error::Error>>(())
    })
    .await;
}

#[tokio::test]
async fn mysql_does_what_the_findings_say() {
    run_on(Backend::MySql, |db| async move {
        db.push_schema::<schema_examples::blog::BlogSchema>().await?;
        // mysql-online-alter's recipe: stated online, a copying change is
        // refused instead of run.
        let narrowing = "ALTER TABLE posts MODIFY COLUMN views INT NOT NULL DEFAULT 0, ALGORITHM=INPLACE, LOCK=NONE";
        let error = refused(&db, narrowing).await;
        assert!(error.contains("ALGORITHM=INPLACE is not supported"), "{error}");
        // not-null-without-default: the ALTER succeeds, then the running
        // code's inserts, which do not set the column, fail.
        exec(&db, "ALTER TABLE users ADD COLUMN nickname VARCHAR(64) NOT NULL, ALGORITHM=INSTANT").await?;
        // (MariaDB: "Field 'nickname' doesn't have a default value", which
        // strata classifies as a NOT NULL violation.)
        let error = User::create().email("ann@x.io").exec(&db).await.unwrap_err();
        assert!(
            matches!(&error, strata::Error::NotNullViolation { column: Some(c), .. } if c == "nickname"),
            "{error:?}"
        );
        Ok::<_, Box<dyn std::error::Error>>(())
    })
    .await;
}

#[tokio::test]
async fn sqlite_does_what_the_findings_say() {
    run_on(Backend::Sqlite, |db| async move {
        db.push_schema::<schema_examples::blog::BlogSchema>()
            .await?;
        let ann = User::create().email("ann@x.io").exec(&db).await?;
        let post = |content: &str| {
            (Post::create().title("t").author_id(&ann.id))
                .content(content)
                .exec(&db)
        };
        post("hello").await?;
        // not-null-without-default: added to an empty table, refused on one
        // with rows.
        exec(&db, "ALTER TABLE tags ADD COLUMN slug TEXT NOT NULL").await?;
        let error = refused(&db, "ALTER TABLE users ADD COLUMN nickname TEXT NOT NULL").await;
        assert!(
            error.contains("Cannot add a NOT NULL column with default value NULL"),
            "{error}"
        );
        // mapped-column-removed: the model's writes fail from then on, and
        // its reads get the column's name back as the value (SQLite reads a
        // double-quoted name it cannot resolve as a string literal).
        exec(&db, "ALTER TABLE posts DROP COLUMN content").await?;
        let posts = Post::find_many().exec(&db).await?;
        assert_eq!(posts[0].content.as_deref(), Some("content"));
        let error = post("again").await.unwrap_err().to_string();
        assert!(error.contains("no column named content"), "{error}");
        Ok::<_, Box<dyn std::error::Error>>(())
    })
    .await;
}

#[test]
fn cut_off_or_mangled_sql_never_panics() {
    let mut files = catalogue("dangerous");
    files.extend(catalogue("safe"));
    for case in files {
        let mangled = case.sql.replace(['(', '\''], "").replace(';', " ( ");
        for sql in [case.sql.as_str(), mangled.as_str()] {
            let cuts = (0..sql.len())
                .step_by(5)
                .filter(|i| sql.is_char_boundary(*i));
            for cut in cuts {
                for dialect in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
                    let _ = lint(&sql[..cut], dialect, &blog());
                }
            }
        }
    }
}

/// The DDL strata renders for a new schema (the first generated migration)
/// passes on every dialect; PostgreSQL's with the lock timeout it starts with.
#[test]
fn the_blog_schema_as_strata_creates_it_passes() {
    for dialect in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
        let schema = db_schema(&blog(), dialect).unwrap();
        let mut sql = create_schema(dialect, &schema).join(";\n") + ";\n";
        if dialect == Dialect::Postgres {
            sql.insert_str(0, "SET lock_timeout = '2s';\n");
        }
        let findings = lint(&sql, dialect, &blog());
        assert!(findings.is_empty(), "{dialect:?}:\n{}", render(&findings));
    }
}

#[test]
fn other_spellings_of_the_same_change_are_recognised() {
    let lock = "SET lock_timeout = '1s';\n";
    let cases: [(Dialect, String, &[&str]); 10] = [
        (
            Dialect::Postgres,
            "SET LOCAL lock_timeout TO '2s';\nALTER TABLE posts ADD COLUMN subtitle text;".into(),
            &[],
        ),
        (
            // In the model, but not last: appending puts it out of order.
            Dialect::Postgres,
            format!("{lock}ALTER TYPE public.role ADD VALUE 'USER';"),
            &["require-enum-value-ordering"],
        ),
        (
            Dialect::Postgres,
            format!("{lock}ALTER TABLE ONLY public.\"posts\" DROP COLUMN IF EXISTS \"title\";"),
            &["mapped-column-removed"],
        ),
        (
            Dialect::Postgres,
            format!("{lock}ALTER TABLE posts ADD COLUMN subtitle text, DROP COLUMN content;"),
            &["mapped-column-removed"],
        ),
        (
            Dialect::Postgres,
            format!("{lock}ALTER TABLE posts ADD COLUMN editor_id text REFERENCES users (id);"),
            &["adding-foreign-key-constraint", "fk-without-index"],
        ),
        (
            Dialect::MySql,
            "ALTER TABLE `blog`.`posts` DROP `title`, ALGORITHM=INPLACE, LOCK=NONE;".into(),
            &["mapped-column-removed"],
        ),
        (
            Dialect::MySql,
            "RENAME TABLE posts TO articles, tags TO labels;".into(),
            &["mapped-table-removed", "mapped-table-removed"],
        ),
        (
            Dialect::MySql,
            "# a MySQL comment; DROP TABLE users;\nALTER TABLE posts ADD INDEX i (title);".into(),
            &["mysql-online-alter"],
        ),
        (
            Dialect::Sqlite,
            "ALTER TABLE [posts] RENAME COLUMN [title] TO [headline];".into(),
            &["mapped-column-removed"],
        ),
        (
            Dialect::Sqlite,
            "ALTER TABLE `tags` RENAME TO `labels`;".into(),
            &["mapped-table-removed"],
        ),
    ];
    for (dialect, sql, expected) in cases {
        let findings = lint(&sql, dialect, &blog());
        let rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, expected, "{dialect:?} {sql}:\n{}", render(&findings));
    }
}

#[test]
fn postgres_sql_squawk_cannot_read_is_reported_not_passed() {
    let sql = "SET lock_timeout = '1s';\nALTER TABLE posts ADD COLUMN;\n";
    let findings = lint(sql, Dialect::Postgres, &blog());
    let syntax: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.rule == "syntax-error")
        .collect();
    assert!(!syntax.is_empty(), "{}", render(&findings));
    assert_eq!(syntax[0].line, 2);
    assert_eq!(syntax[0].severity, Severity::Error);
}
