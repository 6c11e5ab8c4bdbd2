//! What protects tenants besides the filter: `MissingTenant` outside any
//! scope, soft delete never replacing the tenant condition, what
//! `unscoped()` and raw SQL see in each mode, sessions that carry nothing
//! to the next user, and the RLS policies themselves.

use super::seed::{rows_of, Fx, A, B};
use super::*;
use crate::tenancy_support::world::Mode;
use std::future::Future;
use strata::dsl::*;
use strata::observe::Scope;
use strata::tenant::{self, scope, unscoped};
use strata::{sql, Error};

/// The tenant tables: no statement may name one without a scope.
const TENANT_TABLES: [&str; 5] = [
    "tn_teams",
    "tn_projects",
    "tn_tasks",
    "tn_tags",
    "tn_project_tags",
];

/// Runs `work` outside any scope and asserts it failed with
/// `MissingTenant { model }` without sending a statement that touches a
/// tenant table (a transaction's BEGIN/ROLLBACK, a shared parent's own
/// SELECT before its include may go).
async fn missing<T: std::fmt::Debug>(
    model: &str,
    what: &str,
    work: impl Future<Output = Result<T, Error>>,
) {
    assert!(tenant::current().is_none());
    let (result, report) = Scope::new().run(work).await;
    match result {
        Err(Error::MissingTenant { model: m }) => assert_eq!(m, model, "{what}"),
        other => panic!("{what}: expected MissingTenant, got {other:?}"),
    }
    let touching: Vec<&String> = (report.statements().iter())
        .filter(|s| {
            TENANT_TABLES
                .iter()
                .any(|t| s.contains(&format!("\"{t}\"")) || s.contains(&format!("`{t}`")))
        })
        .collect();
    assert_eq!(touching, Vec::<&String>::new(), "{what}: sent");
}

/// Every kind of call on a tenant model, with no scope: MissingTenant, and
/// nothing written. A model reaching no tenant table needs no scope.
pub async fn missing_tenant(fx: Fx) {
    let (db, a, planted) = (fx.db(), &*fx.a, &*fx.planted);
    let a_before = rows_of(&fx.w, A).await;
    missing("Team", "find_many", Team::find_many().exec(db)).await;
    missing(
        "Team",
        "find_unique",
        Team::find_unique(Team::by_id(a.team1.id)).exec(db),
    )
    .await;
    missing(
        "Team",
        "find_by_code",
        Team::find_by_code(&a.team1.code).exec(db),
    )
    .await;
    missing("Project", "find_first", Project::find_first().exec(db)).await;
    missing("Project", "count", Project::count().exec(db)).await;
    missing("Project", "exists", Project::exists().exec(db)).await;
    missing(
        "Project",
        "aggregate",
        Project::aggregate(sum(Project::points())).exec(db),
    )
    .await;
    let groups = Project::group_by(Project::team_id()).aggregate(count_all());
    missing("Project", "group_by", groups.exec(db)).await;
    missing("Tag", "create", Tag::create().name("x").exec(db)).await;
    missing(
        "Tag",
        "create naming a tenant",
        Tag::create().tenant_id(A).name("x").exec(db),
    )
    .await;
    missing(
        "Tag",
        "create_many",
        Tag::create_many([Tag::create().name("x")]).exec(db),
    )
    .await;
    missing(
        "Team",
        "update",
        Team::update(Team::by_id(a.team1.id)).name("x").exec(db),
    )
    .await;
    missing(
        "Task",
        "update_many",
        Task::update_many(Task::done().eq(false))
            .done(true)
            .exec(db),
    )
    .await;
    missing(
        "Task",
        "delete",
        Task::delete(Task::by_id(a.tasks[0].id)).exec(db),
    )
    .await;
    missing("Project", "delete_many", Project::delete_many().exec(db)).await;
    missing(
        "Project",
        "restore",
        Project::restore(Project::by_id(a.p2.id)).exec(db),
    )
    .await;
    let upsert = Team::upsert(
        Team::by_code(&a.team1.code),
        Team::create().name("x").code(&a.team1.code),
        Team::changes().name("x"),
    );
    missing("Team", "upsert", upsert.exec(db)).await;
    let include = Project::find_many().include(Project::tasks());
    missing("Project", "find_many with an include", include.exec(db)).await;
    let select = strata::select(Task::title()).from::<Task>();
    missing("Task", "select builder", select.fetch_all(db)).await;
    let tx = db.transaction(|tx| Box::pin(async move { Task::count().exec(tx).await }));
    missing("Task", "a statement in a transaction", tx).await;
    if fx.w.mode != Mode::Schema {
        // From a shared model, at depth.
        let shared = Region::find_many().exec(db).await.unwrap();
        assert_eq!(shared.len(), 2, "a shared model needs no scope");
        let include = Region::find_many().include(Region::teams());
        missing("Team", "include from a shared model", include.exec(db)).await;
        let filter = Region::find_many().filter(Region::teams().some(Team::name().eq("x")));
        missing(
            "Team",
            "relation filter from a shared model",
            filter.exec(db),
        )
        .await;
        let counted = Region::find_many().with_count(Region::teams());
        missing("Team", "_count from a shared model", counted.exec(db)).await;
        let join = strata::select((Region::name(), Team::name()))
            .from::<Region>()
            .inner_join::<Team>(eq(Team::region_id(), Region::id()));
        missing("Team", "a joined tenant table", join.fetch_all(db)).await;
    }
    // A spawned task does not inherit the scope; carried over, it does.
    let db2 = db.clone();
    let spawned = scope(A, async move {
        tokio::spawn(async move { Team::count().exec(&db2).await })
            .await
            .unwrap()
    });
    assert!(matches!(
        spawned.await,
        Err(Error::MissingTenant { model: "Team" })
    ));
    let db2 = db.clone();
    let carried = scope(A, async move {
        let tenant = tenant::current().unwrap();
        tokio::spawn(tenant.scope(async move { Team::count().exec(&db2).await }))
            .await
            .unwrap()
    });
    assert_eq!(carried.await.unwrap(), 2);
    let _ = planted;
    assert_eq!(rows_of(&fx.w, A).await, a_before, "nothing of A's written");
}

