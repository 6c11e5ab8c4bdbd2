//! Transactions on real SQLite, PostgreSQL and MariaDB: the explicit handle
//! (every query API takes it), a panic in the body, isolation levels seen
//! behaving as asked, read-only and deferrable, and savepoints. (The
//! transaction core's commit/rollback/drop tests are in nested_writes.rs;
//! `max_wait` and `timeout` in transaction_timeouts.rs; retries in
//! transaction_retry.rs.)

use schema_examples::blog::{BlogSchema, Post, Tag, User};
use strata::{
    sql, Db, Dialect, Error, Isolation, Model, PoolOptions, TransactionOptions, WithNested,
};
use strata_tests::backend_tests;

#[derive(Model, Debug, Clone)]
#[strata(table = "tx_accounts")]
struct Account {
    #[strata(id)]
    id: i64,
    balance: i64,
}

async fn accounts(db: &Db, balances: &[i64]) {
    db.push_schema::<Account>().await.unwrap();
    for (id, balance) in (1..).zip(balances) {
        (Account::create().id(id).balance(*balance))
            .exec(db)
            .await
            .unwrap();
    }
}

async fn balance(db: &Db, id: i64) -> i64 {
    Account::find_by_id(id)
        .exec_required(db)
        .await
        .unwrap()
        .balance
}

async fn tag_names(db: &Db) -> Vec<String> {
    let tags = Tag::find_many()
        .order_by(Tag::name().asc())
        .exec(db)
        .await
        .unwrap();
    tags.into_iter().map(|t| t.name).collect()
}

/// A second connection to the test database, outside any transaction of `db`.
async fn other(db: &Db) -> Db {
    Db::connect_single(&strata_tests::url_of(db)).await.unwrap()
}

// The handle

backend_tests!(
    the_handle_commits_and_every_query_api_takes_it,
    |db| async move {
        db.push_schema::<BlogSchema>().await?;
        let outside = other(&db).await;
        let tx = db.begin_transaction().await?;
        // Model builders, nested writes, the select builder, raw SQL and
        // relation loading all take `&tx` where they take `&Db`.
        let ann = User::create().email("ann@x.io").exec(&tx).await?;
        (Post::create().title("p1"))
            .author_id(&ann.id)
            .exec(&tx)
            .await?;
        let titles: Vec<String> = strata::select(Post::title())
            .from::<Post>()
            .fetch_all(&tx)
            .await?;
        assert_eq!(titles, ["p1"]);
        let users: i64 = sql!("SELECT COUNT(*) FROM {User}")
            .fetch_scalar(tx.db())
            .await?;
        assert_eq!(users, 1);
        let loaded = User::find_many().include(User::posts()).exec(&tx).await?;
        assert_eq!(loaded[0].posts.loaded()?.len(), 1);
        // A nested write on the handle is a savepoint in its transaction.
        User::create()
            .email("bob@x.io")
            .with(User::posts().create(|bob: &User| Post::create().author_id(&bob.id).title("p2")))
            .exec(&tx)
            .await?;
        // Not visible outside before COMMIT; visible after.
        assert_eq!(User::count().exec(&outside).await?, 0);
        tx.commit().await?;
        assert_eq!(User::count().exec(&outside).await?, 2);
        assert_eq!(Post::count().exec(&db).await?, 2);
        Ok::<_, Error>(())
    }
);

backend_tests!(
    the_handle_rolls_back_on_rollback_and_on_drop,
    |db| async move {
        db.push_schema::<BlogSchema>().await?;
        let tx = db.begin_transaction().await?;
        Tag::create().name("rolled back").exec(&tx).await?;
        tx.rollback().await?;
        {
            let tx = db.begin_transaction().await?;
            Tag::create().name("dropped").exec(&tx).await?;
        }
        assert!(tag_names(&db).await.is_empty());
        // The connection is not left in a transaction: this commits.
        Tag::create().name("after").exec(&db).await?;
        assert_eq!(tag_names(&other(&db).await).await, ["after"]);
        Ok::<_, Error>(())
    }
);

