//! A saga's definition: its name, its steps (each an action and a
//! compensation) and its lease; [`Saga`] builds one over a typed context.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::engine;
use super::error::{BoxError, SagaError};
use super::state::SagaState;
use crate::Db;

/// What an action or a compensation returns: the context (changed or not)
/// to record and hand to the next step, or the error that stops the saga.
pub type StepResult<C> = Result<C, BoxError>;

/// An action or compensation over the context as JSON.
pub(super) type StepFn =
    Arc<dyn Fn(Db, Value) -> BoxFuture<'static, Result<Value, BoxError>> + Send + Sync>;

#[derive(Clone)]
pub(super) struct StepDef {
    pub name: String,
    pub action: StepFn,
    pub compensation: Option<StepFn>,
    /// Whether the action and the compensation each run in a transaction
    /// that also records the step done (compensated).
    pub transactional: bool,
}

#[derive(Clone)]
pub(super) struct Definition {
    pub name: String,
    pub steps: Vec<StepDef>,
    pub lease: Duration,
}

impl Definition {
    /// Checks that a recorded saga is this definition's: the same name and
    /// the same steps in the same order.
    pub(super) fn check(&self, state: &SagaState) -> Result<(), SagaError> {
        let mismatch = |reason: String| SagaError::DefinitionMismatch {
            saga: self.name.clone(),
            id: state.id.clone(),
            recorded: state.name.clone(),
            reason,
        };
        if state.name != self.name {
            return Err(mismatch("it is another saga".to_owned()));
        }
        let recorded: Vec<&str> = state.steps.iter().map(|s| s.name.as_str()).collect();
        let defined: Vec<&str> = self.steps.iter().map(|s| s.name.as_str()).collect();
        if recorded != defined {
            return Err(mismatch(format!(
                "it recorded steps {recorded:?}, the definition has {defined:?}"
            )));
        }
        Ok(())
    }
}

/// A named sequence of steps over a context of type `C`, run in order; when
/// a step fails, the steps done before it are compensated in reverse order.
/// Every change is recorded in `_strata_sagas` before the saga goes on, so a
/// saga a crash interrupted is resumed, or compensated, by any process.
///
/// The context is what the steps share and what is recorded: every action
/// and compensation gets it and returns it, possibly changed (an action
/// records, e.g., the id of the reservation its compensation releases). It
/// is stored as JSON, so `C` is `Serialize + DeserializeOwned` (a
/// `serde_json::Value` works too).
///
/// **Actions and compensations must be idempotent.** A step is recorded
/// `started` before its action runs and `done` after; a crash between the
/// action's effect and that record makes a resume run the action again, and
/// a compensation may run on a step whose action never took effect, or run
/// twice. Key their effects on something in the context (an id the first
/// attempt chose) or check before acting. A step whose effects are all in
/// this database can be a [`Saga::transactional_step`]: its action commits
/// together with its "done" record, so it runs to effect exactly once.
///
/// Run sagas on a pool's `Db`, not a transaction's: the record must be
/// visible to other processes, and survive a crash, as each step finishes.
///
/// See the crate's README ("Sagas") for an example.
pub struct Saga<C> {
    def: Arc<Definition>,
    context: PhantomData<fn(C) -> C>,
}

impl<C> Clone for Saga<C> {
    fn clone(&self) -> Self {
        Saga {
            def: Arc::clone(&self.def),
            context: PhantomData,
        }
    }
}

/// An action or compensation over `C`, as the engine runs it: over JSON.
fn erase<C, F, Fut>(saga: &str, step: &str, f: F) -> StepFn
where
    C: Serialize + DeserializeOwned + Send + 'static,
    F: Fn(Db, C) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = StepResult<C>> + Send + 'static,
{
    let what = format!("saga {saga:?}, step {step:?}");
    Arc::new(move |db, json| {
        let context = serde_json::from_value::<C>(json);
        let what = what.clone();
        match context {
            Err(e) => Box::pin(std::future::ready(Err(BoxError::from(format!(
                "{what}: the recorded context does not deserialise: {e}"
            ))))),
            Ok(context) => {
                let work = f(db, context);
                Box::pin(async move {
                    let context = work.await?;
                    serde_json::to_value(context).map_err(|e| {
                        BoxError::from(format!("{what}: the context does not serialise: {e}"))
                    })
                })
            }
        }
    })
}

