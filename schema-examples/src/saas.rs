//! A multi-tenant SaaS schema (issue 9, seed "Multi-tenancy Patterns"):
//! tenants (organisations) own users, users own projects, projects hold
//! tasks, and a task may be assigned to a user.
//!
//! `Tenant` is the one table that is not tenant-scoped: it lists the
//! tenants, and is read by admin work. The other three carry `tenant_id`
//! and `#[strata(tenant = tenant_id, row_level_security)]`: inside
//! `strata::tenant::scope(id, ..)` strata filters every statement on them
//! by that tenant and fills `tenant_id` on every create (so `create()` does
//! not ask for it), and on PostgreSQL the tables get a row-level security
//! policy too (a `Db` with `Tenancy::RowLevelSecurity`).
//!
//! The foreign keys between tenant tables include `tenant_id`
//! (`(tenant_id, project_id)` references `(tenant_id, id)`), so the database
//! itself refuses a task of one tenant pointing at another tenant's project
//! or user, whatever the application writes.

use chrono::{DateTime, Utc};
use strata::{BelongsTo, HasMany, Model};

/// A tenant: one customer organisation. Not tenant-scoped.
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "saas_tenants")]
pub struct Tenant {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    /// Where the tenant is found by its users (`acme` in `acme.example.com`).
    #[strata(unique)]
    pub slug: String,
    pub name: String,
    #[strata(default = now)]
    pub created_at: DateTime<Utc>,
}

/// A user of one tenant; the same email may sign up with two tenants.
// Clippy's duplicated_attributes lint takes `tenant_id` in both keys for one
// option written twice (see README, "Model attributes").
#[allow(clippy::duplicated_attributes)]
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "saas_users", tenant = tenant_id, row_level_security)]
#[strata(unique(fields(tenant_id, email)), unique(fields(tenant_id, id)))]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(references(model = Tenant, field = id), on_delete = cascade)]
    pub tenant_id: i64,
    pub email: String,
    pub name: String,
    #[strata(has_many(name = "owner"))]
    pub projects: HasMany<Project>,
    #[strata(has_many(name = "assignee"))]
    pub assigned: HasMany<Task>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "saas_projects", tenant = tenant_id, row_level_security)]
#[strata(unique(fields(tenant_id, id)))]
pub struct Project {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(references(model = Tenant, field = id), on_delete = cascade)]
    pub tenant_id: i64,
    pub name: String,
    pub owner_id: i64,
    #[strata(default = now)]
    pub created_at: DateTime<Utc>,
    #[strata(
        belongs_to(fields(tenant_id, owner_id), references(tenant_id, id), name = "owner"),
        on_delete = cascade
    )]
    pub owner: BelongsTo<User>,
    #[strata(has_many)]
    pub tasks: HasMany<Task>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "saas_tasks", tenant = tenant_id, row_level_security)]
pub struct Task {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(references(model = Tenant, field = id), on_delete = cascade)]
    pub tenant_id: i64,
    #[strata(index)]
    pub project_id: i64,
    pub title: String,
    #[strata(default = false)]
    pub done: bool,
    /// Unassigned while NULL. The key includes `tenant_id`, so it is
    /// checked only when `assignee_id` is set (SQL's MATCH SIMPLE).
    pub assignee_id: Option<i64>,
    #[strata(
        belongs_to(fields(tenant_id, project_id), references(tenant_id, id)),
        on_delete = cascade
    )]
    pub project: BelongsTo<Project>,
    #[strata(belongs_to(
        fields(tenant_id, assignee_id),
        references(tenant_id, id),
        name = "assignee"
    ))]
    pub assignee: BelongsTo<Option<User>>,
}

/// Every SaaS model, in an order `push_schema` accepts.
pub type SaasSchema = (Tenant, User, Project, Task);