/// The classic bug: another filter (here soft delete) replacing the tenant
/// condition instead of adding to it. A sees its own deleted p2 through
/// with_deleted / only_deleted, never B's p2 nor the planted deleted row.
pub async fn soft_delete_keeps_the_tenant_filter(fx: Fx) {
    let (db, a, b, planted) = (fx.db(), &*fx.a, &*fx.b, &*fx.planted);
    let ids = |rows: Vec<Project>| rows.into_iter().map(|p| p.id).collect::<Vec<_>>();
    scope(A, async {
        let live = Project::find_many()
            .order_by(Project::name().asc())
            .exec(db)
            .await;
        assert_eq!(ids(live.unwrap()), [a.p1.id, a.p3.id]);
        let all = Project::find_many()
            .with_deleted()
            .order_by(Project::name().asc())
            .exec(db)
            .await;
        assert_eq!(
            ids(all.unwrap()),
            [a.p1.id, a.p2.id, a.p3.id],
            "with_deleted"
        );
        let trash = Project::find_many().only_deleted().exec(db).await.unwrap();
        assert_eq!(trash, std::slice::from_ref(&a.p2), "only_deleted");
        assert_eq!(Project::count().with_deleted().exec(db).await.unwrap(), 3);
        assert_eq!(Project::count().only_deleted().exec(db).await.unwrap(), 1);
        let b_trash = Project::exists()
            .only_deleted()
            .filter(Project::id().eq(planted.deleted.id));
        assert!(!b_trash.exec(db).await.unwrap());
        let b_p2 = Project::find_unique(Project::by_id(b.p2.id))
            .with_deleted()
            .exec(db)
            .await;
        assert_eq!(b_p2.unwrap(), None);
        let worst = Project::find_first()
            .only_deleted()
            .order_by(Project::points().desc());
        assert_eq!(
            worst.exec(db).await.unwrap().map(|p| p.id),
            Some(a.p2.id),
            "not 2000"
        );
        let sum_all = Project::aggregate(sum(Project::points()))
            .with_deleted()
            .exec(db)
            .await;
        assert_eq!(sum_all.unwrap(), Some(35));
        let sum_trash = Project::aggregate(sum(Project::points()))
            .only_deleted()
            .exec(db)
            .await;
        assert_eq!(sum_trash.unwrap(), Some(20));
        let groups: Vec<(Uuid, i64)> = Project::group_by(Project::team_id())
            .aggregate(count_all())
            .with_deleted()
            .exec(db)
            .await
            .unwrap();
        let mut groups = groups;
        groups.sort();
        let mut expected = vec![(a.team1.id, 2), (a.team2.id, 1)];
        expected.sort();
        assert_eq!(groups, expected, "group_by with_deleted");
        let names = strata::select(Project::name())
            .from::<Project>()
            .with_deleted();
        let mut names = names.fetch_all(db).await.unwrap();
        names.sort();
        assert_eq!(names, ["p1", "p2", "p3"], "select builder with_deleted");
        let teams = Team::find_many()
            .filter(Team::projects().some(Project::name().eq("planted-deleted")))
            .exec(db)
            .await;
        assert_eq!(teams.unwrap(), []);

        not_found(
            Project::restore(Project::by_id(b.p2.id)).exec(db).await,
            "restore B's",
        );
        let planted_back = Project::restore(Project::by_id(planted.deleted.id))
            .exec(db)
            .await;
        not_found(
            planted_back,
            "restore of B's deleted project under A's team",
        );
        let n = Project::restore_many()
            .filter(Project::points().gt(0))
            .exec(db)
            .await;
        assert_eq!(n.unwrap(), 1, "A's p2 only");
        let n = Project::delete_many().exec(db).await.unwrap();
        assert_eq!(n, 3, "A's three, not the planted live one");
        assert_eq!(Project::count().only_deleted().exec(db).await.unwrap(), 3);
    })
    .await;
}

