//! 20 tenants, 40 tasks on a pool of 4 connections: each task runs a
//! random sequence of 40 operations, each in a random tenant's scope (creates
//! with nested children, reads with includes, update_many, counts,
//! aggregates, soft deletes, transactions). Every row a task gets back must
//! be its tenant's; at the end each tenant holds exactly what was written
//! in its scope. Names carry no tenant (`k<task>-<n>`), so a filter that
//! crossed tenants would match, count and change other tenants' rows.
//!
//! The seed is printed; `STRATA_TENANCY_SEED=<n>` replays a run.

use super::*;
use crate::tenancy_support::world::{self, Mode, World};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use strata::dsl::*;
use strata::relation::Strategy;
use strata::tenant::{scope, unscoped};
use strata::{Db, Error, RetryPolicy, WithNested};
use strata_tests::Backend;

const TENANTS: &[i64] = &[
    301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315, 316, 317, 318, 319,
    320,
];
const TASKS: u64 = 40;
const OPS: u64 = 40;

/// Per tenant, a task's own projects: name -> points.
type Expected = HashMap<i64, BTreeMap<String, i64>>;

/// SplitMix64: small, seedable, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// How many times a statement or transaction runs at most (see `retry`).
const ATTEMPTS: u32 = 30;

/// Deadlock victims (MariaDB's gap locks meet them under this load) are
/// the database's, not isolation failures: a statement or transaction that
/// is one runs again, as an application would. The budget is generous
/// because how often one task loses in a row depends on the machine: on a
/// slow 2-core CI host running the whole suite, one transaction was chosen
/// as the victim 10 times running (about 2 s of backoff); with 30 attempts
/// the backoff reaches its 1 s cap and a task waits out ~25 s of others.
fn retry() -> RetryPolicy {
    RetryPolicy::new()
        .max_attempts(ATTEMPTS)
        .base_delay(Duration::from_millis(2))
}

/// Runs `statement` again while it fails with a retryable error.
async fn again<T, F, Fut>(statement: F) -> Result<T, Error>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let mut attempts = 1;
    loop {
        match statement().await {
            Err(e) if e.is_retryable() && attempts < ATTEMPTS => attempts += 1,
            done => return done,
        }
        tokio::time::sleep(Duration::from_millis(2 * u64::from(attempts))).await;
    }
}

fn seed() -> u64 {
    std::env::var("STRATA_TENANCY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            now.as_nanos() as u64
        })
}

pub async fn concurrent_tenants(mode: Mode, backend: Backend) {
    world::run::<Schema, _, _>(mode, backend, TENANTS, 4, move |w| async move {
        let seed = seed();
        let started = Instant::now();
        let ctx =
            format!("{mode:?} on {backend}, seed {seed} (STRATA_TENANCY_SEED={seed} replays)");
        eprintln!("concurrent_tenants: {ctx}");
        let mut teams = HashMap::new();
        for &t in TENANTS {
            let team = Team::create().name("team").code(format!("{t}-c"));
            let team = scope(t, team.exec(&w.app)).await.unwrap();
            teams.insert(t, team.id);
        }
        let teams = Arc::new(teams);
        let ever = Arc::new(Mutex::new(HashSet::new()));
        let workers: Vec<_> = (0..TASKS)
            .map(|k| {
                let worker = Worker {
                    k,
                    rng: Rng(seed ^ (k + 1).wrapping_mul(0xA24B_AED4_963E_E407)),
                    db: w.app.clone(),
                    teams: teams.clone(),
                    ever: ever.clone(),
                    expected: Expected::new(),
                    n: 0,
                    ctx: ctx.clone(),
                };
                tokio::spawn(worker.run())
            })
            .collect();
        let mut expected: HashMap<i64, BTreeMap<String, i64>> = HashMap::new();
        let mut workers = workers.into_iter();
        while let Some(worker) = workers.next() {
            match worker.await {
                Ok(mine) => {
                    for (t, rows) in mine {
                        expected.entry(t).or_default().extend(rows);
                    }
                }
                Err(e) => {
                    // The first failure is the one to read: stop the rest.
                    workers.for_each(|w| w.abort());
                    match e.try_into_panic() {
                        Ok(panic) => std::panic::resume_unwind(panic),
                        Err(e) => panic!("{ctx}: a worker failed: {e}"),
                    }
                }
            }
        }
        check_final(&w, &teams, &expected, &ctx).await;
        let took = started.elapsed();
        eprintln!("concurrent_tenants: {ctx}: {took:?}");
        assert!(took < Duration::from_secs(20), "{ctx}: took {took:?}");
    })
    .await
}

