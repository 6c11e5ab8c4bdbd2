//! A transaction's `max_wait` (for its connection) and `timeout` (for the
//! whole transaction) on real SQLite, PostgreSQL and MariaDB: typed errors,
//! the rollback, the closure and handle forms, and PostgreSQL's server-side
//! SET LOCAL timeouts, which end with the transaction.

use schema_examples::blog::{BlogSchema, Tag};
use std::time::{Duration, Instant};
use strata::{sql, Db, Dialect, Error, PoolOptions, TransactionOptions};
use strata_tests::backend_tests;

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

backend_tests!(max_wait_bounds_the_wait_for_a_connection, |db| async move {
    db.push_schema::<BlogSchema>().await?;
    let one = Db::connect_with(
        &strata_tests::url_of(&db),
        PoolOptions {
            max_connections: 1,
            acquire_timeout: Duration::from_secs(30),
            ..PoolOptions::default()
        },
    )
    .await?;
    let held = strata_tests::occupy_one_connection(&one).await;
    let start = Instant::now();
    let waited = one
        .transaction_with(
            TransactionOptions::new().max_wait(Duration::from_millis(200)),
            |tx| Box::pin(async move { Tag::count().exec(tx).await }),
        )
        .await;
    assert!(matches!(waited, Err(Error::PoolTimedOut)), "{waited:?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    drop(held);
    let counted = one
        .transaction_with(
            TransactionOptions::new().max_wait(Duration::from_millis(200)),
            |tx| Box::pin(async move { Tag::count().exec(tx).await }),
        )
        .await?;
    assert_eq!(counted, 0);
    Ok::<_, Error>(())
});

backend_tests!(
    a_transaction_past_its_timeout_rolls_back_with_a_typed_error,
    |db| async move {
        db.push_schema::<BlogSchema>().await?;
        let timeout = Duration::from_millis(300);
        let start = Instant::now();
        let timed_out: Result<(), Error> = db
            .transaction_with(TransactionOptions::new().timeout(timeout), |tx| {
                Box::pin(async move {
                    Tag::create().name("slow").exec(tx).await?;
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    Ok(())
                })
            })
            .await;
        assert!(
            matches!(timed_out, Err(Error::TransactionTimeout { timeout: t }) if t == timeout),
            "{timed_out:?}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        assert!(tag_names(&db).await.is_empty());
        Tag::create().name("after").exec(&db).await?;
        assert_eq!(tag_names(&other(&db).await).await, ["after"]);

        // The handle: statements after the deadline and the commit fail, and
        // the transaction is rolled back.
        let tx = db
            .begin_transaction_with(TransactionOptions::new().timeout(timeout))
            .await?;
        Tag::create().name("late").exec(&tx).await?;
        tokio::time::sleep(timeout + Duration::from_millis(100)).await;
        let late = Tag::count().exec(&tx).await;
        assert!(
            matches!(late, Err(Error::TransactionTimeout { .. })),
            "{late:?}"
        );
        let commit = tx.commit().await;
        assert!(
            matches!(commit, Err(Error::TransactionTimeout { .. })),
            "{commit:?}"
        );
        assert_eq!(tag_names(&db).await, ["after"]);
        Ok::<_, Error>(())
    }
);

backend_tests!(
    postgres_ends_a_statement_at_the_transaction_timeout,
    |db| async move {
        if db.dialect() != Dialect::Postgres {
            return Ok(());
        }
        let single = Db::connect_single(&strata_tests::url_of(&db)).await?;
        // Inside, the server has the timeout too.
        let settings: (String, String) = single
            .transaction_with(
                TransactionOptions::new().timeout(Duration::from_millis(1500)),
                |tx| {
                    Box::pin(async move {
                        let statement: String =
                            sql!("SHOW statement_timeout").fetch_scalar(tx).await?;
                        let idle: String = sql!("SHOW idle_in_transaction_session_timeout")
                            .fetch_scalar(tx)
                            .await?;
                        Ok((statement, idle))
                    })
                },
            )
            .await?;
        assert_eq!(settings, ("1500ms".to_owned(), "1500ms".to_owned()));
        let timeout = Duration::from_millis(300);
        let start = Instant::now();
        // The server cancels pg_sleep at the SET LOCAL statement_timeout.
        let slept: Result<(), Error> = single
            .transaction_with(TransactionOptions::new().timeout(timeout), |tx| {
                Box::pin(async move {
                    sql!("SELECT pg_sleep(30)").execute(tx).await?;
                    Ok(())
                })
            })
            .await;
        assert!(
            matches!(slept, Err(Error::TransactionTimeout { .. })),
            "{slept:?}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        // SET LOCAL ended with the transaction: the same connection is back
        // at no statement timeout.
        let after: String = sql!("SHOW statement_timeout").fetch_scalar(&single).await?;
        assert_eq!(after, "0");
        let idle: String = sql!("SHOW idle_in_transaction_session_timeout")
            .fetch_scalar(&single)
            .await?;
        assert_eq!(idle, "0");
        Ok::<_, Error>(())
    }
);
