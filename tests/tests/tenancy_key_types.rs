//! Tenant ids that are not integers (issue 9): the isolation suite
//! (`tenancy.rs`) scopes by `i64`; here a new user's `tenant_id: String` and
//! `tenant_id: uuid::Uuid`, each with a composite unique `(tenant_id, code)`
//! and a tenant-scoped has_many child.
//!
//! - Column mode on SQLite, PostgreSQL and MariaDB: creates fill the tenant,
//!   reads, includes, counts, update_many and delete_many see and touch only
//!   the scope's rows, an upsert by `(tenant_id, code)` works, and a scope of
//!   the wrong type, another tenant's id, or no scope at all is refused.
//! - RowLevelSecurity on PostgreSQL with the Uuid model: the policy casts
//!   the setting to `uuid`, so raw SQL without a WHERE sees only the
//!   scope's rows, and a raw INSERT of another tenant's row is refused.
//!
//! Assertions read rows back from the database (unscoped for the other
//! tenant's), never what strata returned alone.

// The RLS world (role, grants, cleanup) is the isolation suite's; this file
// uses only part of it.
#[allow(dead_code)]
#[path = "tenancy_support/world.rs"]
mod world;

use strata::relation::Strategy;
use strata::tenant::{scope, unscoped};
use strata::{sql, BelongsTo, Error, HasMany, Model, WithNested};
use strata_tests::{for_each_backend, Backend};
use uuid::Uuid;

// Clippy's duplicated_attributes lint reads `tenant_id` in `tenant = ..` and
// in the key as one option written twice (README, "Model attributes").
#[allow(clippy::duplicated_attributes)]
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "tk_s_accounts", tenant = tenant_id, unique(fields(tenant_id, code)))]
pub struct SAccount {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tenant_id: String,
    pub code: String,
    pub name: String,
    #[strata(has_many)]
    pub items: HasMany<SItem>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "tk_s_items", tenant = tenant_id)]
pub struct SItem {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tenant_id: String,
    pub account_id: i64,
    pub label: String,
    #[strata(belongs_to(fields(account_id), references(id)), on_delete = cascade)]
    pub account: BelongsTo<SAccount>,
}

#[allow(clippy::duplicated_attributes)]
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "tk_u_accounts", tenant = tenant_id, unique(fields(tenant_id, code)))]
pub struct UAccount {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tenant_id: Uuid,
    pub code: String,
    pub name: String,
    #[strata(has_many)]
    pub items: HasMany<UItem>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "tk_u_items", tenant = tenant_id)]
pub struct UItem {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tenant_id: Uuid,
    pub account_id: i64,
    pub label: String,
    #[strata(belongs_to(fields(account_id), references(id)), on_delete = cascade)]
    pub account: BelongsTo<UAccount>,
}

/// The Uuid models again, with a PostgreSQL row-level security policy.
mod rls_models {
    use strata::{BelongsTo, HasMany, Model};
    use uuid::Uuid;

    #[allow(clippy::duplicated_attributes)]
    #[derive(Model, Debug, Clone, PartialEq)]
    #[strata(
        table = "tk_r_accounts",
        tenant = tenant_id,
        row_level_security,
        unique(fields(tenant_id, code))
    )]
    pub struct RAccount {
        #[strata(id, default = autoincrement)]
        pub id: i64,
        pub tenant_id: Uuid,
        pub code: String,
        pub name: String,
        #[strata(has_many)]
        pub items: HasMany<RItem>,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[strata(table = "tk_r_items", tenant = tenant_id, row_level_security)]
    pub struct RItem {
        #[strata(id, default = autoincrement)]
        pub id: i64,
        pub tenant_id: Uuid,
        pub account_id: i64,
        pub label: String,
        #[strata(belongs_to(fields(account_id), references(id)), on_delete = cascade)]
        pub account: BelongsTo<RAccount>,
    }
}
use rls_models::{RAccount, RItem};

fn invalid_value<T: std::fmt::Debug>(result: Result<T, Error>, model: &str, what: &str) {
    match result {
        Err(Error::InvalidValue {
            model: m, field, ..
        }) => assert_eq!((m, field), (model, Some("tenant_id")), "{what}"),
        other => panic!("{what}: expected InvalidValue, got {other:?}"),
    }
}

