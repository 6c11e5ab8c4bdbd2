//! The isolation suite's support: databases per tenancy mode (`world`),
//! the models (`models`), and the scenarios, compiled once per model set:
//! `column` (tenant-scoped models: Column mode on every database, schema
//! mode on PostgreSQL) and `rls` (the same models with
//! `row_level_security`: RLS mode on PostgreSQL).

#[macro_use]
mod models;
pub mod world;

// Each set's scenarios use what they need of the generated builders.
#[allow(dead_code)]
pub mod column;
#[allow(dead_code)]
pub mod rls;
