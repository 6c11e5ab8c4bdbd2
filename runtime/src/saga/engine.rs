//! The entry points of a saga run: recording a new saga, and claiming a
//! recorded one for this runner before handing it to the [`Runner`].
//!
//! A step is recorded `started` before its action runs and `done` (with the
//! context the action returned) after, so a crash in between leaves it
//! `started`: a resume runs the action again, and a compensation treats it
//! as possibly done. A runner holds the saga through a lease (a token and an
//! end time) claimed with one conditional UPDATE, renewed while a step runs,
//! and checked by every write; a crashed runner's lease expires and another
//! runner takes the saga over.

use chrono::Utc;
use serde_json::Value;

use super::definition::Definition;
use super::error::SagaError;
use super::runner::Runner;
use super::state::{SagaState, SagaStatus, StepState};
use super::table::{self, NewSaga, LABEL};
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
        .map_err(|source| SagaError::database(id, source))?;
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
        .map_err(|source| SagaError::database(id.to_owned(), source))?
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

pub(super) fn lease_end(def: &Definition) -> i64 {
    let lease = i64::try_from(def.lease.as_millis()).unwrap_or(i64::MAX / 2);
    Utc::now().timestamp_millis().saturating_add(lease)
}

/// JSON text of a value strata built itself (step records, or a context
/// that already is a `serde_json::Value`): serialising cannot fail.
pub(super) fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}
