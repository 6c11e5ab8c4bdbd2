//! Optimistic locking with `#[strata(version)]` on SQLite, PostgreSQL and
//! MariaDB: every update and upsert bumps the version; one that names the
//! version it read changes nothing and returns `Error::Conflict` when another
//! writer got there first, `Error::NotFound` when the row is gone; and
//! `strata::optimistic::retry` turns read-modify-write into a loop that loses
//! no update under 64 concurrent writers.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use strata::{optimistic, Db, Error, Model};
use strata_tests::backend_tests;

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "items")]
struct Item {
    #[strata(id, default = autoincrement)]
    id: i64,
    #[strata(unique)]
    sku: String,
    name: String,
    /// Never negative, so an oversell would fail loudly, not silently.
    #[strata(check = "stock >= 0")]
    stock: i64,
    reserved: i64,
    #[strata(version)]
    version: i64,
}

/// A text key, an `i32` version starting at 0.
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "counters")]
struct Counter {
    #[strata(id)]
    name: String,
    value: i32,
    #[strata(version, default = 0)]
    version: i32,
}

async fn item(db: &Db, sku: &str, stock: i64) -> Item {
    Item::create()
        .sku(sku)
        .name("widget")
        .stock(stock)
        .reserved(0)
        .exec(db)
        .await
        .unwrap()
}

async fn read(db: &Db, id: i64) -> Item {
    Item::find_unique(Item::by_id(id))
        .exec_required(db)
        .await
        .unwrap()
}

fn assert_conflict(result: Result<impl std::fmt::Debug, Error>, id: &str, expected: i64) {
    match result {
        Err(Error::Conflict {
            model,
            id: got,
            expected_version,
        }) => {
            assert_eq!(
                (model, got.as_str(), expected_version),
                ("Item", id, expected)
            );
        }
        other => panic!("expected a Conflict on Item {id} at version {expected}, got {other:?}"),
    }
}

backend_tests!(a_created_row_starts_at_its_first_version, |db| async move {
    db.push_schema::<(Item, Counter)>().await.unwrap();
    let widget = item(&db, "w-1", 5).await;
    assert_eq!(widget.version, 1, "the version starts at 1");
    let counter = Counter::create().name("hits").value(0).exec(&db).await;
    assert_eq!(counter.unwrap().version, 0, "`default = 0` starts it at 0");
});

backend_tests!(
    a_fresh_update_writes_and_bumps_the_version,
    |db| async move {
        db.push_schema::<(Item, Counter)>().await.unwrap();
        let read_back = item(&db, "w-1", 5).await;
        let updated = read_back.checked_update().stock(4).exec(&db).await.unwrap();
        assert_eq!((updated.stock, updated.version), (4, 2));

        // By a unique key other than the primary key, with the version named.
        let updated = Item::update(Item::by_sku("w-1"))
            .expect_version(2)
            .name("gadget")
            .exec(&db)
            .await
            .unwrap();
        assert_eq!((updated.name.as_str(), updated.version), ("gadget", 3));
        assert_eq!(read(&db, updated.id).await, updated);

        // An i32 version under a text key.
        let counter = Counter::create()
            .name("hits")
            .value(0)
            .exec(&db)
            .await
            .unwrap();
        let counter = counter.checked_update().value(1).exec(&db).await.unwrap();
        assert_eq!((counter.value, counter.version), (1, 1));
    }
);

backend_tests!(
    a_stale_update_conflicts_and_changes_nothing,
    |db| async move {
        db.push_schema::<(Item, Counter)>().await.unwrap();
        let mine = item(&db, "w-1", 5).await;
        let theirs = read(&db, mine.id).await;
        let after_theirs = theirs.checked_update().stock(3).exec(&db).await.unwrap();
        assert_eq!(after_theirs.version, 2);

        let id = mine.id.to_string();
        assert_conflict(mine.checked_update().stock(4).exec(&db).await, &id, 1);
        assert_conflict(
            Item::update(Item::by_sku("w-1"))
                .expect_version(1)
                .name("stale")
                .exec(&db)
                .await,
            "\"w-1\"",
            1,
        );
        assert_eq!(
            read(&db, mine.id).await,
            after_theirs,
            "nothing was written"
        );

        let message = mine.checked_update().stock(4).exec(&db).await.unwrap_err();
        let message = message.to_string();
        assert!(
            message.contains("Item") && message.contains("expected version 1"),
            "{message}"
        );

        // A version ahead of the row's is as stale as one behind it.
        assert_conflict(
            Item::update(Item::by_id(mine.id))
                .expect_version(7)
                .stock(0)
                .exec(&db)
                .await,
            &id,
            7,
        );
        assert_eq!(read(&db, mine.id).await, after_theirs);
    }
);

