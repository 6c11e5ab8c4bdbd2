//! (being written: see migrate/ddl/mod.rs)
