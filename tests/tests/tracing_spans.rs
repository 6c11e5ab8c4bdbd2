//! The built-in tracing interceptor on real SQLite, PostgreSQL and MariaDB,
//! read back through a capturing `tracing` subscriber: one `strata.query`
//! span per statement with its fields, values only when opted in, and the
//! slow-query warning.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use strata::{sql, Db, Dialect, Error, Model};
use strata_tests::{backend_tests, url_of};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "ts_notes")]
struct Note {
    #[strata(id, default = autoincrement)]
    id: i64,
    #[strata(unique)]
    title: String,
}

#[derive(Debug, Clone, Default)]
struct Captured {
    name: &'static str,
    target: String,
    level: Option<Level>,
    fields: BTreeMap<String, String>,
    /// An event's span, by name.
    parent: Option<&'static str>,
}

#[derive(Clone, Default)]
struct Capture {
    spans: Arc<Mutex<Vec<(u64, Captured)>>>,
    events: Arc<Mutex<Vec<Captured>>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut span = Captured {
            name: attrs.metadata().name(),
            target: attrs.metadata().target().to_owned(),
            ..Captured::default()
        };
        attrs.record(&mut Fields(&mut span.fields));
        self.spans.lock().unwrap().push((id.into_u64(), span));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut spans = self.spans.lock().unwrap();
        // Ids are reused once a span closes: the latest with this id.
        if let Some((_, span)) = spans.iter_mut().rev().find(|(i, _)| *i == id.into_u64()) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut captured = Captured {
            name: event.metadata().name(),
            target: event.metadata().target().to_owned(),
            level: Some(*event.metadata().level()),
            parent: ctx.event_span(event).map(|s| s.name()),
            ..Captured::default()
        };
        event.record(&mut Fields(&mut captured.fields));
        self.events.lock().unwrap().push(captured);
    }
}

impl Capture {
    fn queries(&self) -> Vec<Captured> {
        (self.spans.lock().unwrap().iter())
            .filter(|(_, s)| s.name == "strata.query")
            .map(|(_, s)| s.clone())
            .collect()
    }

    fn events(&self) -> Vec<Captured> {
        self.events.lock().unwrap().clone()
    }
}

/// Captures everything this thread traces until the guard drops (the
/// harness runs each test on one thread).
fn capture() -> (Capture, tracing::subscriber::DefaultGuard) {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    (capture, tracing::subscriber::set_default(subscriber))
}

async fn with(db: &Db, add: impl FnOnce(strata::DbBuilder) -> strata::DbBuilder) -> Db {
    add(Db::builder().url(url_of(db))).connect().await.unwrap()
}

async fn seed(db: &Db) {
    db.push_schema::<Note>().await.unwrap();
    for title in ["public-one", "secret-title"] {
        Note::create().title(title).exec(db).await.unwrap();
    }
}

backend_tests!(each_statement_has_a_span_with_its_fields, |db| async move {
    seed(&db).await;
    let plain = with(&db, |b| b).await;
    let (capture, _guard) = capture();
    let notes = Note::find_many().exec(&plain).await?;
    assert_eq!(notes.len(), 2);
    let changed = Note::delete_many()
        .filter(Note::title().eq("public-one"))
        .exec(&plain)
        .await?;
    assert_eq!(changed, 1);

    let spans = capture.queries();
    assert_eq!(spans.len(), 2, "{spans:#?}");
    let read = &spans[0].fields;
    assert_eq!(spans[0].target, "strata::query");
    assert_eq!(read["model"], "Note");
    assert_eq!(read["action"], "find_many");
    assert!(
        read["sql"].starts_with("SELECT") && read["sql"].contains("ts_notes"),
        "{read:?}"
    );
    assert_eq!(read["rows"], "2");
    let duration: u64 = read["duration_us"].parse().unwrap();
    let wait: u64 = read["pool_wait_us"].parse().unwrap();
    assert!(duration > 0 && wait <= duration, "{read:?}");
    assert!(!read.contains_key("error"));
    let write = &spans[1].fields;
    assert_eq!(write["action"], "delete_many");
    assert!(write["sql"].starts_with("DELETE"), "{write:?}");
    assert_eq!(write["rows"], "1", "rows affected");

    // The per-statement debug event is inside its span.
    let events = capture.events();
    let debug: Vec<_> = (events.iter())
        .filter(|e| e.target == "strata::query" && e.level == Some(Level::DEBUG))
        .collect();
    assert_eq!(debug.len(), 2, "{events:#?}");
    assert!(debug.iter().all(|e| e.parent == Some("strata.query")));

    // A failing statement's span names the error.
    let duplicate = Note::create().title("secret-title").exec(&plain).await;
    assert!(duplicate.is_err());
    let spans = capture.queries();
    let failed = &spans.last().unwrap().fields;
    assert!(failed["error"].contains("unique"), "{failed:?}");
    assert!(!failed.contains_key("rows"));
    Ok::<_, Error>(())
});

