//! DDL per dialect from the schema description: `create` renders whole objects
//! (enum types, tables, indexes) for a schema or a new table; the change
//! renderers turn each diff change into up and down statements, with
//! PostgreSQL's lock-safe recipes.

pub mod create;
