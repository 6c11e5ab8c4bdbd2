//! The sagas a process knows by name, so it can pick up sagas recorded by
//! any process (a crashed one included) on restart.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::definition::{Definition, Saga};
use super::engine;
use super::error::SagaError;
use super::state::{SagaState, SagaStatus};
use super::table::{self, LABEL};
use crate::execute::Rows;
use crate::schema::{FieldType, Row};
use crate::Db;

/// Saga definitions by name.
///
/// ```ignore
/// let registry = SagaRegistry::new().with(&order_saga()).with(&refund_saga());
/// for resumed in registry.resume_pending(&db).await? {
///     if let Err(e) = resumed.outcome { tracing::error!(%e, "saga did not complete"); }
/// }
/// ```
#[derive(Clone, Default)]
pub struct SagaRegistry {
    sagas: BTreeMap<String, Arc<Definition>>,
}

/// One saga [`SagaRegistry::resume_pending`] took up, and how it ended.
#[derive(Debug)]
pub struct Resumed {
    pub id: String,
    pub name: String,
    /// The final context (as JSON) of a completed saga, or why it did not
    /// complete (a failed step, compensated: [`SagaError::StepFailed`]).
    pub outcome: Result<Value, SagaError>,
}

impl SagaRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `saga` under its name (replacing one of the same name).
    pub fn with<C>(mut self, saga: &Saga<C>) -> Self
    where
        C: Serialize + DeserializeOwned + Send + 'static,
    {
        let def = saga.definition();
        self.sagas.insert(def.name.clone(), Arc::clone(def));
        self
    }

    /// [`Saga::resume`] for saga `id`, whichever registered saga it is.
    pub async fn resume(&self, db: &Db, id: &str) -> Result<Value, SagaError> {
        let def = self.definition_of(db, id).await?;
        engine::resume(&def, db, id).await
    }

    /// [`Saga::compensate`] for saga `id`, whichever registered saga it is.
    pub async fn compensate(&self, db: &Db, id: &str) -> Result<Value, SagaError> {
        let def = self.definition_of(db, id).await?;
        engine::compensate(&def, db, id).await
    }

    /// Resumes, one after the other and oldest first, every saga that is
    /// running or compensating and that no runner holds (never run since
    /// `start`, or whose runner's lease expired: a crash). A saga another
    /// process claims first is reported [`SagaError::Busy`]; one whose name
    /// is not registered, [`SagaError::Unregistered`] (and left alone).
    pub async fn resume_pending(&self, db: &Db) -> Result<Vec<Resumed>, SagaError> {
        table::ensure(db).await?;
        let now = Utc::now().timestamp_millis();
        let statuses = [SagaStatus::Running, SagaStatus::Compensating];
        let select = table::pending(db.dialect(), now, &statuses);
        let pending = db
            .fetch_unscoped(LABEL, select, decode_id_name, Rows::All)
            .await
            .map_err(|source| SagaError::database("", source))?;
        let mut resumed = Vec::with_capacity(pending.len());
        for (id, name) in pending {
            let outcome = match self.sagas.get(&name) {
                Some(def) => engine::resume(def, db, &id).await,
                None => Err(SagaError::Unregistered {
                    id: id.clone(),
                    name: name.clone(),
                }),
            };
            resumed.push(Resumed { id, name, outcome });
        }
        Ok(resumed)
    }

    async fn definition_of(&self, db: &Db, id: &str) -> Result<Arc<Definition>, SagaError> {
        let state = SagaState::load(db, id).await?;
        self.sagas
            .get(&state.name)
            .cloned()
            .ok_or(SagaError::Unregistered {
                id: state.id,
                name: state.name,
            })
    }
}

fn decode_id_name(row: Row<'_>) -> Result<(String, String), sqlx::Error> {
    Ok((String::decode(row, 0)?, String::decode(row, 1)?))
}
