//! (being written: see migrate/mod.rs)
