//! Who runs a saga, on every database: of two concurrent resumers (and two
//! processes resuming every pending saga) one runs each step; a runner
//! whose lease another took over stops; a saga recorded with other steps,
//! or under another name, is not resumed.

mod saga_support;

use std::time::Duration;

use saga_support::*;
use strata::saga::{Saga, SagaError, SagaRegistry, SagaState, SagaStatus};
use strata_tests::backend_tests;

backend_tests!(
    of_two_concurrent_resumers_one_runs_each_step,
    |db| async move {
        setup(&db, 100).await;
        // Slow steps: the loser tries while the winner is still running.
        let shared = hooks(|h| h.slow = Some(Duration::from_millis(50)));
        let saga = order_saga(&shared);
        let id = saga.start(&db, order("o-5")).await.unwrap();
        let resumers: Vec<_> = (0..2)
            .map(|_| {
                let (saga, db, id) = (saga.clone(), db.clone(), id.clone());
                tokio::spawn(async move { saga.resume(&db, &id).await })
            })
            .collect();
        let mut completed = 0;
        for resumer in resumers {
            match resumer.await.unwrap() {
                Ok(order) => {
                    assert_eq!(order.order_ref, "o-5");
                    completed += 1;
                }
                Err(SagaError::Busy { .. } | SagaError::NotResumable { .. }) => {}
                Err(other) => panic!("a resumer failed: {other:?}"),
            }
        }
        assert_eq!(completed, 1);
        assert_eq!(
            (
                shared.runs("reserve"),
                shared.runs("charge"),
                shared.runs("ship")
            ),
            (1, 1, 1)
        );
        assert_eq!(
            entries(&db, "o-5").await,
            ["do reserve", "do charge", "do ship"]
        );

        // Two processes resuming every pending saga at once: each saga
        // completes once, each of its steps run once.
        let mut ids = Vec::new();
        for n in 0..4 {
            ids.push(saga.start(&db, order(&format!("p-{n}"))).await.unwrap());
        }
        let (one, two) = (
            hooks(|h| h.slow = Some(Duration::from_millis(20))),
            Hooks::new(),
        );
        let processes: Vec<_> = [&one, &two]
            .into_iter()
            .map(|hooks| {
                let (registry, db) = (SagaRegistry::new().with(&order_saga(hooks)), db.clone());
                tokio::spawn(async move { registry.resume_pending(&db).await.unwrap() })
            })
            .collect();
        let mut completed: Vec<String> = Vec::new();
        for process in processes {
            for resumed in process.await.unwrap() {
                match resumed.outcome {
                    Ok(_) => completed.push(resumed.id),
                    Err(SagaError::Busy { .. } | SagaError::NotResumable { .. }) => {}
                    Err(other) => panic!("saga {} failed: {other:?}", resumed.id),
                }
            }
        }
        completed.sort();
        ids.sort();
        assert_eq!(completed, ids);
        for step in ["reserve", "charge", "ship"] {
            assert_eq!(one.runs(step) + two.runs(step), 4, "runs of {step}");
        }
        assert_eq!(
            (stock(&db).await, payments(&db).await, shipments(&db).await),
            (85, 5, 5)
        );
        for id in &ids {
            let state = SagaState::load(&db, id).await.unwrap();
            assert_eq!(state.status, SagaStatus::Completed);
            assert_eq!(state.attempts, 1, "saga {id} claimed once");
        }
    }
);

backend_tests!(
    a_saga_recorded_with_other_steps_is_not_resumed,
    |db| async move {
        setup(&db, 10).await;
        let id = order_saga(&Hooks::new())
            .start(&db, order("o-7"))
            .await
            .unwrap();
        let shorter: Saga<Order> = Saga::new("order").step(
            "reserve",
            |_db, o| async move { Ok(o) },
            |_db, o| async move { Ok(o) },
        );
        match shorter.resume(&db, &id).await {
            Err(SagaError::DefinitionMismatch { reason, .. }) => {
                assert!(reason.contains("\"charge\""), "{reason}")
            }
            other => panic!("resuming with other steps: {other:?}"),
        }
        let other: Saga<serde_json::Value> = Saga::new("refund");
        assert!(matches!(
            other.compensate(&db, &id).await,
            Err(SagaError::DefinitionMismatch { .. })
        ));
        let unrelated = SagaRegistry::new().with(&other);
        let resumed = unrelated.resume_pending(&db).await.unwrap();
        assert_eq!(resumed.len(), 1);
        assert!(
            matches!(&resumed[0].outcome, Err(SagaError::Unregistered { name, .. }) if name == "order")
        );
        // Nothing ran and nothing changed.
        assert!(entries(&db, "o-7").await.is_empty());
        let state = SagaState::load(&db, &id).await.unwrap();
        assert_eq!((state.status, state.attempts), (SagaStatus::Running, 0));
    }
);

backend_tests!(a_runner_whose_lease_was_taken_over_stops, |db| async move {
    setup(&db, 10).await;
    let slow = hooks(|h| h.hold = Some("charge"));
    let saga = order_saga(&slow);
    let id = saga.start(&db, order("o-8")).await.unwrap();
    let (db1, id1) = (db.clone(), id.clone());
    let first = tokio::spawn(async move { saga.resume(&db1, &id1).await });
    tokio::time::timeout(Duration::from_secs(30), slow.reached.notified())
        .await
        .unwrap();
    // The first runner's lease ends as if it had stopped renewing (a
    // network partition): a second runner takes the saga over.
    let changed = strata::sql!("UPDATE _strata_sagas SET lease_until = 0 WHERE id = {id}")
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(changed, 1);
    let second = Hooks::new();
    order_saga(&second).resume(&db, &id).await.unwrap();
    match first.await.unwrap() {
        Err(SagaError::LeaseLost {
            saga,
            id: lost,
            step,
        }) => {
            assert_eq!(
                (saga.as_str(), lost.as_str(), step.as_str()),
                ("order", id.as_str(), "charge")
            )
        }
        other => panic!("the first runner carried on: {other:?}"),
    }
    // The first runner stopped inside "charge" before paying; the second
    // ran "charge" and "ship" once.
    assert_eq!((slow.runs("charge"), slow.runs("ship")), (1, 0));
    assert_eq!(
        (
            second.runs("reserve"),
            second.runs("charge"),
            second.runs("ship")
        ),
        (0, 1, 1)
    );
    assert_eq!(
        (stock(&db).await, payments(&db).await, shipments(&db).await),
        (7, 1, 1)
    );
    let state = SagaState::load(&db, &id).await.unwrap();
    assert_eq!(
        (state.status, state.attempts, state.lease_owner),
        (SagaStatus::Completed, 2, None)
    );
});
