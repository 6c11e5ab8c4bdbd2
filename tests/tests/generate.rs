//! `generate` on real databases: the blog from an empty folder, then a
//! second model version (a renamed column by hint, an added column with a
//! default, an added index, an added self foreign key) whose migration
//! applies on top of existing rows without losing them; rolling everything
//! back leaves the database empty. Without the hint the diff refuses.

mod diff_cases;
mod runner_support;

use runner_support::{assert_lint_clean, count, exec, migrator, Folders};
use schema_examples::blog::{BlogSchema, Post, PostTag, Tag, User};
use strata::migrate::ddl::plan;
use strata::migrate::diff::Change;
use strata::migrate::diff::{diff, DiffOptions};
use strata::migrate::files::{MigrationsDir, NewMigration};
use strata::migrate::generate::{diff_database, generate};
use strata::migrate::introspect::introspect;
use strata::migrate::lint::{lint_with, LintOptions};
use strata::migrate::runner::State;
use strata::migrate::{from_models, DbSchema};
use strata::schema::ModelSchema;
use strata::{Dialect, Error, Model, ModelSet};
use strata_tests::backend_tests;

/// The blog's `Tag`, second version.
#[allow(dead_code)] // the derive's builder types the test does not use
mod v2 {
    use strata::{BelongsTo, HasMany, Model};

    #[derive(Model, Debug, Clone, PartialEq)]
    #[strata(table = "tags")]
    #[strata(index(fields(color)))]
    pub struct Tag {
        #[strata(id, default = autoincrement)]
        pub id: i32,
        /// Was `name`.
        #[strata(unique)]
        pub label: String,
        pub color: Option<String>,
        #[strata(default = 0)]
        pub weight: i32,
        #[strata(index)]
        pub parent_id: Option<i32>,
        #[strata(belongs_to(fields(parent_id), references(id)), on_delete = set_null)]
        pub parent: BelongsTo<Option<Tag>>,
        #[strata(has_many)]
        pub children: HasMany<Tag>,
    }
}

fn v2_models() -> Vec<&'static ModelSchema> {
    let mut models = BlogSchema::schemas();
    models.retain(|m| m.table != "tags");
    models.push(<v2::Tag as Model>::SCHEMA);
    models
}

backend_tests!(second_version_keeps_the_rows, |db| async move {
    let dialect = db.dialect();
    let folders = Folders::new();
    let dir = folders.dir();
    let v1 = BlogSchema::schemas();
    let init = generate(&v1, dialect, &dir, "init", &DiffOptions::default())?;
    let migrator = migrator(&db, &folders);
    migrator.deploy().await?;

    let ann = User::create().email("ann@x.io").exec(&db).await?;
    let post = Post::create()
        .title("p")
        .author_id(&ann.id)
        .exec(&db)
        .await?;
    for name in ["rust", "db"] {
        let tag = Tag::create().name(name).exec(&db).await?;
        PostTag::create()
            .post_id(post.id)
            .tag_id(tag.id)
            .exec(&db)
            .await?;
    }

    let v2 = v2_models();
    match generate(&v2, dialect, &dir, "tags_v2", &DiffOptions::default()) {
        Err(e @ Error::PossibleRename { .. }) => {
            assert!(e.to_string().contains("--rename tags.name=label"), "{e}")
        }
        other => panic!("without a hint the diff must refuse: {other:?}"),
    }
    assert_eq!(
        dir.list()?.len(),
        init.len(),
        "a refused generate writes nothing"
    );

    let options = DiffOptions {
        renames: vec!["tags.name=label".parse()?],
        allow_data_loss: false,
    };
    let pending = diff_database(&v2, &db, &options).await?;
    assert!(!pending.is_empty() && !pending.migrations.is_empty());
    let written = generate(&v2, dialect, &dir, "tags_v2", &options)?;
    assert_eq!(written.len(), pending.migrations.len());
    if dialect == Dialect::Postgres {
        assert_lint_clean(dialect, &written, &v2);
    }
    assert_eq!(migrator.deploy().await?.len(), written.len());

    assert_eq!(count(&db, "SELECT COUNT(*) FROM post_tags").await, 2);
    let q = if dialect == Dialect::MySql { '`' } else { '"' };
    let labelled = format!(
        "SELECT COUNT(*) FROM tags WHERE {q}label{q} IN ('rust', 'db') AND weight = 0 AND color IS NULL"
    );
    assert_eq!(count(&db, &labelled).await, 2, "the rows kept their values");
    let live = introspect(&db).await?;
    let target = from_models::db_schema(&v2, dialect)?;
    let left = diff(&live, &target, dialect, &DiffOptions::default())?;
    assert!(left.is_empty(), "{left:#?}");
    assert!(diff_database(&v2, &db, &DiffOptions::default())
        .await?
        .is_empty());

    let all = dir.list()?.len();
    assert_eq!(migrator.down(all).await?.len(), all);
    let after = introspect(&db).await?;
    assert!(
        after.tables.is_empty() && after.enums.is_empty(),
        "{after:#?}"
    );
    Ok::<_, Error>(())
});

