//! The strata-vs-sqlx scenario shared by `benches/vs_sqlx` (interleaved
//! rounds) and `examples/instructions.rs` (fixed iteration counts, for
//! callgrind): the cases, the seeded data, the hand-written SQL and both sides.
//!
//! - `cases`: what is measured (cases, databases, strategies, runtimes);
//! - `sql`: the hand-written SQL, checked against strata's rendering;
//! - `fixture`: the seeded database and the cleanup after write cases;
//! - `rows`: the hand-written `FromRow` rows;
//! - `sqlx_side` / `strata_side`: the two contenders;
//! - [`contender`]: builds either one for a case.

pub mod cases;
pub mod fixture;
pub mod rows;
pub mod sql;
pub mod sqlx_side;
pub mod strata_side;

use crate::Contender;
use cases::{Case, Kind, Strategy};
use fixture::Fixture;
use sqlx_side::{SqlxConn, SqlxSide, Variant};
use std::sync::Arc;
use strata_side::StrataSide;

/// Which code runs a case, on which kind of connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// strata through `Db::connect_single` or `Db::connect`.
    Strata(Strategy),
    /// Hand-written sqlx (or one of its attribution variants).
    Sqlx(SqlxConn, Variant),
}

/// The contender that runs `case` the way `side` says, on `fx`'s database.
pub async fn contender(fx: &Arc<Fixture>, side: Side, case: Case) -> Box<dyn Contender> {
    match (side, fx.kind) {
        (Side::Strata(strategy), _) => Box::new(StrataSide::connect(fx, strategy, case).await),
        (Side::Sqlx(how, variant), Kind::Postgres) => {
            Box::new(SqlxSide::<sqlx::Postgres>::connect(fx, how, case, variant).await)
        }
        (Side::Sqlx(how, variant), Kind::Sqlite) => {
            Box::new(SqlxSide::<sqlx::Sqlite>::connect(fx, how, case, variant).await)
        }
    }
}
