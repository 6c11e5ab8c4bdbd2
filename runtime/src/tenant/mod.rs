//! Multi-tenancy: `#[strata(tenant = tenant_id)]` models, scoped to the
//! tenant of the task that runs the query.
//!
//! A request sets its tenant once, with [`scope`]; every statement on a
//! tenant-scoped model inside it is filtered by, and writes, that tenant.
//! Outside any scope such a statement fails with
//! [`Error::MissingTenant`](crate::Error::MissingTenant); cross-tenant work
//! says so with [`unscoped`] (greppable, on purpose).
//!
//! The scope is a tokio task-local: it follows the future it wraps, across
//! `.await`s and threads, and nothing else. A `tokio::spawn`ed task starts
//! without a tenant; carry it over explicitly with [`current`] and
//! [`scope`] (or [`Tenant::scope`]).
//!
//! How the database enforces it is the `Db`'s [`Tenancy`]: a filter strata
//! adds ([`Tenancy::Column`], every database), the same plus PostgreSQL
//! row-level security, or a schema per tenant (PostgreSQL).

mod filter;
mod select;
mod write;

pub(crate) use filter::reaches;
pub use filter::TenantFilter;
pub(crate) use select::{reads_tenant, select_reads_tenant};
pub(crate) use write::{guards, upsert_refused};

// Schema per tenant: create, migrate, list, drop (PostgreSQL).
#[cfg(feature = "migrate")]
mod schemas;
#[cfg(feature = "migrate")]
pub use schemas::{TenantDeploy, TenantSchemas};

use crate::schema::FieldType;
use crate::value::Value;
use std::future::Future;

/// How a `Db` keeps tenants apart (`Db::builder().tenancy(..)`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Tenancy {
    /// strata adds `tenant_id = <scope>` to every statement on a
    /// tenant-scoped model and sets it on every row it creates. Every
    /// database. Raw SQL (`sql!`) is the user's to filter.
    #[default]
    Column,
    /// [`Tenancy::Column`], and PostgreSQL row-level security underneath:
    /// every tenant table has a policy on
    /// `current_setting('app.tenant_id', true)`, which strata sets with
    /// `set_config(.., true)` at the start of every transaction (and wraps
    /// each standalone statement in one). Raw SQL and the select builder
    /// are protected by the database even when they forget the filter.
    /// The application must connect as a role that does not own the tables
    /// and has no BYPASSRLS. PostgreSQL only.
    RowLevelSecurity,
    /// Each tenant's tables live in a schema of its own,
    /// `{prefix}{tenant}`; strata sets `search_path` to it at the start of
    /// every transaction (and wraps each standalone statement in one).
    /// PostgreSQL only.
    SchemaPerTenant {
        /// Prepended to the tenant id to name its schema (`"tenant_"`).
        prefix: String,
    },
}

/// The tenant a task runs as: a tenant id, or cross-tenant ([`unscoped`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Tenant {
    /// Only this tenant's rows.
    Id(Value),
    /// Every tenant's rows: admin work, by explicit choice.
    Unscoped,
}

tokio::task_local! {
    static CURRENT: Tenant;
}

/// Runs `work` as tenant `tenant`: every query on a tenant-scoped model
/// inside it reads and writes that tenant's rows only. Scopes nest; the
/// innermost wins. Work spawned from inside does not inherit it.
pub async fn scope<T: FieldType, F: Future>(tenant: T, work: F) -> F::Output {
    Tenant::Id(tenant.into_value()).scope(work).await
}

/// Runs `work` across tenants: queries on tenant-scoped models see every
/// tenant's rows and are not filtered. For admin and maintenance work; the
/// name is there to be grepped for.
pub async fn unscoped<F: Future>(work: F) -> F::Output {
    Tenant::Unscoped.scope(work).await
}

/// The tenant the current task runs as, if it set one: how to carry it
/// into a spawned task (`tokio::spawn(tenant.scope(work))`).
pub fn current() -> Option<Tenant> {
    CURRENT.try_with(Clone::clone).ok()
}

impl Tenant {
    /// Runs `work` as this tenant (see [`scope`]).
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        CURRENT.scope(self, work).await
    }

    /// The tenant id, unless unscoped.
    pub fn id(&self) -> Option<&Value> {
        match self {
            Tenant::Id(value) => Some(value),
            Tenant::Unscoped => None,
        }
    }
}

#[cfg(test)]
mod tests;
