//! The runner holding one saga's lease: runs the steps forward or the
//! compensations backward, writing the saga's record after every change
//! (each write conditional on the lease) and renewing the lease while a
//! step's action or compensation runs.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use super::definition::{Definition, StepFn};
use super::engine::{json, lease_end};
use super::error::{BoxError, CompensationFailure, SagaError};
use super::state::{SagaState, SagaStatus, StepStatus};
use super::table::{self, Save, LABEL};
use crate::Db;

/// The runner holding one saga's lease.
/// How an action or compensation ended.
enum Attempt {
    /// It returned a context; `next` is the state to keep, already written
    /// when `recorded` (a transactional step).
    Finished {
        next: Box<SagaState>,
        recorded: bool,
    },
    Failed(BoxError),
}

pub(super) struct Runner<'a> {
    pub def: &'a Definition,
    pub db: &'a Db,
    pub token: String,
    pub state: SagaState,
}

impl Runner<'_> {
    /// Runs the steps from the first one not done.
    pub(super) async fn forward(mut self) -> Result<Value, SagaError> {
        self.state.status = SagaStatus::Running;
        let first = self
            .state
            .steps
            .iter()
            .position(|s| s.status != StepStatus::Done)
            .unwrap_or(self.state.steps.len());
        for index in first..self.def.steps.len() {
            let step = &self.def.steps[index];
            let now = Utc::now();
            let record = &mut self.state.steps[index];
            record.status = StepStatus::Started;
            record.attempts += 1;
            record.started_at = Some(now);
            record.finished_at = None;
            self.state.step = index;
            self.save(&step.name, false).await?;

            let done = |context| self.finished(index, StepStatus::Done, context);
            let attempt = self.attempt(&step.name, &step.action, step.transactional, done);
            match attempt.await? {
                Attempt::Finished { next, recorded } => {
                    self.state = *next;
                    if !recorded {
                        self.save(&step.name, false).await?;
                    }
                }
                Attempt::Failed(cause) => {
                    let record = &mut self.state.steps[index];
                    record.finished_at = Some(Utc::now());
                    record.status = StepStatus::Failed;
                    record.error = Some(cause.to_string());
                    self.state.last_error = Some(format!("step {:?}: {cause}", step.name));
                    self.state.status = SagaStatus::Compensating;
                    self.save(&step.name, false).await?;
                    return self
                        .compensate(Some((step.name.clone(), cause)), true)
                        .await;
                }
            }
        }
        self.state.status = SagaStatus::Completed;
        self.state.last_error = None;
        let last = self.def.steps.last().map_or("", |s| s.name.as_str());
        self.save(last, true).await?;
        Ok(self.state.context)
    }

    /// The failed step that made the saga compensate, from its record.
    pub(super) fn trigger(&self) -> Option<(String, BoxError)> {
        self.state
            .steps
            .iter()
            .find(|s| s.status == StepStatus::Failed)
            .map(|s| {
                let cause = s.error.clone().unwrap_or_default();
                (s.name.clone(), BoxError::from(cause))
            })
    }

    /// Runs the compensation of every step that may have taken effect, last
    /// first. Every failure is recorded on its step and the saga ends
    /// `failed`; the others still run. `report_trigger`: a saga that
    /// compensated because a step failed returns that failure.
    pub(super) async fn compensate(
        mut self,
        trigger: Option<(String, BoxError)>,
        report_trigger: bool,
    ) -> Result<Value, SagaError> {
        self.state.status = SagaStatus::Compensating;
        let mut failures = Vec::new();
        let mut compensated = Vec::new();
        for index in (0..self.def.steps.len()).rev() {
            if !self.state.steps[index].status.needs_compensation() {
                continue;
            }
            let step = &self.def.steps[index];
            let Some(compensation) = &step.compensation else {
                self.state.steps[index].status = StepStatus::Compensated;
                continue;
            };
            let record = &mut self.state.steps[index];
            record.status = StepStatus::Compensating;
            record.compensation_attempts += 1;
            self.save(&step.name, false).await?;

            let undone = |context| self.finished(index, StepStatus::Compensated, context);
            let attempt = self.attempt(&step.name, compensation, step.transactional, undone);
            match attempt.await? {
                Attempt::Finished { next, recorded } => {
                    self.state = *next;
                    compensated.push(step.name.clone());
                    if recorded {
                        continue;
                    }
                }
                Attempt::Failed(cause) => {
                    let record = &mut self.state.steps[index];
                    record.finished_at = Some(Utc::now());
                    record.status = StepStatus::CompensationFailed;
                    record.error = Some(cause.to_string());
                    self.state.last_error =
                        Some(format!("compensating step {:?}: {cause}", step.name));
                    tracing::error!(
                        saga = %self.def.name,
                        id = %self.state.id,
                        step = %step.name,
                        error = %cause,
                        "saga compensation failed; the saga needs attention"
                    );
                    failures.push(CompensationFailure {
                        step: step.name.clone(),
                        cause,
                    });
                }
            }
            self.save(&step.name, false).await?;
        }
        self.state.status = match failures.is_empty() {
            true => SagaStatus::Compensated,
            false => SagaStatus::Failed,
        };
        let at = trigger.as_ref().map_or("", |(step, _)| step.as_str());
        self.save(at, true).await?;
        let (saga, id) = (self.def.name.clone(), self.state.id.clone());
        if !failures.is_empty() {
            return Err(SagaError::CompensationFailed {
                saga,
                id,
                trigger: trigger.map(|(step, cause)| (step, cause.to_string())),
                failures,
            });
        }
        match trigger {
            Some((step, cause)) if report_trigger => Err(SagaError::StepFailed {
                saga,
                id,
                step,
                cause,
                compensated,
            }),
            _ => Ok(self.state.context),
        }
    }

    /// Writes the saga's state, renewing the lease, or releasing it when
    /// `release`. `step` names the step in a `LeaseLost` error.
    async fn save(&mut self, step: &str, release: bool) -> Result<(), SagaError> {
        self.write(self.db, &self.state, step, release).await
    }

    /// Writes `state` through `db` (the saga's, or a step's transaction).
    async fn write(
        &self,
        db: &Db,
        state: &SagaState,
        step: &str,
        release: bool,
    ) -> Result<(), SagaError> {
        let save = Save {
            id: &state.id,
            owner: &self.token,
            status: state.status,
            step: state.step,
            steps: json(&state.steps),
            context: json(&state.context),
            last_error: state.last_error.clone(),
            lease_until: (!release).then(|| lease_end(self.def)),
            now: Utc::now(),
        };
        let written = db
            .execute_unscoped(LABEL, table::save(db.dialect(), save))
            .await
            .map_err(|source| SagaError::database(&state.id, source))?;
        match written.rows_affected {
            0 => Err(self.lease_lost(step)),
            _ => Ok(()),
        }
    }

    /// The state after step `index`'s action or compensation returned
    /// `context`: the step `status` (done or compensated), the context kept.
    fn finished(&self, index: usize, status: StepStatus, context: Value) -> SagaState {
        let mut next = self.state.clone();
        let record = &mut next.steps[index];
        record.status = status;
        record.error = None;
        record.finished_at = Some(Utc::now());
        next.context = context;
        if status == StepStatus::Done {
            next.step = index + 1;
        }
        next
    }

    /// Runs an action or compensation under the lease. A transactional
    /// step runs in a transaction that also writes the state `finish`
    /// builds from the returned context: both commit, or neither (a crash
    /// before the commit leaves the step as it was, its effects undone).
    async fn attempt(
        &self,
        step: &str,
        work: &StepFn,
        transactional: bool,
        finish: impl FnOnce(Value) -> SagaState,
    ) -> Result<Attempt, SagaError> {
        let context = self.state.context.clone();
        if !transactional {
            let outcome = self
                .with_lease(step, work(self.db.clone(), context))
                .await?;
            return Ok(match outcome {
                Ok(context) => Attempt::Finished {
                    next: Box::new(finish(context)),
                    recorded: false,
                },
                Err(cause) => Attempt::Failed(cause),
            });
        }
        let in_transaction = async {
            let database = |source| SagaError::database(&self.state.id, source);
            let (tx, level) = self.db.begin().await.map_err(database)?;
            match work(tx.clone(), context).await {
                Err(cause) => {
                    // A failed ROLLBACK leaves the level open; its drop
                    // queues the rollback.
                    let _ = level.rollback().await;
                    Ok(Attempt::Failed(cause))
                }
                Ok(context) => {
                    let next = finish(context);
                    // On an error `level` drops open: rolled back.
                    self.write(&tx, &next, step, false).await?;
                    level.commit().await.map_err(database)?;
                    Ok(Attempt::Finished {
                        next: Box::new(next),
                        recorded: true,
                    })
                }
            }
        };
        self.with_lease(step, in_transaction).await?
    }

    /// Runs `work` (an action or compensation) while renewing the lease every
    /// third of its length; stops it if another runner took the lease over.
    /// A renewal under way when `work` finishes is awaited, never dropped:
    /// a statement abandoned half-way would leave its connection mid-reply.
    async fn with_lease<T>(
        &self,
        step: &str,
        work: impl Future<Output = T>,
    ) -> Result<T, SagaError> {
        let every = (self.def.lease / 3).max(Duration::from_millis(10));
        let mut work = pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return Ok(out),
                () = tokio::time::sleep(every) => {}
            }
            let mut renewal = pin!(self.renew());
            let mut finished = None;
            let held = loop {
                tokio::select! {
                    biased;
                    held = &mut renewal => break held,
                    out = &mut work, if finished.is_none() => finished = Some(out),
                }
            };
            // Finished work is kept even if the lease was just lost: the
            // write recording it checks the lease again.
            match (finished, held) {
                (Some(out), _) => return Ok(out),
                (None, false) => return Err(self.lease_lost(step)),
                (None, true) => {}
            }
        }
    }

    /// Extends the lease; `false` once another runner holds it. A failed
    /// renewal is not fatal: the next may get through before the lease ends.
    async fn renew(&self) -> bool {
        let update = table::renew(
            self.db.dialect(),
            &self.state.id,
            &self.token,
            lease_end(self.def),
        );
        match self.db.execute_unscoped(LABEL, update).await {
            Ok(written) => written.rows_affected > 0,
            Err(e) => {
                tracing::warn!(
                    saga = %self.def.name,
                    id = %self.state.id,
                    error = %e,
                    "renewing a saga's lease failed"
                );
                true
            }
        }
    }

    fn lease_lost(&self, step: &str) -> SagaError {
        SagaError::LeaseLost {
            saga: self.def.name.clone(),
            id: self.state.id.clone(),
            step: step.to_owned(),
        }
    }
}
