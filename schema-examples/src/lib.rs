//! Real schemas from the seed, used by the demo, the tests and the benchmarks.

pub mod blog;
pub mod jobs;
pub mod saas;
pub mod shop;
pub mod soft;
