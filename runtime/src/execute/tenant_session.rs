//! The tenant in the database session, for the tenancies PostgreSQL
//! enforces itself (`crate::tenant::Tenancy`): row-level security reads
//! `current_setting('app.tenant_id')`, schema per tenant resolves names
//! through `search_path`.
//!
//! Both are set with `set_config(.., true)`, which lasts until the
//! transaction ends, right after strata's BEGIN (and its `SET LOCAL`s):
//! a pooled connection, or a PgBouncer server connection, carries nothing
//! to its next user, whatever happens to the transaction. So a statement
//! outside a transaction runs in one of its own, the same way PgBouncer
//! mode runs every statement (pgbouncer.rs: `Db::pin`, `pinned!`); a
//! savepoint sets nothing. The value is always bound, never spliced.
//!
//! A transaction remembers the tenant it began as ([`Began`]): a statement
//! on it from another tenant's scope would run with the first tenant's
//! setting, so it is refused instead.
//!
//! Outside any scope, or under `unscoped()`, nothing is set and nothing
//! wrapped: the database decides by role (row-level security) or by the
//! default `search_path`.

use super::transaction::Shared;
use super::{pool, trace_query, trusted, Db};
use crate::error::{Error, Result};
use crate::render::{Dialect, SqlWriter};
use crate::tenant::naming::{check_prefix, id_text, schema_name};
use crate::tenant::{Tenancy, Tenant};
use crate::value::Value;
use std::time::Instant;

const SET_TENANT_ID: &str = "SELECT set_config('app.tenant_id', $1, true)";
const SET_SEARCH_PATH: &str = "SELECT set_config('search_path', $1, true)";

/// What one transaction sets right after its BEGIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Setting {
    sql: &'static str,
    value: String,
}

/// The tenant a transaction began as, which every statement on it must
/// share: `Unchecked` for a `Db` whose tenancy sets nothing in the session.
#[derive(Debug, Clone, Default)]
pub(crate) enum Began {
    #[default]
    Unchecked,
    /// The scope's tenant id at BEGIN; `None` unscoped or outside a scope.
    As(Option<Value>),
}

/// What a transaction begun now sets, and remembers.
#[derive(Debug, Default)]
pub(super) struct Session {
    pub(super) setting: Option<Setting>,
    pub(super) began: Began,
}

