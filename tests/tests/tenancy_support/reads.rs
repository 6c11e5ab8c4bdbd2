//! Reads in tenant A's scope, through every read API: exactly A's rows,
//! none of B's (neither B's own tree nor the rows planted under A's).

use super::seed::{Fx, A};
use super::*;
use crate::tenancy_support::world::Mode;
use strata::dsl::*;
use strata::relation::Strategy;
use strata::tenant::{scope, unscoped};

const BOTH: [Strategy; 2] = [Strategy::Batched, Strategy::Joined];
const NONE: [Uuid; 0] = [];

fn ids<T>(rows: &[T], id: impl Fn(&T) -> Uuid) -> Vec<Uuid> {
    rows.iter().map(id).collect()
}

fn sorted<T: Ord>(mut rows: Vec<T>) -> Vec<T> {
    rows.sort();
    rows
}

/// find_unique, find_by_*, find_first, find_many (cursor, select, omit),
/// count, exists, aggregate, group_by.
pub async fn model_reads(fx: Fx) {
    let (db, a, b, planted) = (fx.db(), &*fx.a, &*fx.b, &*fx.planted);
    scope(A, async {
        let by_b_id = Team::find_unique(Team::by_id(b.team1.id)).exec(db).await;
        assert_eq!(by_b_id.unwrap(), None, "find_unique of B's team");
        let by_b_key = Team::find_by_code(&planted.team.code).exec(db).await;
        assert_eq!(by_b_key.unwrap(), None, "find_by_code of B's planted team");
        let own = Team::find_unique(Team::by_id(a.team1.id)).exec(db).await;
        assert_eq!(own.unwrap().as_ref(), Some(&a.team1));
        let tag = Tag::find_unique(Tag::by_id(planted.tag.id)).exec(db).await;
        assert_eq!(tag.unwrap(), None, "B's tag");
        let required = Task::find_unique(Task::by_id(planted.task.id))
            .exec_required(db)
            .await;
        assert!(
            matches!(required, Err(strata::Error::NotFound { .. })),
            "{required:?}"
        );

        let first = Project::find_first().filter(Project::name().eq("planted"));
        assert_eq!(first.exec(db).await.unwrap(), None);
        let first = Project::find_first().filter(Project::id().eq(b.p1.id));
        assert_eq!(first.exec(db).await.unwrap(), None);
        let top = Project::find_first().order_by(Project::points().desc());
        assert_eq!(
            top.exec(db).await.unwrap().as_ref(),
            Some(&a.p1),
            "not planted's 1000"
        );

        let teams = Team::find_many()
            .order_by(Team::name().asc())
            .exec(db)
            .await
            .unwrap();
        assert_eq!(teams, [a.team1.clone(), a.team2.clone()]);
        let projects = Project::find_many()
            .order_by(Project::name().asc())
            .exec(db)
            .await;
        assert_eq!(projects.unwrap(), [a.p1.clone(), a.p3.clone()]);
        let tasks = Task::find_many()
            .order_by(Task::title().asc())
            .exec(db)
            .await;
        assert_eq!(tasks.unwrap(), a.tasks);
        let tags = Tag::find_many().order_by(Tag::name().asc()).exec(db).await;
        assert_eq!(tags.unwrap(), [a.blue.clone(), a.red.clone()]);
        let links = ProjectTag::find_many().exec(db).await.unwrap();
        assert_eq!(links.len(), 3, "{links:?}");
        assert!(links.iter().all(|l| a.links.contains(l)), "{links:?}");

        // A cursor at B's row is a cursor at no row.
        let from_b = Team::find_many().cursor(Team::by_id(b.team1.id)).take(5);
        let from_nothing = Team::find_many()
            .cursor(Team::by_id(Uuid::new_v4()))
            .take(5);
        let (from_b, from_nothing) = (from_b.exec(db).await, from_nothing.exec(db).await);
        assert_eq!(format!("{from_b:?}"), format!("{from_nothing:?}"));
        let paged = Project::find_many()
            .order_by(Project::points().desc())
            .skip(1)
            .take(5);
        assert_eq!(paged.exec(db).await.unwrap(), std::slice::from_ref(&a.p3));

        let names = Project::find_many().select(Project::name()).exec(db).await;
        assert_eq!(sorted(names.unwrap()), ["p1", "p3"]);
        let partial = Team::find_many().omit(Team::name()).exec(db).await.unwrap();
        assert_eq!(partial.len(), 2);

        assert_eq!(Team::count().exec(db).await.unwrap(), 2);
        assert_eq!(Project::count().exec(db).await.unwrap(), 2);
        assert_eq!(Task::count().exec(db).await.unwrap(), 3);
        assert_eq!(Tag::count().exec(db).await.unwrap(), 2);
        assert_eq!(ProjectTag::count().exec(db).await.unwrap(), 3);
        let planted_exists = Team::exists().filter(Team::code().eq(&planted.team.code));
        assert!(!planted_exists.exec(db).await.unwrap());
        let b_exists = Project::exists().filter(Project::id().eq(b.p3.id));
        assert!(!b_exists.exec(db).await.unwrap());

        let stats =
            Project::aggregate((count_all(), sum(Project::points()), max(Project::points())));
        assert_eq!(stats.exec(db).await.unwrap(), (2, Some(15), Some(10)));
        let done = Task::aggregate(count_all()).filter(Task::done().eq(true));
        assert_eq!(done.exec(db).await.unwrap(), 1);
        let groups: Vec<(Uuid, i64)> = Project::group_by(Project::team_id())
            .aggregate(count_all())
            .exec(db)
            .await
            .unwrap();
        assert_eq!(
            sorted(groups),
            sorted(vec![(a.team1.id, 1), (a.team2.id, 1)])
        );
        let by_done: Vec<(bool, i64)> = Task::group_by(Task::done())
            .aggregate(count_all())
            .exec(db)
            .await
            .unwrap();
        assert_eq!(sorted(by_done), [(false, 2), (true, 1)]);
    })
    .await;
}

