//! Tenant isolation (issue 9), proven on real databases in every tenancy
//! mode: Column on SQLite, PostgreSQL and MariaDB; RowLevelSecurity (as a
//! role without BYPASSRLS) and SchemaPerTenant on PostgreSQL.
//!
//! Tenant A, through every API (reads, includes of both strategies,
//! relation filters, `_count`, aggregates, the select builder, raw SQL,
//! updates, deletes, upserts, nested writes, transactions, soft-deleted
//! rows), can neither read nor change tenant B's rows: after each scenario
//! B's rows, read unscoped, are exactly as before (`tenancy_support/seed.rs`).
//! Outside a scope every call fails with `MissingTenant`; a write naming B
//! with `TenantMismatch`. `concurrent_tenants` interleaves 20 tenants on a
//! pool of 4 and checks no row ever crosses.
//!
//! Tests are named `<mode>_<database>::<scenario>`:
//! `cargo test -p strata-tests --test tenancy rls_postgres::`.

// The scenarios are compiled once per model set (tenancy_support/mod.rs).
#![allow(clippy::duplicate_mod)]

mod tenancy_support;

use strata_tests::Backend;
use tenancy_support::world::Mode;

/// One module of tests per mode and database. Each `models::file::name`
/// runs scenario `file::name` of model set `models` (`column` or `rls`) on
/// seeded tenants; `custom` entries are called with the mode and backend.
macro_rules! mode_tests {
    (
        $group:ident, $mode:expr, $backend:expr;
        $( $(#[$meta:meta])* $set:ident :: $file:ident :: $name:ident ),* $(,)?
        $(; custom: $( $(#[$cmeta:meta])* $cset:ident :: $cfile:ident :: $cname:ident ),* $(,)? )?
    ) => {
        mod $group {
            use super::*;
            $(
                $(#[$meta])*
                #[test]
                fn $name() {
                    tenancy_support::world::block_on(
                        tenancy_support::$set::seed::run($mode, $backend, tenancy_support::$set::$file::$name)
                    )
                }
            )*
            $($(
                $(#[$cmeta])*
                #[test]
                fn $cname() {
                    tenancy_support::world::block_on(
                        tenancy_support::$cset::$cfile::$cname($mode, $backend)
                    )
                }
            )*)?
        }
    };
}

mode_tests!(column_sqlite, Mode::Column, Backend::Sqlite;
    column::reads::model_reads,
    column::reads::includes,
    column::reads::many_to_many_includes,
    column::reads::relation_filters,
    column::reads::select_builder,
    column::reads::a_row_under_bs_parent,
    column::writes::updates_and_deletes,
    column::writes::moving_rows_to_another_tenant,
    column::writes::upserts,
    column::writes::creates_and_nested_writes,
    column::writes::transactions,
    column::guards::missing_tenant,
    column::guards::soft_delete_keeps_the_tenant_filter,
    column::guards::unscoped_reads,
    column::guards::raw_sql,
    column::guards::sessions_carry_nothing_over;
    custom: column::concurrency::concurrent_tenants,
);

mode_tests!(column_postgres, Mode::Column, Backend::Postgres;
    column::reads::model_reads,
    column::reads::includes,
    column::reads::many_to_many_includes,
    column::reads::relation_filters,
    column::reads::select_builder,
    column::reads::a_row_under_bs_parent,
    column::writes::updates_and_deletes,
    column::writes::moving_rows_to_another_tenant,
    column::writes::upserts,
    column::writes::creates_and_nested_writes,
    column::writes::transactions,
    column::guards::missing_tenant,
    column::guards::soft_delete_keeps_the_tenant_filter,
    column::guards::unscoped_reads,
    column::guards::raw_sql,
    column::guards::sessions_carry_nothing_over;
    custom: column::concurrency::concurrent_tenants,
);

mode_tests!(column_mysql, Mode::Column, Backend::MySql;
    column::reads::model_reads,
    column::reads::includes,
    column::reads::many_to_many_includes,
    column::reads::relation_filters,
    column::reads::select_builder,
    column::reads::a_row_under_bs_parent,
    column::writes::updates_and_deletes,
    column::writes::moving_rows_to_another_tenant,
    column::writes::upserts,
    column::writes::creates_and_nested_writes,
    column::writes::transactions,
    column::guards::missing_tenant,
    column::guards::soft_delete_keeps_the_tenant_filter,
    column::guards::unscoped_reads,
    column::guards::raw_sql,
    column::guards::sessions_carry_nothing_over;
    custom: column::concurrency::concurrent_tenants,
);

mode_tests!(rls_postgres, Mode::Rls, Backend::Postgres;
    rls::reads::model_reads,
    rls::reads::includes,
    rls::reads::many_to_many_includes,
    rls::reads::relation_filters,
    rls::reads::select_builder,
    rls::reads::a_row_under_bs_parent,
    rls::writes::updates_and_deletes,
    rls::writes::moving_rows_to_another_tenant,
    rls::writes::upserts,
    rls::writes::creates_and_nested_writes,
    rls::writes::transactions,
    rls::guards::missing_tenant,
    rls::guards::soft_delete_keeps_the_tenant_filter,
    rls::guards::unscoped_reads,
    rls::guards::raw_sql,
    rls::guards::sessions_carry_nothing_over,
    rls::guards::rls_policies,
    rls::guards::column_tenancy_refuses_rls_models;
    custom: rls::concurrency::concurrent_tenants,
);

mode_tests!(schema_postgres, Mode::Schema, Backend::Postgres;
    column::reads::model_reads,
    column::reads::includes,
    column::reads::many_to_many_includes,
    column::reads::relation_filters,
    column::reads::select_builder,
    column::reads::a_row_under_bs_parent,
    column::writes::updates_and_deletes,
    column::writes::moving_rows_to_another_tenant,
    column::writes::upserts,
    column::writes::creates_and_nested_writes,
    column::writes::transactions,
    column::guards::missing_tenant,
    column::guards::soft_delete_keeps_the_tenant_filter,
    column::guards::unscoped_reads,
    column::guards::raw_sql,
    column::guards::sessions_carry_nothing_over;
    custom: column::concurrency::concurrent_tenants,
);