struct Worker {
    k: u64,
    rng: Rng,
    db: Db,
    teams: Arc<HashMap<i64, Uuid>>,
    /// (tenant, project name) of every project ever created, to know a
    /// row seen in a scope is one that tenant wrote.
    ever: Arc<Mutex<HashSet<(i64, String)>>>,
    expected: Expected,
    n: u64,
    ctx: String,
}

impl Worker {
    async fn run(mut self) -> Expected {
        for _ in 0..OPS {
            let t = TENANTS[self.rng.below(TENANTS.len() as u64) as usize];
            let op = self.rng.below(7);
            scope(t, self.op(t, op)).await;
        }
        self.expected
    }

    fn mine(&self) -> String {
        format!("k{}-", self.k)
    }

    async fn op(&mut self, t: i64, op: u64) {
        let ctx = format!("{}: task {} op {op} in tenant {t}", self.ctx, self.k);
        let db = self.db.clone();
        let team = self.teams[&t];
        match op {
            0 | 1 => {
                let name = format!("{}{}", self.mine(), self.n);
                self.n += 1;
                self.ever.lock().unwrap().insert((t, name.clone()));
                let created = again(|| {
                    let create = Project::create().team_id(team).name(&name);
                    let title = name.clone();
                    let db = &db;
                    async move {
                        if op == 0 {
                            return create.exec(db).await;
                        }
                        let task = move |p: &Project| Task::create().project_id(p.id).title(&title);
                        create.with(Project::tasks().create(task)).exec(db).await
                    }
                })
                .await;
                let created = created.unwrap_or_else(|e| panic!("{ctx}: create: {e}"));
                assert_eq!((created.tenant_id, created.team_id), (t, team), "{ctx}");
                self.expected.entry(t).or_default().insert(name, 0);
            }
            2 => {
                let strategy = [Strategy::Batched, Strategy::Joined][self.rng.below(2) as usize];
                let rows = Project::find_many()
                    .strategy(strategy)
                    .include(Project::tasks())
                    .include(Project::team())
                    .exec(&db)
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: read: {e}"));
                self.check_rows(t, &rows, &ctx);
            }
            3 => {
                let points = t * 1000 + self.rng.below(1000) as i64;
                let mine = || Project::name().starts_with(self.mine());
                let n = again(|| Project::update_many(mine()).points(points).exec(&db)).await;
                let n = n.unwrap_or_else(|e| panic!("{ctx}: update_many: {e}"));
                let own = self.expected.entry(t).or_default();
                assert_eq!(n, own.len() as u64, "{ctx}: update_many count");
                own.values_mut().for_each(|p| *p = points);
            }
            4 => {
                let mine = Project::name().starts_with(self.mine());
                let n = Project::count().filter(mine).exec(&db).await.unwrap();
                let own = self.expected.get(&t).map_or(0, BTreeMap::len);
                assert_eq!(n, own as u64, "{ctx}: count");
                let groups: Vec<(Uuid, i64)> = Project::group_by(Project::team_id())
                    .aggregate(count_all())
                    .exec(&db)
                    .await
                    .unwrap();
                assert!(
                    groups.iter().all(|(team_id, _)| *team_id == team),
                    "{ctx}: {groups:?}"
                );
            }
            5 => {
                let mine = || Project::name().starts_with(self.mine());
                let n = again(|| Project::delete_many().filter(mine()).exec(&db)).await;
                let n = n.unwrap_or_else(|e| panic!("{ctx}: delete_many: {e}"));
                let own = self.expected.entry(t).or_default();
                assert_eq!(n, own.len() as u64, "{ctx}: delete_many count");
                own.clear();
            }
            _ => self.transaction(t, team, &db, &ctx).await,
        }
    }

