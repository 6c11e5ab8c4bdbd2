//! `Db::builder().metrics(true)`: what strata publishes through the `metrics`
//! facade, read back with metrics-util's DebuggingRecorder.
//!
//! Each test installs its recorder for its own thread only
//! (`set_default_local_recorder`): `#[tokio::test]` runs a current-thread
//! runtime, so every statement of the test, spawned tasks included, runs on
//! that thread, and tests running in parallel on other threads cannot add
//! to its counts.

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use metrics_util::MetricKind;
use schema_examples::blog::{BlogSchema, Tag};
use std::time::Duration;
use strata::intercept::{Action, Flow, Interceptor, Operation};
use strata::metrics::{
    ERRORS_TOTAL, POOL_ACQUIRE_SECONDS, POOL_CONNECTIONS, POOL_MAX_CONNECTIONS,
    POOL_TIMEOUTS_TOTAL, POOL_WAITING, QUERIES_TOTAL, QUERY_DURATION_SECONDS, ROWS_TOTAL,
};
use strata::{Db, Dialect, Error, PoolOptions};
use strata_tests::backend_tests;

/// One snapshot of a recorder, looked up by name and exact label set.
struct Read(Vec<(MetricKind, String, Labels, DebugValue)>);

/// A metric's labels, sorted.
type Labels = Vec<(String, String)>;

impl Read {
    /// Takes a snapshot and prints it, which libtest shows only when the
    /// test fails.
    fn take(snapshotter: &Snapshotter) -> Read {
        let read = Read::snapshot(snapshotter);
        for metric in &read.0 {
            eprintln!("{metric:?}");
        }
        read
    }

    fn snapshot(snapshotter: &Snapshotter) -> Read {
        Read(
            snapshotter
                .snapshot()
                .into_vec()
                .into_iter()
                .map(|(key, _, _, value)| {
                    let (kind, key) = key.into_parts();
                    let mut labels: Labels = key
                        .labels()
                        .map(|l| (l.key().to_owned(), l.value().to_owned()))
                        .collect();
                    labels.sort();
                    (kind, key.name().to_owned(), labels, value)
                })
                .collect(),
        )
    }

    fn find(&self, kind: MetricKind, name: &str, labels: &[(&str, &str)]) -> Option<&DebugValue> {
        let mut want: Labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        want.sort();
        self.0
            .iter()
            .find(|(k, n, l, _)| *k == kind && n == name && *l == want)
            .map(|(_, _, _, value)| value)
    }

    /// A counter's value; 0 when it was never registered.
    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        match self.find(MetricKind::Counter, name, labels) {
            Some(DebugValue::Counter(n)) => *n,
            None => 0,
            Some(other) => panic!("{name} {labels:?} is {other:?}"),
        }
    }

    fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        match self.find(MetricKind::Gauge, name, labels)? {
            DebugValue::Gauge(g) => Some(g.into_inner()),
            other => panic!("{name} {labels:?} is {other:?}"),
        }
    }

    /// A histogram's samples, in seconds; empty when never registered.
    fn samples(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        match self.find(MetricKind::Histogram, name, labels) {
            Some(DebugValue::Histogram(values)) => values.iter().map(|v| v.into_inner()).collect(),
            None => Vec::new(),
            Some(other) => panic!("{name} {labels:?} is {other:?}"),
        }
    }

    /// Every metric name seen, for failure messages and the opt-in check.
    fn names(&self) -> Vec<&str> {
        self.0.iter().map(|(_, n, _, _)| n.as_str()).collect()
    }
}

async fn with_metrics(db: &Db, pool: PoolOptions) -> Db {
    Db::builder()
        .url(strata_tests::url_of(db))
        .pool(pool)
        .metrics(true)
        .connect()
        .await
        .unwrap()
}

fn tag(action: &'static str) -> [(&'static str, &'static str); 2] {
    [("model", "Tag"), ("action", action)]
}

fn outcome(action: &'static str, outcome: &'static str) -> [(&'static str, &'static str); 3] {
    [("model", "Tag"), ("action", action), ("outcome", outcome)]
}

