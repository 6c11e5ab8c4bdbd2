//! Running a saga: its steps forward, or its compensations backward, by the
//! one runner holding its lease, recording every change in `_strata_sagas`
//! before going on.
//!
//! A step is recorded `started` before its action runs and `done` (with the
//! context the action returned) after, so a crash in between leaves it
//! `started`: a resume runs the action again, and a compensation treats it
//! as possibly done. A runner holds the saga through a lease (a token and an
//! end time) claimed with one conditional UPDATE, renewed while a step runs,
//! and checked by every write; a crashed runner's lease expires and another
//! runner takes the saga over.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use super::definition::Definition;
use super::error::{BoxError, CompensationFailure, SagaError};
use super::state::{SagaState, SagaStatus, StepState, StepStatus};
use super::table::{self, NewSaga, Save, LABEL};
use crate::Db;

/// Records a new saga and, when `run` is set, claims it for this runner.
async fn insert(
    def: &Definition,
    db: &Db,
    id: String,
    context: &Value,
    token: Option<&str>,
) -> Result<(), SagaError> {
    table::ensure(db).await?;
    let steps: Vec<StepState> = def
        .steps
        .iter()
        .map(|s| StepState::pending(&s.name))
        .collect();
    let new = NewSaga {
        id: &id,
        name: &def.name,
        steps: json(&steps),
        context: json(context),
        lease: token.map(|t| (t, lease_end(def))),
        now: Utc::now(),
    };
    db.execute_unscoped(LABEL, table::insert(db.dialect(), new))
        .await
        .map_err(|source| SagaError::Database { id, source })?;
    Ok(())
}

/// Records saga `id` and runs it to the end (or compensates it).
pub(super) async fn run(
    def: &Definition,
    db: &Db,
    id: String,
    context: Value,
) -> Result<Value, SagaError> {
    let token = cuid2::create_id();
    insert(def, db, id.clone(), &context, Some(&token)).await?;
    let state = SagaState::load(db, &id).await?;
    Runner {
        def,
        db,
        token,
        state,
    }
    .forward()
    .await
}

/// Records saga `id` without running it: `resume` (or `resume_pending`,
/// in any process) runs it.
pub(super) async fn start(
    def: &Definition,
    db: &Db,
    id: String,
    context: Value,
) -> Result<String, SagaError> {
    insert(def, db, id.clone(), &context, None).await?;
    Ok(id)
}

/// Continues a saga that is running (from its first step not done) or
/// compensating (from its last step not compensated).
pub(super) async fn resume(def: &Definition, db: &Db, id: &str) -> Result<Value, SagaError> {
    let runner = claim(def, db, id, Claim::Resume).await?;
    match runner.state.status {
        SagaStatus::Compensating => {
            let trigger = runner.trigger();
            runner.compensate(trigger, true).await
        }
        _ => runner.forward().await,
    }
}

/// Undoes a saga: compensates every step that may have run, last first.
/// Also retries the failed compensations of a `failed` saga.
pub(super) async fn compensate(def: &Definition, db: &Db, id: &str) -> Result<Value, SagaError> {
    let runner = claim(def, db, id, Claim::Compensate).await?;
    let trigger = runner.trigger();
    runner.compensate(trigger, false).await
}

#[derive(Clone, Copy)]
enum Claim {
    Resume,
    Compensate,
}

impl Claim {
    fn statuses(self) -> &'static [SagaStatus] {
        match self {
            Claim::Resume => &[SagaStatus::Running, SagaStatus::Compensating],
            Claim::Compensate => &[
                SagaStatus::Running,
                SagaStatus::Compensating,
                SagaStatus::Failed,
            ],
        }
    }

    fn hint(self, status: SagaStatus) -> &'static str {
        match (self, status) {
            (Claim::Resume, SagaStatus::Failed) => {
                "a compensation failed; fix its cause, then call compensate to retry it"
            }
            (Claim::Resume, _) => "it has nothing left to run",
            (Claim::Compensate, SagaStatus::Completed) => {
                "every step is done; a completed saga is not compensated"
            }
            (Claim::Compensate, _) => "it has nothing left to compensate",
        }
    }
}

