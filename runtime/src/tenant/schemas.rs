//! Schema per tenant (PostgreSQL): the management side of
//! [`Tenancy::SchemaPerTenant`](super::Tenancy::SchemaPerTenant). Each
//! tenant is a schema `{prefix}{id}` holding the whole application schema,
//! migrated by the ordinary runner pointed at it
//! ([`Migrator::schema`]): the runner's connection sets `search_path` to
//! that schema alone, so every unqualified name a migration creates, the
//! history table `_strata_migrations` and the migration lock (keyed by the
//! current schema) are the tenant's own.
//!
//! ```no_run
//! # async fn run() -> strata::Result<()> {
//! use strata::migrate::files::MigrationsDir;
//! use strata::tenant::TenantSchemas;
//!
//! let tenants = TenantSchemas::new("postgres://admin@db/app", "tenant_")?
//!     .migrations(MigrationsDir::new("migrations"));
//! tenants.create_tenant(7_i64).await?;          // CREATE SCHEMA "tenant_7" + every migration
//! for report in tenants.deploy_all().await? {   // a release: every tenant, one by one
//!     if let Err(e) = &report.applied {
//!         eprintln!("{}: {e}", report.schema);
//!     }
//! }
//! tenants.drop_tenant(7_i64).await?;            // DROP SCHEMA "tenant_7" CASCADE
//! # Ok(()) }
//! ```
//!
//! Connect as a role that may create schemas (an admin or migration role);
//! the application's `Db` then routes each transaction with
//! `set_config('search_path', ..)`.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::migrate::files::MigrationsDir;
use crate::migrate::runner::session::Session;
use crate::migrate::runner::{Migrator, DEFAULT_LOCK_TIMEOUT};
use crate::render::{Dialect, Rendered, SqlWriter};
use crate::schema::FieldType;
use crate::value::Value;
use crate::ModelSet;

/// What errors name: there is no model here.
const WHAT: &str = "tenant schemas";

/// Creates, migrates, lists and drops the tenant schemas of one database.
#[derive(Debug, Clone)]
pub struct TenantSchemas {
    url: String,
    prefix: String,
    migrations: Option<MigrationsDir>,
    lock_timeout: Duration,
}

/// One tenant schema's part of [`TenantSchemas::deploy_all`].
#[derive(Debug)]
pub struct TenantDeploy {
    pub schema: String,
    /// The migrations applied (empty: it was up to date), or why it stopped.
    pub applied: Result<Vec<String>>,
}

impl TenantSchemas {
    /// The tenant schemas `{prefix}{id}` of the PostgreSQL database at `url`.
    /// The prefix must be a plain identifier start (ASCII letters, digits,
    /// `_`; not `pg_`, which PostgreSQL reserves), so every name it makes is
    /// one too, and must be distinctive: every schema whose name starts with
    /// it is a tenant to [`list_tenants`](Self::list_tenants),
    /// [`deploy_all`](Self::deploy_all) and
    /// [`drop_schema`](Self::drop_schema).
    pub fn new(url: impl Into<String>, prefix: impl Into<String>) -> Result<Self> {
        let prefix = prefix.into();
        super::naming::check_prefix(&prefix).map_err(refused)?;
        Ok(TenantSchemas {
            url: url.into(),
            prefix,
            migrations: None,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        })
    }

    /// The migrations every tenant schema gets.
    pub fn migrations(mut self, dir: MigrationsDir) -> Self {
        self.migrations = Some(dir);
        self
    }

    /// How long each tenant's migration run waits for another run's lock.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The schema of tenant `id`: `{prefix}{id}`. The id (an integer, a
    /// string or a UUID) must be ASCII letters, digits, `_` or `-`, so no two
    /// ids share a schema, and the name at most 63 bytes.
    pub fn schema_name<T: FieldType>(&self, id: T) -> Result<String> {
        super::naming::schema_name(&self.prefix, &id.into_value()).map_err(refused)
    }