impl<C> Saga<C>
where
    C: Serialize + DeserializeOwned + Send + 'static,
{
    /// A saga with no steps yet. `name` is recorded with each run: it is how
    /// a [`SagaRegistry`](super::SagaRegistry) finds the definition of a
    /// saga to resume, so keep it stable.
    pub fn new(name: impl Into<String>) -> Self {
        Saga {
            def: Arc::new(Definition {
                name: name.into(),
                steps: Vec::new(),
                lease: Duration::from_secs(60),
            }),
            context: PhantomData,
        }
    }

    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// Adds a step: `action` runs it, `compensation` undoes it. Both get a
    /// clone of the `Db` the saga runs on and the context, and return the
    /// context. Step names are recorded and must stay stable: a saga
    /// recorded with other steps is not resumed.
    pub fn step<A, AF, K, KF>(mut self, name: impl Into<String>, action: A, compensation: K) -> Self
    where
        A: Fn(Db, C) -> AF + Send + Sync + 'static,
        AF: Future<Output = StepResult<C>> + Send + 'static,
        K: Fn(Db, C) -> KF + Send + Sync + 'static,
        KF: Future<Output = StepResult<C>> + Send + 'static,
    {
        let name = name.into();
        let def = Arc::make_mut(&mut self.def);
        let step = StepDef {
            action: erase(&def.name, &name, action),
            compensation: Some(erase(&def.name, &name, compensation)),
            name,
            transactional: false,
        };
        def.steps.push(step);
        self
    }

    /// Adds a step whose action (and compensation) runs in a transaction
    /// on this database that also records the step done (compensated):
    /// both commit or neither does. A crash before the commit rolls the
    /// action's effects back with it, so the action runs again from a clean
    /// slate and need not be idempotent. Only for effects in this database
    /// (the `Db` given is the transaction's; anything else the action does,
    /// like a call to another service, is not rolled back).
    pub fn transactional_step<A, AF, K, KF>(
        self,
        name: impl Into<String>,
        action: A,
        compensation: K,
    ) -> Self
    where
        A: Fn(Db, C) -> AF + Send + Sync + 'static,
        AF: Future<Output = StepResult<C>> + Send + 'static,
        K: Fn(Db, C) -> KF + Send + Sync + 'static,
        KF: Future<Output = StepResult<C>> + Send + 'static,
    {
        let mut saga = self.step(name, action, compensation);
        if let Some(step) = Arc::make_mut(&mut saga.def).steps.last_mut() {
            step.transactional = true;
        }
        saga
    }

    /// Adds a step with nothing to undo (e.g. sending a notification last).
    pub fn step_without_compensation<A, AF>(mut self, name: impl Into<String>, action: A) -> Self
    where
        A: Fn(Db, C) -> AF + Send + Sync + 'static,
        AF: Future<Output = StepResult<C>> + Send + 'static,
    {
        let name = name.into();
        let def = Arc::make_mut(&mut self.def);
        let step = StepDef {
            action: erase(&def.name, &name, action),
            compensation: None,
            name,
            transactional: false,
        };
        def.steps.push(step);
        self
    }

    /// How long a runner holds a saga without renewing (default 60 s). A
    /// runner renews every third of it while a step runs; a crashed
    /// runner's saga can be taken over once it ends. Leases compare the
    /// runners' clocks: keep them within a small part of the lease.
    pub fn lease(mut self, lease: Duration) -> Self {
        Arc::make_mut(&mut self.def).lease = lease;
        self
    }

    /// Records a new saga with a generated id and runs it: the final
    /// context once every step is done, or the failed step's error once the
    /// steps before it are compensated.
    pub async fn run(&self, db: &Db, context: C) -> Result<C, SagaError> {
        self.run_with_id(db, cuid2::create_id(), context).await
    }

    /// [`Saga::run`] with the caller's id (e.g. the order's): a second run
    /// with the same id fails with a unique violation instead of repeating
    /// the saga.
    pub async fn run_with_id(
        &self,
        db: &Db,
        id: impl Into<String>,
        context: C,
    ) -> Result<C, SagaError> {
        let context = self.encode_context(context)?;
        let done = engine::run(&self.def, db, id.into(), context).await?;
        self.decode_context(done)
    }

    /// Records a new saga without running it; returns its id. [`Saga::resume`]
    /// or [`SagaRegistry::resume_pending`](super::SagaRegistry::resume_pending),
    /// in this process or another, runs it.
    pub async fn start(&self, db: &Db, context: C) -> Result<String, SagaError> {
        let context = self.encode_context(context)?;
        engine::start(&self.def, db, cuid2::create_id(), context).await
    }

    /// Continues saga `id`: a running one from its first step not done
    /// (running a `started` step's action again), a compensating one from
    /// its last step not compensated (then returning the step failure that
    /// made it compensate, [`SagaError::StepFailed`]). Fails with [`SagaError::Busy`] while
    /// another runner's lease on it lasts.
    pub async fn resume(&self, db: &Db, id: &str) -> Result<C, SagaError> {
        let done = engine::resume(&self.def, db, id).await?;
        self.decode_context(done)
    }

    /// Undoes saga `id`: runs the compensation of every step that was done
    /// or started, last first, and returns the context. On a `failed` saga
    /// it retries the compensations that failed.
    pub async fn compensate(&self, db: &Db, id: &str) -> Result<C, SagaError> {
        let done = engine::compensate(&self.def, db, id).await?;
        self.decode_context(done)
    }

    pub(super) fn definition(&self) -> &Arc<Definition> {
        &self.def
    }

    fn encode_context(&self, context: C) -> Result<Value, SagaError> {
        serde_json::to_value(context).map_err(|source| SagaError::Context {
            saga: self.def.name.clone(),
            source,
        })
    }

    fn decode_context(&self, context: Value) -> Result<C, SagaError> {
        serde_json::from_value(context).map_err(|source| SagaError::Context {
            saga: self.def.name.clone(),
            source,
        })
    }
}