backend_tests!(
    a_checked_update_of_a_deleted_row_is_not_found,
    |db| async move {
        db.push_schema::<(Item, Counter)>().await.unwrap();
        let gone = item(&db, "w-1", 5).await;
        Item::delete(Item::by_id(gone.id)).exec(&db).await.unwrap();
        let result = gone.checked_update().stock(1).exec(&db).await;
        assert!(
            matches!(result, Err(Error::NotFound { model: "Item" })),
            "{result:?}"
        );
        let result = Item::update(Item::by_sku("w-1"))
            .expect_version(1)
            .stock(1)
            .exec(&db)
            .await;
        assert!(
            matches!(result, Err(Error::NotFound { model: "Item" })),
            "{result:?}"
        );
    }
);

backend_tests!(an_unchecked_update_bumps_the_version_too, |db| async move {
    db.push_schema::<(Item, Counter)>().await.unwrap();
    let mine = item(&db, "w-1", 5).await;
    // No expected version: last writer wins, but the row moves on, so a
    // checked writer holding the old version cannot overwrite it.
    let blind = Item::update(Item::by_id(mine.id))
        .stock(strata::decrement(1))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((blind.stock, blind.version), (4, 2));
    let id = mine.id.to_string();
    assert_conflict(mine.checked_update().stock(0).exec(&db).await, &id, 1);
    assert_eq!(read(&db, mine.id).await.stock, 4);
});

backend_tests!(update_many_bumps_every_row_it_writes, |db| async move {
    db.push_schema::<(Item, Counter)>().await.unwrap();
    let a = item(&db, "a", 1).await;
    let b = item(&db, "b", 1).await;
    let c = item(&db, "c", 1).await;
    b.checked_update().name("b2").exec(&db).await.unwrap();
    let written = Item::update_many(Item::sku().in_(["a", "b"]))
        .name("renamed")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(written, 2);
    let versions = [
        read(&db, a.id).await,
        read(&db, b.id).await,
        read(&db, c.id).await,
    ]
    .map(|i| i.version);
    assert_eq!(versions, [2, 3, 1], "each written row moved on by one");

    // A checked bulk update is a filter on the version.
    let written = Item::update_many(Item::version().eq(2))
        .stock(9)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(written, 1);
    assert_eq!(read(&db, a.id).await.version, 3);
});

backend_tests!(upsert_bumps_and_checks_the_version, |db| async move {
    db.push_schema::<(Item, Counter)>().await.unwrap();
    let create = || Item::create().sku("w-1").name("new").stock(5).reserved(0);
    let inserted = Item::upsert(Item::by_sku("w-1"), create(), Item::changes().name("x"))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((inserted.name.as_str(), inserted.version), ("new", 1));

    let updated = Item::upsert(Item::by_sku("w-1"), create(), Item::changes().name("plain"))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((updated.name.as_str(), updated.version), ("plain", 2));

    let checked = Item::upsert(
        Item::by_sku("w-1"),
        create(),
        Item::changes().name("checked").expect_version(2),
    )
    .exec(&db)
    .await
    .unwrap();
    assert_eq!((checked.name.as_str(), checked.version), ("checked", 3));

    let stale = Item::upsert(
        Item::by_sku("w-1"),
        create(),
        Item::changes().name("stale").stock(0).expect_version(2),
    )
    .exec(&db)
    .await;
    assert_conflict(stale, "\"w-1\"", 2);
    assert_eq!(read(&db, checked.id).await, checked, "nothing was written");

    // The expected version is the update's: a missing row is still created.
    let fresh = Item::upsert(
        Item::by_sku("w-2"),
        create().sku("w-2"),
        Item::changes().name("never").expect_version(9),
    )
    .exec(&db)
    .await
    .unwrap();
    assert_eq!((fresh.name.as_str(), fresh.version), ("new", 1));
    // And after it, a create on an auto-increment key still reads its id.
    let next = item(&db, "w-3", 1).await;
    assert_eq!(read(&db, next.id).await.sku, "w-3");
});