    /// Create, update_many and read back in one transaction.
    async fn transaction(&mut self, t: i64, team: Uuid, db: &Db, ctx: &str) {
        let name = format!("{}{}", self.mine(), self.n);
        self.n += 1;
        self.ever.lock().unwrap().insert((t, name.clone()));
        let points = t * 1000 + self.rng.below(1000) as i64;
        let prefix = self.mine();
        let (created, updated, rows) = db
            .retry(retry())
            .transaction(|tx| {
                let (name, prefix) = (name.clone(), prefix.clone());
                Box::pin(async move {
                    let created = Project::create().team_id(team).name(&name).exec(tx).await?;
                    let mine = Project::name().starts_with(prefix);
                    let updated = Project::update_many(mine).points(points).exec(tx).await?;
                    let rows = Project::find_many().exec(tx).await?;
                    Ok((created, updated, rows))
                })
            })
            .await
            .unwrap_or_else(|e| panic!("{ctx}: transaction: {e}"));
        let own = self.expected.entry(t).or_default();
        own.insert(created.name.clone(), 0);
        assert_eq!(
            updated,
            own.len() as u64,
            "{ctx}: update_many in a transaction"
        );
        own.values_mut().for_each(|p| *p = points);
        self.check_rows(t, &rows, ctx);
    }

    fn check_rows(&self, t: i64, rows: &[Project], ctx: &str) {
        let ever = self.ever.lock().unwrap();
        for row in rows {
            assert_eq!(row.tenant_id, t, "{ctx}: another tenant's row: {row:?}");
            assert!(
                ever.contains(&(t, row.name.clone())),
                "{ctx}: not written by {t}: {row:?}"
            );
            if let Some(tasks) = row.tasks.get() {
                assert!(
                    tasks.iter().all(|task| task.tenant_id == t),
                    "{ctx}: {tasks:?}"
                );
            }
            if let Some(team) = row.team.get() {
                assert_eq!(team.tenant_id, t, "{ctx}: {team:?}");
            }
        }
    }
}

/// Each tenant's live projects are exactly those its scope's writes left.
async fn check_final(w: &World, teams: &HashMap<i64, Uuid>, expected: &Expected, ctx: &str) {
    unscoped(async {
        for &t in TENANTS {
            let db = w.area(t);
            let rows = Project::find_many()
                .filter(Project::tenant_id().eq(t))
                .exec(db)
                .await
                .unwrap();
            let actual: BTreeMap<String, i64> =
                rows.iter().map(|p| (p.name.clone(), p.points)).collect();
            let empty = BTreeMap::new();
            assert_eq!(
                &actual,
                expected.get(&t).unwrap_or(&empty),
                "{ctx}: tenant {t}'s projects"
            );
            assert!(
                rows.iter().all(|p| p.team_id == teams[&t]),
                "{ctx}: tenant {t}"
            );
            let all = Project::find_many()
                .with_deleted()
                .filter(Project::tenant_id().eq(t));
            let all: HashSet<Uuid> = all.exec(db).await.unwrap().iter().map(|p| p.id).collect();
            let tasks = Task::find_many()
                .filter(Task::tenant_id().eq(t))
                .exec(db)
                .await
                .unwrap();
            for task in tasks {
                assert!(
                    all.contains(&task.project_id),
                    "{ctx}: {task:?} under another tenant"
                );
            }
            if w.mode == Mode::Schema {
                let strays = Project::find_many()
                    .with_deleted()
                    .filter(Project::tenant_id().ne(t));
                let strays = strays.exec(db).await.unwrap();
                assert_eq!(strays, [], "{ctx}: other tenants' rows in {t}'s schema");
            }
        }
    })
    .await;
}
