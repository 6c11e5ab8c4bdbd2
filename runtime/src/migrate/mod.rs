//! Migrations: the schema as data, introspection, the diff, DDL per dialect,
//! migration files, the runner, the zero-downtime linter and batched backfills.
//!
//! The flow: [`from_models`] turns model descriptors into a [`DbSchema`] for one
//! dialect; [`introspect`] reads the same description from a live database;
//! [`diff`] compares two descriptions into changes; [`ddl`] renders changes as
//! up and down SQL; [`files`] writes and reads migration folders; [`runner`]
//! applies them under a lock with checksums; [`lint`] checks any migration for
//! statements that lock or break running code.

pub mod advisor;
#[cfg(feature = "migrate")]
pub mod backfill;
// Always built: sagas (saga/table.rs) keep `_strata_sagas` the same way.
#[cfg_attr(not(feature = "migrate"), allow(dead_code))]
pub(crate) mod bookkeeping;
pub mod ddl;
pub mod diff;
pub mod erd;
#[cfg(feature = "migrate")]
pub mod files;
pub mod from_models;
#[cfg(feature = "migrate")]
pub mod generate;
pub mod introspect;
#[cfg(feature = "lint")]
pub mod lint;
pub mod normalize;
#[cfg(feature = "migrate")]
pub mod runner;
pub mod schema;

pub use advisor::{advise, Advice, Finding};
pub use schema::{
    Action, Check, Column, DbSchema, EnumType, ForeignKey, Index, IndexPart, PrimaryKey, Table,
    TenantPolicy, Unique,
};