backend_tests!(
    a_panic_in_the_body_rolls_back_and_the_connection_comes_back_clean,
    |db| async move {
        db.push_schema::<BlogSchema>().await?;
        // One connection, so the connection after the panic is the one the
        // panicking transaction had.
        let one = Db::connect_with(
            &strata_tests::url_of(&db),
            PoolOptions {
                max_connections: 1,
                ..PoolOptions::default()
            },
        )
        .await?;
        let task = tokio::spawn({
            let one = one.clone();
            async move {
                one.transaction(|tx| {
                    Box::pin(async move {
                        Tag::create().name("panicked").exec(tx).await?;
                        panic!("the body panics mid-transaction");
                    })
                })
                .await
            }
        });
        let joined: Result<Result<(), Error>, _> = task.await;
        assert!(joined.unwrap_err().is_panic());
        assert!(tag_names(&one).await.is_empty());
        Tag::create().name("after").exec(&one).await?;
        assert_eq!(tag_names(&other(&db).await).await, ["after"]);
        Ok::<_, Error>(())
    }
);

// Isolation, read-only, deferrable

/// Reads account 1 twice in a transaction at `level`, while another
/// connection commits a change between the reads: both reads, as seen.
async fn reads_around_a_commit(db: &Db, level: Isolation) -> Result<(i64, i64), Error> {
    let outside = other(db).await;
    Account::update(Account::by_id(1))
        .balance(100)
        .exec(db)
        .await?;
    let tx = db
        .begin_transaction_with(TransactionOptions::new().isolation(level))
        .await?;
    let first = balance(&tx, 1).await;
    Account::update(Account::by_id(1))
        .balance(200)
        .exec(&outside)
        .await?;
    let second = balance(&tx, 1).await;
    tx.commit().await?;
    Ok((first, second))
}

backend_tests!(isolation_levels_behave_as_asked, |db| async move {
    accounts(&db, &[100]).await;
    if db.dialect() == Dialect::Sqlite {
        // SQLite is always serializable and refuses the weaker levels.
        for level in [
            Isolation::ReadUncommitted,
            Isolation::ReadCommitted,
            Isolation::RepeatableRead,
        ] {
            let refused = db
                .begin_transaction_with(TransactionOptions::new().isolation(level))
                .await;
            assert!(
                matches!(
                    refused,
                    Err(Error::UnsupportedTransactionOption {
                        option: "isolation",
                        dialect: Dialect::Sqlite,
                        ..
                    })
                ),
                "{level:?}: {refused:?}"
            );
        }
        let tx = db
            .begin_transaction_with(TransactionOptions::new().isolation(Isolation::Serializable))
            .await?;
        assert_eq!(balance(&tx, 1).await, 100);
        tx.commit().await?;
        return Ok(());
    }
    // READ COMMITTED sees the other connection's commit; REPEATABLE READ
    // keeps its snapshot.
    assert_eq!(
        reads_around_a_commit(&db, Isolation::ReadCommitted).await?,
        (100, 200)
    );
    assert_eq!(
        reads_around_a_commit(&db, Isolation::RepeatableRead).await?,
        (100, 100)
    );
    if db.dialect() == Dialect::Postgres {
        let level: String = db
            .transaction_with(
                TransactionOptions::new().isolation(Isolation::Serializable),
                |tx| {
                    Box::pin(
                        async move { sql!("SHOW transaction_isolation").fetch_scalar(tx).await },
                    )
                },
            )
            .await?;
        assert_eq!(level, "serializable");
    }
    // The level was for that transaction only: the next one is back at the
    // database's default.
    let default = reads_default_isolation(&db).await?;
    assert_eq!(
        default,
        match db.dialect() {
            Dialect::Postgres => "read committed",
            _ => "REPEATABLE-READ",
        }
    );
    Ok::<_, Error>(())
});

/// The isolation level a transaction without options gets.
async fn reads_default_isolation(db: &Db) -> Result<String, Error> {
    db.transaction(|tx| {
        Box::pin(async move {
            match tx.dialect() {
                Dialect::Postgres => sql!("SHOW transaction_isolation").fetch_scalar(tx).await,
                _ => sql!("SELECT @@session.tx_isolation").fetch_scalar(tx).await,
            }
        })
    })
    .await
}