fn missing<T: std::fmt::Debug>(result: Result<T, Error>, model: &str, what: &str) {
    match result {
        Err(Error::MissingTenant { model: m }) => assert_eq!(m, model, "{what}"),
        other => panic!("{what}: expected MissingTenant, got {other:?}"),
    }
}

fn mismatch<T: std::fmt::Debug>(
    result: Result<T, Error>,
    model: &str,
    (scope, written): (&str, &str),
    what: &str,
) {
    match result {
        Err(Error::TenantMismatch {
            model: m,
            field,
            scope: s,
            written: w,
        }) => {
            assert_eq!((m, field), (model, "tenant_id"), "{what}");
            assert_eq!((s.as_str(), w.as_str()), (scope, written), "{what}");
        }
        other => panic!("{what}: expected TenantMismatch, got {other:?}"),
    }
}

/// One Column-mode scenario, written once for the String and the Uuid
/// models: `$a`/`$b` are the two tenants' ids.
macro_rules! column_scenario {
    ($name:ident, $Account:ident, $Item:ident, $a:expr, $b:expr) => {
        async fn $name(db: strata::Db, backend: Backend) {
            let (a, b) = ($a, $b);
            let on = backend.name();
            db.push_schema::<($Account, $Item)>()
                .await
                .unwrap_or_else(|e| panic!("{on}: push_schema: {e}"));
            let model = stringify!($Account);

            // Rows of each tenant, created without naming tenant_id.
            for (tenant, name) in [(a.clone(), "a"), (b.clone(), "b")] {
                let made = scope(tenant.clone(), async {
                    let mut made = Vec::new();
                    for code in ["c1", "c2"] {
                        let acc = $Account::create()
                            .code(code)
                            .name(format!("{name}-{code}"))
                            .exec(&db)
                            .await
                            .unwrap_or_else(|e| panic!("{on}: create {name}/{code}: {e}"));
                        for n in 0..2 {
                            $Item::create()
                                .account_id(acc.id)
                                .label(format!("{name}-{code}-{n}"))
                                .exec(&db)
                                .await
                                .unwrap_or_else(|e| panic!("{on}: create item: {e}"));
                        }
                        made.push(acc);
                    }
                    made
                })
                .await;
                assert!(
                    made.iter().all(|acc| acc.tenant_id == tenant),
                    "{on}: {made:?}"
                );
            }
            // The filled tenant_id is in the database, not only in what
            // create returned.
            let all = unscoped($Account::find_many().exec(&db)).await.unwrap();
            let mut pairs: Vec<(String, bool)> = all
                .iter()
                .map(|acc| (acc.name.clone(), acc.tenant_id == a))
                .collect();
            pairs.sort();
            let expected = [
                ("a-c1", true),
                ("a-c2", true),
                ("b-c1", false),
                ("b-c2", false),
            ];
            let expected: Vec<(String, bool)> =
                expected.iter().map(|(n, t)| (n.to_string(), *t)).collect();
            assert_eq!(pairs, expected, "{on}: rows as stored");
            let items = unscoped($Item::find_many().exec(&db)).await.unwrap();
            assert_eq!(items.len(), 8, "{on}");
            for item in &items {
                let tenant = if item.label.starts_with("a-") { &a } else { &b };
                assert_eq!(&item.tenant_id, tenant, "{on}: {item:?}");
            }

            // B's item under A's account (the schema lets a child point at
            // another tenant's parent): A's includes must not show it.
            let a_c1 = all
                .iter()
                .find(|x| x.tenant_id == a && x.code == "c1")
                .unwrap()
                .id;
            let planted = $Item::create()
                .tenant_id(b.clone())
                .account_id(a_c1)
                .label("planted")
                .exec(&db);
            unscoped(planted).await.unwrap();
            // Unscoped, a create must name the tenant itself.
            let unnamed = $Item::create().account_id(a_c1).label("unnamed").exec(&db);
            invalid_value(
                unscoped(unnamed).await,
                stringify!($Item),
                "unscoped create",
            );

            scope(a.clone(), async {
                // Reads: A's rows only.
                let found = $Account::find_many().exec(&db).await.unwrap();
                let mut names: Vec<&str> = found.iter().map(|x| x.name.as_str()).collect();
                names.sort();
                assert_eq!(names, ["a-c1", "a-c2"], "{on}: find_many");
                assert_eq!($Account::count().exec(&db).await.unwrap(), 2, "{on}: count");
                assert_eq!(
                    $Item::count().exec(&db).await.unwrap(),
                    4,
                    "{on}: child count"
                );
                let by_code = $Account::find_many()
                    .filter($Account::code().eq("c1"))
                    .exec(&db)
                    .await
                    .unwrap();
                assert_eq!(by_code.len(), 1, "{on}: B's c1 is not A's: {by_code:?}");
                for strategy in [Strategy::Batched, Strategy::Joined] {
                    let with_items = $Account::find_many()
                        .strategy(strategy)
                        .include($Account::items())
                        .exec(&db)
                        .await
                        .unwrap();
                    assert_eq!(with_items.len(), 2, "{on} {strategy:?}");
                    for acc in &with_items {
                        let items = acc.items.get().unwrap();
                        assert_eq!(items.len(), 2, "{on} {strategy:?}: {acc:?}");
                        assert!(
                            items
                                .iter()
                                .all(|i| i.tenant_id == a && i.label.starts_with("a-")),
                            "{on} {strategy:?}: {items:?}"
                        );
                    }
                }
                let counted = $Account::find_many()
                    .with_count($Account::items())
                    .exec(&db)
                    .await
                    .unwrap();
                let counts: Vec<_> = counted.iter().map(|x| x.items.count()).collect();
                assert_eq!(
                    counts,
                    [Some(2), Some(2)],
                    "{on}: _count leaves out B's item"
                );
                let holding = $Account::find_many()
                    .filter($Account::items().some($Item::label().eq("planted")))
                    .exec(&db)
                    .await
                    .unwrap();
                assert_eq!(holding, [], "{on}: a relation filter reaching B's item");

                // update_many and delete_many, with no filter of their own.
                let n = $Account::update_many($Account::code().ne(""))
                    .name("renamed")
                    .exec(&db)
                    .await
                    .unwrap();
                assert_eq!(n, 2, "{on}: update_many touches A's two");
                let n = $Item::delete_many()
                    .filter($Item::label().ends_with("-0"))
                    .exec(&db)
                    .await
                    .unwrap();
                assert_eq!(n, 2, "{on}: delete_many deletes A's two");

                // Upsert by (tenant_id, code): updates A's row, then inserts.
                let upsert = |code: &'static str, name: &'static str| {
                    $Account::upsert(
                        $Account::by_tenant_id_code(a.clone(), code),
                        $Account::create().code(code).name(name),
                        $Account::changes().name(name),
                    )
                    .exec(&db)
                };
                let updated = upsert("c1", "upserted").await.unwrap();
                assert_eq!(
                    (updated.name.as_str(), &updated.tenant_id),
                    ("upserted", &a)
                );
                let inserted = upsert("c3", "new").await.unwrap();
                assert_eq!((inserted.code.as_str(), &inserted.tenant_id), ("c3", &a));
                // A key naming B's tenant: refused, B's row unchanged (below).
                let theirs = $Account::upsert(
                    $Account::by_tenant_id_code(b.clone(), "c2"),
                    $Account::create().code("c2").name("hijacked"),
                    $Account::changes().name("hijacked"),
                )
                .exec(&db)
                .await;
                let shown = (tenant_shown(&a), tenant_shown(&b));
                mismatch(
                    theirs,
                    model,
                    (&shown.0, &shown.1),
                    "upsert whose key names B",
                );

                // Naming B: refused, nothing written.
                let theirs = $Account::create()
                    .tenant_id(b.clone())
                    .code("c9")
                    .name("forged")
                    .exec(&db)
                    .await;
                let shown = (tenant_shown(&a), tenant_shown(&b));
                mismatch(theirs, model, (&shown.0, &shown.1), "create naming B");
                let moved = $Account::update_many($Account::code().eq("c2"))
                    .tenant_id(b.clone())
                    .exec(&db)
                    .await;
                mismatch(moved, model, (&shown.0, &shown.1), "update_many to B");
            })
            .await;

            // B's rows are as created; A's changed as asked.
            let all = unscoped($Account::find_many().exec(&db)).await.unwrap();
            let mut rows: Vec<(bool, String, String)> = all
                .iter()
                .map(|x| (x.tenant_id == a, x.code.clone(), x.name.clone()))
                .collect();
            rows.sort();
            let expected = [
                (false, "c1", "b-c1"),
                (false, "c2", "b-c2"),
                (true, "c1", "upserted"),
                (true, "c2", "renamed"),
                (true, "c3", "new"),
            ];
            let expected: Vec<(bool, String, String)> = expected
                .iter()
                .map(|(t, c, n)| (*t, c.to_string(), n.to_string()))
                .collect();
            assert_eq!(rows, expected, "{on}: after A's writes");
            let items = unscoped($Item::find_many().exec(&db)).await.unwrap();
            let b_items = items.iter().filter(|i| i.tenant_id == b).count();
            assert_eq!((items.len(), b_items), (7, 5), "{on}: {items:?}");

            // A scope of the wrong type: an i64 on a non-integer column.
            let wrong = scope(7_i64, $Account::find_many().exec(&db)).await;
            invalid_value(wrong, model, "find_many in an i64 scope");
            let wrong = scope(7_i64, $Account::create().code("w").name("w").exec(&db)).await;
            invalid_value(wrong, model, "create in an i64 scope");
            let wrong = scope(true, $Item::count().exec(&db)).await;
            invalid_value(wrong, stringify!($Item), "count in a bool scope");

            // No scope at all.
            missing($Account::find_many().exec(&db).await, model, "find_many");
            missing($Account::count().exec(&db).await, model, "count");
            let item_model = stringify!($Item);
            missing(
                $Item::delete_many().exec(&db).await,
                item_model,
                "delete_many",
            );
            let created = $Account::create().code("x").name("x").exec(&db).await;
            assert!(
                created.is_err(),
                "{on}: create outside a scope: {created:?}"
            );
            assert_eq!(
                unscoped($Account::count().exec(&db)).await.unwrap(),
                5,
                "{on}"
            );

            // create_many and nested creates fill the tenant too.
            scope(b.clone(), async {
                let many = [
                    $Account::create().code("m1").name("m"),
                    $Account::create().code("m2").name("m"),
                ];
                assert_eq!(
                    $Account::create_many(many).exec(&db).await.unwrap(),
                    2,
                    "{on}"
                );
                let nested =
                    $Account::create()
                        .code("n1")
                        .name("nested")
                        .with($Account::items().create(|x: &$Account| {
                            $Item::create().account_id(x.id).label("nested")
                        }))
                        .exec(&db)
                        .await
                        .unwrap_or_else(|e| panic!("{on}: nested create: {e}"));
                assert_eq!(nested.tenant_id, b, "{on}");
            })
            .await;
            let made = $Account::find_many().filter($Account::name().in_(["m", "nested"]));
            let made = unscoped(made.exec(&db)).await.unwrap();
            assert_eq!(made.len(), 3, "{on}: {made:?}");
            assert!(made.iter().all(|x| x.tenant_id == b), "{on}: {made:?}");
            let child = $Item::find_many().filter($Item::label().eq("nested"));
            let child = unscoped(child.exec(&db)).await.unwrap();
            assert_eq!(child.len(), 1, "{on}");
            assert_eq!(child[0].tenant_id, b, "{on}: nested child");
        }
    };
}

