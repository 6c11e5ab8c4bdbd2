//! Sagas on every database: the happy path; a failure at step 3 compensating
//! steps 2 then 1; a runner killed mid-step whose saga a fresh process
//! resumes forward, or compensates; a transactional step killed before its
//! commit; a failed compensation recorded, reported and retried. Effects are
//! checked in real tables, order in a log table. (Concurrent resumers and
//! leases: saga_resume.rs.)

mod saga_support;

use saga_support::*;
use strata::saga::{SagaError, SagaRegistry, SagaState, SagaStatus, StepStatus};
use strata_tests::backend_tests;

backend_tests!(
    every_step_runs_in_order_and_the_saga_completes,
    |db| async move {
        setup(&db, 10).await;
        let hooks = Hooks::new();
        let saga = order_saga(&hooks);
        let done = saga.run_with_id(&db, "o-1", order("o-1")).await.unwrap();
        assert_eq!(done.payment.as_deref(), Some("pay-o-1"));
        assert_eq!(
            entries(&db, "o-1").await,
            ["do reserve", "do charge", "do ship"]
        );
        assert_eq!(
            (stock(&db).await, payments(&db).await, shipments(&db).await),
            (7, 1, 1)
        );

        let state = SagaState::load(&db, "o-1").await.unwrap();
        assert_eq!(
            (state.name.as_str(), state.status),
            ("order", SagaStatus::Completed)
        );
        assert_eq!(step_statuses(&state), [StepStatus::Done; 3]);
        assert!(state
            .steps
            .iter()
            .all(|s| s.attempts == 1 && s.error.is_none()));
        assert_eq!((state.step, state.attempts, state.last_error), (3, 1, None));
        assert_eq!((state.lease_owner, state.lease_until), (None, None));
        // The recorded context is the last step's.
        assert_eq!(state.context["payment"], "pay-o-1");

        // A generated id; a completed saga has nothing to resume.
        let again = saga.run(&db, order("o-1b")).await.unwrap();
        assert_eq!(again.order_ref, "o-1b");
        assert_eq!(stock(&db).await, 4);
        match saga.resume(&db, "o-1").await {
            Err(SagaError::NotResumable { status, .. }) => {
                assert_eq!(status, SagaStatus::Completed)
            }
            other => panic!("resuming a completed saga: {other:?}"),
        }
        // An id is recorded once: a second run with it runs nothing.
        match saga.run_with_id(&db, "o-1", order("o-1")).await {
            Err(SagaError::Database { id, source }) => {
                assert_eq!(id, "o-1");
                assert!(
                    matches!(*source, strata::Error::UniqueViolation { .. }),
                    "{source:?}"
                );
            }
            other => panic!("running a recorded id again: {other:?}"),
        }
        assert_eq!(hooks.runs("reserve"), 2);
        match saga.resume(&db, "no-such-saga").await {
            Err(SagaError::NotFound { id }) => assert_eq!(id, "no-such-saga"),
            other => panic!("resuming an unknown saga: {other:?}"),
        }
    }
);

backend_tests!(
    a_failure_at_step_three_compensates_step_two_then_step_one,
    |db| async move {
        setup(&db, 10).await;
        let hooks = hooks(|h| h.fail_action = Some("ship"));
        let err = order_saga(&hooks)
            .run_with_id(&db, "o-2", order("o-2"))
            .await
            .unwrap_err();
        let message = err.to_string();
        match err {
            SagaError::StepFailed {
                saga,
                id,
                step,
                cause,
                compensated,
            } => {
                assert_eq!(
                    (saga.as_str(), id.as_str(), step.as_str()),
                    ("order", "o-2", "ship")
                );
                assert_eq!(cause.to_string(), "ship refused the order");
                assert_eq!(compensated, ["charge", "reserve"]);
            }
            other => panic!("expected StepFailed, got {other:?}"),
        }
        assert!(
            message.contains("order") && message.contains("o-2") && message.contains("\"ship\""),
            "{message}"
        );
        assert_eq!(
            entries(&db, "o-2").await,
            ["do reserve", "do charge", "undo charge", "undo reserve"]
        );
        assert_eq!(
            (stock(&db).await, payments(&db).await, shipments(&db).await),
            (10, 0, 0)
        );

        let state = SagaState::load(&db, "o-2").await.unwrap();
        assert_eq!(state.status, SagaStatus::Compensated);
        assert_eq!(
            step_statuses(&state),
            [
                StepStatus::Compensated,
                StepStatus::Compensated,
                StepStatus::Failed
            ]
        );
        assert_eq!(
            state.steps[2].error.as_deref(),
            Some("ship refused the order")
        );
        assert_eq!(
            state.last_error.as_deref(),
            Some("step \"ship\": ship refused the order")
        );
        assert_eq!(state.lease_owner, None);
        // The compensations put the context back as they found it.
        assert_eq!(state.context["payment"], serde_json::Value::Null);
    }
);

