//! Real schemas from the seed, used by the demo, the tests and the benchmarks.

// Clippy reads the same `dialects(..)` in two `#[strata(index(..))]`
// attributes of one struct as an attribute written twice.
#![allow(clippy::duplicated_attributes)]

pub mod blog;
pub mod shop;