/// How an error shows a tenant id: text quoted, a uuid as is.
trait Shown {
    fn shown(&self) -> String;
}
impl Shown for String {
    fn shown(&self) -> String {
        format!("{self:?}")
    }
}
impl Shown for Uuid {
    fn shown(&self) -> String {
        self.to_string()
    }
}
fn tenant_shown(t: &impl Shown) -> String {
    t.shown()
}

column_scenario!(
    string_scenario,
    SAccount,
    SItem,
    "acme".to_string(),
    "globex".to_string()
);
column_scenario!(
    uuid_scenario,
    UAccount,
    UItem,
    Uuid::new_v4(),
    Uuid::new_v4()
);

#[tokio::test]
async fn string_tenant_ids_on_every_database() {
    for_each_backend(string_scenario).await;
}

#[tokio::test]
async fn uuid_tenant_ids_on_every_database() {
    for_each_backend(uuid_scenario).await;
}

/// Row-level security with a uuid tenant column: the app role sees and
/// writes only the scope's rows, through raw SQL too.
#[test]
fn uuid_tenant_ids_under_row_level_security() {
    world::block_on(world::run::<(RAccount, RItem), _, _>(
        world::Mode::Rls,
        Backend::Postgres,
        &[],
        2,
        rls_scenario,
    ))
}