/// Includes (has_many two levels down, belongs_to two levels up, from a
/// shared root), with both strategies, and `_count`.
pub async fn includes(fx: Fx) {
    let (db, a) = (fx.db(), &*fx.a);
    scope(A, async {
        for strategy in BOTH {
            let teams = Team::find_many()
                .strategy(strategy)
                .order_by(Team::name().asc())
                .include(
                    Team::projects()
                        .order_by(Project::name().asc())
                        .include(Project::tasks().order_by(Task::title().asc())),
                )
                .exec(db)
                .await
                .unwrap();
            let team_ids = ids(&teams, |t| t.id);
            assert_eq!(team_ids, [a.team1.id, a.team2.id], "{strategy:?}");
            let p1s = teams[0].projects.loaded().unwrap();
            assert_eq!(ids(p1s, |p| p.id), [a.p1.id], "{strategy:?}: team1's");
            let tasks = p1s[0].tasks.loaded().unwrap();
            assert_eq!(tasks, &a.tasks[..2], "{strategy:?}: p1's tasks");
            let p3s = teams[1].projects.loaded().unwrap();
            assert_eq!(ids(p3s, |p| p.id), [a.p3.id], "{strategy:?}: team2's");

            // belongs_to, two levels up.
            let tasks = Task::find_many()
                .strategy(strategy)
                .order_by(Task::title().asc())
                .include(Task::project().include(Project::team()))
                .exec(db)
                .await
                .unwrap();
            assert_eq!(ids(&tasks, |t| t.id), ids(&a.tasks, |t| t.id));
            for task in &tasks {
                let project = task.project.loaded().unwrap();
                assert_eq!(project.tenant_id, A, "{strategy:?}");
                let team = project.team.loaded().unwrap();
                assert_eq!(team.tenant_id, A, "{strategy:?}");
            }

            // From a shared root: A sees its own teams under any region.
            if fx.w.mode != Mode::Schema {
                let regions = Region::find_many()
                    .strategy(strategy)
                    .order_by(Region::id().asc())
                    .include(Region::teams().order_by(Team::name().asc()))
                    .exec(db)
                    .await
                    .unwrap();
                let teams: Vec<Vec<Uuid>> = (regions.iter())
                    .map(|r| ids(r.teams.loaded().unwrap(), |t| t.id))
                    .collect();
                let expected = [vec![a.team1.id, a.team2.id], vec![]];
                assert_eq!(teams, expected, "{strategy:?}");
            }
        }

        let counted = Team::find_many()
            .order_by(Team::name().asc())
            .with_count(Team::projects())
            .exec(db)
            .await
            .unwrap();
        let counts: Vec<_> = counted.iter().map(|t| t.projects.count()).collect();
        assert_eq!(counts, [Some(1), Some(1)], "planted projects are B's");
        let counted = Project::find_many()
            .order_by(Project::name().asc())
            .with_count(Project::tasks())
            .exec(db)
            .await
            .unwrap();
        let counts: Vec<_> = counted.iter().map(|p| p.tasks.count()).collect();
        assert_eq!(counts, [Some(2), Some(1)]);
        if fx.w.mode != Mode::Schema {
            let regions = Region::find_many()
                .order_by(Region::id().asc())
                .with_count(Region::teams())
                .exec(db)
                .await
                .unwrap();
            let counts: Vec<_> = regions.iter().map(|r| r.teams.count()).collect();
            assert_eq!(counts, [Some(2), Some(0)]);
        }
    })
    .await;
}

