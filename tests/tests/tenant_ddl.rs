//! Row-level security in DDL (issue 9): a `row_level_security` tenant model's
//! table gets ENABLE + FORCE ROW LEVEL SECURITY and a `<table>_tenant_isolation`
//! policy on PostgreSQL, from `push_schema` and from generated migrations;
//! SQLite and MySQL get none. On real PostgreSQL: generate, apply, and a
//! second generate (and the live diff) finds nothing; turning it off and on
//! and widening the tenant column each make the matching migration, which
//! applies and rolls back; and the policy holds a non-owner, non-superuser
//! role to its tenant.

mod runner_support;

use runner_support::{assert_lint_clean, count, exec, migrator, Folders};
use schema_examples::saas::SaasSchema;
use sqlx::{AssertSqlSafe, Connection as _, Executor as _};
use strata::migrate::ddl::{create, plan};
use strata::migrate::diff::{diff, DiffOptions};
use strata::migrate::from_models;
use strata::migrate::generate::{diff_database, generate};
use strata::schema::{KeySchema, ModelSchema, TenantSchema};
use strata::{Db, Dialect, Model, ModelSet};
use strata_tests::{run_on, url_of, Backend, DIALECTS};

#[allow(dead_code)] // the derive's builders the test does not use
mod models {
    use strata::Model;

    /// The tenant column as `integer`.
    #[derive(Model, Debug)]
    #[strata(table = "projects")]
    pub struct Project {
        #[strata(id, default = autoincrement)]
        pub id: i64,
        pub tenant_id: i32,
        pub name: String,
    }

    /// The same table, the tenant column widened to `bigint`.
    #[derive(Model, Debug)]
    #[strata(table = "projects")]
    pub struct ProjectWide {
        #[strata(id, default = autoincrement)]
        pub id: i64,
        pub tenant_id: i64,
        pub name: String,
    }

    /// A table that is not tenant-scoped: never a policy.
    #[derive(Model, Debug)]
    #[strata(table = "plans")]
    pub struct Plan {
        #[strata(id, default = autoincrement)]
        pub id: i64,
        pub name: String,
    }
}

use models::{Plan, Project, ProjectWide};

/// `model` tenant-scoped by `tenant_id`, with row-level security `rls`; a
/// copy, so the test does not depend on the attribute's parsing.
fn tenant(model: &'static ModelSchema, rls: bool) -> &'static ModelSchema {
    let column = (model.columns.iter())
        .position(|c| c.name == "tenant_id")
        .expect("a tenant_id column");
    Box::leak(Box::new(ModelSchema {
        name: model.name,
        table: model.table,
        columns: model.columns,
        primary_key: KeySchema {
            name: model.primary_key.name,
            columns: model.primary_key.columns,
        },
        uniques: model.uniques,
        foreign_keys: model.foreign_keys,
        indexes: model.indexes,
        checks: model.checks,
        relations: model.relations,
        version: model.version,
        soft_delete: model.soft_delete,
        tenant: Some(TenantSchema {
            column,
            row_level_security: rls,
        }),
    }))
}

fn with_rls() -> Vec<&'static ModelSchema> {
    vec![tenant(Project::SCHEMA, true), Plan::SCHEMA]
}

fn without_rls() -> Vec<&'static ModelSchema> {
    vec![tenant(Project::SCHEMA, false), Plan::SCHEMA]
}

fn widened() -> Vec<&'static ModelSchema> {
    vec![tenant(ProjectWide::SCHEMA, true), Plan::SCHEMA]
}

#[test]
fn create_ddl_per_dialect() {
    for (dialect, suffix) in DIALECTS {
        let schema = from_models::db_schema(&with_rls(), dialect).unwrap();
        let ddl = create::create_schema(dialect, &schema);
        insta::assert_snapshot!(format!("rls_create@{suffix}"), ddl.join(";\n\n"));
        let drop = create::drop_schema(dialect, &schema);
        insta::assert_snapshot!(format!("rls_drop@{suffix}"), drop.join(";\n"));
    }
}

/// The SaaS example's models, whose attribute (`tenant = tenant_id,
/// row_level_security`) the derive turns into the descriptor: a policy per
/// tenant table on PostgreSQL (not on `saas_tenants`), none elsewhere.
#[test]
fn saas_example_ddl_per_dialect() {
    for (dialect, suffix) in DIALECTS {
        let schema = from_models::db_schema(&SaasSchema::schemas(), dialect).unwrap();
        let ddl = create::create_schema(dialect, &schema).join(";\n\n");
        let policies = ddl.matches("CREATE POLICY").count();
        assert_eq!(policies, if dialect == Dialect::Postgres { 3 } else { 0 });
        insta::assert_snapshot!(format!("saas_create@{suffix}"), ddl);
    }
}

