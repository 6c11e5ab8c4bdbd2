//! What a saga reports when it does not complete: every error names the saga
//! (its name and id) and, where one is at fault, the step.

use super::state::SagaStatus;

/// Any error a step's action or compensation returns.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// One compensation that returned an error.
#[derive(Debug)]
pub struct CompensationFailure {
    pub step: String,
    pub cause: BoxError,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SagaError {
    /// A step's action failed; every step that had run before it was
    /// compensated, in reverse order, and the saga is `compensated`.
    #[error(
        "saga {saga} ({id}): step {step:?} failed: {cause}; compensated {}",
        list(compensated)
    )]
    StepFailed {
        saga: String,
        id: String,
        step: String,
        #[source]
        cause: BoxError,
        /// The steps compensated, in the order their compensations ran.
        compensated: Vec<String>,
    },

    /// At least one compensation failed. The saga is recorded `failed` and
    /// needs attention: fix the cause, then `compensate` it again, which
    /// retries the compensations that have not succeeded.
    #[error(
        "saga {saga} ({id}) needs attention: {}{}",
        failures_text(failures),
        trigger.as_ref().map(|(step, cause)| format!("; it was compensating because step {step:?} failed: {cause}")).unwrap_or_default()
    )]
    CompensationFailed {
        saga: String,
        id: String,
        /// The step whose failure made the saga compensate, and its error
        /// (`None` when `compensate` was called on a saga that had not failed).
        trigger: Option<(String, String)>,
        failures: Vec<CompensationFailure>,
    },

    /// Another runner holds the saga's lease and it has not expired.
    #[error("saga {saga} ({id}) is being run by another runner (its lease has not expired)")]
    Busy { saga: String, id: String },

    /// This runner's lease was taken over (it ran past it, e.g. a step
    /// slower than the lease with the database unreachable for renewals):
    /// the runner stopped; the one holding the lease carries on.
    #[error("saga {saga} ({id}): lost its lease during step {step:?}; another runner took the saga over")]
    LeaseLost {
        saga: String,
        id: String,
        step: String,
    },

    #[error("no saga with id {id:?} is recorded in _strata_sagas")]
    NotFound { id: String },

    /// The saga is in a status the call cannot continue from: `resume` of a
    /// completed, compensated or failed saga, `compensate` of a finished one.
    #[error("saga {saga} ({id}) is {status}: {hint}")]
    NotResumable {
        saga: String,
        id: String,
        status: SagaStatus,
        hint: &'static str,
    },

    /// The recorded saga is another saga's, or its steps differ from the
    /// definition's (a step added, removed or renamed since it started).
    #[error("saga {id}: recorded as {recorded}, which does not match saga {saga}: {reason}")]
    DefinitionMismatch {
        saga: String,
        id: String,
        recorded: String,
        reason: String,
    },

    /// A registry was asked to resume a saga whose name it does not know.
    #[error("saga {id} is named {name:?}, which is not registered")]
    Unregistered { id: String, name: String },

    /// The context did not serialise to JSON.
    #[error("saga {saga}: its context does not serialise to JSON: {source}")]
    Context {
        saga: String,
        #[source]
        source: serde_json::Error,
    },

    /// `_strata_sagas` holds a row strata cannot read back.
    #[error("saga {id}: its _strata_sagas row cannot be read: {reason}")]
    CorruptRecord { id: String, reason: String },

    /// A statement on `_strata_sagas` failed.
    #[error("saga {id:?}: reading or writing _strata_sagas failed: {source}")]
    Database {
        id: String,
        #[source]
        source: Box<crate::Error>,
    },
}

impl SagaError {
    pub(super) fn database(id: impl Into<String>, source: crate::Error) -> SagaError {
        SagaError::Database {
            id: id.into(),
            source: Box::new(source),
        }
    }

    /// The step at fault, when one is.
    pub fn step(&self) -> Option<&str> {
        match self {
            SagaError::StepFailed { step, .. } | SagaError::LeaseLost { step, .. } => Some(step),
            SagaError::CompensationFailed { failures, .. } => {
                failures.first().map(|f| f.step.as_str())
            }
            _ => None,
        }
    }
}

fn list(steps: &[String]) -> String {
    match steps {
        [] => "no step".to_owned(),
        steps => steps
            .iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn failures_text(failures: &[CompensationFailure]) -> String {
    failures
        .iter()
        .map(|f| format!("compensating step {:?} failed: {}", f.step, f.cause))
        .collect::<Vec<_>>()
        .join("; ")
}