/// many_to_many through a tenant-scoped join model: B's join rows (B's
/// tag on A's p1; A's own blue tag on A's p3) link nothing for A, in
/// includes of both strategies from both sides and in `_count`.
pub async fn many_to_many_includes(fx: Fx) {
    let (db, a) = (fx.db(), &*fx.a);
    scope(A, async {
        for strategy in BOTH {
            let projects = Project::find_many()
                .strategy(strategy)
                .order_by(Project::name().asc())
                .include(Project::tags().order_by(Tag::name().asc()))
                .exec(db)
                .await
                .unwrap();
            let tags: Vec<Vec<Uuid>> = (projects.iter())
                .map(|p| ids(p.tags.loaded().unwrap(), |t| t.id))
                .collect();
            let expected = [vec![a.blue.id, a.red.id], vec![a.red.id]];
            assert_eq!(tags, expected, "{strategy:?}: p1's and p3's tags");

            let tags = Tag::find_many()
                .strategy(strategy)
                .order_by(Tag::name().asc())
                .include(Tag::projects().order_by(Project::name().asc()))
                .exec(db)
                .await
                .unwrap();
            let on: Vec<Vec<Uuid>> = (tags.iter())
                .map(|t| ids(t.projects.loaded().unwrap(), |p| p.id))
                .collect();
            let expected = [vec![a.p1.id], vec![a.p1.id, a.p3.id]];
            assert_eq!(on, expected, "{strategy:?}: blue's and red's projects");
        }
        let counted = Project::find_many()
            .order_by(Project::name().asc())
            .with_count(Project::tags())
            .exec(db)
            .await
            .unwrap();
        let counts: Vec<_> = counted.iter().map(|p| p.tags.count()).collect();
        assert_eq!(counts, [Some(2), Some(1)], "_count through the join table");
    })
    .await;
}