async fn rls_scenario(w: world::World) {
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let db = &w.app;
    for (tenant, name) in [(a, "a"), (b, "b")] {
        scope(tenant, async {
            for code in ["c1", "c2"] {
                let acc = RAccount::create()
                    .code(code)
                    .name(format!("{name}-{code}"))
                    .exec(db)
                    .await
                    .unwrap_or_else(|e| panic!("create as the app role: {e}"));
                assert_eq!(acc.tenant_id, tenant);
                RItem::create()
                    .account_id(acc.id)
                    .label(format!("{name}-{code}"))
                    .exec(db)
                    .await
                    .unwrap();
            }
        })
        .await;
    }
    // Refused by strata before the policy sees a setting it cannot cast.
    let wrong = scope(7_i64, RAccount::find_many().exec(db)).await;
    invalid_value(wrong, "RAccount", "RLS: find_many in an i64 scope");
    let wrong = scope(a.to_string(), RAccount::count().exec(db)).await;
    invalid_value(wrong, "RAccount", "RLS: count in a String scope");
    missing(
        RAccount::find_many().exec(db).await,
        "RAccount",
        "RLS, no scope",
    );

    // The owner (a superuser, bypassing the policy) sees all of them.
    let all: Vec<(Uuid,)> = sql!("SELECT {RAccount::tenant_id} FROM {RAccount}")
        .fetch_all(&w.owner)
        .await
        .unwrap();
    assert_eq!(all.len(), 4, "{all:?}");

    scope(a, async {
        let rows: Vec<(Uuid, String)> =
            sql!("SELECT {RAccount::tenant_id}, {RAccount::name} FROM {RAccount}")
                .fetch_all(db)
                .await
                .unwrap();
        let mut names: Vec<&str> = rows.iter().map(|(_, n)| n.as_str()).collect();
        names.sort();
        assert_eq!(names, ["a-c1", "a-c2"], "raw SELECT, no WHERE: {rows:?}");
        assert!(rows.iter().all(|(t, _)| *t == a));
        let n: i64 = sql!("SELECT COUNT(*) FROM {RItem}")
            .fetch_one(db)
            .await
            .unwrap();
        assert_eq!(n, 2, "raw count of the child table");
        let with_items = RAccount::find_many()
            .include(RAccount::items())
            .exec(db)
            .await
            .unwrap();
        let seen: usize = with_items.iter().map(|x| x.items.get().unwrap().len()).sum();
        assert_eq!((with_items.len(), seen), (2, 2));

        let forged = sql!(
            "INSERT INTO {RAccount} ({RAccount::tenant_id:bare}, {RAccount::code:bare}, {RAccount::name:bare}) VALUES ({b}, {\"c9\"}, {\"forged\"})"
        )
        .execute(db)
        .await;
        assert!(
            matches!(forged, Err(Error::RowSecurityViolation { .. })),
            "a raw INSERT of B's row: {forged:?}"
        );
        let n = sql!("UPDATE {RAccount} SET {RAccount::name:bare} = {\"raw\"}")
            .execute(db)
            .await;
        assert_eq!(n.unwrap(), 2, "a raw UPDATE with no WHERE: A's rows only");

        // strata's own writes, with the policy underneath.
        let n = RItem::update_many(RItem::label().ne(""))
            .label("x")
            .exec(db)
            .await;
        assert_eq!(n.unwrap(), 2, "update_many: A's two items");
        let upsert = |code: &'static str, name: &'static str| {
            RAccount::upsert(
                RAccount::by_tenant_id_code(a, code),
                RAccount::create().code(code).name(name),
                RAccount::changes().name(name),
            )
            .exec(db)
        };
        let updated = upsert("c1", "upserted").await.unwrap();
        assert_eq!((updated.name.as_str(), updated.tenant_id), ("upserted", a));
        let inserted = upsert("c3", "new").await.unwrap();
        assert_eq!((inserted.code.as_str(), inserted.tenant_id), ("c3", a));
        let theirs = RAccount::create()
            .tenant_id(b)
            .code("c9")
            .name("forged")
            .exec(db)
            .await;
        let shown = (a.to_string(), b.to_string());
        mismatch(theirs, "RAccount", (&shown.0, &shown.1), "create naming B");
        let n = RItem::delete_many().exec(db).await;
        assert_eq!(n.unwrap(), 2, "delete_many: A's two items");
    })
    .await;
    let all: Vec<(Uuid, String)> =
        sql!("SELECT {RAccount::tenant_id}, {RAccount::name} FROM {RAccount}")
            .fetch_all(&w.owner)
            .await
            .unwrap();
    let mut rows: Vec<(bool, String)> = all.iter().map(|(t, n)| (*t == a, n.clone())).collect();
    rows.sort();
    let expected = [
        (false, "b-c1"),
        (false, "b-c2"),
        (true, "new"),
        (true, "raw"),
        (true, "upserted"),
    ];
    let expected: Vec<(bool, String)> = expected.iter().map(|(t, n)| (*t, n.to_string())).collect();
    assert_eq!(rows, expected, "B's rows untouched, nothing forged");
    let items: Vec<(Uuid, String)> = sql!("SELECT {RItem::tenant_id}, {RItem::label} FROM {RItem}")
        .fetch_all(&w.owner)
        .await
        .unwrap();
    let mut labels: Vec<&str> = items.iter().map(|(_, l)| l.as_str()).collect();
    labels.sort();
    assert_eq!(labels, ["b-c1", "b-c2"], "B's items untouched");
}

