//! The job queue of schema-examples (`jobs::claim`: FOR UPDATE SKIP LOCKED
//! in a transaction) under contention: 8 workers on their own connections
//! claim 200 jobs, 5 at a time, and every job is claimed exactly once. On
//! SQLite the claims take turns at BEGIN IMMEDIATE instead.

use schema_examples::jobs::{claim, complete, Job, JobStatus};
use std::collections::HashMap;
use strata::{Db, Error, PoolOptions};
use strata_tests::{backend_tests, url_of};

const JOBS: usize = 200;
const WORKERS: usize = 8;
const BATCH: u64 = 5;

/// Claims batches until none is left; the ids it claimed.
async fn worker(db: Db, name: String) -> Result<Vec<i64>, Error> {
    let mut claimed = Vec::new();
    loop {
        let jobs = claim(&db, &name, BATCH).await?;
        if jobs.is_empty() {
            return Ok(claimed);
        }
        assert!(jobs.len() <= BATCH as usize);
        for job in jobs {
            assert_eq!(job.status, JobStatus::Running);
            assert_eq!(job.claimed_by.as_deref(), Some(name.as_str()));
            complete(&db, job.id).await?;
            claimed.push(job.id);
        }
    }
}

backend_tests!(
    eight_workers_claim_two_hundred_jobs_each_exactly_once,
    |db| async move {
        db.push_schema::<Job>().await?;
        let jobs = (0..JOBS).map(|i| Job::create().payload(format!("job {i}")));
        Job::create_many(jobs).exec(&db).await?;
        // One connection per worker, so every claim can be in flight at once.
        let options = PoolOptions {
            max_connections: WORKERS as u32,
            ..PoolOptions::default()
        };
        let pool = Db::connect_with(&url_of(&db), options).await?;
        let handles: Vec<_> = (0..WORKERS)
            .map(|w| tokio::spawn(worker(pool.clone(), format!("worker-{w}"))))
            .collect();
        let mut claimed_by: HashMap<i64, Vec<String>> = HashMap::new();
        let mut busy_workers = 0;
        for (w, handle) in handles.into_iter().enumerate() {
            let ids = handle.await.expect("worker panicked")?;
            busy_workers += usize::from(!ids.is_empty());
            for id in ids {
                claimed_by
                    .entry(id)
                    .or_default()
                    .push(format!("worker-{w}"));
            }
        }
        let twice: Vec<_> = claimed_by.iter().filter(|(_, w)| w.len() > 1).collect();
        assert!(twice.is_empty(), "claimed more than once: {twice:?}");
        assert_eq!(claimed_by.len(), JOBS, "every job claimed");
        assert!(busy_workers > 1, "the workers did not run side by side");
        // The table agrees: each job is done, by the worker that claimed it.
        for job in Job::find_many().exec(&db).await? {
            assert_eq!(job.status, JobStatus::Done, "{job:?}");
            let worker = &claimed_by[&job.id][0];
            assert_eq!(job.claimed_by.as_ref(), Some(worker), "{job:?}");
        }
        pool.close().await;
        Ok::<_, Error>(())
    }
);
