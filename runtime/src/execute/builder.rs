//! `Db::builder()`: a database handle with settings beyond one URL and its
//! pool options. Each production feature keeps its own part of [`Context`],
//! which every clone of the `Db` (transactions included) shares.

use super::replica::{Reads, Replicas};
use super::{Db, PoolOptions};
use crate::error::{Error, Result};
use crate::intercept::{chain::Chain, Interceptor};
use std::sync::Arc;
use std::time::Duration;

/// Builds a [`Db`]: `Db::builder().url(url).pool(options).connect().await`.
#[derive(Debug, Default)]
pub struct DbBuilder {
    url: Option<String>,
    pool: PoolOptions,
    interceptors: Chain,
    replicas: Vec<String>,
    #[cfg(feature = "metrics")]
    metrics: bool,
    pgbouncer: bool,
    direct_url: Option<String>,
    tenancy: crate::tenant::Tenancy,
}

/// What a `Db` and all its clones share besides the connection.
#[derive(Debug, Default)]
pub(crate) struct Context {
    /// Interceptors, the built-in tracing first.
    pub(crate) interceptors: Chain,
    /// Where reads go, if not to the primary (replica.rs).
    pub(super) replicas: Option<super::replica::Replicas>,
    /// Through a transaction-mode pooler (pgbouncer.rs).
    pub(super) pgbouncer: bool,
    /// The database's own address, for what a pooler cannot carry.
    pub(super) direct_url: Option<String>,
    /// `statement_cache_capacity` is 0: statements run unnamed. sqlx 0.9
    /// with a zero-size cache still prepares each statement under a new
    /// name and never closes it, so a long-lived connection would pile up
    /// prepared statements on the server.
    pub(super) unnamed_statements: bool,
    /// How tenant-scoped models are kept apart (`crate::tenant`).
    pub(crate) tenancy: crate::tenant::Tenancy,
    /// Statements outside a transaction may run in one of their own:
    /// PgBouncer mode, or a tenancy that sets the tenant per transaction
    /// (pgbouncer.rs `Db::pin`, tenant_session.rs).
    pub(super) wraps: bool,
    /// PostgreSQL with `Tenancy::Column`: statements on a model with
    /// `row_level_security` are refused (tenant_session.rs).
    pub(super) guards_row_level_security: bool,
}

impl DbBuilder {
    /// The database to connect to (the primary, where there are replicas).
    /// The dialect comes from the scheme, as for [`Db::connect`].
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// The primary: the same as [`DbBuilder::url`], for a `Db` with replicas.
    pub fn primary(self, url: impl Into<String>) -> Self {
        self.url(url)
    }

    /// Adds a read replica of the primary (same kind of database). Reads
    /// outside transactions go to the replicas in turn; writes,
    /// transactions and locking reads to the primary. A replica that does
    /// not answer is skipped (reads go to the primary, with a warning) and
    /// tried again in the background. Its pool takes the primary's options,
    /// with an acquire timeout of at most 2 s. See [`Db::primary`] for
    /// reading your own writes.
    pub fn replica(mut self, url: impl Into<String>) -> Self {
        self.replicas.push(url.into());
        self
    }

    /// PgBouncer mode, for a URL that goes through a transaction-mode pooler
    /// (the same as `pgbouncer=true` in the URL): each statement outside a
    /// transaction runs in one of its own, and no prepared statement is
    /// kept. PostgreSQL only. See README, "Running in production".
    pub fn pgbouncer(mut self, on: bool) -> Self {
        self.pgbouncer = on;
        self
    }

    /// The database's own address, bypassing the pooler: what migrations and
    /// session advisory locks need ([`Db::direct_url`]; the CLI reads
    /// `DIRECT_URL`).
    pub fn direct_url(mut self, url: impl Into<String>) -> Self {
        self.direct_url = Some(url.into());
        self
    }

