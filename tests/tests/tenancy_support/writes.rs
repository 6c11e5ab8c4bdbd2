//! Writes in tenant A's scope: creates are A's (naming B is refused), and
//! no update, delete, upsert, nested write or transaction reaches a row of
//! B's, even one linked to A's rows. (`seed::run` then checks B's rows are
//! unchanged, byte for byte.)

use super::seed::{rows_of, Fx, A, B};
use super::*;
use crate::tenancy_support::world::Mode;
use strata::dsl::*;
use strata::tenant::{scope, unscoped};
use strata::{Error, WithNested};

fn not_found<T: std::fmt::Debug>(result: Result<T, Error>, what: &str) {
    assert!(
        matches!(result, Err(Error::NotFound { .. })),
        "{what}: {result:?}"
    );
}

fn related_not_found<T: std::fmt::Debug>(result: Result<T, Error>, what: &str) {
    assert!(
        matches!(result, Err(Error::RelatedNotFound { .. })),
        "{what}: {result:?}"
    );
}

pub fn mismatch<T: std::fmt::Debug>(result: Result<T, Error>, model: &str, what: &str) {
    match result {
        Err(Error::TenantMismatch {
            model: m,
            field,
            scope,
            written,
        }) => {
            assert_eq!((m, field), (model, "tenant_id"), "{what}");
            assert_eq!((scope, written), (A.to_string(), B.to_string()), "{what}");
        }
        other => panic!("{what}: expected TenantMismatch, got {other:?}"),
    }
}

/// An upsert on B's key: TenantKeyTaken naming the key, in every mode (in
/// RLS mode the database's policy refuses the conflict update first, with
/// 42501, which strata reports the same way).
fn key_taken<T: std::fmt::Debug>(_mode: Mode, result: Result<T, Error>, what: &str) {
    match result {
        Err(Error::TenantKeyTaken { model, fields }) => {
            assert_eq!(
                (model, fields.as_slice()),
                ("Team", &["code"][..]),
                "{what}"
            )
        }
        other => panic!("{what}: expected TenantKeyTaken, got {other:?}"),
    }
}

/// How many rows of tenant `t` with this code exist anywhere, unscoped.
async fn teams_coded(fx: &Fx, code: &str) -> usize {
    let mut n = 0;
    for db in fx.w.all_areas() {
        let found = Team::find_many().filter(Team::code().eq(code));
        n += unscoped(found.exec(db)).await.unwrap().len();
    }
    n
}

/// update, update_many, delete, delete_many of B's rows find nothing;
/// of A's, exactly A's. (Hard deletes stay off rows B's planted rows hang
/// from: a database cascade across tenants is not strata's to stop.)
pub async fn updates_and_deletes(fx: Fx) {
    let (db, a, b, planted) = (fx.db(), &*fx.a, &*fx.b, &*fx.planted);
    scope(A, async {
        let hacked = Team::update(Team::by_id(b.team1.id))
            .name("hacked")
            .exec(db)
            .await;
        not_found(hacked, "update of B's team");
        let hacked = Project::update(Project::by_id(planted.project.id)).points(0);
        not_found(
            hacked.exec(db).await,
            "update of B's project under A's team",
        );
        let by_key = Team::update(Team::by_code(&planted.team.code)).name("hacked");
        not_found(by_key.exec(db).await, "update by B's unique key");

        let n = Project::update_many(Project::points().gte(0))
            .points(7)
            .exec(db)
            .await;
        assert_eq!(n.unwrap(), 2, "A's two live projects");
        let n = Task::update_many(Task::done().eq(false))
            .done(true)
            .exec(db)
            .await;
        assert_eq!(n.unwrap(), 2, "A's p1-b and p3-a");
        let points = Project::find_many()
            .select(Project::points())
            .exec(db)
            .await;
        assert_eq!(points.unwrap(), [7, 7]);
        fx.assert_b_unchanged("update_many").await;

        let gone = Task::delete(Task::by_id(planted.task.id)).exec(db).await;
        not_found(gone, "delete of B's task under A's project");
        not_found(
            Team::delete(Team::by_id(b.team2.id)).exec(db).await,
            "delete of B's team",
        );
        let b_p2 = Project::delete(Project::by_id(b.p2.id))
            .force_delete()
            .exec(db)
            .await;
        not_found(b_p2, "force delete of B's deleted project");

        let n = Project::delete_many()
            .filter(Project::points().gt(0))
            .exec(db)
            .await;
        assert_eq!(
            n.unwrap(),
            2,
            "soft-deletes A's p1 and p3, not the planted one"
        );
        let n = ProjectTag::delete_many().exec(db).await.unwrap();
        assert_eq!(n, 3, "A's join rows only");
        let n = Task::delete_many().exec(db).await.unwrap();
        assert_eq!(n, 3, "A's tasks only");
        let n = Tag::delete_many()
            .filter(Tag::name().eq("red"))
            .exec(db)
            .await;
        assert_eq!(n.unwrap(), 1);
        let a_p2 = Project::delete(Project::by_id(a.p2.id))
            .force_delete()
            .exec(db)
            .await;
        assert_eq!(a_p2.unwrap().id, a.p2.id);
        assert_eq!(Project::count().with_deleted().exec(db).await.unwrap(), 2);
    })
    .await;
    let left = rows_of(&fx.w, A).await;
    assert_eq!(
        (left.tasks.len(), left.links.len(), left.tags.len()),
        (0, 0, 1)
    );
}

