//! PostgreSQL row-level security of tenant tables: `ENABLE` and `FORCE` (the
//! table's owner is held to the policy too, so a migration role that owns the
//! tables is no way around it), and the one policy per table that lets a row
//! be read or written only when its tenant column equals the transaction's
//! `app.tenant_id` setting.
//!
//! The setting is read with `current_setting(.., true)` (NULL when never
//! set) through `NULLIF(.., '')`: after a transaction-local `set_config` ends
//! the setting reverts to `''`, not NULL, and `''::bigint` would fail every
//! statement instead of matching no row. Both `NULL` cases match no row.

use super::create::column_type_sql;
use crate::migrate::schema::{Table, TenantPolicy};
use crate::render::{Dialect, SqlWriter};

const PG: Dialect = Dialect::Postgres;

/// The setting strata's sessions set per transaction (`crate::tenant`).
pub const TENANT_SETTING: &str = "app.tenant_id";

/// Everything a new table's row-level security needs, in order.
pub fn create_statements(table: &Table) -> Vec<String> {
    let Some(policy) = &table.row_level_security else {
        return Vec::new();
    };
    let mut statements = enable(&table.name);
    statements.push(create_policy(&table.name, policy));
    statements
}

/// `ALTER TABLE .. ENABLE ROW LEVEL SECURITY` and `.. FORCE ..`.
pub fn enable(table: &str) -> Vec<String> {
    ["ENABLE", "FORCE"]
        .into_iter()
        .map(|verb| alter(table, verb))
        .collect()
}

/// The reverse of [`enable`]: `NO FORCE`, then `DISABLE`.
pub fn disable(table: &str) -> Vec<String> {
    ["NO FORCE", "DISABLE"]
        .into_iter()
        .map(|verb| alter(table, verb))
        .collect()
}

fn alter(table: &str, verb: &str) -> String {
    let mut w = SqlWriter::new(PG);
    w.push("ALTER TABLE ");
    w.push_ident(table);
    w.push(" ");
    w.push(verb);
    w.push(" ROW LEVEL SECURITY");
    w.finish().sql
}

/// `CREATE POLICY "name" ON "table" USING (..) WITH CHECK (..)`: the same
/// condition for the rows a statement sees and the rows it writes.
pub fn create_policy(table: &str, policy: &TenantPolicy) -> String {
    let condition = condition(policy);
    let mut w = SqlWriter::new(PG);
    w.push("CREATE POLICY ");
    w.push_ident(&policy.name);
    w.push(" ON ");
    w.push_ident(table);
    w.push(" USING (");
    w.push(&condition);
    w.push(") WITH CHECK (");
    w.push(&condition);
    w.push(")");
    w.finish().sql
}

/// `DROP POLICY "name" ON "table"`.
pub fn drop_policy(table: &str, name: &str) -> String {
    let mut w = SqlWriter::new(PG);
    w.push("DROP POLICY ");
    w.push_ident(name);
    w.push(" ON ");
    w.push_ident(table);
    w.finish().sql
}

/// `"tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::bigint`.
/// The setting name and the cast are constants of the schema, never values.
pub fn condition(policy: &TenantPolicy) -> String {
    let mut w = SqlWriter::new(PG);
    w.push_ident(&policy.column);
    w.push(" = NULLIF(current_setting('");
    w.push(TENANT_SETTING);
    w.push("', true), '')::");
    w.push(&column_type_sql(PG, &policy.ty));
    w.finish().sql
}