backend_tests!(
    a_runner_killed_mid_step_is_resumed_forward_by_a_fresh_process,
    |db| async move {
        setup(&db, 10).await;
        // Process 1 dies inside "charge", after the payment, before "done".
        let crashing = hooks(|h| h.pause = Some(("charge", Pause::AfterEffect)));
        let saga = order_saga(&crashing);
        let db1 = db.clone();
        kill_at_pause(&crashing, async move {
            saga.run_with_id(&db1, "o-3", order("o-3")).await
        })
        .await;

        let state = SagaState::load(&db, "o-3").await.unwrap();
        assert_eq!(state.status, SagaStatus::Running);
        assert_eq!(
            step_statuses(&state),
            [StepStatus::Done, StepStatus::Started, StepStatus::Pending]
        );
        assert_eq!(state.step, 1);
        assert!(state.lease_owner.is_some());
        assert_eq!((stock(&db).await, payments(&db).await), (7, 1));

        // Process 2 starts: the dead runner's lease still holds the saga.
        let fresh = Hooks::new();
        let registry = SagaRegistry::new().with(&order_saga(&fresh));
        assert!(registry.resume_pending(&db).await.unwrap().is_empty());
        match order_saga(&fresh).resume(&db, "o-3").await {
            Err(SagaError::Busy { saga, id }) => {
                assert_eq!((saga.as_str(), id.as_str()), ("order", "o-3"))
            }
            other => panic!("resuming a leased saga: {other:?}"),
        }
        wait_out_the_lease().await;
        let resumed = registry.resume_pending(&db).await.unwrap();
        assert_eq!(resumed.len(), 1);
        assert_eq!(
            (resumed[0].id.as_str(), resumed[0].name.as_str()),
            ("o-3", "order")
        );
        let context = resumed[0].outcome.as_ref().unwrap();
        assert_eq!(context["payment"], "pay-o-3");

        // "charge" ran again (idempotently: one payment), "reserve" did not.
        assert_eq!(
            (
                fresh.runs("reserve"),
                fresh.runs("charge"),
                fresh.runs("ship")
            ),
            (0, 1, 1)
        );
        assert_eq!(
            entries(&db, "o-3").await,
            ["do reserve", "do charge", "do ship"]
        );
        assert_eq!(
            (stock(&db).await, payments(&db).await, shipments(&db).await),
            (7, 1, 1)
        );
        let state = SagaState::load(&db, "o-3").await.unwrap();
        assert_eq!(state.status, SagaStatus::Completed);
        assert_eq!(step_statuses(&state), [StepStatus::Done; 3]);
        let attempts: Vec<u32> = state.steps.iter().map(|s| s.attempts).collect();
        assert_eq!(attempts, [1, 2, 1]);
        assert_eq!((state.attempts, state.lease_owner), (2, None));
        assert!(registry.resume_pending(&db).await.unwrap().is_empty());
    }
);

backend_tests!(
    a_runner_killed_mid_step_is_compensated_by_a_fresh_process,
    |db| async move {
        setup(&db, 10).await;
        // Recorded by one process, run by another that dies as "ship" starts.
        let crashing = hooks(|h| h.pause = Some(("ship", Pause::BeforeEffect)));
        let saga = order_saga(&crashing);
        let id = saga.start(&db, order("o-4")).await.unwrap();
        let state = SagaState::load(&db, &id).await.unwrap();
        assert_eq!(
            (state.status, state.attempts, state.lease_owner),
            (SagaStatus::Running, 0, None)
        );
        let (db1, id1) = (db.clone(), id.clone());
        kill_at_pause(&crashing, async move { saga.resume(&db1, &id1).await }).await;
        let state = SagaState::load(&db, &id).await.unwrap();
        assert_eq!(
            step_statuses(&state),
            [StepStatus::Done, StepStatus::Done, StepStatus::Started]
        );

        let fresh = order_saga(&Hooks::new());
        assert!(matches!(
            fresh.compensate(&db, &id).await,
            Err(SagaError::Busy { .. })
        ));
        wait_out_the_lease().await;
        let undone = fresh.compensate(&db, &id).await.unwrap();
        assert_eq!(undone.payment, None);
        // The started step is compensated too (its action may have run), first.
        assert_eq!(
            entries(&db, "o-4").await,
            [
                "do reserve",
                "do charge",
                "undo ship",
                "undo charge",
                "undo reserve"
            ]
        );
        assert_eq!(
            (stock(&db).await, payments(&db).await, shipments(&db).await),
            (10, 0, 0)
        );
        let state = SagaState::load(&db, &id).await.unwrap();
        assert_eq!(state.status, SagaStatus::Compensated);
        assert_eq!(step_statuses(&state), [StepStatus::Compensated; 3]);
        assert_eq!(state.lease_owner, None);
        match fresh.resume(&db, &id).await {
            Err(SagaError::NotResumable { status, .. }) => {
                assert_eq!(status, SagaStatus::Compensated)
            }
            other => panic!("resuming a compensated saga: {other:?}"),
        }
    }
);