/// Setting the tenant column: to A is a no-op, to B is refused.
pub async fn moving_rows_to_another_tenant(fx: Fx) {
    let (db, a) = (fx.db(), &*fx.a);
    scope(A, async {
        let same = Project::update(Project::by_id(a.p1.id))
            .tenant_id(A)
            .exec(db)
            .await;
        assert_eq!(same.unwrap().tenant_id, A);
        let moved = Project::update(Project::by_id(a.p1.id))
            .tenant_id(B)
            .exec(db)
            .await;
        mismatch(moved, "Project", "update setting tenant_id to B");
        let moved = Task::update_many(Task::done().eq(true))
            .tenant_id(B)
            .exec(db)
            .await;
        mismatch(moved, "Task", "update_many setting tenant_id to B");
        let still = Project::find_unique(Project::by_id(a.p1.id)).exec(db).await;
        assert_eq!(still.unwrap().unwrap().tenant_id, A);
        assert_eq!(Task::count().exec(db).await.unwrap(), 3);
    })
    .await;
}

/// Upsert: B's key changes nothing and fails; A's key updates A's row; a
/// new key inserts A's row; naming B in either part is refused.
pub async fn upserts(fx: Fx) {
    let (db, a, b, planted) = (fx.db(), &*fx.a, &*fx.b, &*fx.planted);
    let upsert = |code: String, create_name: &str, new_name: &str| {
        Team::upsert(
            Team::by_code(&code),
            Team::create().name(create_name).code(&code),
            Team::changes().name(new_name),
        )
        .exec(db)
    };
    scope(A, async {
        // B's row where A's rows live (in every mode).
        let hijack = upsert(planted.team.code.clone(), "mine", "hijacked").await;
        key_taken(fx.w.mode, hijack, "upsert on B's planted key");
        let seeded_key = upsert(b.team1.code.clone(), "mine", "hijacked").await;
        match fx.w.mode {
            Mode::Schema => {
                // B's row is in B's schema: A's table has no such key.
                let created = seeded_key.unwrap();
                assert_eq!((created.tenant_id, created.name.as_str()), (A, "mine"));
            }
            mode => key_taken(mode, seeded_key, "upsert on B's key"),
        }
        fx.assert_b_unchanged("upserts on B's keys").await;

        let own = upsert(a.team1.code.clone(), "unused", "renamed")
            .await
            .unwrap();
        assert_eq!(
            (own.id, own.tenant_id, own.name.as_str()),
            (a.team1.id, A, "renamed")
        );
        let fresh = upsert(format!("{A}-fresh"), "fresh", "unused")
            .await
            .unwrap();
        assert_eq!((fresh.tenant_id, fresh.name.as_str()), (A, "fresh"));

        let code = format!("{A}-named-b");
        let named_b = Team::upsert(
            Team::by_code(&code),
            Team::create().tenant_id(B).name("b").code(&code),
            Team::changes().name("b"),
        );
        mismatch(named_b.exec(db).await, "Team", "upsert creating B's row");
        assert_eq!(teams_coded(&fx, &code).await, 0, "nothing written");
        let moved = Team::upsert(
            Team::by_code(&a.team2.code),
            Team::create().name("x").code(&a.team2.code),
            Team::changes().tenant_id(B),
        );
        mismatch(moved.exec(db).await, "Team", "upsert moving A's row to B");
        let team2 = Team::find_unique(Team::by_id(a.team2.id)).exec(db).await;
        assert_eq!(team2.unwrap().as_ref(), Some(&a.team2));
    })
    .await;
}

