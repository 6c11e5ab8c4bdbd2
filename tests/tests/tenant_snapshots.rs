//! The statements the tenant filter sends, per dialect, as recorded by a
//! statement scope on a real database (what the built-in `TenantFilter`
//! made of each builder's statement, after soft delete). Binds are not
//! shown; each test also checks the rows it read or wrote, so these run as
//! a smoke test of the filter on every database. The isolation suite is
//! tests/tenancy*.rs.

use std::future::Future;
use std::pin::Pin;
use strata::dsl::*;
use strata::observe::Scope;
use strata::relation::Strategy;
use strata::{
    increment, tenant, BelongsTo, Db, Dialect, Error, HasMany, ManyToMany, Model, WithNested,
};
use strata_tests::backend_tests;

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "workspaces")]
#[strata(tenant = tenant_id)]
pub struct Workspace {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    #[strata(has_many)]
    pub projects: HasMany<Project>,
}

/// Tenant-scoped and soft-deleted: both filters on one table.
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "projects")]
#[strata(tenant = tenant_id, soft_delete = deleted_at)]
pub struct Project {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tenant_id: i64,
    pub workspace_id: i64,
    #[strata(belongs_to(fields(workspace_id), references(id)), on_delete = cascade)]
    pub workspace: BelongsTo<Workspace>,
    /// Unique across tenants: an upsert by another tenant's code finds
    /// that tenant's row.
    #[strata(unique)]
    pub code: String,
    pub views: i32,
    pub deleted_at: Option<chrono::DateTime<chrono::Utc>>,
    #[strata(many_to_many(through = ProjectLabel))]
    pub labels: ManyToMany<Label>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "labels")]
#[strata(tenant = tenant_id)]
pub struct Label {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    #[strata(many_to_many(through = ProjectLabel))]
    pub projects: ManyToMany<Project>,
}

/// The links are tenant-scoped too: a link another tenant wrote never
/// leads to a row.
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "project_labels", id(fields(project_id, label_id)))]
#[strata(tenant = tenant_id)]
pub struct ProjectLabel {
    pub project_id: i64,
    pub label_id: i64,
    pub tenant_id: i64,
    #[strata(belongs_to(fields(project_id), references(id)), on_delete = cascade)]
    pub project: BelongsTo<Project>,
    #[strata(belongs_to(fields(label_id), references(id)), on_delete = cascade)]
    pub label: BelongsTo<Label>,
}

/// Not tenant-scoped, relates to nothing: needs no scope.
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "regions")]
pub struct Region {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub name: String,
}

type Schema = (Workspace, Project, Label, ProjectLabel, Region);

/// Runs `query` as tenant 7 in a statement scope and appends its
/// statements under `label`. Boxed: a test body holding every query's
/// future inline overflows a debug build's stack.
fn record<'a, T: 'a>(
    out: &'a mut Vec<String>,
    label: &'a str,
    query: impl Future<Output = T> + 'a,
) -> Pin<Box<dyn Future<Output = T> + 'a>> {
    Box::pin(async move {
        let (output, report) = tenant::scope(7_i64, Scope::new().run(query)).await;
        out.push(format!("-- {label}\n{}", report.statements().join("\n")));
        output
    })
}

fn snapshot(db: &Db, name: &str, out: &[String]) {
    let suffix = match db.dialect() {
        Dialect::Postgres => "postgres",
        Dialect::Sqlite => "sqlite",
        Dialect::MySql => "mysql",
    };
    insta::assert_snapshot!(format!("{name}@{suffix}"), out.join("\n\n"));
}

/// Tenants 7 and 8, a workspace and a project each (codes `p7`, `p8`).
async fn seed(db: &Db) -> (Workspace, Workspace) {
    db.push_schema::<Schema>().await.unwrap();
    let mut workspaces = Vec::new();
    for t in [7_i64, 8] {
        let made = tenant::scope(t, async {
            let w = Workspace::create().name(format!("w{t}")).exec(db).await?;
            Project::create()
                .workspace_id(w.id)
                .code(format!("p{t}"))
                .views(1)
                .exec(db)
                .await?;
            Ok::<_, Error>(w)
        });
        workspaces.push(made.await.unwrap());
    }
    let w8 = workspaces.pop().unwrap();
    (workspaces.pop().unwrap(), w8)
}

