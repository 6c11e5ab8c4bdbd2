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

/// Every scenario of model set `$set` as one group of tests, plus the
/// group's own `$extra` scenarios (`file::name` in `$set`).
macro_rules! scenarios {
    ($group:ident, $mode:expr, $backend:expr, $set:ident $(, $extra_file:ident :: $extra:ident)* $(,)?) => {
        mode_tests!($group, $mode, $backend;
            $set::reads::model_reads,
            $set::reads::includes,
            $set::reads::many_to_many_includes,
            $set::reads::relation_filters,
            $set::reads::select_builder,
            $set::reads::a_row_under_bs_parent,
            $set::writes::updates_and_deletes,
            $set::writes::moving_rows_to_another_tenant,
            $set::writes::upserts,
            $set::writes::creates_and_nested_writes,
            $set::writes::transactions,
            $set::guards::missing_tenant,
            $set::guards::soft_delete_keeps_the_tenant_filter,
            $set::guards::unscoped_reads,
            $set::guards::raw_sql,
            $set::guards::sessions_carry_nothing_over
            $(, $set::$extra_file::$extra)*;
            custom: $set::concurrency::concurrent_tenants,
        );
    };
}

scenarios!(column_sqlite, Mode::Column, Backend::Sqlite, column);
scenarios!(column_postgres, Mode::Column, Backend::Postgres, column);
scenarios!(column_mysql, Mode::Column, Backend::MySql, column);
scenarios!(
    rls_postgres,
    Mode::Rls,
    Backend::Postgres,
    rls,
    guards::rls_policies,
    guards::column_tenancy_refuses_rls_models,
);
scenarios!(schema_postgres, Mode::Schema, Backend::Postgres, column);
