//! Interceptors on real SQLite, PostgreSQL and MariaDB: what a hook sees
//! (model, action, arguments, SQL, result, timings), a filter added before
//! rendering changing what every kind of operation touches, short-circuits,
//! the order several interceptors compose in, and errors reaching `after`.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use strata::intercept::{Action, Args, Flow, Interceptor, Operation, Outcome, Query, Rows};
use strata::query::ast::{CompareOp, Expr};
use strata::relation::Strategy;
use strata::{sql, BelongsTo, Db, Error, HasMany, Model, Value};
use strata_tests::{backend_tests, url_of};

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "ic_notes")]
struct Note {
    #[strata(id, default = autoincrement)]
    id: i64,
    tenant: i64,
    #[strata(unique)]
    title: String,
    #[strata(has_many)]
    items: HasMany<Item>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "ic_items")]
struct Item {
    #[strata(id, default = autoincrement)]
    id: i64,
    note_id: i64,
    tenant: i64,
    label: String,
    #[strata(belongs_to(fields(note_id), references(id)), on_delete = cascade)]
    note: BelongsTo<Note>,
}

type Log = Arc<Mutex<Vec<String>>>;

fn lines(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

fn args_kind(args: &Args<'_>) -> &'static str {
    match args {
        Args::Statement(_) => "statement",
        Args::Statements(_) => "statements",
        Args::Load(_) => "load",
        Args::Select(_) => "select",
        Args::Raw(_) => "raw",
        _ => "other",
    }
}

/// Writes one line per hook call.
struct Recorder(Log);

impl Interceptor for Recorder {
    fn before(&self, op: &mut Operation<'_>) -> strata::Result<Flow> {
        let model = op.model().map_or("-", |m| m.name);
        let line = format!("before {} {model} {}", op.action(), args_kind(op.args()));
        self.0.lock().unwrap().push(line);
        Ok(Flow::Continue)
    }

    fn sql(&self, query: &Query<'_>) -> strata::Result<()> {
        let line = format!("sql {} {}", query.action(), query.sql());
        self.0.lock().unwrap().push(line);
        Ok(())
    }

    fn after(&self, outcome: &Outcome<'_>) {
        let result = match outcome.result() {
            Ok(Rows::Returned(n)) => format!("returned {n}"),
            Ok(Rows::Affected(n)) => format!("affected {n}"),
            Err(e) => format!("error {}", e.kind()),
        };
        let line = format!("after {} {result}", outcome.action());
        self.0.lock().unwrap().push(line);
    }
}

/// Only rows of tenant `self.0`, on every model with a `tenant` column.
struct Tenant(i64);

impl Interceptor for Tenant {
    fn before(&self, op: &mut Operation<'_>) -> strata::Result<Flow> {
        let Some(column) = (op.model()).and_then(|m| m.columns.iter().find(|c| c.name == "tenant"))
        else {
            return Ok(Flow::Continue);
        };
        if !matches!(
            op.action(),
            Action::Create | Action::CreateMany | Action::Upsert
        ) {
            op.and_filter(Expr::Compare(
                Box::new(Expr::Column(column)),
                CompareOp::Eq,
                Box::new(Expr::Value(Value::I64(self.0))),
            ))?;
        }
        Ok(Flow::Continue)
    }
}

/// A `Db` on the same database as the harness's `db`, with `add`'s
/// interceptors.
async fn with(db: &Db, add: impl FnOnce(strata::DbBuilder) -> strata::DbBuilder) -> Db {
    add(Db::builder().url(url_of(db))).connect().await.unwrap()
}

/// Notes a1, a2 of tenant 1 and b1 of tenant 2; every note has one item
/// of each tenant.
async fn seed(db: &Db) -> Vec<Note> {
    db.push_schema::<(Note, Item)>().await.unwrap();
    let mut notes = Vec::new();
    for (tenant, title) in [(1, "a1"), (1, "a2"), (2, "b1")] {
        let note = Note::create()
            .tenant(tenant)
            .title(title)
            .exec(db)
            .await
            .unwrap();
        for item_tenant in [1, 2] {
            Item::create()
                .note_id(note.id)
                .tenant(item_tenant)
                .label(format!("{title}-t{item_tenant}"))
                .exec(db)
                .await
                .unwrap();
        }
        notes.push(note);
    }
    notes
}

fn titles(notes: &[Note]) -> Vec<&str> {
    notes.iter().map(|n| n.title.as_str()).collect()
}

backend_tests!(hooks_see_model_action_arguments_and_sql, |db| async move {
    seed(&db).await;
    let log = Log::default();
    let recorder = Recorder(log.clone());
    let idb = with(&db, |b| b.interceptor(recorder)).await;

    let notes = Note::find_many()
        .order_by(Note::title().asc())
        .exec(&idb)
        .await?;
    assert_eq!(titles(&notes), ["a1", "a2", "b1"]);
    assert_eq!(
        lines(&log)[0],
        "before find_many Note statement",
        "{:#?}",
        lines(&log)
    );
    assert!(
        lines(&log)[1].starts_with("sql find_many SELECT"),
        "{:#?}",
        lines(&log)
    );
    assert!(lines(&log)[1].contains("ic_notes"));
    assert_eq!(lines(&log)[2], "after find_many returned 3");

    // A point read an interceptor only looks at (its text from the shape
    // cache) and one it changes (rendered from the AST) both run.
    log.lock().unwrap().clear();
    let found = Note::find_by_id(notes[2].id).exec(&idb).await?;
    assert_eq!(found.as_ref().map(|n| n.title.as_str()), Some("b1"));
    assert_eq!(lines(&log)[0], "before find_unique Note statement");
    let tdb = with(&db, |b| b.interceptor(Tenant(1))).await;
    assert_eq!(Note::find_by_id(notes[2].id).exec(&tdb).await?, None);
    let other = Note::update(Note::by_id(notes[2].id))
        .title("x")
        .exec(&tdb)
        .await;
    assert!(matches!(other, Err(Error::NotFound { .. })), "{other:?}");
    let own = Note::update(Note::by_id(notes[0].id))
        .title("a1+")
        .exec(&tdb)
        .await?;
    assert_eq!(own.title, "a1+");

    log.lock().unwrap().clear();
    Note::find_many().include(Note::items()).exec(&idb).await?;
    let seen = lines(&log);
    assert_eq!(seen[0], "before find_many Note statement", "{seen:#?}");
    assert_eq!(seen[3], "before include Item load", "{seen:#?}");
    assert_eq!(seen[5], "after include returned 6", "{seen:#?}");

    log.lock().unwrap().clear();
    Note::create().tenant(3).title("c1").exec(&idb).await?;
    Note::update_many(Note::tenant().eq(3))
        .title("c2")
        .exec(&idb)
        .await?;
    let count = Note::count().exec(&idb).await?;
    assert_eq!(count, 4);
    let n: i64 = sql!("SELECT COUNT(*) FROM {Note}")
        .fetch_scalar(&idb)
        .await?;
    assert_eq!(n, 4);
    let rows: Vec<String> = strata::select(Note::title())
        .from::<Note>()
        .fetch_all(&idb)
        .await?;
    assert_eq!(rows.len(), 4);
    Note::delete_many()
        .filter(Note::tenant().eq(3))
        .exec(&idb)
        .await?;
    let before: Vec<String> = (lines(&log).into_iter())
        .filter(|l| l.starts_with("before"))
        .collect();
    // MySQL has no RETURNING: a create reads its row back by key.
    let readback = idb.dialect() == strata::Dialect::MySql;
    let create: &[&str] = match readback {
        true => &[
            "before create Note statement",
            "before find_unique Note statement",
        ],
        false => &["before create Note statement"],
    };
    assert_eq!(before[..create.len()], *create);
    assert_eq!(
        before[create.len()..],
        [
            "before update_many Note statement",
            "before count Note statement",
            "before raw - raw",
            "before select - select",
            "before delete_many Note statement",
        ]
    );
    let after: Vec<String> = (lines(&log).into_iter())
        .filter(|l| l.starts_with("after"))
        .collect();
    let create: &[&str] = match readback {
        true => &["after create affected 1", "after find_unique returned 1"],
        false => &["after create returned 1"],
    };
    assert_eq!(after[..create.len()], *create);
    assert_eq!(
        after[create.len()..],
        [
            "after update_many affected 1",
            "after count returned 1",
            "after raw returned 1",
            "after select returned 4",
            "after delete_many affected 1",
        ]
    );
    Ok::<_, Error>(())
});

backend_tests!(
    a_filter_added_before_rendering_changes_every_operation,
    |db| async move {
        seed(&db).await;
        let tdb = with(&db, |b| b.interceptor(Tenant(1))).await;

        let notes = Note::find_many()
            .order_by(Note::title().asc())
            .exec(&tdb)
            .await?;
        assert_eq!(titles(&notes), ["a1", "a2"], "find_many");
        assert_eq!(Note::count().exec(&tdb).await?, 2, "count");
        let b1 = Note::find_by_title("b1").exec(&tdb).await?;
        assert_eq!(b1, None, "find_unique of another tenant's row");
        let first = Note::find_first()
            .filter(Note::title().eq("b1"))
            .exec(&tdb)
            .await?;
        assert_eq!(first, None, "find_first");

        // Includes read in their own statement (the default strategy): the
        // children are filtered too.
        let with_items = Note::find_many()
            .order_by(Note::title().asc())
            .include(Note::items().order_by(Item::label().asc()))
            .exec(&tdb)
            .await?;
        let labels: Vec<Vec<&str>> = (with_items.iter())
            .map(|n| {
                n.items
                    .loaded()
                    .unwrap()
                    .iter()
                    .map(|i| i.label.as_str())
                    .collect()
            })
            .collect();
        assert_eq!(labels, [vec!["a1-t1"], vec!["a2-t1"]], "include");
        // Joined includes are part of the parent's statement: the parent is
        // filtered, the JSON subquery is the interceptor's to walk.
        let joined = Note::find_many()
            .include(Note::items())
            .strategy(Strategy::Joined)
            .exec(&tdb)
            .await?;
        assert_eq!(joined.len(), 2);

        // Writes: only the tenant's rows change.
        let updated = Note::update_many(Note::id().gt(0))
            .tenant(1)
            .exec(&tdb)
            .await?;
        assert_eq!(updated, 2, "update_many");
        let deleted = Item::delete_many().exec(&tdb).await?;
        assert_eq!(deleted, 3, "delete_many");
        // Seen without the interceptor: tenant 2's rows are untouched.
        assert_eq!(Item::count().exec(&db).await?, 3);
        assert_eq!(
            Note::count().filter(Note::tenant().eq(2)).exec(&db).await?,
            1
        );
        Ok::<_, Error>(())
    }
);

/// Fails every delete_many; answers every count (and any other operation
/// on `Item`) without the database.
struct Gate;

impl Interceptor for Gate {
    fn before(&self, op: &mut Operation<'_>) -> strata::Result<Flow> {
        if op.action() == Action::DeleteMany {
            return Err(Error::InvalidValue {
                model: "gate",
                field: None,
                reason: "no bulk deletes here".into(),
            });
        }
        if op.action() == Action::Count || op.model().is_some_and(|m| m.name == "Item") {
            return Ok(Flow::Skip { rows_affected: 7 });
        }
        Ok(Flow::Continue)
    }
}

backend_tests!(
    a_before_hook_fails_or_answers_without_the_database,
    |db| async move {
        seed(&db).await;
        let log = Log::default();
        let recorder = Recorder(log.clone());
        let gdb = with(&db, |b| b.interceptor(recorder).interceptor(Gate)).await;

        let refused = Note::delete_many().exec(&gdb).await;
        assert!(
            matches!(&refused, Err(Error::InvalidValue { reason, .. }) if reason == "no bulk deletes here"),
            "{refused:?}"
        );
        assert_eq!(Note::count().exec(&db).await?, 3, "nothing was deleted");
        // The recorder saw the operation, no SQL, and the error.
        assert_eq!(
            lines(&log),
            [
                "before delete_many Note statement",
                "after delete_many error invalid_value"
            ]
        );

        // Answered: reads get no rows, writes the rows_affected given.
        assert_eq!(Note::count().exec(&gdb).await?, 0);
        assert!(Item::find_many().exec(&gdb).await?.is_empty());
        assert_eq!(Item::find_first().exec(&gdb).await?, None);
        assert_eq!(
            Item::update_many(Item::id().gt(0))
                .label("x")
                .exec(&gdb)
                .await?,
            7
        );
        // A write that must return its row has none.
        let created = Item::create()
            .note_id(1)
            .tenant(1)
            .label("new")
            .exec(&gdb)
            .await;
        assert!(
            matches!(created, Err(Error::NotFound { .. })),
            "{created:?}"
        );
        // An include answered: loaded, empty.
        let notes = Note::find_many().include(Note::items()).exec(&gdb).await?;
        assert_eq!(notes.len(), 3);
        assert!(notes.iter().all(|n| n.items.loaded().unwrap().is_empty()));
        // None of it reached the database.
        assert_eq!(Item::count().exec(&db).await?, 6);
        let labels: Vec<String> = (Item::find_many().exec(&db).await?.into_iter())
            .map(|i| i.label)
            .collect();
        assert!(!labels.iter().any(|l| l == "x" || l == "new"), "{labels:?}");
        Ok::<_, Error>(())
    }
);

/// Logs its name at each hook.
struct Named(&'static str, Log);

impl Interceptor for Named {
    fn before(&self, _: &mut Operation<'_>) -> strata::Result<Flow> {
        self.1.lock().unwrap().push(format!("before {}", self.0));
        Ok(Flow::Continue)
    }
    fn sql(&self, _: &Query<'_>) -> strata::Result<()> {
        self.1.lock().unwrap().push(format!("sql {}", self.0));
        Ok(())
    }
    fn after(&self, _: &Outcome<'_>) {
        self.1.lock().unwrap().push(format!("after {}", self.0));
    }
}

backend_tests!(
    interceptors_compose_in_registration_order,
    |db| async move {
        seed(&db).await;
        let log = Log::default();
        let (a, b, c) = (
            Named("a", log.clone()),
            Named("b", log.clone()),
            Named("c", log.clone()),
        );
        let ndb = with(&db, |builder| {
            builder.interceptor(a).interceptor(b).interceptor(c)
        })
        .await;
        Note::count().exec(&ndb).await?;
        assert_eq!(
            lines(&log),
            [
                "before a", "before b", "before c", "sql a", "sql b", "sql c", "after c",
                "after b", "after a"
            ]
        );
        // A filter added by the first is seen (rendered) by the ones after it.
        let log2 = Log::default();
        let recorder = Recorder(log2.clone());
        let tdb = with(&db, |b| b.interceptor(Tenant(2)).interceptor(recorder)).await;
        assert_eq!(Note::count().exec(&tdb).await?, 1);
        let sql = lines(&log2)
            .into_iter()
            .find(|l| l.starts_with("sql"))
            .unwrap();
        assert!(sql.contains("tenant"), "{sql}");
        Ok::<_, Error>(())
    }
);

/// One outcome: action, error kind, duration, pool wait, whether SQL was sent.
type Timing = (Action, Option<&'static str>, Duration, Duration, bool);

/// Keeps every outcome's error kind, duration and pool wait.
struct Timings(Arc<Mutex<Vec<Timing>>>);

impl Interceptor for Timings {
    fn after(&self, outcome: &Outcome<'_>) {
        self.0.lock().unwrap().push((
            outcome.action(),
            outcome.error().map(Error::kind),
            outcome.duration(),
            outcome.pool_wait(),
            outcome.sql().is_some(),
        ));
    }
}

backend_tests!(after_hooks_see_errors_and_durations, |db| async move {
    seed(&db).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let tdb = with(&db, |b| b.interceptor(Timings(seen.clone()))).await;
    let duplicate = Note::create().tenant(1).title("a1").exec(&tdb).await;
    assert!(
        matches!(&duplicate, Err(e) if e.is_unique_violation()),
        "{duplicate:?}"
    );
    Note::find_many().exec(&tdb).await?;
    let seen = seen.lock().unwrap().clone();
    let (action, error, duration, wait, sent) = seen[0];
    assert_eq!(action, Action::Create);
    assert_eq!(error, Some("unique_violation"));
    assert!(sent, "the statement was sent");
    assert!(
        duration > Duration::ZERO && wait <= duration,
        "{duration:?} {wait:?}"
    );
    let (action, error, duration, _, _) = seen[1];
    assert_eq!((action, error), (Action::FindMany, None));
    assert!(duration > Duration::ZERO);
    Ok::<_, Error>(())
});

backend_tests!(interceptors_run_inside_transactions, |db| async move {
    seed(&db).await;
    let log = Log::default();
    let recorder = Recorder(log.clone());
    let tdb = with(&db, |b| b.interceptor(Tenant(1)).interceptor(recorder)).await;
    let (count, notes) = tdb
        .transaction(|tx| {
            Box::pin(async move {
                let count = Note::count().exec(tx).await?;
                let notes = Note::find_many().exec(tx).await?;
                Item::delete_many().exec(tx).await?;
                Ok((count, notes.len()))
            })
        })
        .await?;
    assert_eq!((count, notes), (2, 2));
    let before: Vec<String> = (lines(&log).into_iter())
        .filter(|l| l.starts_with("before"))
        .collect();
    assert_eq!(
        before,
        [
            "before count Note statement",
            "before find_many Note statement",
            "before delete_many Item statement"
        ]
    );
    assert_eq!(
        Item::count().exec(&db).await?,
        3,
        "only tenant 1's items deleted"
    );
    Ok::<_, Error>(())
});