#[tokio::test]
async fn saas_example_migrates_in_sync() {
    run_on(Backend::Postgres, |db| async move {
        let dir = Folders::new();
        let models = SaasSchema::schemas();
        let options = DiffOptions::default();
        let written = generate(&models, Dialect::Postgres, &dir.dir(), "init", &options).unwrap();
        assert_lint_clean(Dialect::Postgres, &written, &models);
        migrator(&db, &dir).deploy().await.unwrap();
        let forced = count(
            &db,
            "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relrowsecurity AND c.relforcerowsecurity",
        )
        .await;
        assert_eq!(forced, 3);
        assert_in_sync(&db, &models, &dir, "the SaaS example").await;
    })
    .await;
}

/// The migration text of each change (PostgreSQL; none elsewhere).
#[test]
fn migration_ddl() {
    let schema =
        |models: &[&'static ModelSchema], dialect| from_models::db_schema(models, dialect).unwrap();
    let steps = [
        ("rls_off", with_rls(), without_rls()),
        ("rls_on", without_rls(), with_rls()),
        ("rls_widen", with_rls(), widened()),
    ];
    for (name, from, to) in steps {
        for (dialect, suffix) in DIALECTS {
            let changes = diff(
                &schema(&from, dialect),
                &schema(&to, dialect),
                dialect,
                &DiffOptions::default(),
            )
            .unwrap();
            let text = (plan::plan(dialect, &changes).iter())
                .map(|m| format!("-- up{}\n{}\n-- down\n{}", m.suffix, m.up, m.down))
                .collect::<Vec<_>>()
                .join("\n");
            insta::assert_snapshot!(format!("{name}@{suffix}"), text);
            if dialect != Dialect::Postgres && name != "rls_widen" {
                assert!(changes.is_empty(), "{name} on {suffix}: {changes:?}");
            }
        }
    }
}

/// `relrowsecurity`, `relforcerowsecurity` and the policy count of `projects`.
async fn rls_state(db: &Db) -> (i64, i64, i64) {
    let flag = |column: &str| {
        format!("SELECT {column}::int::int8 FROM pg_class WHERE oid = 'projects'::regclass")
    };
    (
        count(db, &flag("relrowsecurity")).await,
        count(db, &flag("relforcerowsecurity")).await,
        count(
            db,
            "SELECT COUNT(*) FROM pg_policy WHERE polrelid = 'projects'::regclass \
             AND polname = 'projects_tenant_isolation'",
        )
        .await,
    )
}

async fn assert_in_sync(db: &Db, models: &[&'static ModelSchema], dir: &Folders, what: &str) {
    let live = diff_database(models, db, &DiffOptions::default())
        .await
        .unwrap();
    assert!(live.is_empty(), "{what}: the database differs: {live:?}");
    let again = generate(
        models,
        Dialect::Postgres,
        &dir.dir(),
        "again",
        &DiffOptions::default(),
    )
    .unwrap();
    assert!(
        again.is_empty(),
        "{what}: a second generate wrote {again:?}"
    );
}

#[tokio::test]
async fn migrations_generate_apply_toggle_and_widen() {
    run_on(Backend::Postgres, |db| async move {
        let dir = Folders::new();
        let runner = migrator(&db, &dir);
        let options = DiffOptions::default();
        let pg = Dialect::Postgres;

        let written = generate(&with_rls(), pg, &dir.dir(), "init", &options).unwrap();
        assert_lint_clean(pg, &written, &with_rls());
        assert!(written[0].up.contains("CREATE POLICY"), "{}", written[0].up);
        runner.deploy().await.unwrap();
        assert_eq!(rls_state(&db).await, (1, 1, 1));
        assert_in_sync(&db, &with_rls(), &dir, "after init").await;
        assert_isolated(&db).await;

        let written = generate(&without_rls(), pg, &dir.dir(), "rls_off", &options).unwrap();
        assert_eq!(written.len(), 1, "{written:?}");
        assert_lint_clean(pg, &written, &without_rls());
        runner.deploy().await.unwrap();
        assert_eq!(rls_state(&db).await, (0, 0, 0));
        assert_in_sync(&db, &without_rls(), &dir, "after turning it off").await;

        generate(&with_rls(), pg, &dir.dir(), "rls_on", &options).unwrap();
        runner.deploy().await.unwrap();
        assert_eq!(rls_state(&db).await, (1, 1, 1));
        assert_in_sync(&db, &with_rls(), &dir, "after turning it on").await;

        // PostgreSQL refuses to change the type of a column a policy uses:
        // the policy is dropped first and made again with the new cast.
        let written = generate(&widened(), pg, &dir.dir(), "widen", &options).unwrap();
        let up: String = written.iter().map(|m| m.up.as_str()).collect();
        assert!(up.contains("::bigint"), "{up}");
        runner.deploy().await.unwrap();
        assert_in_sync(&db, &widened(), &dir, "after widening").await;
        let cast = count(
            &db,
            "SELECT COUNT(*) FROM pg_policies WHERE tablename = 'projects' \
             AND qual LIKE '%::bigint)'",
        )
        .await;
        assert_eq!(cast, 1, "the policy casts to the new type");
        assert_isolated(&db).await;

        // Every step rolls back, newest first, to an empty schema.
        let applied = runner.status().await.unwrap().migrations.len();
        runner.down(applied).await.unwrap();
        let tables = count(
            &db,
            "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() \
             AND tablename IN ('projects', 'plans')",
        )
        .await;
        assert_eq!(tables, 0);
    })
    .await;
}

#[tokio::test]
async fn push_and_reset_schema_match_the_migrations() {
    run_on(Backend::Postgres, |db| async move {
        let statements = strata::render::create_schema(&with_rls(), Dialect::Postgres).unwrap();
        for statement in &statements {
            exec(&db, statement).await.unwrap();
        }
        assert_eq!(rls_state(&db).await, (1, 1, 1));
        let live = diff_database(&with_rls(), &db, &DiffOptions::default())
            .await
            .unwrap();
        assert!(live.is_empty(), "{live:?}");
        // The reset drops the tables, their policies with them, and makes
        // them again: twice, so nothing is left behind to collide with.
        for _ in 0..2 {
            let mut all = strata::render::drop_schema(&with_rls(), Dialect::Postgres).unwrap();
            all.extend(statements.iter().cloned());
            for statement in &all {
                exec(&db, statement).await.unwrap();
            }
        }
        assert_eq!(rls_state(&db).await, (1, 1, 1));
        assert_isolated(&db).await;
    })
    .await;
}

/// Rows of tenants 1 and 2 written as the owner (a superuser, whom no
/// policy binds); then a role without BYPASSRLS that is not the owner sees
/// and writes only the tenant its transaction names, and nothing without one.
async fn assert_isolated(db: &Db) {
    exec(db, "DELETE FROM projects").await.unwrap();
    exec(
        db,
        "INSERT INTO projects (tenant_id, name) VALUES (1, 'a'), (1, 'b'), (2, 'c')",
    )
    .await
    .unwrap();
    // Roles are the server's, not the test schema's: one per call.
    static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let role = format!("strata_rls_{}_{call}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&url_of(db)).await.unwrap();
    let setup = format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN \
         CREATE ROLE {role} NOLOGIN; END IF; END $$; \
         GRANT USAGE ON SCHEMA \"{schema}\" TO {role}; \
         GRANT SELECT, INSERT, UPDATE, DELETE ON projects TO {role}; \
         SET ROLE {role}",
        schema = current_schema(&mut conn).await,
    );
    conn.execute(AssertSqlSafe(setup)).await.unwrap();
    let visible = |tenant: &str| {
        format!(
            "BEGIN; SELECT set_config('app.tenant_id', '{tenant}', true); \
             SELECT COUNT(*) FROM projects"
        )
    };
    for (tenant, expected) in [("1", 2_i64), ("2", 1), ("3", 0), ("", 0)] {
        let mut rows = sqlx::raw_sql(AssertSqlSafe(visible(tenant)))
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let seen: i64 = sqlx::Row::get(&rows.pop().unwrap(), 0);
        conn.execute("COMMIT").await.unwrap();
        assert_eq!(seen, expected, "tenant {tenant:?}");
    }
    // Without any setting in this session: no row, and no error.
    let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(seen, 0);
    // Writing another tenant's row is refused by WITH CHECK.
    conn.execute("BEGIN; SELECT set_config('app.tenant_id', '1', true)")
        .await
        .unwrap();
    let foreign = conn
        .execute("INSERT INTO projects (tenant_id, name) VALUES (2, 'x')")
        .await;
    assert!(
        foreign.is_err_and(|e| e.to_string().contains("row-level security")),
        "an insert for tenant 2 under tenant 1"
    );
    conn.execute("ROLLBACK").await.unwrap();
    let cleanup = format!(
        "RESET ROLE; REVOKE ALL ON projects FROM {role}; \
         REVOKE USAGE ON SCHEMA \"{schema}\" FROM {role}; DROP ROLE {role}",
        schema = current_schema(&mut conn).await,
    );
    conn.execute(AssertSqlSafe(cleanup)).await.unwrap();
    conn.close().await.unwrap();
}

async fn current_schema(conn: &mut sqlx::PgConnection) -> String {
    sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(conn)
        .await
        .unwrap()
}
