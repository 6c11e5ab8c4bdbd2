//! What the peers benchmark measures and how it reports, shared by the Rust
//! bench target (`benches/peers/`), the Node harness (`bench/node/`, through
//! the JSON records) and the report writer (`bench/run`).
//!
//! - [`case`]: the diesel_bench cases and the data each one is seeded with;
//! - [`rows`]: every library's rows, normalized so their results can be
//!   compared for equality before anything is timed;
//! - [`record`]: one measured contender in one case, one JSON line.

pub mod case;
pub mod chart;
pub mod record;
pub mod report;
pub mod rows;