/// Takes saga `id`'s lease for this runner, after checking it is `def`'s
/// and in a status `claim` continues from.
async fn claim<'a>(
    def: &'a Definition,
    db: &'a Db,
    id: &str,
    claim: Claim,
) -> Result<Runner<'a>, SagaError> {
    let state = SagaState::load(db, id).await?;
    def.check(&state)?;
    let not_resumable = |state: &SagaState| SagaError::NotResumable {
        saga: def.name.clone(),
        id: id.to_owned(),
        status: state.status,
        hint: claim.hint(state.status),
    };
    if !claim.statuses().contains(&state.status) {
        return Err(not_resumable(&state));
    }
    let token = cuid2::create_id();
    let now = Utc::now().timestamp_millis();
    let update = table::claim(
        db.dialect(),
        id,
        &token,
        now,
        lease_end(def),
        claim.statuses(),
    );
    let claimed = db
        .execute_unscoped(LABEL, update)
        .await
        .map_err(|source| SagaError::Database {
            id: id.to_owned(),
            source,
        })?
        .rows_affected
        == 1;
    // Read again: another runner may have moved the saga on meanwhile.
    let state = SagaState::load(db, id).await?;
    if !claimed {
        return Err(match claim.statuses().contains(&state.status) {
            true => SagaError::Busy {
                saga: def.name.clone(),
                id: id.to_owned(),
            },
            false => not_resumable(&state),
        });
    }
    Ok(Runner {
        def,
        db,
        token,
        state,
    })
}

/// The runner holding one saga's lease.
struct Runner<'a> {
    def: &'a Definition,
    db: &'a Db,
    token: String,
    state: SagaState,
}

impl Runner<'_> {
    /// Runs the steps from the first one not done.
    async fn forward(mut self) -> Result<Value, SagaError> {
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

            let action = (step.action)(self.db.clone(), self.state.context.clone());
            let outcome = self.with_lease(&step.name, action).await?;
            let record = &mut self.state.steps[index];
            record.finished_at = Some(Utc::now());
            match outcome {
                Ok(context) => {
                    record.status = StepStatus::Done;
                    record.error = None;
                    self.state.context = context;
                    self.state.step = index + 1;
                    self.save(&step.name, false).await?;
                }
                Err(cause) => {
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
    fn trigger(&self) -> Option<(String, BoxError)> {
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
    async fn compensate(
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

            let undo = compensation(self.db.clone(), self.state.context.clone());
            let outcome = self.with_lease(&step.name, undo).await?;
            let record = &mut self.state.steps[index];
            record.finished_at = Some(Utc::now());
            match outcome {
                Ok(context) => {
                    record.status = StepStatus::Compensated;
                    self.state.context = context;
                    compensated.push(step.name.clone());
                }
                Err(cause) => {
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
        let save = Save {
            id: &self.state.id,
            owner: &self.token,
            status: self.state.status,
            step: self.state.step,
            steps: json(&self.state.steps),
            context: json(&self.state.context),
            last_error: self.state.last_error.clone(),
            lease_until: (!release).then(|| lease_end(self.def)),
            now: Utc::now(),
        };
        let written = self
            .db
            .execute_unscoped(LABEL, table::save(self.db.dialect(), save))
            .await
            .map_err(|source| SagaError::Database {
                id: self.state.id.clone(),
                source,
            })?;
        match written.rows_affected {
            0 => Err(self.lease_lost(step)),
            _ => Ok(()),
        }
    }

    /// Runs `work` (an action or compensation) while renewing the lease every
    /// third of its length; stops it if another runner took the lease over.
    async fn with_lease<T>(
        &self,
        step: &str,
        work: impl Future<Output = T>,
    ) -> Result<T, SagaError> {
        let every = (self.def.lease / 3).max(Duration::from_millis(10));
        let renew = async {
            loop {
                tokio::time::sleep(every).await;
                let update = table::renew(
                    self.db.dialect(),
                    &self.state.id,
                    &self.token,
                    lease_end(self.def),
                );
                match self.db.execute_unscoped(LABEL, update).await {
                    Ok(written) if written.rows_affected == 0 => return,
                    Ok(_) => {}
                    // Not fatal: the next renewal may get through before
                    // the lease ends.
                    Err(e) => tracing::warn!(
                        saga = %self.def.name,
                        id = %self.state.id,
                        error = %e,
                        "renewing a saga's lease failed"
                    ),
                }
            }
        };
        tokio::select! {
            out = work => Ok(out),
            () = renew => Err(self.lease_lost(step)),
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

fn lease_end(def: &Definition) -> i64 {
    let lease = i64::try_from(def.lease.as_millis()).unwrap_or(i64::MAX / 2);
    Utc::now().timestamp_millis().saturating_add(lease)
}

/// JSON text of a value strata built itself (step records, or a context
/// that already is a `serde_json::Value`): serialising cannot fail.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}
