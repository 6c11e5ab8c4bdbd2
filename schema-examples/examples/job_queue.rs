//! A job queue (the seed's "Pessimistic Locking"): 8 workers claim 200 jobs,
//! 5 at a time, with `FOR UPDATE SKIP LOCKED` inside a transaction
//! (`schema_examples::jobs::claim`); each job is claimed by exactly one.
//! Runs on an embedded SQLite file, or on `DATABASE_URL`.
//!
//!     cargo run -p schema-examples --example job_queue
//!     DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo run -p schema-examples --example job_queue
//!     DATABASE_URL=mysql://root@127.0.0.1/test cargo run -p schema-examples --example job_queue

use std::collections::BTreeMap;

use schema_examples::jobs::{claim, complete, Job, JobStatus};
use strata::Db;

const JOBS: usize = 200;
const WORKERS: usize = 8;
const BATCH: u64 = 5;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) => url,
        Err(_) => {
            let path = std::env::temp_dir().join("strata-job-queue-example.db");
            let _ = std::fs::remove_file(&path);
            format!("sqlite://{}", path.display())
        }
    };
    let db = Db::connect(&url).await?;
    db.reset_schema::<Job>().await?;
    let jobs = (0..JOBS).map(|i| Job::create().payload(format!("job {i}")));
    Job::create_many(jobs).exec(&db).await?;

    let workers = (0..WORKERS).map(|w| {
        let db = db.clone();
        tokio::spawn(async move {
            let name = format!("worker-{w}");
            let mut done = Vec::new();
            loop {
                let claimed = claim(&db, &name, BATCH).await?;
                if claimed.is_empty() {
                    return Ok::<_, strata::Error>(done);
                }
                for job in claimed {
                    // The work itself would go here, outside the claim's
                    // transaction: the row is already marked running.
                    complete(&db, job.id).await?;
                    done.push(job.id);
                }
            }
        })
    });
    let mut claims: BTreeMap<i64, usize> = BTreeMap::new();
    for (w, worker) in workers.collect::<Vec<_>>().into_iter().enumerate() {
        let done = worker.await??;
        println!("worker-{w} ran {} jobs", done.len());
        for id in done {
            *claims.entry(id).or_default() += 1;
        }
    }
    let twice = claims.values().filter(|&&n| n > 1).count();
    let left = Job::count()
        .filter(Job::status().ne(JobStatus::Done))
        .exec(&db)
        .await?;
    println!(
        "{} distinct jobs run, {twice} run more than once, {left} not done",
        claims.len()
    );
    Ok(())
}