/// String tenant ids are compared exactly: ids differing in case are
/// different tenants, none of which sees another's rows (a database
/// comparing text case-insensitively would let them).
async fn near_string_ids(db: strata::Db, backend: Backend, tenants: &[&str]) {
    let on = backend.name();
    db.push_schema::<(SAccount, SItem)>().await.unwrap();
    // Codes differ, so only the tenant filter keeps the rows apart.
    for (n, tenant) in tenants.iter().enumerate() {
        let made = SAccount::create()
            .code(format!("c{n}"))
            .name(format!("[{tenant}]"));
        scope(tenant.to_string(), made.exec(&db))
            .await
            .unwrap_or_else(|e| panic!("{on}: create for [{tenant}]: {e}"));
    }
    for tenant in tenants {
        let seen = scope(tenant.to_string(), SAccount::find_many().exec(&db)).await;
        let names: Vec<String> = seen.unwrap().into_iter().map(|x| x.name).collect();
        assert_eq!(
            names,
            [format!("[{tenant}]")],
            "{on}: tenant [{tenant}] sees"
        );
    }
}

const CASES: [&str; 3] = ["acme", "Acme", "ACME"];

#[tokio::test]
async fn tenant_ids_differing_in_case_are_different_tenants() {
    for_each_backend(|db, backend| near_string_ids(db, backend, &CASES)).await;
}

