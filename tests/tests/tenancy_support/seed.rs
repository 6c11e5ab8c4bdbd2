//! The rows every isolation scenario starts from, and the check it ends
//! with.
//!
//! Tenants A and B each create, in their own scope, the same tree: teams
//! `team1` (projects p1, p2) and `team2` (p3); p1 has tasks `p1-a` (done) and
//! `p1-b`, p3 has `p3-a`; tags `red` and `blue`, p1 tagged with both, p3
//! with red; p2 is soft-deleted. Same names and points in both, so a
//! missing filter shows up as a second row or a larger sum, never as an
//! accident of naming.
//!
//! Then B's rows are *planted* under A's (unscoped, where A's rows live): a
//! team in A's region, a project (1000 points) and a soft-deleted one under
//! A's team1, a task under A's p1, a tag on A's p1, and a join row putting
//! A's own blue tag on A's p3. A filter missing at any depth (include,
//! relation filter, `_count`, join table) would show A one of them.
//!
//! Every scenario ends with B's rows, read unscoped wherever they live,
//! compared with what they were before it ran.

use super::*;
use crate::tenancy_support::world::{self, Mode, World};
use std::future::Future;
use std::sync::Arc;
use strata::tenant::{scope, unscoped};
use strata_tests::Backend;

pub const A: i64 = 101;
pub const B: i64 = 202;
const TENANTS: &[i64] = &[A, B];

/// One tenant's seeded rows, as created (p2 as soft-deleted).
#[derive(Debug, Clone)]
pub struct Seeded {
    /// None in schema mode, where a shared table has no single home.
    pub region: Option<Region>,
    pub team1: Team,
    pub team2: Team,
    pub p1: Project,
    pub p2: Project,
    pub p3: Project,
    /// p1-a, p1-b, p3-a.
    pub tasks: Vec<Task>,
    pub red: Tag,
    pub blue: Tag,
    pub links: Vec<ProjectTag>,
}

/// B's rows under A's.
#[derive(Debug, Clone)]
pub struct Planted {
    pub team: Team,
    pub project: Project,
    pub deleted: Project,
    pub task: Task,
    pub tag: Tag,
}

/// All of one tenant's rows, soft-deleted ones included, sorted by key.
#[derive(Debug, Default, PartialEq)]
pub struct Rows {
    pub teams: Vec<Team>,
    pub projects: Vec<Project>,
    pub tasks: Vec<Task>,
    pub tags: Vec<Tag>,
    pub links: Vec<ProjectTag>,
}

/// What a scenario gets.
#[derive(Clone)]
pub struct Fx {
    pub w: World,
    pub a: Arc<Seeded>,
    pub b: Arc<Seeded>,
    pub planted: Arc<Planted>,
    b_before: Arc<Rows>,
}

impl Fx {
    pub fn db(&self) -> &strata::Db {
        &self.w.app
    }

    /// Asserts B's rows are exactly as seeded (and planted).
    pub async fn assert_b_unchanged(&self, after: &str) {
        let now = rows_of(&self.w, B).await;
        if now != *self.b_before {
            let before = &*self.b_before;
            panic!(
                "{:?} mode: tenant B's rows changed after {after}:\n{}{}{}{}{}",
                self.w.mode,
                changed("teams", &before.teams, &now.teams),
                changed("projects", &before.projects, &now.projects),
                changed("tasks", &before.tasks, &now.tasks),
                changed("tags", &before.tags, &now.tags),
                changed("project tags", &before.links, &now.links),
            );
        }
    }
}

/// The rows of one table that differ, as lines to read.
fn changed<T: PartialEq + std::fmt::Debug>(table: &str, before: &[T], now: &[T]) -> String {
    let gone = before.iter().filter(|r| !now.contains(r));
    let new = now.iter().filter(|r| !before.contains(r));
    let mut lines = String::new();
    for row in gone {
        lines += &format!("  {table} before: {row:?}\n");
    }
    for row in new {
        lines += &format!("  {table} now:    {row:?}\n");
    }
    lines
}

/// Seeds both tenants, plants B's rows, runs `body`, then checks B.
pub async fn run<F, Fut>(mode: Mode, backend: Backend, body: F)
where
    F: FnOnce(Fx) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    world::run::<Schema, _, _>(mode, backend, TENANTS, 4, move |w| async move {
        let a = seed_tenant(&w, A).await;
        let b = seed_tenant(&w, B).await;
        let planted = plant(&w, &a).await;
        let b_before = rows_of(&w, B).await;
        assert_eq!(
            (b_before.teams.len(), b_before.projects.len()),
            (3, 5),
            "{mode:?}: B's seeded and planted rows, read unscoped"
        );
        let fx = Fx {
            w,
            a: Arc::new(a),
            b: Arc::new(b),
            planted: Arc::new(planted),
            b_before: Arc::new(b_before),
        };
        body(fx.clone()).await;
        fx.assert_b_unchanged("the scenario").await;
    })
    .await
}

