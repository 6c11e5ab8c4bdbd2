//! Every contender, connected. Each library lives in its own module under
//! `peers/` and is written as that library's documentation recommends.

#[path = "peers/diesel_async_peer.rs"]
mod diesel_async_peer;
#[path = "peers/diesel_peer.rs"]
mod diesel_peer;
#[path = "peers/diesel_schema.rs"]
mod diesel_schema;
#[path = "peers/sea_orm_peer.rs"]
mod sea_orm_peer;
#[path = "peers/sqlx_peer.rs"]
mod sqlx_peer;
#[path = "peers/strata_peer.rs"]
mod strata_peer;
#[path = "peers/tokio_postgres_peer.rs"]
mod tokio_postgres_peer;

use crate::fixture::Fixture;
use crate::peer::Peer;

/// The contender every other is compared to in the records' `round_ratio`.
pub const BASELINE: &str = "sqlx (connection)";

/// Connects every contender that supports `fixture`'s database, the baseline
/// first.
pub async fn connect_all(fixture: &Fixture) -> Vec<Box<dyn Peer>> {
    let mut peers: Vec<Box<dyn Peer>> = Vec::new();
    peers.extend(sqlx_peer::connect_all(fixture).await);
    peers.extend(sea_orm_peer::connect_all(fixture).await);
    peers.extend(diesel_peer::connect_all(fixture).await);
    peers.extend(diesel_async_peer::connect_all(fixture).await);
    peers.extend(strata_peer::connect_all(fixture).await);
    peers.extend(tokio_postgres_peer::connect_all(fixture).await);
    peers
}