    /// How tenants are kept apart; [`Tenancy::Column`](crate::tenant::Tenancy::Column)
    /// if not given. See [`crate::tenant`].
    pub fn tenancy(mut self, tenancy: crate::tenant::Tenancy) -> Self {
        self.tenancy = tenancy;
        self
    }

    /// The pool's options; [`PoolOptions::default`] if not given.
    pub fn pool(mut self, options: PoolOptions) -> Self {
        self.pool = options;
        self
    }

    /// Adds an interceptor: it sees every operation after those added
    /// before it (see [`crate::intercept`]).
    pub fn interceptor(mut self, interceptor: impl Interceptor) -> Self {
        self.interceptors.user.push(Arc::new(interceptor));
        self
    }

    /// Statements taking at least `threshold` are logged as a
    /// `tracing` warning (target `strata::slow_query`) with their SQL.
    /// Default 1 s; `Duration::MAX` turns the warning off.
    pub fn slow_query_threshold(mut self, threshold: Duration) -> Self {
        self.interceptors.tracing.slow = threshold;
        self
    }

    /// Records each statement's bound values in its `strata.query` span
    /// (field `values`). Off by default: values may be personal data.
    pub fn log_values(mut self, on: bool) -> Self {
        self.interceptors.tracing.values = on;
        self
    }

    /// Publishes per-statement counts, durations, errors by kind and the
    /// pool's connections through the `metrics` facade, to the recorder the
    /// program installs (cargo feature `metrics`; the names are in
    /// [`crate::metrics`]). Off by default.
    #[cfg(feature = "metrics")]
    pub fn metrics(mut self, on: bool) -> Self {
        self.metrics = on;
        self
    }

    pub async fn connect(mut self) -> Result<Db> {
        let url = self.url.ok_or(Error::InvalidUrl {
            url: String::new(),
            reason: "Db::builder() needs a URL: call .url(..) before .connect()",
        })?;
        let (url, pgbouncer) = super::pgbouncer::settle(&url, self.pgbouncer)?;
        super::tenant_session::check_connect(&self.tenancy, &url)?;
        if pgbouncer {
            super::pgbouncer::check_pool(&self.pool)?;
            // See pgbouncer.rs: a named statement must fail loudly, not be reused.
            self.pool.statement_cache_capacity = 0;
        }
        let unnamed_statements = self.pool.statement_cache_capacity == 0;
        let replica_pool = self.pool.clone();
        let target = Db::connect_target(&url, self.pool).await?;
        let dialect = target.dialect();
        let replicas = Replicas::connect(dialect, self.replicas, &replica_pool).await?;
        let column = self.tenancy == crate::tenant::Tenancy::Column;
        let db = Db {
            target,
            context: Arc::new(Context {
                interceptors: self.interceptors,
                replicas,
                pgbouncer,
                direct_url: self.direct_url,
                unnamed_statements,
                tenancy: self.tenancy,
                wraps: pgbouncer || !column,
                guards_row_level_security: column && dialect == crate::render::Dialect::Postgres,
            }),
            reads: Reads::default(),
        };
        #[cfg(feature = "metrics")]
        let db = if self.metrics { with_metrics(db) } else { db };
        Ok(db)
    }
}

/// Puts the metrics interceptor first, so it sees every operation, even one
/// a later interceptor fails or skips.
#[cfg(feature = "metrics")]
fn with_metrics(mut db: Db) -> Db {
    crate::metrics::describe();
    // It reads the pool through a `Db` with a context of its own: holding
    // this one would keep the context, and so the pool, alive forever.
    let probe = Db {
        context: Arc::default(),
        ..db.clone()
    };
    let metrics = Arc::new(crate::metrics::Metrics::new(Some(probe)));
    match Arc::get_mut(&mut db.context) {
        Some(context) => context.interceptors.user.insert(0, metrics),
        // Unreachable: the context was made just now and not shared yet.
        None => tracing::warn!(target: "strata::metrics", "metrics not attached: context shared"),
    }
    db
}