backend_tests!(
    statements_are_counted_by_model_action_and_outcome,
    |db| async move {
        db.push_schema::<BlogSchema>().await.unwrap();
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let _local = metrics::set_default_local_recorder(&recorder);
        let db = with_metrics(&db, PoolOptions::default()).await;

        Tag::create().name("a").exec(&db).await.unwrap();
        Tag::create().name("b").exec(&db).await.unwrap();
        let err = Tag::create().name("a").exec(&db).await.unwrap_err();
        assert!(err.is_unique_violation(), "{err:?}");
        assert_eq!(Tag::find_many().exec(&db).await.unwrap().len(), 2);
        assert_eq!(Tag::count().exec(&db).await.unwrap(), 2);
        let deleted = Tag::delete_many()
            .filter(Tag::name().eq("b"))
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(deleted, 1);
        // The pool is sampled at most every 100 ms, as an operation begins:
        // the first operation's sample (no connection open yet) is the one
        // standing until now.
        tokio::time::sleep(Duration::from_millis(150)).await;
        // No such row: the statement ran and matched nothing, and strata
        // turned that into NotFound afterwards. The statement succeeded,
        // and that is what is counted: an `ok` with 0 rows, no error. (On
        // MySQL the statement is the primary-key lookup before the UPDATE,
        // a `find_unique`, and no UPDATE is sent.)
        let err = Tag::update(Tag::by_id(999))
            .name("z")
            .exec(&db)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err:?}");

        let read = Read::take(&snapshotter);
        let total = QUERIES_TOTAL;
        assert_eq!(read.counter(total, &outcome("create", "ok")), 2);
        assert_eq!(read.counter(total, &outcome("create", "error")), 1);
        assert_eq!(read.counter(total, &outcome("find_many", "ok")), 1);
        assert_eq!(read.counter(total, &outcome("count", "ok")), 1);
        assert_eq!(read.counter(total, &outcome("delete_many", "ok")), 1);
        assert_eq!(read.counter(total, &outcome("find_many", "error")), 0);
        let mysql = db.dialect() == Dialect::MySql;
        let updates = if mysql { 0 } else { 1 };
        assert_eq!(read.counter(total, &outcome("update", "ok")), updates);
        assert_eq!(read.counter(total, &outcome("update", "error")), 0);

        let errors = ERRORS_TOTAL;
        let unique = [
            ("model", "Tag"),
            ("action", "create"),
            ("kind", "unique_violation"),
        ];
        assert_eq!(read.counter(errors, &unique), 1);
        let not_found = [
            ("model", "Tag"),
            ("action", "update"),
            ("kind", "not_found"),
        ];
        assert_eq!(read.counter(errors, &not_found), 0);

        let rows = ROWS_TOTAL;
        assert_eq!(read.counter(rows, &tag("find_many")), 2);
        assert_eq!(read.counter(rows, &tag("delete_many")), 1);
        assert_eq!(read.counter(rows, &tag("update")), 0);

        // One duration per statement, each plausible for a local database.
        let creates = read.samples(QUERY_DURATION_SECONDS, &tag("create"));
        assert_eq!(creates.len(), 3, "{creates:?}");
        assert!(creates.iter().all(|s| *s > 0.0 && *s < 30.0), "{creates:?}");
        let counts = read.samples(QUERY_DURATION_SECONDS, &tag("count"));
        assert_eq!(counts.len(), 1, "{counts:?}");
        // MySQL has no RETURNING: each create that succeeded read its row
        // back by key, a statement of its own.
        let read_backs = if mysql { 2 } else { 0 };
        assert_eq!(
            read.counter(total, &outcome("find_unique", "ok")),
            read_backs + (1 - updates)
        );
        let waits = read.samples(POOL_ACQUIRE_SECONDS, &[]);
        assert_eq!(waits.len(), 7 + read_backs as usize, "{waits:?}");

        // As the last operation began, the one connection strata keeps
        // between statements was free.
        let idle = read.gauge(POOL_CONNECTIONS, &[("state", "idle")]);
        let in_use = read.gauge(POOL_CONNECTIONS, &[("state", "in_use")]);
        assert!(idle.is_some_and(|n| n >= 1.0), "idle {idle:?}");
        assert_eq!(in_use, Some(0.0));
        assert_eq!(read.gauge(POOL_WAITING, &[]), Some(0.0));
        assert_eq!(read.gauge(POOL_MAX_CONNECTIONS, &[]), Some(10.0));
        db.close().await;
    }
);