/// A tenant id ending in a space is refused on every database, in a scope
/// and in an unscoped create: MySQL/MariaDB compare `'acme '` equal to
/// `'acme'` (utf8mb4_bin pads), so such a tenant would read `acme`'s rows
/// there. Nothing is written.
#[tokio::test]
async fn tenant_ids_ending_in_a_space_are_refused() {
    for_each_backend(|db, backend| async move {
        let on = backend.name();
        db.push_schema::<(SAccount, SItem)>().await.unwrap();
        let made = SAccount::create().code("c0").name("[acme]");
        scope("acme".to_string(), made.exec(&db)).await.unwrap();
        let padded = scope("acme ".to_string(), SAccount::find_many().exec(&db)).await;
        assert!(
            matches!(&padded, Err(Error::InvalidValue { model: "SAccount", field: Some("tenant_id"), reason }) if reason.contains("ends in a space")),
            "{on}: a padded scope: {padded:?}"
        );
        let made = SAccount::create().code("c1").name("[pad]");
        let created = scope("acme  ".to_string(), made.exec(&db)).await;
        assert!(
            matches!(created, Err(Error::InvalidValue { .. })),
            "{on}: a create in a padded scope: {created:?}"
        );
        let admin = SAccount::create()
            .tenant_id("acme ".to_string())
            .code("c2")
            .name("[admin]");
        let created = unscoped(admin.exec(&db)).await;
        assert!(
            matches!(created, Err(Error::InvalidValue { .. })),
            "{on}: an unscoped create naming a padded tenant: {created:?}"
        );
        let all = unscoped(SAccount::find_many().exec(&db)).await.unwrap();
        let names: Vec<String> = all.into_iter().map(|a| a.name).collect();
        assert_eq!(names, ["[acme]"], "{on}: nothing else was written");
    })
    .await;
}
