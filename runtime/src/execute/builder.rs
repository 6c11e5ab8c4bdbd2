//! `Db::builder()`: a database handle with settings beyond one URL and its
//! pool options. Each production feature keeps its own part of [`Context`],
//! which every clone of the `Db` (transactions included) shares.

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
}

/// What a `Db` and all its clones share besides the connection.
#[derive(Debug, Default)]
pub(crate) struct Context {
    /// Interceptors, the built-in tracing first.
    #[allow(dead_code)] // read by the executor in the next commits
    pub(crate) interceptors: Chain,
}

impl DbBuilder {
    /// The database to connect to (the primary, where there are replicas).
    /// The dialect comes from the scheme, as for [`Db::connect`].
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
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

    pub async fn connect(self) -> Result<Db> {
        let url = self.url.ok_or(Error::InvalidUrl {
            url: String::new(),
            reason: "Db::builder() needs a URL: call .url(..) before .connect()",
        })?;
        let target = Db::connect_target(&url, self.pool).await?;
        Ok(Db {
            target,
            context: Arc::new(Context {
                interceptors: self.interceptors,
            }),
        })
    }
}