    /// Creates tenant `id`'s schema and applies every migration to it; the
    /// migrations applied. All or nothing: if a migration fails, the schema
    /// is dropped again and the error returned. Fails if the schema exists.
    pub async fn create_tenant<T: FieldType>(&self, id: T) -> Result<Vec<String>> {
        let schema = self.schema_name(id)?;
        let migrator = self.migrator(&schema)?;
        self.run(&[create_schema(&schema)]).await?;
        match migrator.deploy().await {
            Ok(applied) => Ok(applied),
            Err(e) => {
                // Best effort: the error that matters is the migration's.
                let _ = self.run(&[drop_schema(&schema)]).await;
                Err(e)
            }
        }
    }

    /// Creates tenant `id`'s schema with the tables of `M`, as
    /// [`Db::push_schema`](crate::Db::push_schema) does (no migrations, no
    /// history table): for tests and prototypes. One transaction: the
    /// tenant exists with every table, or not at all.
    pub async fn create_tenant_with<M: ModelSet, T: FieldType>(&self, id: T) -> Result<()> {
        let schema = self.schema_name(id)?;
        let mut statements = vec![create_schema(&schema), search_path(&schema)];
        let ddl = crate::render::create_schema(&M::schemas(), Dialect::Postgres)?;
        statements.extend(ddl.into_iter().map(|sql| Rendered {
            sql,
            binds: Vec::new(),
        }));
        self.run(&statements).await
    }

    /// Applies the pending migrations to every tenant schema, one tenant
    /// after the other, in name order; a report per tenant.
    ///
    /// A failing tenant does not stop the others: its migration rolls back
    /// in its own transaction (as any deploy's does), is recorded failed in
    /// that tenant's `_strata_migrations`, and the tenant stays at its last
    /// good migration, reported with the error, while the remaining tenants
    /// are deployed. Stopping everything at the first failure would leave
    /// every later tenant behind for one tenant's problem. The `Err` of the
    /// whole call is for what stops all of them (the database unreachable).
    pub async fn deploy_all(&self) -> Result<Vec<TenantDeploy>> {
        let mut reports = Vec::new();
        for schema in self.list_tenants().await? {
            let applied = match self.migrator(&schema) {
                Ok(migrator) => migrator.deploy().await,
                Err(e) => Err(e),
            };
            match &applied {
                Ok(names) => tracing::info!(
                    target: "strata::tenant", schema = %schema, applied = names.len(),
                    "tenant schema deployed"
                ),
                Err(e) => tracing::warn!(
                    target: "strata::tenant", schema = %schema, error = %e,
                    "tenant schema deploy failed"
                ),
            }
            reports.push(TenantDeploy { schema, applied });
        }
        Ok(reports)
    }

    /// The tenant schemas: every schema named `{prefix}{id}`, sorted.
    pub async fn list_tenants(&self) -> Result<Vec<String>> {
        let mut w = SqlWriter::new(Dialect::Postgres);
        w.push("SELECT nspname::text AS ");
        w.push_ident("name");
        w.push(" FROM pg_namespace WHERE starts_with(nspname, ");
        w.push_bind(Value::Text(self.prefix.clone()));
        w.push(") ORDER BY 1");
        let mut session = self.open().await?;
        let names = session.fetch(w.finish(), |r| r.text("name")).await;
        session.close().await;
        let names = names?.into_iter().flatten();
        Ok(names.filter(|n| self.is_tenant_schema(n)).collect())
    }

    /// Drops tenant `id`'s schema with everything in it (`CASCADE`).
    pub async fn drop_tenant<T: FieldType>(&self, id: T) -> Result<()> {
        let schema = self.schema_name(id)?;
        self.run(&[drop_schema(&schema)]).await
    }

