//! The statements a transaction sends, per database, as the executor runs
//! them (captured with `strata::observe`): BEGIN with each isolation level,
//! read-only and deferrable (or the error where a database cannot honour
//! the option), PostgreSQL's SET LOCAL timeouts, and savepoints.

use std::future::Future;
use std::time::Duration;
use strata::observe::Scope;
use strata::{Db, Dialect, Error, Isolation, TransactionOptions};
use strata_tests::backend_tests;

fn suffix(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "postgres",
        Dialect::Sqlite => "sqlite",
        Dialect::MySql => "mysql",
    }
}

/// `label`, then what `run` sent, or the error it returned.
async fn sent<F: Future<Output = Result<(), Error>>>(label: &str, run: F) -> String {
    let (outcome, report) = Scope::new().run(run).await;
    let mut shown = format!("-- {label}\n");
    for sql in report.statements() {
        shown.push_str(sql);
        shown.push('\n');
    }
    if let Err(e) = outcome {
        shown.push_str(&format!("error: {e}\n"));
    }
    shown
}

/// An empty transaction with `options`: only BEGIN's statements and COMMIT.
async fn empty(db: &Db, options: TransactionOptions) -> Result<(), Error> {
    db.transaction_with(options, |_| Box::pin(async { Ok(()) }))
        .await
}

backend_tests!(begin_with_each_option, |db| async move {
    let new = TransactionOptions::new;
    let cases = [
        ("no options", new()),
        (
            "read uncommitted",
            new().isolation(Isolation::ReadUncommitted),
        ),
        ("read committed", new().isolation(Isolation::ReadCommitted)),
        (
            "repeatable read",
            new().isolation(Isolation::RepeatableRead),
        ),
        ("serializable", new().isolation(Isolation::Serializable)),
        ("read only", new().read_only()),
        (
            "serializable read only deferrable",
            new()
                .isolation(Isolation::Serializable)
                .read_only()
                .deferrable(),
        ),
        (
            "deferrable without serializable read only",
            new().deferrable(),
        ),
        (
            "timeout 1500 ms",
            new().timeout(Duration::from_millis(1500)),
        ),
        (
            "repeatable read, read only, timeout 250 ms",
            new()
                .isolation(Isolation::RepeatableRead)
                .read_only()
                .timeout(Duration::from_millis(250)),
        ),
        (
            "max_wait (sends nothing)",
            new().max_wait(Duration::from_secs(1)),
        ),
    ];
    let mut shown = String::new();
    for (label, options) in cases {
        shown.push_str(&sent(label, empty(&db, options)).await);
    }
    insta::assert_snapshot!(format!("begin_options@{}", suffix(db.dialect())), shown);
});

backend_tests!(savepoints_and_the_handle, |db| async move {
    let mut shown = String::new();
    shown.push_str(
        &sent(
            "a savepoint with one inside it, one that fails, one from the handle rolled back",
            db.transaction(|tx| {
                Box::pin(async move {
                    tx.transaction(|sp| {
                        Box::pin(
                            async move { sp.transaction(|_| Box::pin(async { Ok(()) })).await },
                        )
                    })
                    .await?;
                    let _ = tx
                        .transaction(|_| {
                            Box::pin(async { Err::<(), _>(Error::NotFound { model: "Tag" }) })
                        })
                        .await;
                    tx.begin_transaction().await?.rollback().await?;
                    Ok(())
                })
            }),
        )
        .await,
    );
    shown.push_str(
        &sent("the handle, committed", async {
            db.begin_transaction().await?.commit().await
        })
        .await,
    );
    shown.push_str(
        &sent("the handle, rolled back", async {
            db.begin_transaction().await?.rollback().await
        })
        .await,
    );
    shown.push_str(
        &sent(
            "a failed body rolls back",
            db.transaction(|_| Box::pin(async { Err::<(), _>(Error::NotFound { model: "Tag" }) })),
        )
        .await,
    );
    insta::assert_snapshot!(format!("savepoints@{}", suffix(db.dialect())), shown);
});
