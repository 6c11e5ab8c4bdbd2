//! The runner holding one saga's lease: runs the steps forward or the
//! compensations backward, writing the saga's record after every change
//! (each write conditional on the lease) and renewing the lease while a
//! step's action or compensation runs.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use super::definition::Definition;
use super::engine::{json, lease_end};
use super::error::{BoxError, CompensationFailure, SagaError};
use super::state::{SagaState, SagaStatus, StepStatus};
use super::table::{self, Save, LABEL};
use crate::Db;

/// The runner holding one saga's lease.
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
            .map_err(|source| SagaError::database(self.state.id.clone(), source))?;
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