/// Creates: the scope's tenant is set; naming B is refused with nothing
/// written, at the top, in create_many and in nested creates; connecting,
/// updating or deleting B's row through A's parent fails.
pub async fn creates_and_nested_writes(fx: Fx) {
    let (db, a, b, planted) = (fx.db(), &*fx.a, &*fx.b, &*fx.planted);
    scope(A, async {
        let t3 = Team::create()
            .name("t3")
            .code(format!("{A}-t3"))
            .exec(db)
            .await;
        assert_eq!(t3.unwrap().tenant_id, A);
        let t4 = Team::create()
            .tenant_id(A)
            .name("t4")
            .code(format!("{A}-t4"))
            .exec(db)
            .await;
        assert_eq!(t4.unwrap().tenant_id, A, "naming the scope's own tenant");
        let code = format!("{A}-t5");
        let t5 = Team::create()
            .tenant_id(B)
            .name("t5")
            .code(&code)
            .exec(db)
            .await;
        mismatch(t5, "Team", "create naming B");
        assert_eq!(teams_coded(&fx, &code).await, 0);

        let mixed = Tag::create_many([
            Tag::create().name("green"),
            Tag::create().tenant_id(B).name("green"),
        ]);
        mismatch(
            mixed.exec(db).await,
            "Tag",
            "create_many with one row naming B",
        );
        for area in fx.w.all_areas() {
            let greens = Tag::find_many().filter(Tag::name().eq("green"));
            assert_eq!(
                unscoped(greens.exec(area)).await.unwrap(),
                [],
                "nothing written"
            );
        }
        let n = Tag::create_many([Tag::create().name("green"), Tag::create().name("white")]);
        assert_eq!(n.exec(db).await.unwrap(), 2);
        let greens = Tag::find_many()
            .filter(Tag::name().eq("green"))
            .exec(db)
            .await
            .unwrap();
        assert_eq!(greens.iter().map(|t| t.tenant_id).collect::<Vec<_>>(), [A]);

        let nested = Team::create()
            .name("nested")
            .code(format!("{A}-nested"))
            .with(Team::projects().create(|t: &Team| Project::create().team_id(t.id).name("n1")))
            .with(Team::projects().create_many(|t: &Team| {
                ["n2", "n3"].map(|name| Project::create().team_id(t.id).name(name))
            }))
            .exec(db)
            .await
            .unwrap();
        let children = Project::find_many()
            .filter(Project::team_id().eq(nested.id))
            .exec(db)
            .await;
        let children = children.unwrap();
        assert_eq!(children.len(), 3);
        assert!(children.iter().all(|p| p.tenant_id == A), "{children:?}");

        let code = format!("{A}-bad");
        let bad = Team::create()
            .name("bad")
            .code(&code)
            .with(
                Team::projects()
                    .create(|t: &Team| Project::create().team_id(t.id).tenant_id(B).name("x")),
            )
            .exec(db)
            .await;
        mismatch(bad, "Project", "a nested create naming B");
        assert_eq!(
            teams_coded(&fx, &code).await,
            0,
            "the parent is rolled back"
        );

        let code = format!("{A}-connect");
        let stolen = Team::create()
            .name("thief")
            .code(&code)
            .with(Team::projects().connect(Project::by_id(b.p1.id)))
            .exec(db)
            .await;
        related_not_found(stolen, "create connecting B's project");
        assert_eq!(teams_coded(&fx, &code).await, 0, "nothing written");
        let stolen = Team::update(Team::by_id(a.team2.id))
            .with(Team::projects().connect(Project::by_id(planted.project.id)))
            .exec(db)
            .await;
        related_not_found(stolen, "update connecting B's project");
        // The planted project *is* team1's by foreign key, and still B's.
        let renamed = Team::update(Team::by_id(a.team1.id))
            .with(Team::projects().update(
                Project::by_id(planted.project.id),
                Project::changes().name("renamed"),
            ))
            .exec(db)
            .await;
        related_not_found(renamed, "nested update of B's project under A's team");
        let removed = Project::update(Project::by_id(a.p1.id))
            .with(Project::tasks().delete(Task::by_id(planted.task.id)))
            .exec(db)
            .await;
        related_not_found(removed, "nested delete of B's task under A's project");
    })
    .await;
    // Unscoped, a create must name its tenant.
    let nameless = Team::create().name("u").code("unscoped-1").exec(fx.db());
    match unscoped(nameless).await {
        Err(Error::InvalidValue { model, field, .. }) => {
            assert_eq!((model, field), ("Team", Some("tenant_id")))
        }
        other => panic!("unscoped create without a tenant: {other:?}"),
    }
}

/// A transaction in A's scope: every statement in it is A's.
pub async fn transactions(fx: Fx) {
    let (db, planted) = (fx.db(), &*fx.planted);
    let planted_id = planted.project.id;
    scope(A, async {
        let (teams, updated, tag, b_row, total) = db
            .transaction(|tx| {
                Box::pin(async move {
                    let teams = Team::find_many().exec(tx).await?;
                    let updated = Project::update_many(Project::points().gte(0))
                        .points(99)
                        .exec(tx)
                        .await?;
                    let tag = Tag::create().name("tx").exec(tx).await?;
                    let b_row = Project::find_unique(Project::by_id(planted_id))
                        .exec(tx)
                        .await?;
                    let total = Project::aggregate(sum(Project::points())).exec(tx).await?;
                    Ok((teams, updated, tag, b_row, total))
                })
            })
            .await
            .unwrap();
        assert!(
            teams.iter().all(|t| t.tenant_id == A) && teams.len() == 2,
            "{teams:?}"
        );
        assert_eq!(
            (updated, tag.tenant_id, b_row, total),
            (2, A, None, Some(198))
        );

        // A transaction failing on a write naming B rolls back A's writes too.
        let failed = db
            .transaction(|tx| {
                Box::pin(async move {
                    Tag::create().name("rolled back").exec(tx).await?;
                    Tag::create()
                        .tenant_id(B)
                        .name("rolled back")
                        .exec(tx)
                        .await
                })
            })
            .await;
        mismatch(failed, "Tag", "a write naming B in a transaction");
        let kept = Tag::count()
            .filter(Tag::name().eq("rolled back"))
            .exec(db)
            .await;
        assert_eq!(kept.unwrap(), 0);
    })
    .await;
}