    /// Drops the schema `name` with everything in it, refusing a name that
    /// is not `{prefix}{id}` (a name from [`list_tenants`](Self::list_tenants)).
    pub async fn drop_schema(&self, name: &str) -> Result<()> {
        if !self.is_tenant_schema(name) {
            return Err(refused(format!(
                "{name:?} is not a tenant schema (`{}` followed by a tenant id)",
                self.prefix
            )));
        }
        self.run(&[drop_schema(name)]).await
    }

    fn is_tenant_schema(&self, name: &str) -> bool {
        super::naming::is_tenant_schema(&self.prefix, name)
    }

    fn migrator(&self, schema: &str) -> Result<Migrator> {
        let dir = self.migrations.clone().ok_or_else(|| {
            refused(
                "no migrations folder: call `.migrations(dir)`, or create the tenant from models \
                 with `create_tenant_with::<M>`"
                    .into(),
            )
        })?;
        Ok(Migrator::new(self.url.clone(), dir)
            .lock_timeout(self.lock_timeout)
            .schema(schema))
    }

    async fn open(&self) -> Result<Session> {
        let session = Session::open(&self.url).await?;
        if session.dialect() == Dialect::Postgres {
            return Ok(session);
        }
        session.close().await;
        Err(refused(
            "schema per tenant needs PostgreSQL (SQLite and MySQL have no schemas within a \
             database)"
                .into(),
        ))
    }

    /// Runs `statements` in one transaction on a connection of its own.
    async fn run(&self, statements: &[Rendered]) -> Result<()> {
        let mut session = self.open().await?;
        let result = async {
            session.begin().await?;
            for statement in statements {
                if let Err(e) = session.execute(statement.clone()).await {
                    let _ = session.rollback().await;
                    return Err(e);
                }
            }
            session.commit().await
        }
        .await;
        session.close().await;
        Ok(result?)
    }
}

fn refused(reason: String) -> Error {
    Error::Tenancy {
        model: WHAT,
        reason,
    }
}

fn create_schema(name: &str) -> Rendered {
    let mut w = SqlWriter::new(Dialect::Postgres);
    w.push("CREATE SCHEMA ");
    w.push_ident(name);
    w.finish()
}

fn drop_schema(name: &str) -> Rendered {
    let mut w = SqlWriter::new(Dialect::Postgres);
    w.push("DROP SCHEMA ");
    w.push_ident(name);
    w.push(" CASCADE");
    w.finish()
}

/// `SET LOCAL search_path`: the rest of the transaction creates in `name`.
fn search_path(name: &str) -> Rendered {
    let mut w = SqlWriter::new(Dialect::Postgres);
    w.push("SET LOCAL search_path TO ");
    w.push_ident(name);
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_ids_make_plain_names() {
        assert!(TenantSchemas::new("postgres://x", "").is_err());
        assert!(TenantSchemas::new("postgres://x", "pg_t").is_err());
        assert!(TenantSchemas::new("postgres://x", "a-b").is_err());
        let t = TenantSchemas::new("postgres://x", "tenant_").unwrap();
        assert_eq!(t.schema_name(7_i64).unwrap(), "tenant_7");
        assert_eq!(
            t.schema_name("acme-1".to_string()).unwrap(),
            "tenant_acme-1"
        );
        assert!(t.schema_name("a\"; DROP".to_string()).is_err());
        assert!(t.schema_name(String::new()).is_err());
        assert!(t.schema_name("x".repeat(60)).is_err());
        assert!(t.is_tenant_schema("tenant_7"));
        assert!(!t.is_tenant_schema("tenant_"));
        assert!(!t.is_tenant_schema("public"));
        assert!(!t.is_tenant_schema("tenant_a b"));
    }

    #[test]
    fn statements_quote_the_schema() {
        assert_eq!(create_schema("tenant_7").sql, r#"CREATE SCHEMA "tenant_7""#);
        assert_eq!(
            drop_schema("tenant_7").sql,
            r#"DROP SCHEMA "tenant_7" CASCADE"#
        );
    }
}