fn not_found<T: std::fmt::Debug>(result: Result<T, Error>, what: &str) {
    assert!(
        matches!(result, Err(Error::NotFound { .. })),
        "{what}: {result:?}"
    );
}

/// What `unscoped()` sees on the application's `Db`: both tenants (Column);
/// nothing, the role having no tenant (RLS); no tenant schema (schema).
pub async fn unscoped_reads(fx: Fx) {
    let db = fx.db();
    let teams = unscoped(Team::find_many().exec(db)).await;
    match fx.w.mode {
        Mode::Column => {
            let tenants: Vec<i64> = teams.unwrap().iter().map(|t| t.tenant_id).collect();
            assert_eq!(
                tenants.iter().filter(|t| **t == A).count(),
                2,
                "{tenants:?}"
            );
            assert_eq!(
                tenants.iter().filter(|t| **t == B).count(),
                3,
                "{tenants:?}"
            );
            let all = unscoped(Project::count().with_deleted().exec(db)).await;
            assert_eq!(all.unwrap(), 8);
        }
        Mode::Rls => assert_eq!(teams.unwrap(), [], "the app role, no tenant set: no rows"),
        Mode::Schema => assert!(
            teams.as_ref().map_or(true, |t| t.is_empty()),
            "unscoped, the app's search_path has no tenant table: {teams:?}"
        ),
    }
}

/// Raw SQL that forgets the filter: strata does not filter it (Column; it
/// sees B's rows, as documented); the database does (RLS: only A's rows,
/// and B's rows can be neither written nor created); the schema does.
pub async fn raw_sql(fx: Fx) {
    let (db, a) = (fx.db(), &*fx.a);
    let a_ids = [a.p1.id, a.p2.id, a.p3.id];
    scope(A, async {
        let rows: Vec<(Uuid, i64)> = sql!("SELECT {Project::id}, {Project::tenant_id} FROM {Project}")
            .fetch_all(db)
            .await
            .unwrap();
        match fx.w.mode {
            Mode::Column => assert_eq!(rows.len(), 8, "raw SQL is not filtered in Column mode"),
            Mode::Rls => {
                let mut ids: Vec<Uuid> = rows.iter().map(|(id, _)| *id).collect();
                ids.sort();
                let mut expected = a_ids.to_vec();
                expected.sort();
                assert_eq!(ids, expected, "RLS: A's rows, deleted ones too");
            }
            Mode::Schema => {
                // A's schema: A's three and the two planted there.
                assert_eq!(rows.len(), 5, "{rows:?}");
                assert!(rows.iter().all(|(id, _)| *id != fx.b.p1.id));
            }
        }
        if fx.w.mode == Mode::Rls {
            let n = sql!("UPDATE {Project} SET {Project::points:bare} = 0").execute(db).await;
            assert_eq!(n.unwrap(), 3, "a raw UPDATE with no WHERE: A's rows only");
            let n = sql!("DELETE FROM {ProjectTag}").execute(db).await;
            assert_eq!(n.unwrap(), 3, "a raw DELETE with no WHERE: A's rows only");
            let id = Uuid::new_v4();
            let project = a.p1.id;
            let forged = sql!(
                "INSERT INTO {Task} ({Task::id:bare}, {Task::tenant_id:bare}, {Task::project_id:bare}, {Task::title:bare}, {Task::done:bare}) VALUES ({id}, {B}, {project}, {\"forged\"}, {false})"
            )
            .execute(db)
            .await;
            assert!(forged.is_err(), "a raw INSERT of B's row: {forged:?}");
        }
    })
    .await;
    if fx.w.mode == Mode::Rls {
        let rows = sql!("SELECT {Team::id} FROM {Team}")
            .fetch_all::<(Uuid,)>(db)
            .await;
        let seen = rows.as_ref().map_or(0, Vec::len);
        assert_eq!(
            seen, 0,
            "no scope, the database shows the app role nothing: {rows:?}"
        );
    }
}