/// some / none / every / is, at one and two levels, through the join table.
pub async fn relation_filters(fx: Fx) {
    let (db, a, b) = (fx.db(), &*fx.a, &*fx.b);
    scope(A, async {
        let teams = |filter: strata::Filter<Team>| async move {
            let found = Team::find_many()
                .filter(filter)
                .order_by(Team::name().asc());
            ids(&found.exec(db).await.unwrap(), |t| t.id)
        };
        let both = vec![a.team1.id, a.team2.id];
        assert_eq!(
            teams(Team::projects().some(Project::name().eq("planted"))).await,
            NONE
        );
        assert_eq!(
            teams(Team::projects().some(Project::points().gt(100))).await,
            NONE
        );
        assert_eq!(
            teams(Team::projects().every(Project::points().lt(100))).await,
            both
        );
        assert_eq!(
            teams(Team::projects().none(Project::points().gt(100))).await,
            both
        );
        let deep = Team::projects().some(Project::tasks().some(Task::title().eq("planted")));
        assert_eq!(teams(deep).await, NONE);
        // Soft delete still applies, beside the tenant: p2 is deleted.
        assert_eq!(
            teams(Team::projects().some(Project::name().eq("p2"))).await,
            NONE
        );

        let projects = |filter: strata::Filter<Project>| async move {
            let found = Project::find_many()
                .filter(filter)
                .order_by(Project::name().asc());
            ids(&found.exec(db).await.unwrap(), |p| p.id)
        };
        assert_eq!(
            projects(Project::tasks().some(Task::title().eq("planted"))).await,
            NONE
        );
        assert_eq!(
            projects(Project::tags().some(Tag::name().eq("planted"))).await,
            NONE
        );
        // p3's blue tag is linked by B's join row only.
        assert_eq!(
            projects(Project::tags().some(Tag::name().eq("blue"))).await,
            [a.p1.id]
        );
        let only_red = Project::tags().every(Tag::name().eq("red"));
        assert_eq!(projects(only_red).await, [a.p3.id]);
        let by_b_team = Project::team().is(Team::code().eq(&b.team1.code));
        assert_eq!(projects(by_b_team).await, NONE);

        let planted_parent = Task::project().is(Project::name().eq("planted"));
        let found = Task::find_many()
            .filter(planted_parent)
            .exec(db)
            .await
            .unwrap();
        assert_eq!(found, []);
        if fx.w.mode != Mode::Schema {
            let with_planted = Region::teams().some(Team::name().eq("planted"));
            let regions = Region::find_many()
                .filter(with_planted)
                .exec(db)
                .await
                .unwrap();
            assert_eq!(regions, []);
        }
    })
    .await;
}

/// The select builder: FROM, joins (the joined table's tenant in ON),
/// EXISTS and IN subqueries, aggregates, a CTE, a derived table, UNION.
pub async fn select_builder(fx: Fx) {
    let (db, a) = (fx.db(), &*fx.a);
    scope(A, async {
        let names = strata::select(Project::name())
            .from::<Project>()
            .fetch_all(db)
            .await;
        assert_eq!(sorted(names.unwrap()), ["p1", "p3"]);

        let pairs: Vec<(String, String)> = strata::select((Project::name(), Team::code()))
            .from::<Project>()
            .inner_join::<Team>(eq(Project::team_id(), Team::id()))
            .order_by(Project::name().asc())
            .fetch_all(db)
            .await
            .unwrap();
        let expected = [("p1", &a.team1.code), ("p3", &a.team2.code)];
        let expected: Vec<_> = expected.map(|(p, c)| (p.to_owned(), c.clone())).into();
        assert_eq!(pairs, expected, "inner join");
        let left: Vec<(String, Option<String>)> = strata::select((Team::code(), Project::name()))
            .from::<Team>()
            .left_join::<Project>(eq(Project::team_id(), Team::id()))
            .fetch_all(db)
            .await
            .unwrap();
        let expected = vec![
            (a.team1.code.clone(), Some("p1".to_owned())),
            (a.team2.code.clone(), Some("p3".to_owned())),
        ];
        assert_eq!(sorted(left), expected, "left join: B's projects not in ON");

        let big = strata::select(Project::id())
            .from::<Project>()
            .filter(eq(Project::team_id(), Team::id()).and(gt(Project::points(), 100)));
        let with_big = strata::select(Team::code())
            .from::<Team>()
            .filter(exists(big));
        assert_eq!(with_big.fetch_all(db).await.unwrap(), Vec::<String>::new());
        let planted_tasks = strata::select(Task::project_id())
            .from::<Task>()
            .filter(eq(Task::title(), "planted"));
        let under = strata::select(Project::name())
            .from::<Project>()
            .filter(in_subquery(Project::id(), planted_tasks));
        assert_eq!(under.fetch_all(db).await.unwrap(), Vec::<String>::new());

        let total: Vec<(i64, Option<i64>)> =
            strata::select((count(Project::id()), sum(Project::points())))
                .from::<Project>()
                .fetch_all(db)
                .await
                .unwrap();
        assert_eq!(total, [(2, Some(15))]);
        let per_team = strata::select((Task::project_id(), count(Task::id())))
            .from::<Task>()
            .group_by(Task::project_id())
            .as_derived("per_project");
        let rows: Vec<(String, i64)> = strata::select((Project::name(), per_team.col::<1>()))
            .from::<Project>()
            .inner_join_table(&per_team, eq(per_team.col::<0>(), Project::id()))
            .order_by(Project::name().asc())
            .fetch_all(db)
            .await
            .unwrap();
        assert_eq!(
            rows,
            [("p1".to_owned(), 2), ("p3".to_owned(), 1)],
            "derived table"
        );
        let titles = strata::select(Task::title())
            .from::<Task>()
            .as_cte("titles");
        let rows = strata::select(titles.col::<0>())
            .from_table(&titles)
            .fetch_all(db)
            .await;
        assert_eq!(sorted(rows.unwrap()), ["p1-a", "p1-b", "p3-a"], "CTE");
        let union = strata::select(Team::name())
            .from::<Team>()
            .union_all(strata::select(Tag::name()).from::<Tag>());
        let rows = union.fetch_all(db).await.unwrap();
        assert_eq!(sorted(rows), ["blue", "red", "team1", "team2"], "UNION ALL");
    })
    .await;
}

