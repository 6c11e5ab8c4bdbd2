//! What is measured: the cases, the databases, the connection strategies and
//! the tokio runtime flavors, and the sizes of the seeded data.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use strata::Dialect;

/// Rows per `create_many` case.
pub const MANY: usize = 100;
/// Seeded posts: `find_many` of all of them is the 10,000-row case.
pub const POSTS: usize = 10_000;
/// Seeded authors; each has `POSTS / AUTHORS` = 100 posts, the filtered case.
pub const AUTHORS: usize = 100;
pub const CONTENT: &str = "Benchmarks compare strata with hand-written sqlx on the same SQL, \
    the same connection strategy and the same runtime, interleaved in rounds.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    FindById,
    FindMany100,
    FindManyAll,
    Create,
    CreateMany,
    UpdateById,
}

impl Case {
    pub const ALL: [Case; 6] = [
        Case::FindById,
        Case::FindMany100,
        Case::FindManyAll,
        Case::Create,
        Case::CreateMany,
        Case::UpdateById,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Case::FindById => "find by id",
            Case::FindMany100 => "find_many 100 rows (filter)",
            Case::FindManyAll => "find_many 10,000 rows",
            Case::Create => "create",
            Case::CreateMany => "create_many 100",
            Case::UpdateById => "update by id",
        }
    }

    /// The case whose `name` or short `slug` (`find-by-id`, `create-many`..) is `s`.
    pub fn parse(s: &str) -> Option<Case> {
        Case::ALL
            .into_iter()
            .find(|c| c.name() == s || c.slug() == s)
    }

    /// A short name for command lines.
    pub fn slug(self) -> &'static str {
        match self {
            Case::FindById => "find-by-id",
            Case::FindMany100 => "find-many-100",
            Case::FindManyAll => "find-many-all",
            Case::Create => "create",
            Case::CreateMany => "create-many",
            Case::UpdateById => "update-by-id",
        }
    }

    /// Whether the case inserts posts, which are deleted after every batch.
    pub fn writes_posts(self) -> bool {
        matches!(self, Case::Create | Case::CreateMany)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Postgres,
    Sqlite,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Postgres => "postgres",
            Kind::Sqlite => "sqlite",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Kind::Postgres => "PostgreSQL",
            Kind::Sqlite => "SQLite",
        }
    }
    pub fn dialect(self) -> Dialect {
        match self {
            Kind::Postgres => Dialect::Postgres,
            Kind::Sqlite => Dialect::Sqlite,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Single,
    Pool,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Single => "single",
            Strategy::Pool => "pool",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Strategy::Single => "single connection",
            Strategy::Pool => "pool (strata's default PoolOptions on both sides)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    CurrentThread,
    MultiThread,
}

impl Flavor {
    pub fn name(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "current-thread",
            Flavor::MultiThread => "multi-thread",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "current-thread runtime",
            Flavor::MultiThread => "multi-thread runtime, 2 workers",
        }
    }
    pub fn runtime(self) -> tokio::runtime::Runtime {
        match self {
            Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
            Flavor::MultiThread => {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                b.worker_threads(2);
                b
            }
        }
        .enable_all()
        .build()
        .expect("tokio runtime")
    }
}

/// The current time to microseconds, as strata writes `now` defaults.
pub fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}
