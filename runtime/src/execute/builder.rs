//! `Db::builder()`: a database handle with settings beyond one URL and its
//! pool options. Each production feature keeps its own part of [`Context`],
//! which every clone of the `Db` (transactions included) shares.

use super::{Db, PoolOptions};
use crate::error::{Error, Result};
use std::sync::Arc;

/// Builds a [`Db`]: `Db::builder().url(url).pool(options).connect().await`.
#[derive(Debug, Default)]
pub struct DbBuilder {
    url: Option<String>,
    pool: PoolOptions,
}

/// What a `Db` and all its clones share besides the connection.
#[derive(Debug, Default)]
pub(crate) struct Context {}

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

    pub async fn connect(self) -> Result<Db> {
        let url = self.url.ok_or(Error::InvalidUrl {
            url: String::new(),
            reason: "Db::builder() needs a URL: call .url(..) before .connect()",
        })?;
        let target = Db::connect_target(&url, self.pool).await?;
        Ok(Db {
            target,
            context: Arc::new(Context {}),
        })
    }
}