backend_tests!(
    a_failed_compensation_is_recorded_reported_and_retried,
    |db| async move {
        setup(&db, 10).await;
        let failing = hooks(|h| {
            h.fail_action = Some("ship");
            h.fail_compensation = Some("charge");
        });
        let err = order_saga(&failing)
            .run_with_id(&db, "o-6", order("o-6"))
            .await
            .unwrap_err();
        let message = err.to_string();
        match &err {
            SagaError::CompensationFailed {
                saga,
                id,
                trigger,
                failures,
            } => {
                assert_eq!((saga.as_str(), id.as_str()), ("order", "o-6"));
                let (step, cause) = trigger.as_ref().unwrap();
                assert_eq!(
                    (step.as_str(), cause.as_str()),
                    ("ship", "ship refused the order")
                );
                assert_eq!(failures.len(), 1);
                assert_eq!(failures[0].step, "charge");
                assert_eq!(failures[0].cause.to_string(), "the payment gateway is down");
            }
            other => panic!("expected CompensationFailed, got {other:?}"),
        }
        assert_eq!(err.step(), Some("charge"));
        assert!(
            message.contains("needs attention") && message.contains("payment gateway"),
            "{message}"
        );
        // The compensations before it still ran.
        assert_eq!(
            entries(&db, "o-6").await,
            ["do reserve", "do charge", "undo reserve"]
        );
        assert_eq!((stock(&db).await, payments(&db).await), (10, 1));
        let state = SagaState::load(&db, "o-6").await.unwrap();
        assert_eq!(state.status, SagaStatus::Failed);
        assert_eq!(
            step_statuses(&state),
            [
                StepStatus::Compensated,
                StepStatus::CompensationFailed,
                StepStatus::Failed
            ]
        );
        assert_eq!(
            state.steps[1].error.as_deref(),
            Some("the payment gateway is down")
        );
        assert!(state.last_error.unwrap().contains("payment gateway"));

        // A failed saga is not resumed forward, nor picked up by resume_pending.
        let fixed = order_saga(&Hooks::new());
        assert!(matches!(
            fixed.resume(&db, "o-6").await,
            Err(SagaError::NotResumable {
                status: SagaStatus::Failed,
                ..
            })
        ));
        let registry = SagaRegistry::new().with(&fixed);
        assert!(registry.resume_pending(&db).await.unwrap().is_empty());
        // Once the gateway is back, compensate retries only what failed.
        let undone = registry.compensate(&db, "o-6").await.unwrap();
        assert_eq!(undone["payment"], serde_json::Value::Null);
        assert_eq!(
            entries(&db, "o-6").await,
            ["do reserve", "do charge", "undo reserve", "undo charge"]
        );
        assert_eq!((stock(&db).await, payments(&db).await), (10, 0));
        let state = SagaState::load(&db, "o-6").await.unwrap();
        assert_eq!(state.status, SagaStatus::Compensated);
        assert_eq!(state.steps[1].compensation_attempts, 2);
    }
);

backend_tests!(
    a_transactional_step_killed_before_its_commit_leaves_no_effect,
    |db| async move {
        setup(&db, 10).await;
        // Dies inside "charge"'s transaction, after the payment was written.
        let crashing = hooks(|h| h.pause = Some(("charge", Pause::AfterEffect)));
        let saga = transactional_order_saga(&crashing);
        let db1 = db.clone();
        kill_at_pause(&crashing, async move {
            saga.run_with_id(&db1, "o-9", order("o-9")).await
        })
        .await;
        // The payment and its log line were rolled back with the transaction.
        assert_eq!(payments(&db).await, 0);
        assert_eq!(entries(&db, "o-9").await, ["do reserve"]);
        let state = SagaState::load(&db, "o-9").await.unwrap();
        assert_eq!(
            step_statuses(&state),
            [StepStatus::Done, StepStatus::Started, StepStatus::Pending]
        );

        wait_out_the_lease().await;
        let fresh = Hooks::new();
        let done = transactional_order_saga(&fresh)
            .resume(&db, "o-9")
            .await
            .unwrap();
        assert_eq!(done.payment.as_deref(), Some("pay-o-9"));
        assert_eq!(
            entries(&db, "o-9").await,
            ["do reserve", "do charge", "do ship"]
        );
        assert_eq!(
            (stock(&db).await, payments(&db).await, shipments(&db).await),
            (7, 1, 1)
        );
        let state = SagaState::load(&db, "o-9").await.unwrap();
        assert_eq!(state.status, SagaStatus::Completed);
        assert_eq!(state.steps[1].attempts, 2);

        // A later failure compensates it, in a transaction of its own.
        let failing = hooks(|h| h.fail_action = Some("ship"));
        let err = transactional_order_saga(&failing)
            .run_with_id(&db, "o-10", order("o-10"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, SagaError::StepFailed { ref compensated, .. } if compensated == &["charge", "reserve"]),
            "{err:?}"
        );
        assert_eq!(
            entries(&db, "o-10").await,
            ["do reserve", "do charge", "undo charge", "undo reserve"]
        );
        assert_eq!((stock(&db).await, payments(&db).await), (7, 1));
        let state = SagaState::load(&db, "o-10").await.unwrap();
        assert_eq!(
            step_statuses(&state),
            [
                StepStatus::Compensated,
                StepStatus::Compensated,
                StepStatus::Failed
            ]
        );
    }
);
