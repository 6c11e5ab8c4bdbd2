//! DDL per dialect from the schema description: `create` renders whole objects
//! (enum types, tables, indexes) for a schema or a new table; `changes`
//! turns each diff change into up and down statements, with PostgreSQL's
//! lock-safe recipes (`postgres`), SQLite's table rebuild (`sqlite`) and
//! MySQL's online ALTERs (`mysql`); `plan` lays them out as migration files.

pub mod changes;
mod common;
pub mod create;
mod mysql;
mod pg_enum;
pub mod plan;
mod postgres;
pub mod rls;
mod sqlite;

pub use changes::{inverse, render, Phases, Steps};
pub use plan::{plan, PlannedMigration, LOCK_TIMEOUT};