backend_tests!(read_only_transactions_refuse_writes, |db| async move {
    accounts(&db, &[100]).await;
    let read_only = TransactionOptions::new().read_only();
    let written = db
        .transaction_with(read_only.clone(), |tx| {
            Box::pin(async move { Account::update(Account::by_id(1)).balance(0).exec(tx).await })
        })
        .await;
    match db.dialect() {
        Dialect::Sqlite => assert!(
            matches!(
                written,
                Err(Error::UnsupportedTransactionOption {
                    option: "read_only",
                    ..
                })
            ),
            "{written:?}"
        ),
        _ => {
            assert!(written.is_err(), "a write in a read-only transaction");
            let read = db
                .transaction_with(read_only, |tx| {
                    Box::pin(async move { Ok(balance(tx, 1).await) })
                })
                .await?;
            assert_eq!(read, 100);
        }
    }
    assert_eq!(balance(&db, 1).await, 100);
    Ok::<_, Error>(())
});

backend_tests!(
    deferrable_is_postgres_serializable_read_only,
    |db| async move {
        accounts(&db, &[100]).await;
        let deferrable = TransactionOptions::new()
            .isolation(Isolation::Serializable)
            .read_only()
            .deferrable();
        let alone = db
            .begin_transaction_with(TransactionOptions::new().deferrable())
            .await;
        assert!(
            matches!(
                alone,
                Err(Error::UnsupportedTransactionOption {
                    option: "deferrable",
                    ..
                })
            ),
            "{alone:?}"
        );
        let read = db
            .transaction_with(deferrable, |tx| {
                Box::pin(async move { Ok(balance(tx, 1).await) })
            })
            .await;
        match db.dialect() {
            Dialect::Postgres => assert_eq!(read?, 100),
            _ => assert!(
                matches!(
                    read,
                    Err(Error::UnsupportedTransactionOption {
                        option: "deferrable",
                        ..
                    })
                ),
                "{read:?}"
            ),
        }
        Ok::<_, Error>(())
    }
);

// Savepoints

backend_tests!(
    an_inner_failure_rolls_back_to_its_savepoint_and_the_outer_commits,
    |db| async move {
        db.push_schema::<BlogSchema>().await?;
        Tag::create().name("taken").exec(&db).await?;
        db.transaction(|tx| {
            Box::pin(async move {
                Tag::create().name("outer").exec(tx).await?;
                // A real database error inside the savepoint: on PostgreSQL it
                // aborts everything since the savepoint, which rolling back to
                // it undoes.
                let inner: Result<(), Error> = tx
                    .transaction(|tx| {
                        Box::pin(async move {
                            Tag::create().name("inner").exec(tx).await?;
                            Tag::create().name("taken").exec(tx).await?;
                            Ok(())
                        })
                    })
                    .await;
                assert!(inner.unwrap_err().is_unique_violation());
                // The outer transaction goes on: reads and writes work.
                assert_eq!(Tag::count().exec(tx).await?, 2);
                Tag::create().name("outer again").exec(tx).await?;
                // The handle nests too.
                let savepoint = tx.begin_transaction().await?;
                Tag::create().name("kept").exec(&savepoint).await?;
                savepoint.commit().await?;
                let savepoint = tx.begin_transaction().await?;
                Tag::create().name("undone").exec(&savepoint).await?;
                savepoint.rollback().await?;
                Ok(())
            })
        })
        .await?;
        assert_eq!(
            tag_names(&other(&db).await).await,
            ["kept", "outer", "outer again", "taken"]
        );
        // Options that only a transaction's BEGIN can carry are refused on a
        // savepoint.
        let refused = db
            .transaction(|tx| {
                Box::pin(async move {
                    tx.begin_transaction_with(TransactionOptions::new().read_only())
                        .await
                        .map(drop)
                })
            })
            .await;
        assert!(
            matches!(refused, Err(Error::UnsupportedTransactionOption { .. })),
            "{refused:?}"
        );
        Ok::<_, Error>(())
    }
);
