//! The cost of building and rendering each statement, without a database.

use sqlx::{Postgres, Sqlite};
use std::time::Instant;
use strata::Dialect;
use strata_bench::vs_sqlx::cases::Case;
use strata_bench::vs_sqlx::sql::sql_for;
use strata_bench::vs_sqlx::sqlx_side::SqlxSide;
use strata_bench::vs_sqlx::strata_side::StrataSide;
use uuid::Uuid;

pub struct ClientCost {
    pub dialect: Dialect,
    pub case: Case,
    /// strata: the builder calls, the AST and `render` (binds are encoded for
    /// the driver later, while executing, and are not in this number).
    pub strata_ns: f64,
    /// sqlx: `query_as(..)` and its `.bind(..)` calls, which encode the values.
    pub sqlx_ns: f64,
}

/// Client-side CPU per query without a database, strata and sqlx alternating:
/// the median over 15 rounds of each round's mean.
pub fn client_costs(writer: &str) -> Vec<ClientCost> {
    let mut costs = Vec::new();
    let id = Uuid::new_v4();
    for dialect in [Dialect::Postgres, Dialect::Sqlite] {
        let sql = sql_for(dialect);
        for case in Case::ALL {
            let iterations = if case == Case::CreateMany {
                200
            } else {
                20_000
            };
            let mut strata_rounds = Vec::new();
            let mut sqlx_rounds = Vec::new();
            for _ in 0..15 {
                let start = Instant::now();
                for _ in 0..iterations {
                    std::hint::black_box(StrataSide::build(dialect, case, id, writer));
                }
                strata_rounds.push(start.elapsed().as_nanos() as f64 / iterations as f64);
                let start = Instant::now();
                for _ in 0..iterations {
                    match dialect {
                        Dialect::Postgres => SqlxSide::<Postgres>::build(&sql, case, id, writer),
                        _ => SqlxSide::<Sqlite>::build(&sql, case, id, writer),
                    }
                }
                sqlx_rounds.push(start.elapsed().as_nanos() as f64 / iterations as f64);
            }
            costs.push(ClientCost {
                dialect,
                case,
                strata_ns: strata_bench::median_f64(&strata_rounds),
                sqlx_ns: strata_bench::median_f64(&sqlx_rounds),
            });
        }
    }
    costs
}