backend_tests!(tenant_reads_sql, |db| async move {
    let (w7, _) = seed(&db).await;
    let out = &mut Vec::new();
    let db = &db;
    let all = record(out, "find_many", Project::find_many().exec(db)).await;
    assert_eq!(
        all.unwrap().iter().map(|p| &*p.code).collect::<Vec<_>>(),
        ["p7"]
    );
    let by_code = record(
        out,
        "find_by_code (another tenant's)",
        Project::find_by_code("p8").exec(db),
    );
    assert_eq!(by_code.await.unwrap(), None);
    let first = Project::find_first().filter(Project::views().gt(0));
    record(out, "find_first", first.exec(db)).await.unwrap();
    let paged = Project::find_many().cursor(Project::by_code("p7")).take(2);
    record(out, "find_many with a cursor", paged.exec(db))
        .await
        .unwrap();
    let counted = record(out, "count", Project::count().exec(db)).await;
    assert_eq!(counted.unwrap(), 1);
    let total = record(
        out,
        "aggregate",
        Project::aggregate(sum(Project::views())).exec(db),
    )
    .await;
    assert_eq!(total.unwrap(), Some(1));
    let groups = Project::group_by(Project::workspace_id()).aggregate(count_all());
    let groups = record(out, "group_by", groups.exec(db)).await.unwrap();
    assert_eq!(groups.len(), 1);
    let counted = Workspace::find_many().with_count(Workspace::projects());
    record(out, "with_count (_count)", counted.exec(db))
        .await
        .unwrap();
    let some = Workspace::find_many().filter(Workspace::projects().some(Project::views().gt(0)));
    let some = record(out, "relation filter some", some.exec(db))
        .await
        .unwrap();
    assert_eq!(some.iter().map(|w| w.id).collect::<Vec<_>>(), [w7.id]);
    let is = Project::find_many().filter(Project::workspace().is(Workspace::name().eq("w7")));
    record(out, "relation filter is", is.exec(db))
        .await
        .unwrap();
    for strategy in [Strategy::Batched, Strategy::Joined] {
        let tree = Workspace::find_many()
            .strategy(strategy)
            .include(Workspace::projects());
        let label = format!("include {strategy:?}");
        let read = record(out, &label, tree.exec(db)).await.unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].projects.get().map(<[_]>::len), Some(1));
    }
    // Tenant 7's project and labels l7 and l7b; l7 linked by tenant 7,
    // l7b by a link tenant 8 wrote (between tenant 7's rows).
    let p7 = Project::find_by_code("p7");
    let p7 = tenant::scope(7_i64, p7.exec(db)).await.unwrap().unwrap();
    for (name, link_tenant) in [("l7", 7_i64), ("l7b", 8)] {
        let label = tenant::scope(7_i64, Label::create().name(name).exec(db));
        let label = label.await.unwrap();
        let link = ProjectLabel::create()
            .project_id(p7.id)
            .label_id(label.id)
            .tenant_id(link_tenant);
        tenant::unscoped(link.exec(db)).await.unwrap();
    }
    for strategy in [Strategy::Batched, Strategy::Joined] {
        let tree = Project::find_many()
            .strategy(strategy)
            .include(Project::labels());
        let label = format!("many-to-many include {strategy:?}");
        let read = record(out, &label, tree.exec(db)).await.unwrap();
        let names: Vec<_> = read[0]
            .labels
            .get()
            .unwrap()
            .iter()
            .map(|l| &*l.name)
            .collect();
        assert_eq!(
            names,
            ["l7"],
            "{strategy:?}: tenant 8's link and label unseen"
        );
    }
    let joined = strata::select((Workspace::name(), Project::code()))
        .from::<Workspace>()
        .left_join::<Project>(eq(Project::workspace_id(), Workspace::id()));
    let rows = record(out, "select builder left join", joined.fetch_all(db)).await;
    assert_eq!(rows.unwrap(), [("w7".to_owned(), Some("p7".to_owned()))]);
    let inner = strata::select(Project::code())
        .from::<Project>()
        .filter(exists(
            strata::select(Workspace::id())
                .from::<Workspace>()
                .filter(eq(Workspace::id(), Project::workspace_id())),
        ));
    record(out, "select builder subquery", inner.fetch_all(db))
        .await
        .unwrap();
    let codes = strata::select(Project::code()).from::<Project>();
    let names = strata::select(Workspace::name()).from::<Workspace>();
    let both = record(
        out,
        "select builder union",
        codes.union(names).fetch_all(db),
    )
    .await;
    let mut both = both.unwrap();
    both.sort();
    assert_eq!(both, ["p7", "w7"]);
    let mine = strata::select((Project::id(), Project::code()))
        .from::<Project>()
        .as_cte("mine");
    let labelled = strata::select((mine.col::<1>(), count(Label::id())))
        .from_table(&mine)
        .left_join::<ProjectLabel>(eq(ProjectLabel::project_id(), mine.col::<0>()))
        .left_join::<Label>(eq(Label::id(), ProjectLabel::label_id()))
        .group_by(mine.col::<1>());
    let counted = record(out, "select builder CTE and joins", labelled.fetch_all(db)).await;
    assert_eq!(counted.unwrap(), [("p7".to_owned(), 1)]);
    // No tenant table read: no scope needed, nothing added.
    let regions = Scope::new().run(Region::find_many().exec(db)).await;
    out.push(format!(
        "-- regions, no scope\n{}",
        regions.1.statements().join("\n")
    ));
    regions.0.unwrap();
    snapshot(db, "tenant_reads", out);
});

