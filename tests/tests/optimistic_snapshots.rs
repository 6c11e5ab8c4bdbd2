//! The SQL of optimistic locking per dialect: the version column's DDL, the
//! bump every update and upsert carries, and the check an expected version
//! adds (a WHERE on the UPDATE, a WHERE on PostgreSQL's and SQLite's
//! `DO UPDATE`, `IF(..)` around each of MySQL's `ON DUPLICATE KEY UPDATE`
//! assignments with the refusal marked through `LAST_INSERT_ID`).

use strata::query::ast::Statement;
use strata::render::{create_schema, render};
use strata::{Dialect, IntoCreate, Model};
use strata_tests::{show_sql, DIALECTS};

#[derive(Model, Debug)]
#[strata(table = "items")]
struct Item {
    #[strata(id, default = autoincrement)]
    id: i64,
    #[strata(unique)]
    sku: String,
    name: String,
    stock: i64,
    #[strata(version)]
    version: i64,
}

/// An `i32` version under a composite key, starting at 0.
#[derive(Model, Debug)]
#[strata(table = "slots", id(fields(day, room)))]
struct Slot {
    day: i32,
    room: String,
    taken: bool,
    #[strata(version, default = 0)]
    version: i32,
}

fn show(statement: &Statement, dialect: Dialect) -> String {
    show_sql(&render(statement, dialect))
}

/// Snapshots `build()`'s statement once per dialect, named `{name}@{dialect}`.
fn snapshot(name: &str, build: impl Fn() -> Statement) {
    for (dialect, suffix) in DIALECTS {
        insta::assert_snapshot!(format!("{name}@{suffix}"), show(&build(), dialect));
    }
}

#[test]
fn version_column_ddl() {
    for (dialect, suffix) in DIALECTS {
        let ddl = create_schema(&[Item::SCHEMA, Slot::SCHEMA], dialect).unwrap();
        insta::assert_snapshot!(format!("version_ddl@{suffix}"), ddl.join(";\n"));
    }
}

#[test]
fn create_leaves_the_version_to_its_default() {
    snapshot("version_create", || {
        Slot::create()
            .day(7)
            .room("blue")
            .taken(false)
            .into_create()
            .statement()
    });
}

#[test]
fn update_by_key_with_expected_version() {
    snapshot("version_update_checked", || {
        Item::update(Item::by_sku("w-1"))
            .expect_version(3)
            .name("gadget")
            .into_inner()
            .statement()
    });
}

#[test]
fn checked_update_of_a_read_row() {
    let slot = Slot {
        day: 7,
        room: "blue".into(),
        taken: false,
        version: 4,
    };
    snapshot("version_checked_update_composite_key", || {
        slot.checked_update().taken(true).into_inner().statement()
    });
}

#[test]
fn update_without_expected_version_only_bumps() {
    snapshot("version_update_unchecked", || {
        Item::update(Item::by_id(1))
            .stock(strata::decrement(1))
            .into_inner()
            .statement()
    });
}

#[test]
fn update_many_bumps_without_a_check() {
    snapshot("version_update_many", || {
        Item::update_many(Item::stock().eq(0))
            .name("sold out")
            .into_inner()
            .statement()
    });
}

fn upsert(expected: Option<i64>) -> Statement {
    let changes = Item::changes().name("again");
    let changes = match expected {
        Some(version) => changes.expect_version(version),
        None => changes,
    };
    Item::upsert(
        Item::by_sku("w-1"),
        Item::create().sku("w-1").name("new").stock(5),
        changes,
    )
    .statement()
}

#[test]
fn upsert_with_expected_version() {
    snapshot("version_upsert_checked", || upsert(Some(3)));
}

#[test]
fn upsert_without_expected_version_only_bumps() {
    snapshot("version_upsert_unchecked", || upsert(None));
}