/// A tenancy refusal on the way to the driver (it travels as an
/// `sqlx::Error::Configuration`); `classify` turns it into
/// [`Error::Tenancy`] naming the statement's model.
#[derive(Debug)]
pub(crate) struct Refused(pub(crate) String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

fn refused(reason: String) -> sqlx::Error {
    sqlx::Error::Configuration(Box::new(Refused(reason)))
}

/// The id of the scope the current task runs in, if it has one.
fn scope_id() -> Option<Value> {
    match crate::tenant::current() {
        Some(Tenant::Id(id)) => Some(id),
        Some(Tenant::Unscoped) | None => None,
    }
}

fn describe(id: Option<&Value>) -> String {
    match id.map(id_text) {
        Some(Ok(text)) => format!("tenant {text}"),
        Some(Err(_)) => "a tenant".to_owned(),
        None => "no tenant (unscoped)".to_owned(),
    }
}

impl Began {
    /// Refuses a statement from a scope other than the one the transaction
    /// began in: it would run with that tenant's setting, not its own.
    pub(super) fn check(&self) -> Result<(), sqlx::Error> {
        let Began::As(began) = self else {
            return Ok(());
        };
        let now = scope_id();
        if now.as_ref() == began.as_ref() {
            return Ok(());
        }
        Err(refused(format!(
            "this transaction began as {} and is used from a scope of {}; the tenant \
             is set once per transaction, so run each tenant's work in a transaction \
             begun inside its own scope",
            describe(began.as_ref()),
            describe(now.as_ref()),
        )))
    }
}

/// Refuses, before connecting, a tenancy the database at `url` cannot do.
pub(super) fn check_connect(tenancy: &Tenancy, url: &str) -> Result<()> {
    let mode = match tenancy {
        Tenancy::Column => return Ok(()),
        Tenancy::RowLevelSecurity => "Tenancy::RowLevelSecurity",
        Tenancy::SchemaPerTenant { prefix } => {
            check_prefix(prefix).map_err(|reason| Error::Tenancy {
                model: "Db::builder",
                reason,
            })?;
            "Tenancy::SchemaPerTenant"
        }
    };
    let dialect = match pool::connect_options(url, None)? {
        pool::AnyOptions::Postgres(_) => return Ok(()),
        pool::AnyOptions::Sqlite(_) => "SQLite",
        pool::AnyOptions::MySql(_) => "MySQL/MariaDB",
    };
    Err(Error::Tenancy {
        model: "Db::builder",
        reason: format!(
            "{mode} is PostgreSQL's (it sets the tenant in the database session); \
             {dialect} keeps tenants apart with Tenancy::Column"
        ),
    })
}

impl Db {
    /// What a transaction begun now on this `Db` sets and remembers: the
    /// scope's tenant, for the tenancies PostgreSQL enforces.
    pub(super) fn session(&self) -> Result<Session, sqlx::Error> {
        let set = |sql, value| Some(Setting { sql, value });
        let id = match &self.context.tenancy {
            Tenancy::Column => return Ok(Session::default()),
            _ => scope_id(),
        };
        let setting = match (&self.context.tenancy, &id) {
            (_, None) | (Tenancy::Column, _) => None,
            (Tenancy::RowLevelSecurity, Some(id)) => {
                set(SET_TENANT_ID, id_text(id).map_err(refused)?)
            }
            (Tenancy::SchemaPerTenant { prefix }, Some(id)) => {
                let name = schema_name(prefix, id).map_err(refused)?;
                let mut quoted = SqlWriter::new(Dialect::Postgres);
                quoted.push_ident(&name);
                set(SET_SEARCH_PATH, quoted.finish().sql)
            }
        };
        Ok(Session {
            setting,
            began: Began::As(id),
        })
    }

    /// Refuses a statement on a model PostgreSQL guards with row-level
    /// security from a `Db` that never sets the tenant (`Tenancy::Column`):
    /// its policy would hide every row, silently.
    pub(super) fn check_row_level_security(
        &self,
        model: Option<&'static crate::schema::ModelSchema>,
    ) -> Result<()> {
        match model {
            Some(model) if model.tenant.as_ref().is_some_and(|t| t.row_level_security) => {
                Err(Error::Tenancy {
                    model: model.name,
                    reason: "the model has `row_level_security`, and its PostgreSQL policy \
                             reads the tenant this Db never sets: connect with \
                             Db::builder().tenancy(Tenancy::RowLevelSecurity)"
                        .to_owned(),
                })
            }
            _ => Ok(()),
        }
    }
}

/// Runs `setting` on the transaction `shared` just began (after its
/// `SET LOCAL`s). `persistent` as the `Db`'s other statements: unnamed
/// through PgBouncer.
pub(super) async fn apply(
    shared: &Shared<sqlx::Postgres>,
    setting: &Setting,
    persistent: bool,
) -> Result<(), sqlx::Error> {
    let mut pinned = shared.lend().await?;
    let start = Instant::now();
    let result = sqlx::query(trusted(setting.sql))
        .bind(setting.value.clone())
        .persistent(persistent)
        .execute(&mut *pinned.lease)
        .await
        .map(drop);
    pinned.lease.finish(&result);
    if result.is_ok() {
        trace_query(setting.sql, start, None);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_modes_need_postgres() {
        let rls = Tenancy::RowLevelSecurity;
        assert!(check_connect(&rls, "sqlite::memory:").is_err());
        assert!(check_connect(&rls, "mysql://root@localhost/db").is_err());
        assert!(check_connect(&rls, "postgres://u@localhost/db").is_ok());
        assert!(check_connect(&Tenancy::Column, "sqlite::memory:").is_ok());
        let schema = Tenancy::SchemaPerTenant {
            prefix: "bad prefix".into(),
        };
        assert!(check_connect(&schema, "postgres://u@localhost/db").is_err());
    }
}