backend_tests!(tenant_writes_sql, |db| async move {
    let (w7, w8) = seed(&db).await;
    let out = &mut Vec::new();
    let db = &db;
    let create = Project::create().workspace_id(w7.id).code("p7b").views(2);
    let made = record(out, "create (tenant filled)", create.exec(db))
        .await
        .unwrap();
    assert_eq!(made.tenant_id, 7);
    let many = Project::create_many([
        Project::create().workspace_id(w7.id).code("p7c").views(3),
        Project::create().workspace_id(w7.id).code("p7d").views(4),
    ]);
    record(out, "create_many (tenant filled)", many.exec(db))
        .await
        .unwrap();
    let update = Project::update(Project::by_code("p7b")).views(5);
    record(out, "update", update.exec(db)).await.unwrap();
    let many = Project::update_many(Project::views().gt(0)).views(increment(1));
    let changed = record(out, "update_many", many.exec(db)).await.unwrap();
    assert_eq!(changed, 4, "tenant 7's four projects, not tenant 8's");
    let upsert = Project::upsert(
        Project::by_code("p7"),
        Project::create().workspace_id(w7.id).code("p7").views(0),
        Project::changes().views(increment(10)),
    );
    let upserted = record(out, "upsert (own row)", upsert.exec(db))
        .await
        .unwrap();
    assert_eq!(upserted.views, 12);
    let taken = Project::upsert(
        Project::by_code("p8"),
        Project::create().workspace_id(w7.id).code("p8").views(0),
        Project::changes().views(increment(10)),
    );
    let taken = record(out, "upsert (another tenant's key)", taken.exec(db)).await;
    assert!(
        matches!(
            taken,
            Err(Error::TenantKeyTaken {
                model: "Project",
                ..
            })
        ),
        "{taken:?}"
    );
    // An upsert that updates nothing still carries the guard.
    let own = Workspace::upsert(
        Workspace::by_id(w7.id),
        Workspace::create().name("x"),
        Workspace::changes(),
    );
    let own = record(out, "upsert updating nothing (own row)", own.exec(db)).await;
    assert_eq!(own.unwrap().name, "w7");
    let theirs = Workspace::upsert(
        Workspace::by_id(w8.id),
        Workspace::create().name("x"),
        Workspace::changes(),
    );
    let theirs = record(
        out,
        "upsert updating nothing (another tenant's)",
        theirs.exec(db),
    )
    .await;
    assert!(
        matches!(theirs, Err(Error::TenantKeyTaken { .. })),
        "{theirs:?}"
    );
    let delete = Project::delete(Project::by_code("p7d"));
    record(out, "delete (soft)", delete.exec(db)).await.unwrap();
    let gone = Project::delete_many().filter(Project::views().gt(100));
    record(out, "delete_many (soft)", gone.exec(db))
        .await
        .unwrap();
    let purge = Project::delete_many()
        .filter(Project::code().eq("p7d"))
        .force_delete();
    record(out, "delete_many force_delete", purge.exec(db))
        .await
        .unwrap();
    let nested = Workspace::create().name("w7b").with(
        Workspace::projects()
            .create(|w: &Workspace| Project::create().workspace_id(w.id).code("p7e").views(1)),
    );
    let nested = record(out, "nested create", nested.exec(db)).await.unwrap();
    assert_eq!(nested.tenant_id, 7);
    snapshot(db, "tenant_writes", out);

    // Refusals: nothing sent.
    let other = Project::create()
        .workspace_id(w8.id)
        .code("x")
        .views(0)
        .tenant_id(8);
    let other = tenant::scope(7_i64, other.exec(db)).await;
    assert!(
        matches!(other, Err(Error::TenantMismatch { .. })),
        "{other:?}"
    );
    let moved = Project::update_many(Project::views().gt(0)).tenant_id(8);
    let moved = tenant::scope(7_i64, moved.exec(db)).await;
    assert!(
        matches!(moved, Err(Error::TenantMismatch { .. })),
        "{moved:?}"
    );
    let missing = Project::find_many().exec(db).await;
    assert!(
        matches!(missing, Err(Error::MissingTenant { model: "Project" })),
        "{missing:?}"
    );
    let text = tenant::scope("7".to_owned(), Project::count().exec(db)).await;
    assert!(
        matches!(
            text,
            Err(Error::InvalidValue {
                field: Some("tenant_id"),
                ..
            })
        ),
        "{text:?}"
    );
    // Tenant 8's rows are as seeded.
    let theirs = tenant::unscoped(
        Project::find_many()
            .filter(Project::tenant_id().eq(8))
            .exec(db),
    );
    let theirs = theirs.await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!((theirs[0].views, theirs[0].deleted_at), (1, None));
});