backend_tests!(pool_waiters_and_timeouts_are_published, |db| async move {
    db.push_schema::<BlogSchema>().await.unwrap();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    let small = with_metrics(
        &db,
        PoolOptions {
            max_connections: 1,
            acquire_timeout: Duration::from_millis(1000),
            ..PoolOptions::default()
        },
    )
    .await;
    // The pool's one connection, held outside strata.
    let busy = strata_tests::occupy_one_connection(&small).await;
    // A first statement waits for it; a second one, starting 200 ms
    // later, finds the first waiting.
    let first = tokio::spawn({
        let small = small.clone();
        async move { Tag::count().exec(&small).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = tokio::spawn({
        let small = small.clone();
        async move { Tag::count().exec(&small).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let read = Read::take(&snapshotter);
    assert_eq!(read.gauge(POOL_WAITING, &[]), Some(1.0));
    let in_use = read.gauge(POOL_CONNECTIONS, &[("state", "in_use")]);
    assert_eq!(in_use, Some(1.0));
    assert_eq!(
        read.gauge(POOL_CONNECTIONS, &[("state", "idle")]),
        Some(0.0)
    );
    assert_eq!(read.counter(POOL_TIMEOUTS_TOTAL, &[]), 0);

    for task in [first, second] {
        let err = task.await.unwrap().unwrap_err();
        assert!(matches!(err, Error::PoolTimedOut), "{err:?}");
    }
    let read = Read::take(&snapshotter);
    assert_eq!(read.counter(QUERIES_TOTAL, &outcome("count", "error")), 2);
    let timed_out = [
        ("model", "Tag"),
        ("action", "count"),
        ("kind", "pool_timed_out"),
    ];
    assert_eq!(read.counter(ERRORS_TOTAL, &timed_out), 2);
    assert_eq!(read.counter(POOL_TIMEOUTS_TOTAL, &[]), 2);
    assert_eq!(read.gauge(POOL_WAITING, &[]), Some(0.0));
    let in_use = read.gauge(POOL_CONNECTIONS, &[("state", "in_use")]);
    assert_eq!(in_use, Some(1.0));
    // Each waited its whole acquire timeout.
    let durations = read.samples(QUERY_DURATION_SECONDS, &tag("count"));
    assert_eq!(durations.len(), 2, "{durations:?}");
    assert!(durations.iter().all(|d| *d >= 0.9), "{durations:?}");

    drop(busy);
    assert_eq!(Tag::count().exec(&small).await.unwrap(), 0);
    let read = Read::take(&snapshotter);
    // A snapshot hands over what was counted since the last one.
    assert_eq!(read.counter(QUERIES_TOTAL, &outcome("count", "ok")), 1);
    assert_eq!(read.counter(QUERIES_TOTAL, &outcome("count", "error")), 0);
    small.close().await;
});

/// Answers every `count` without the database and refuses every
/// `delete_many`: what the metrics interceptor, placed first, sees of
/// operations a later interceptor ends.
struct Gate;

impl Interceptor for Gate {
    fn before(&self, op: &mut Operation<'_>) -> strata::Result<Flow> {
        match op.action() {
            Action::Count => Ok(Flow::Skip { rows_affected: 0 }),
            Action::DeleteMany => Err(Error::InvalidValue {
                model: "Tag",
                field: None,
                reason: "no bulk deletes here".into(),
            }),
            _ => Ok(Flow::Continue),
        }
    }
}

backend_tests!(
    operations_other_interceptors_end_are_counted,
    |db| async move {
        db.push_schema::<BlogSchema>().await.unwrap();
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let _local = metrics::set_default_local_recorder(&recorder);
        let gated = Db::builder()
            .url(strata_tests::url_of(&db))
            .interceptor(Gate)
            .metrics(true)
            .connect()
            .await
            .unwrap();
        assert_eq!(Tag::count().exec(&gated).await.unwrap(), 0);
        let err = Tag::delete_many().exec(&gated).await.unwrap_err();
        assert!(matches!(err, Error::InvalidValue { .. }), "{err:?}");

        let read = Read::take(&snapshotter);
        assert_eq!(read.counter(QUERIES_TOTAL, &outcome("count", "skipped")), 1);
        assert_eq!(
            read.counter(QUERIES_TOTAL, &outcome("delete_many", "error")),
            1
        );
        let refused = [
            ("model", "Tag"),
            ("action", "delete_many"),
            ("kind", "invalid_value"),
        ];
        assert_eq!(read.counter(ERRORS_TOTAL, &refused), 1);
        // Nothing was sent: no duration, no pool wait.
        assert!(read
            .samples(QUERY_DURATION_SECONDS, &tag("count"))
            .is_empty());
        assert!(read
            .samples(QUERY_DURATION_SECONDS, &tag("delete_many"))
            .is_empty());
        assert!(read.samples(POOL_ACQUIRE_SECONDS, &[]).is_empty());
        gated.close().await;
    }
);

backend_tests!(a_db_without_metrics_publishes_nothing, |db| async move {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    db.push_schema::<BlogSchema>().await.unwrap();
    Tag::create().name("a").exec(&db).await.unwrap();
    Tag::create().name("a").exec(&db).await.unwrap_err();
    let read = Read::take(&snapshotter);
    assert!(read.names().is_empty(), "{:?}", read.names());
});