backend_tests!(dropping_a_column_needs_allow_data_loss, |db| async move {
    let dialect = db.dialect();
    let folders = Folders::new();
    let dir = folders.dir();
    let v2 = v2_models();
    generate(&v2, dialect, &dir, "init", &DiffOptions::default())?;
    let migrator = migrator(&db, &folders);
    migrator.deploy().await?;
    let v1 = BlogSchema::schemas();
    let options = DiffOptions {
        renames: vec!["tags.label=name".parse()?],
        allow_data_loss: false,
    };
    match generate(&v1, dialect, &dir, "back", &options) {
        Err(Error::DataLoss { lost }) => {
            assert_eq!(lost, ["tags.color", "tags.weight", "tags.parent_id"])
        }
        other => panic!("dropping columns must be refused: {other:?}"),
    }
    let options = DiffOptions {
        allow_data_loss: true,
        ..options
    };
    let written = generate(&v1, dialect, &dir, "back", &options)?;
    migrator.deploy().await?;
    let live = introspect(&db).await?;
    let target = from_models::db_schema(&v1, dialect)?;
    assert!(diff(&live, &target, dialect, &DiffOptions::default())?.is_empty());
    migrator.down(written.len()).await?;
    let live = introspect(&db).await?;
    let before = from_models::db_schema(&v2, dialect)?;
    let left = diff(&live, &before, dialect, &DiffOptions::default())?;
    assert!(left.is_empty(), "the down restores the columns: {left:#?}");
    Ok::<_, Error>(())
});

/// Writes the folders `changes` make, the last recording `schema`; how many.
fn write_changes(
    dir: &MigrationsDir,
    dialect: Dialect,
    slug: &str,
    changes: &[Change],
    schema: &DbSchema,
) -> Result<usize, Error> {
    dir.ensure_dialect(dialect)?;
    let planned = plan(dialect, changes);
    for (i, m) in planned.iter().enumerate() {
        dir.write(NewMigration {
            slug: &format!("{slug}{}", m.suffix),
            up: &m.up,
            down: &m.down,
            schema: (i + 1 == planned.len()).then_some(schema),
            no_transaction: m.no_transaction,
        })?;
    }
    Ok(planned.len())
}