/// Creates `t`'s tree in `t`'s scope, through the application's `Db`,
/// never naming the tenant: the scope sets it.
pub async fn seed_tenant(w: &World, t: i64) -> Seeded {
    let db = &w.app;
    let seeded = scope(t, async move {
        let region = match w.mode {
            Mode::Schema => None,
            _ => Some(
                Region::create()
                    .name(format!("region {t}"))
                    .exec(db)
                    .await
                    .unwrap(),
            ),
        };
        let region_id = region.as_ref().map(|r| r.id);
        let team = |n: u8| {
            Team::create()
                .name(format!("team{n}"))
                .code(format!("{t}-t{n}"))
                .region_id(region_id)
                .exec(db)
        };
        let (team1, team2) = (team(1).await.unwrap(), team(2).await.unwrap());
        let project = |team: &Team, name: &str, points: i64| {
            Project::create()
                .team_id(team.id)
                .name(name)
                .points(points)
                .exec(db)
        };
        let p1 = project(&team1, "p1", 10).await.unwrap();
        let p2 = project(&team1, "p2", 20).await.unwrap();
        let p3 = project(&team2, "p3", 5).await.unwrap();
        let mut tasks = Vec::new();
        for (on, title, done) in [
            (&p1, "p1-a", true),
            (&p1, "p1-b", false),
            (&p3, "p3-a", false),
        ] {
            let task = Task::create().project_id(on.id).title(title).done(done);
            tasks.push(task.exec(db).await.unwrap());
        }
        let red = Tag::create().name("red").exec(db).await.unwrap();
        let blue = Tag::create().name("blue").exec(db).await.unwrap();
        let mut links = Vec::new();
        for (project, tag) in [(&p1, &red), (&p1, &blue), (&p3, &red)] {
            let link = ProjectTag::create().project_id(project.id).tag_id(tag.id);
            links.push(link.exec(db).await.unwrap());
        }
        let p2 = Project::delete(Project::by_id(p2.id))
            .exec(db)
            .await
            .unwrap();
        assert!(p2.deleted_at.is_some(), "p2 is soft-deleted");
        Seeded {
            region,
            team1,
            team2,
            p1,
            p2,
            p3,
            tasks,
            red,
            blue,
            links,
        }
    })
    .await;
    let s = &seeded;
    let tenants = [
        s.team1.tenant_id,
        s.team2.tenant_id,
        s.p1.tenant_id,
        s.p2.tenant_id,
    ]
    .into_iter()
    .chain([s.p3.tenant_id, s.red.tenant_id, s.blue.tenant_id])
    .chain(s.tasks.iter().map(|t| t.tenant_id))
    .chain(s.links.iter().map(|l| l.tenant_id));
    for tenant in tenants {
        assert_eq!(tenant, t, "a create in tenant {t}'s scope sets its tenant");
    }
    seeded
}

/// B's rows under A's, written unscoped where A's rows live.
async fn plant(w: &World, a: &Seeded) -> Planted {
    let db = w.area(A);
    unscoped(async move {
        let team = Team::create()
            .tenant_id(B)
            .name("planted")
            .code(format!("{B}-planted"))
            .region_id(a.region.as_ref().map(|r| r.id));
        let team = team.exec(db).await.unwrap();
        let project = |name: &str, points: i64| {
            Project::create()
                .tenant_id(B)
                .team_id(a.team1.id)
                .name(name)
                .points(points)
                .exec(db)
        };
        let project_row = project("planted", 1000).await.unwrap();
        let deleted = project("planted-deleted", 2000).await.unwrap();
        let deleted = Project::delete(Project::by_id(deleted.id))
            .exec(db)
            .await
            .unwrap();
        let task = Task::create()
            .tenant_id(B)
            .project_id(a.p1.id)
            .title("planted");
        let task = task.exec(db).await.unwrap();
        let tag = Tag::create()
            .tenant_id(B)
            .name("planted")
            .exec(db)
            .await
            .unwrap();
        for (project, tag) in [(&a.p1, &tag), (&a.p3, &a.blue)] {
            let link = ProjectTag::create()
                .tenant_id(B)
                .project_id(project.id)
                .tag_id(tag.id);
            link.exec(db).await.unwrap();
        }
        Planted {
            team,
            project: project_row,
            deleted,
            task,
            tag,
        }
    })
    .await
}

/// Every row of tenant `t`, wherever it lives, read unscoped (never
/// through the application's tenant filter).
pub async fn rows_of(w: &World, t: i64) -> Rows {
    unscoped(async move {
        let mut rows = Rows::default();
        for db in w.all_areas() {
            let teams = Team::find_many().filter(Team::tenant_id().eq(t));
            rows.teams.extend(teams.exec(db).await.unwrap());
            let projects = Project::find_many().with_deleted();
            let projects = projects.filter(Project::tenant_id().eq(t));
            rows.projects.extend(projects.exec(db).await.unwrap());
            let tasks = Task::find_many().filter(Task::tenant_id().eq(t));
            rows.tasks.extend(tasks.exec(db).await.unwrap());
            let tags = Tag::find_many().filter(Tag::tenant_id().eq(t));
            rows.tags.extend(tags.exec(db).await.unwrap());
            let links = ProjectTag::find_many().filter(ProjectTag::tenant_id().eq(t));
            rows.links.extend(links.exec(db).await.unwrap());
        }
        rows.teams.sort_by_key(|r| r.id);
        rows.projects.sort_by_key(|r| r.id);
        rows.tasks.sort_by_key(|r| r.id);
        rows.tags.sort_by_key(|r| r.id);
        rows.links.sort_by_key(|r| (r.project_id, r.tag_id));
        rows
    })
    .await
}
