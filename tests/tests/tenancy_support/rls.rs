//! The same models with `row_level_security` (RLS mode on PostgreSQL) and
//! the scenarios compiled against them.

tenant_models!(, row_level_security);

#[path = "concurrency.rs"]
pub mod concurrency;
#[path = "guards.rs"]
pub mod guards;
#[path = "reads.rs"]
pub mod reads;
#[path = "seed.rs"]
pub mod seed;
#[path = "writes.rs"]
pub mod writes;
