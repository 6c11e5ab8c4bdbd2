//! A job queue in a table (the seed's "Pessimistic Locking"): workers claim
//! pending jobs with `SELECT .. FOR UPDATE SKIP LOCKED` inside a transaction
//! and mark them running before it commits. Concurrent workers never wait on
//! each other's rows and never claim the same job: each one's SELECT skips
//! the rows another transaction has locked, and once that transaction
//! commits the rows are no longer pending.
//!
//! On SQLite there are no row locks: a strata transaction holds the
//! database's write lock from `BEGIN IMMEDIATE`, so claims simply take turns.

use strata::{Db, Enum, Model};

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[strata(name = "job_status")]
pub enum JobStatus {
    #[strata(rename = "PENDING")]
    Pending,
    #[strata(rename = "RUNNING")]
    Running,
    #[strata(rename = "DONE")]
    Done,
}

/// One unit of work. The index serves the claim: pending jobs in id order.
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "jobs")]
#[strata(index(fields(status, id)))]
pub struct Job {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub payload: String,
    #[strata(default = "PENDING")]
    pub status: JobStatus,
    /// The worker that claimed the job, once one has.
    pub claimed_by: Option<String>,
}

/// Claims up to `n` pending jobs, oldest first, for `worker`: they come back
/// marked running and claimed by it. An empty result means no pending job
/// was free (all taken, or locked by other workers' claims in progress).
pub async fn claim(db: &Db, worker: &str, n: u64) -> strata::Result<Vec<Job>> {
    let worker = worker.to_owned();
    db.transaction(|tx| {
        Box::pin(async move {
            let mut jobs = Job::find_many()
                .filter(Job::status().eq(JobStatus::Pending))
                .order_by(Job::id().asc())
                .take(n)
                .for_update()
                .skip_locked()
                .exec(tx)
                .await?;
            if jobs.is_empty() {
                return Ok(jobs);
            }
            let ids = jobs.iter().map(|job| job.id);
            Job::update_many(Job::id().in_(ids))
                .status(JobStatus::Running)
                .claimed_by(worker.as_str())
                .exec(tx)
                .await?;
            for job in &mut jobs {
                job.status = JobStatus::Running;
                job.claimed_by = Some(worker.clone());
            }
            Ok(jobs)
        })
    })
    .await
}

/// Marks a claimed job done.
pub async fn complete(db: &Db, id: i64) -> strata::Result<()> {
    Job::update(Job::by_id(id))
        .status(JobStatus::Done)
        .exec(db)
        .await?;
    Ok(())
}
