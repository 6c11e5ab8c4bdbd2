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
//!
//! # The filter (every mode, every database)
//!
//! The built-in [`TenantFilter`] interceptor runs on every `Db`, after the
//! user's interceptors and after soft delete. Inside `scope(id)`:
//!
//! - every statement strata builds that reads a tenant-scoped table gets
//!   `<table>.<tenant column> = $id` ANDed in, at every depth: the model's
//!   own rows, relation filters (`some`/`every`/`none`/`is`), `_count`
//!   subqueries, cursors, joined includes' JSON subqueries, include loads,
//!   `aggregate`/`group_by`, `update_many`/`delete_many`, and the select
//!   builder (FROM in WHERE, a joined tenant table in its ON, subqueries,
//!   derived tables, CTEs, each branch of a set operation). It is ANDed
//!   with every other condition (soft delete's, a user interceptor's),
//!   never replaces one; soft delete's `with_deleted()` does not lift it.
//! - a create (`create`, `create_many`, nested creates, an upsert's insert)
//!   that leaves the tenant column out gets the scope's id; one naming
//!   another tenant fails with
//!   [`Error::TenantMismatch`](crate::Error::TenantMismatch), nothing sent.
//! - an update assigning the tenant column another tenant's id fails the
//!   same way (the scope's own id is allowed: it changes nothing).
//! - an upsert's conflict update touches only a row of the scope's tenant
//!   (`DO UPDATE .. WHERE "t"."tenant_id" = $id`; MySQL/MariaDB, which have
//!   no WHERE there, `col = IF("t"."tenant_id" = ?, new, col)`). When the
//!   key is held by another tenant's row nothing is written and the upsert
//!   fails with [`Error::TenantKeyTaken`](crate::Error::TenantKeyTaken)
//!   (the key's existence is not hidden: a create would fail on the
//!   unique constraint just the same).
//!
//! The scope's id must have the tenant column's type (an integer of another
//! width is converted when it fits); a `String` scope for a `bigint` column
//! is an [`Error::InvalidValue`](crate::Error::InvalidValue) naming the
//! model and field, not a cast left to the database. A text id ending in a
//! space is refused too (in a scope and in an unscoped create), on every
//! database: MySQL/MariaDB compare `'acme '` equal to `'acme'`. Without any scope, a
//! statement that reads a tenant-scoped table fails with `MissingTenant`
//! naming that model; a model that only relates to tenant-scoped ones needs
//! a scope only when a statement reads them (an include, a relation
//! filter). Under [`unscoped`] nothing is added, and a create must set the
//! tenant column itself. An operation whose model reaches no tenant-scoped
//! table through its relations costs one cached lookup, as before: no AST
//! is rebuilt and the scope is not read.
//!
//! # Limits
//!
//! - `sql!` (raw SQL) is not filtered in [`Tenancy::Column`] mode: it is
//!   the user's SQL. [`Tenancy::RowLevelSecurity`] protects it.
//! - `to_sql()`/`explain()` render a query as built, without the filter.
//! - The filter reads the tenant of the rows it returns, not of the rows
//!   they point at: a foreign key to another tenant's row (written under
//!   `unscoped()`, or by SQL strata did not build) is followed as far as
//!   the filter allows, which is to rows of the scope's tenant only. A
//!   many-to-many join model that is itself tenant-scoped has its link
//!   rows filtered too; an implicit join table has no tenant.
//! - strata's own statements (migrations, the saga and backfill tables,
//!   introspection, `push_schema`) are not filtered.

mod filter;
mod select;
mod write;

pub use filter::TenantFilter;
pub(crate) use select::{reads_tenant, select_reads_tenant};
pub(crate) use write::{guards, upsert_refused};

// Schema per tenant: create, migrate, list, drop (PostgreSQL).
#[cfg(feature = "migrate")]
pub(crate) mod naming;
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
