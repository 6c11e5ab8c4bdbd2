//! Sagas: a named sequence of steps, each an action and a compensation, run
//! in order; when a step fails, the steps done before it are compensated in
//! reverse order. Each saga's progress is recorded in `_strata_sagas` (one
//! row: status, the status of each step, the context as JSON, attempts, the
//! last error, a runner's lease) before it goes on, so a saga interrupted by
//! a crash is resumed forward ([`Saga::resume`],
//! [`SagaRegistry::resume_pending`]) or undone ([`Saga::compensate`]) by the
//! next process.
//!
//! ```ignore
//! let saga = Saga::<Order>::new("order")
//!     .step("reserve", |db, mut o| async move { o.reservation = Some(reserve(&db, &o).await?); Ok(o) },
//!                      |db, o| async move { release(&db, &o).await?; Ok(o) })
//!     .step("charge",  |db, o| async move { charge(&db, &o).await?; Ok(o) },
//!                      |db, o| async move { refund(&db, &o).await?; Ok(o) });
//! let order = saga.run(&db, order).await?;
//! ```
//!
//! Layout: definition.rs (Saga, its steps), engine.rs (recording a saga,
//! claiming its lease), runner.rs (running forward and compensating under
//! the lease), state.rs (the record as users read it), table.rs (the
//! table's SQL), registry.rs (resuming by name), error.rs.

mod definition;
mod engine;
mod error;
mod registry;
mod runner;
mod state;
mod table;

pub use definition::{Saga, StepResult};
pub use error::{BoxError, CompensationFailure, SagaError};
pub use registry::{Resumed, SagaRegistry};
pub use state::{SagaState, SagaStatus, StepState, StepStatus};
pub use table::SAGA_TABLE;