/// A pooled connection carries no tenant to its next user: one connection,
/// A then B then no scope.
pub async fn sessions_carry_nothing_over(fx: Fx) {
    let one = fx.w.app_with_pool(1).await;
    let a_names = scope(A, Team::find_many().exec(&one)).await.unwrap();
    assert!(a_names.iter().all(|t| t.tenant_id == A) && a_names.len() == 2);
    let b_names = scope(B, Team::find_many().exec(&one)).await.unwrap();
    // Schema mode: the planted team lives in A's schema.
    let b_teams = if fx.w.mode == Mode::Schema { 2 } else { 3 };
    assert!(b_names.iter().all(|t| t.tenant_id == B) && b_names.len() == b_teams);
    // In a transaction too, which ends and hands the connection back.
    let in_tx = scope(
        A,
        one.transaction(|tx| Box::pin(async move { Team::count().exec(tx).await })),
    );
    assert_eq!(in_tx.await.unwrap(), 2);
    match fx.w.mode {
        Mode::Column => {}
        Mode::Rls => {
            let setting: Option<String> = sql!("SELECT current_setting('app.tenant_id', true)")
                .fetch_scalar(&one)
                .await
                .unwrap();
            assert!(
                setting.as_deref().unwrap_or("").is_empty(),
                "left over: {setting:?}"
            );
        }
        Mode::Schema => {
            let path: String = sql!("SELECT current_setting('search_path')")
                .fetch_scalar(&one)
                .await
                .unwrap();
            let test_schema = fx.w.pg_schema.clone().unwrap();
            assert_eq!(path.trim_matches('"'), test_schema, "left over search_path");
        }
    }
    one.close().await;
}

/// The DDL of RLS mode: every tenant table has row-level security enabled
/// and forced, and its tenant isolation policy; the shared one has none.
/// The app role is no superuser, has no BYPASSRLS and owns no table.
pub async fn rls_policies(fx: Fx) {
    let schema = fx.w.pg_schema.clone().unwrap();
    let pool = fx.w.owner.as_postgres().unwrap();
    let tables: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname LIKE 'tn\\_%' ORDER BY 1",
    )
    .bind(&schema)
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, enabled, forced) in &tables {
        let tenant = table != "tn_regions";
        assert_eq!((*enabled, *forced), (tenant, tenant), "{table}");
    }
    assert_eq!(tables.len(), 6);
    let policies: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT tablename::text, policyname::text, coalesce(qual, ''), coalesce(with_check, '') \
         FROM pg_policies WHERE schemaname = $1 ORDER BY 1",
    )
    .bind(&schema)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut names: Vec<(&str, &str)> = policies
        .iter()
        .map(|p| (p.0.as_str(), p.1.as_str()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("tn_project_tags", "tn_project_tags_tenant_isolation"),
            ("tn_projects", "tn_projects_tenant_isolation"),
            ("tn_tags", "tn_tags_tenant_isolation"),
            ("tn_tasks", "tn_tasks_tenant_isolation"),
            ("tn_teams", "tn_teams_tenant_isolation"),
        ]
    );
    for (table, _, using, check) in &policies {
        assert!(
            using.contains("current_setting('app.tenant_id'"),
            "{table}: {using}"
        );
        assert_eq!(using, check, "{table}: USING and WITH CHECK");
    }
    let role: (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            .fetch_one(fx.db().as_postgres().unwrap())
            .await
            .unwrap();
    assert_eq!(role, (false, false), "the app role");
}

/// A model with `row_level_security` on a PostgreSQL `Db` with Column
/// tenancy is refused, pointing at RowLevelSecurity.
pub async fn column_tenancy_refuses_rls_models(fx: Fx) {
    let url = fx.w.app_url.clone();
    let column = strata::Db::builder().url(url).connect().await.unwrap();
    let result = scope(A, Team::find_many().exec(&column)).await;
    let message = format!(
        "{:?} / {}",
        result,
        result
            .as_ref()
            .map_or_else(|e| e.to_string(), |_| String::new())
    );
    assert!(
        result.is_err() && message.contains("RowLevelSecurity"),
        "{message}"
    );
    column.close().await;
}