// Every change `diff_snapshots.rs` snapshots, applied to a real database
// holding a row, then rolled back: the live schema matches each side.
backend_tests!(
    every_snapshot_case_applies_and_rolls_back,
    |db| async move {
        let dialect = db.dialect();
        let q = if dialect == Dialect::MySql { '`' } else { '"' };
        for case in diff_cases::all() {
            if !case.dialects.contains(&dialect) {
                continue;
            }
            let (from, to) = case.schemas(dialect);
            // The refusals are the snapshots' business.
            let Ok(changes) = diff(&from, &to, dialect, &case.options) else {
                continue;
            };
            let name = case.name;
            let folders = Folders::new();
            let dir = folders.dir();
            let create = diff(
                &DbSchema::default(),
                &from,
                dialect,
                &DiffOptions::default(),
            )?;
            let base = write_changes(&dir, dialect, "base", &create, &from)?;
            let migrator = migrator(&db, &folders);
            migrator.deploy().await?;
            let rows = format!(
                "INSERT INTO users (email, {q}name{q}) VALUES ('ann@x.io', 'ann');\n\
             INSERT INTO posts (user_id, title) VALUES (1, 'hello');"
            );
            exec(&db, &rows).await.map_err(Error::from)?;

            let written = write_changes(&dir, dialect, name, &changes, &to)?;
            if dialect == Dialect::Postgres {
                // Without models, a file's linter cannot see the index the
                // next (`_indexes`) folder builds for a new foreign key; the
                // tests above lint with the models, which declare it.
                let options = LintOptions {
                    allow: vec!["fk-without-index".into()],
                    ..LintOptions::default()
                };
                for m in dir.list()?.into_iter().skip(base) {
                    let findings = lint_with(&m.up, dialect, &[], &options);
                    assert!(findings.is_empty(), "{name}: {}\n{findings:#?}", m.up);
                }
            }
            if let Err(e) = migrator.deploy().await {
                panic!("{name}: up failed: {e}");
            }
            let live = introspect(&db).await?;
            let left = diff(&live, &to, dialect, &DiffOptions::default())?;
            assert!(left.is_empty(), "{name}: after up: {left:#?}");
            let users = if to.table("users").is_some() {
                "users"
            } else {
                "accounts"
            };
            let rows = count(&db, &format!("SELECT COUNT(*) FROM {users}")).await;
            assert_eq!(rows, 1, "{name}");

            if let Err(e) = migrator.down(written).await {
                panic!("{name}: down failed: {e}");
            }
            let live = introspect(&db).await?;
            let left = diff(&live, &from, dialect, &DiffOptions::default())?;
            assert!(left.is_empty(), "{name}: after down: {left:#?}");
            assert_eq!(count(&db, "SELECT COUNT(*) FROM users").await, 1, "{name}");

            migrator.down(base).await?;
            exec(&db, "DROP TABLE _strata_migrations")
                .await
                .map_err(Error::from)?;
            let live = introspect(&db).await?;
            assert!(live.tables.is_empty() && live.enums.is_empty(), "{name}");
        }
        Ok::<_, Error>(())
    }
);

// A change the rows cannot take (NOT NULL over a NULL) fails, and the rows
// and the schema stay as they were: PostgreSQL's validation fails in the
// `_indexes` part, SQLite's rebuild rolls back its own transaction, MySQL's
// single ALTER refuses.
backend_tests!(a_change_the_rows_refuse_loses_nothing, |db| async move {
    let dialect = db.dialect();
    let case = (diff_cases::all().into_iter())
        .find(|c| c.name == "set_not_null")
        .expect("the set_not_null case");
    let (from, to) = case.schemas(dialect);
    let folders = Folders::new();
    let dir = folders.dir();
    let create = diff(
        &DbSchema::default(),
        &from,
        dialect,
        &DiffOptions::default(),
    )?;
    write_changes(&dir, dialect, "base", &create, &from)?;
    let migrator = migrator(&db, &folders);
    migrator.deploy().await?;
    exec(&db, "INSERT INTO users (email) VALUES ('nameless@x.io')")
        .await
        .map_err(Error::from)?;
    let changes = diff(&from, &to, dialect, &DiffOptions::default())?;
    write_changes(&dir, dialect, "name_required", &changes, &to)?;
    let failed = migrator.deploy().await;
    assert!(failed.is_err(), "NOT NULL over a NULL must fail");
    let status = migrator.status().await?;
    assert_eq!(status.in_state(&State::Failed).count(), 1, "{status}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users").await, 1);
    let live = introspect(&db).await?;
    let nullable = live
        .table("users")
        .and_then(|t| t.column("name"))
        .map(|c| c.nullable);
    assert_eq!(
        nullable,
        Some(true),
        "{dialect:?}: the column is still nullable"
    );
    if dialect == Dialect::Sqlite {
        // The rebuild's own transaction rolled back: the old table is whole.
        assert!(diff(&live, &from, dialect, &DiffOptions::default())?.is_empty());
    }
    Ok::<_, Error>(())
});