/// A row of A's whose parent is B's (written unscoped: data no scoped
/// write can make): the parent stays invisible through every path to it.
pub async fn a_row_under_bs_parent(fx: Fx) {
    let (db, planted) = (fx.db(), &*fx.planted);
    let orphan = Project::create()
        .tenant_id(A)
        .team_id(planted.team.id)
        .name("orphan");
    let orphan = unscoped(orphan.exec(fx.w.area(A))).await.unwrap();
    scope(A, async {
        let parent = Team::find_unique(Team::by_id(orphan.team_id))
            .exec(db)
            .await;
        assert_eq!(parent.unwrap(), None);
        for strategy in BOTH {
            let loaded = Project::find_many()
                .strategy(strategy)
                .filter(Project::id().eq(orphan.id))
                .include(Project::team())
                .exec(db)
                .await;
            // A required parent that is not there is an error (as for a
            // soft-deleted one); B's team must never be what is loaded.
            if let Ok(rows) = &loaded {
                let teams: Vec<_> = rows.iter().filter_map(|p| p.team.get()).collect();
                assert!(
                    teams.iter().all(|t| t.tenant_id == A),
                    "{strategy:?}: {teams:?}"
                );
            }
        }
        let under_planted = Project::team().is(Team::name().eq("planted"));
        let found = Project::find_many().filter(under_planted).exec(db).await;
        assert_eq!(found.unwrap(), []);
        let pairs: Vec<(String, String)> = strata::select((Project::name(), Team::name()))
            .from::<Project>()
            .inner_join::<Team>(eq(Project::team_id(), Team::id()))
            .filter(eq(Project::name(), "orphan"))
            .fetch_all(db)
            .await
            .unwrap();
        assert_eq!(pairs, []);
        let left: Vec<(String, Option<String>)> = strata::select((Project::name(), Team::name()))
            .from::<Project>()
            .left_join::<Team>(eq(Project::team_id(), Team::id()))
            .filter(eq(Project::name(), "orphan"))
            .fetch_all(db)
            .await
            .unwrap();
        assert_eq!(left, [("orphan".to_owned(), None)]);
    })
    .await;
}