backend_tests!(retry_gives_up_after_its_attempts, |db| async move {
    db.push_schema::<(Item, Counter)>().await.unwrap();
    let stale = item(&db, "w-1", 5).await;
    Item::update(Item::by_id(stale.id)).exec(&db).await.unwrap();
    let runs = AtomicU32::new(0);
    let result = optimistic::retry(&db, 3, |db| {
        runs.fetch_add(1, Ordering::SeqCst);
        let stale = stale.clone();
        async move { stale.checked_update().stock(0).exec(&db).await }
    })
    .await;
    assert_conflict(result, &stale.id.to_string(), 1);
    assert_eq!(
        runs.load(Ordering::SeqCst),
        3,
        "three attempts, then the conflict"
    );

    // Errors other than a conflict are not retried.
    runs.store(0, Ordering::SeqCst);
    let result = optimistic::retry(&db, 3, |db| {
        runs.fetch_add(1, Ordering::SeqCst);
        async move { Item::find_unique(Item::by_id(-1)).exec_required(&db).await }
    })
    .await;
    assert!(matches!(result, Err(Error::NotFound { .. })), "{result:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
});

const WRITERS: usize = 64;

backend_tests!(concurrent_increments_lose_no_update, |db| async move {
    db.push_schema::<(Item, Counter)>().await.unwrap();
    Counter::create()
        .name("hits")
        .value(0)
        .exec(&db)
        .await
        .unwrap();
    let conflicts = Arc::new(AtomicU32::new(0));
    let mut tasks = Vec::new();
    for _ in 0..WRITERS {
        let (db, conflicts) = (db.clone(), conflicts.clone());
        tasks.push(tokio::spawn(async move {
            optimistic::retry(&db, 10_000, |db| {
                let conflicts = conflicts.clone();
                async move {
                    let counter = Counter::find_unique(Counter::by_name("hits"))
                        .exec_required(&db)
                        .await?;
                    let result = counter
                        .checked_update()
                        .value(counter.value + 1)
                        .exec(&db)
                        .await;
                    if matches!(result, Err(Error::Conflict { .. })) {
                        conflicts.fetch_add(1, Ordering::SeqCst);
                    }
                    result
                }
            })
            .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let counter = Counter::find_unique(Counter::by_name("hits"))
        .exec_required(&db)
        .await
        .unwrap();
    assert_eq!(counter.value, WRITERS as i32, "no increment was lost");
    assert_eq!(counter.version, WRITERS as i32, "one version per write");
    eprintln!(
        "{WRITERS} increments, {} conflicts retried",
        conflicts.load(Ordering::SeqCst)
    );
});

/// Reserves one unit of the item, if any is left: read, check, write back
/// with the version read.
async fn reserve_one(db: &Db, id: i64) -> Result<bool, Error> {
    optimistic::retry(db, 10_000, |db| async move {
        let item = Item::find_unique(Item::by_id(id))
            .exec_required(&db)
            .await?;
        if item.stock == 0 {
            return Ok(false);
        }
        item.checked_update()
            .stock(item.stock - 1)
            .reserved(item.reserved + 1)
            .exec(&db)
            .await
            .map(|_| true)
    })
    .await
}

backend_tests!(inventory_reservation_never_oversells, |db| async move {
    db.push_schema::<(Item, Counter)>().await.unwrap();
    // Fewer units than buyers, and (another item) more units than buyers.
    for stock in [40, 100] {
        let sku = format!("stock-{stock}");
        let id = item(&db, &sku, stock).await.id;
        let mut tasks = Vec::new();
        for _ in 0..WRITERS {
            let db = db.clone();
            tasks.push(tokio::spawn(async move { reserve_one(&db, id).await }));
        }
        let mut reserved = 0;
        for task in tasks {
            reserved += i64::from(task.await.unwrap().unwrap());
        }
        let expected = stock.min(WRITERS as i64);
        let item = read(&db, id).await;
        assert_eq!(reserved, expected, "every buyer who got one was counted");
        assert_eq!(item.reserved, expected, "no reservation was lost");
        assert_eq!(item.stock, stock - expected, "no unit was sold twice");
        assert!(item.stock >= 0);
        assert_eq!(item.version, 1 + expected, "one version per reservation");
    }
});
