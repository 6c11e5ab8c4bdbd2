//! What `_strata_sagas` records about one saga: its status, the status of
//! each step, the context and the bookkeeping around them, as users read it
//! back ([`SagaState::load`]) and as the engine keeps it between writes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::SagaError;
use super::table;
use crate::execute::Rows;
use crate::schema::{FieldType, Row};
use crate::Db;

/// Where a saga stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaStatus {
    /// Running its steps forward (or recorded by `start` and not run yet).
    Running,
    /// A step failed (or `compensate` was asked for): undoing the done steps.
    Compensating,
    /// Every step's action is done.
    Completed,
    /// Every step that had run was compensated.
    Compensated,
    /// A compensation failed: the saga needs attention. `compensate` retries
    /// the compensations that have not succeeded.
    Failed,
}

impl SagaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SagaStatus::Running => "running",
            SagaStatus::Compensating => "compensating",
            SagaStatus::Completed => "completed",
            SagaStatus::Compensated => "compensated",
            SagaStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<SagaStatus> {
        [
            SagaStatus::Running,
            SagaStatus::Compensating,
            SagaStatus::Completed,
            SagaStatus::Compensated,
            SagaStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for SagaStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Its action has not started.
    Pending,
    /// Its action started and was not seen to finish: it may or may not
    /// have taken effect (a crash in between), so a resume runs it again.
    Started,
    /// Its action finished.
    Done,
    /// Its action returned an error: the step that made the saga compensate.
    Failed,
    /// Its compensation started and was not seen to finish.
    Compensating,
    /// Its compensation finished (or it had none).
    Compensated,
    /// Its compensation returned an error, recorded in `error`.
    CompensationFailed,
}

impl StepStatus {
    /// Whether the step's action may have taken effect and not been undone.
    pub(super) fn needs_compensation(self) -> bool {
        matches!(
            self,
            StepStatus::Started
                | StepStatus::Done
                | StepStatus::Compensating
                | StepStatus::CompensationFailed
        )
    }
}

/// One step's record, kept as JSON in the saga's `steps` column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepState {
    pub name: String,
    pub status: StepStatus,
    /// How many times its action was started.
    pub attempts: u32,
    /// How many times its compensation was started.
    pub compensation_attempts: u32,
    /// The last error its action or compensation returned.
    pub error: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl StepState {
    pub(super) fn pending(name: &str) -> StepState {
        StepState {
            name: name.to_owned(),
            status: StepStatus::Pending,
            attempts: 0,
            compensation_attempts: 0,
            error: None,
            started_at: None,
            finished_at: None,
        }
    }
}

/// One saga as `_strata_sagas` records it.
#[derive(Debug, Clone, PartialEq)]
pub struct SagaState {
    pub id: String,
    /// The saga's name: which definition its steps belong to.
    pub name: String,
    pub status: SagaStatus,
    /// The step the saga runs next (forward), or the failed step's index
    /// while it compensates.
    pub step: usize,
    pub steps: Vec<StepState>,
    /// The context as the last finished action or compensation left it.
    pub context: serde_json::Value,
    /// How many times a runner claimed the saga (`run`, `resume`, `compensate`).
    pub attempts: i64,
    pub last_error: Option<String>,
    /// The token of the runner holding the saga, while one does.
    pub lease_owner: Option<String>,
    /// When that runner's lease ends, in milliseconds since the Unix epoch
    /// by the runner's clock.
    pub lease_until: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SagaState {
    /// Reads saga `id`'s record.
    pub async fn load(db: &Db, id: &str) -> Result<SagaState, SagaError> {
        Self::find(db, id)
            .await?
            .ok_or_else(|| SagaError::NotFound { id: id.to_owned() })
    }

    /// Reads saga `id`'s record, `None` if there is none. (The table is
    /// created by the first `run`, `start` or `resume_pending`, not here:
    /// DDL on every read would cost a round trip and, on MySQL, commit.)
    pub(super) async fn find(db: &Db, id: &str) -> Result<Option<SagaState>, SagaError> {
        let rows = db
            .fetch_unscoped(
                table::LABEL,
                table::select(db.dialect(), id),
                decode,
                Rows::First,
            )
            .await
            .map_err(|source| SagaError::database(id.to_owned(), source))?;
        rows.into_iter().next().map(Raw::parse).transpose()
    }
}

/// A row as read, before its text columns are parsed.
pub(super) struct Raw {
    id: String,
    name: String,
    status: String,
    step: i64,
    steps: String,
    context: String,
    attempts: i64,
    last_error: Option<String>,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Reads a row of `table::select`, in `table::COLUMNS` order.
fn decode(row: Row<'_>) -> Result<Raw, sqlx::Error> {
    Ok(Raw {
        id: String::decode(row, 0)?,
        name: String::decode(row, 1)?,
        status: String::decode(row, 2)?,
        step: i64::decode(row, 3)?,
        steps: String::decode(row, 4)?,
        context: String::decode(row, 5)?,
        attempts: i64::decode(row, 6)?,
        last_error: Option::<String>::decode(row, 7)?,
        lease_owner: Option::<String>::decode(row, 8)?,
        lease_until: Option::<i64>::decode(row, 9)?,
        created_at: DateTime::<Utc>::decode(row, 10)?,
        updated_at: DateTime::<Utc>::decode(row, 11)?,
    })
}

impl Raw {
    fn parse(self) -> Result<SagaState, SagaError> {
        let corrupt = |what: String| SagaError::CorruptRecord {
            id: self.id.clone(),
            reason: what,
        };
        let status = SagaStatus::parse(&self.status)
            .ok_or_else(|| corrupt(format!("unknown status {:?}", self.status)))?;
        let steps: Vec<StepState> = serde_json::from_str(&self.steps)
            .map_err(|e| corrupt(format!("its steps do not read as JSON: {e}")))?;
        let context = serde_json::from_str(&self.context)
            .map_err(|e| corrupt(format!("its context does not read as JSON: {e}")))?;
        let step = usize::try_from(self.step)
            .ok()
            .filter(|&s| s <= steps.len())
            .ok_or_else(|| corrupt(format!("step {} is out of range", self.step)))?;
        Ok(SagaState {
            id: self.id,
            name: self.name,
            status,
            step,
            steps,
            context,
            attempts: self.attempts,
            last_error: self.last_error,
            lease_owner: self.lease_owner,
            lease_until: self.lease_until,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}