backend_tests!(values_are_in_spans_only_when_opted_in, |db| async move {
    seed(&db).await;
    let plain = with(&db, |b| b).await;
    let logging = with(&db, |b| b.log_values(true)).await;
    let (capture, _guard) = capture();
    let find = || Note::find_first().filter(Note::title().eq("secret-title"));

    find().exec(&plain).await?.unwrap();
    let everything = format!("{:?}{:?}", capture.queries(), capture.events());
    assert!(!everything.contains("secret-title"), "{everything}");
    assert!(!capture.queries()[0].fields.contains_key("values"));

    find().exec(&logging).await?.unwrap();
    let spans = capture.queries();
    let values = &spans.last().unwrap().fields["values"];
    assert!(values.contains("secret-title"), "{values}");
    Ok::<_, Error>(())
});

backend_tests!(
    a_slow_statement_is_a_warning_with_its_sql,
    |db| async move {
        seed(&db).await;
        let slow = with(&db, |b| b.slow_query_threshold(Duration::from_millis(20))).await;
        let (capture, _guard) = capture();
        Note::count().exec(&slow).await?;
        let warnings = |c: &Capture| -> Vec<Captured> {
            (c.events().into_iter())
                .filter(|e| e.target == "strata::slow_query")
                .collect()
        };
        assert!(
            warnings(&capture).is_empty(),
            "a fast count: {:#?}",
            warnings(&capture)
        );

        match slow.dialect() {
            Dialect::Postgres => {
                sql!("SELECT pg_sleep(0.05)").execute(&slow).await?;
            }
            Dialect::MySql => {
                sql!("DO SLEEP(0.05)").execute(&slow).await?;
            }
            // No sleep function: a recursive count long enough to pass 20 ms.
            _ => {
                let n: i64 = sql!(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) \
                 SELECT COUNT(*) FROM c"
            )
                .fetch_scalar(&slow)
                .await?;
                assert_eq!(n, 3_000_000);
            }
        }
        let warned = warnings(&capture);
        assert_eq!(warned.len(), 1, "{warned:#?}");
        let warning = &warned[0];
        assert_eq!(warning.level, Some(Level::WARN));
        assert_eq!(warning.fields["action"], "raw");
        assert!(
            warning.fields["message"].contains("slow query"),
            "{warning:?}"
        );
        assert!(
            warning.fields["message"].contains("SLEEP")
                || warning.fields["message"].contains("sleep")
                || warning.fields["message"].contains("RECURSIVE"),
            "{warning:?}"
        );
        assert_eq!(warning.parent, Some("strata.query"));
        Ok::<_, Error>(())
    }
);

backend_tests!(the_default_threshold_is_one_second, |db| async move {
    seed(&db).await;
    let (capture, _guard) = capture();
    // The harness's own Db: built without any setting.
    Note::find_many().exec(&db).await?;
    Note::count().exec(&db).await?;
    assert!(capture.queries().len() >= 2);
    assert!(!(capture.events().iter()).any(|e| e.target == "strata::slow_query"));
    Ok::<_, Error>(())
});
