//! Soft delete (`#[strata(soft_delete = deleted_at)]`) on SQLite, PostgreSQL
//! and MariaDB: a soft-deleted row never appears through any read path (the
//! model's reads, aggregates, includes of both strategies, relation filters,
//! relation counts, updates and upserts, the select builder at every depth),
//! `with_deleted`/`only_deleted` see it, `restore` brings it back,
//! `force_delete` removes it for real, and `partial_uniques` lets a deleted
//! account's email be taken again.

use schema_examples::soft::{Account, Article, Author, Note, SoftSchema};
use strata::dsl::*;
use strata::relation::Strategy;
use strata::{Db, Dialect, Error, Filter, WithNested};
use strata_tests::backend_tests;

const BOTH: [Strategy; 2] = [Strategy::Batched, Strategy::Joined];

/// ann (a1 10 views, a2 20 views), bob (b1 7 views), cat (c1 5, c2 30);
/// notes on a1 and a2. Then bob, a2 and c2 are soft-deleted: what is left
/// live is ann (a1), cat (c1) and b1, whose author is deleted.
async fn seed(db: &Db) -> [i64; 3] {
    db.push_schema::<SoftSchema>().await.unwrap();
    let author = |email: &str, name: &str| Author::create().email(email).name(name).exec(db);
    let ann = author("ann@x.io", "Ann").await.unwrap();
    let bob = author("bob@x.io", "Bob").await.unwrap();
    let cat = author("cat@x.io", "Cat").await.unwrap();
    for (title, views, owner) in [
        ("a1", 10, &ann),
        ("a2", 20, &ann),
        ("b1", 7, &bob),
        ("c1", 5, &cat),
        ("c2", 30, &cat),
    ] {
        let article = Article::create()
            .title(title)
            .views(views)
            .author_id(owner.id)
            .exec(db)
            .await
            .unwrap();
        if title == "a1" || title == "a2" {
            let note = Note::create().body(format!("on {title}"));
            note.article_id(article.id).exec(db).await.unwrap();
        }
    }
    let deleted = Author::delete(Author::by_id(bob.id))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(deleted.email, "bob@x.io");
    assert!(
        deleted.deleted_at.is_some(),
        "delete returns the row as soft-deleted"
    );
    let removed = Article::delete_many()
        .filter(Article::title().in_(["a2", "c2", "zz"]))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(removed, 2, "delete_many counts the rows it soft-deleted");
    [ann.id, bob.id, cat.id]
}

fn titles(articles: &[Article]) -> Vec<&str> {
    let mut titles: Vec<&str> = articles.iter().map(|a| a.title.as_str()).collect();
    titles.sort();
    titles
}

fn names(authors: &[Author]) -> Vec<&str> {
    let mut names: Vec<&str> = authors.iter().map(|a| a.name.as_str()).collect();
    names.sort();
    names
}

backend_tests!(deleted_rows_stay_in_the_table, |db| async move {
    seed(&db).await;
    let everything = Author::find_many().with_deleted().exec(&db).await.unwrap();
    assert_eq!(names(&everything), ["Ann", "Bob", "Cat"]);
    let bob = everything.iter().find(|a| a.name == "Bob").unwrap();
    assert!(bob.deleted_at.is_some());
    let trash = Article::find_many().only_deleted().exec(&db).await.unwrap();
    assert_eq!(titles(&trash), ["a2", "c2"]);
    assert!(trash.iter().all(|a| a.removed_at.is_some()));
    // A second delete finds no live row.
    let again = Author::delete(Author::by_id(bob.id)).exec(&db).await;
    assert!(matches!(again, Err(Error::NotFound { .. })), "{again:?}");
    let again = Article::delete_many().exec(&db).await.unwrap();
    assert_eq!(again, 3, "only the three live articles");
});

backend_tests!(model_reads_never_show_a_deleted_row, |db| async move {
    let [ann, bob, _] = seed(&db).await;
    // find_unique / find_by_* / exec_required.
    assert_eq!(
        Author::find_unique(Author::by_id(bob))
            .exec(&db)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        Author::find_by_email("bob@x.io").exec(&db).await.unwrap(),
        None
    );
    let required = Author::find_by_email("bob@x.io").exec_required(&db).await;
    assert!(
        matches!(required, Err(Error::NotFound { .. })),
        "{required:?}"
    );
    // find_first, with and without a filter naming the deleted row.
    let first = Author::find_first().filter(Author::name().eq("Bob"));
    assert_eq!(first.exec(&db).await.unwrap(), None);
    let last = Author::find_first().order_by(Author::id().desc());
    assert_eq!(last.exec(&db).await.unwrap().unwrap().name, "Cat");
    // find_many, paged and with a cursor.
    let all = Author::find_many().exec(&db).await.unwrap();
    assert_eq!(names(&all), ["Ann", "Cat"]);
    let page = Author::find_many()
        .order_by(Author::id().asc())
        .skip(1)
        .take(5);
    assert_eq!(names(&page.exec(&db).await.unwrap()), ["Cat"]);
    let from_ann = Author::find_many().cursor(Author::by_id(ann)).take(5);
    assert_eq!(names(&from_ann.exec(&db).await.unwrap()), ["Ann", "Cat"]);
    assert_eq!(
        titles(&Article::find_many().exec(&db).await.unwrap()),
        ["a1", "b1", "c1"]
    );
    // select and omit.
    let mut emails = Author::find_many()
        .select(Author::email())
        .exec(&db)
        .await
        .unwrap();
    emails.sort();
    assert_eq!(emails, ["ann@x.io", "cat@x.io"]);
    let partial = Author::find_many()
        .omit(Author::name())
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(partial.len(), 2);
    // count and exists.
    assert_eq!(Author::count().exec(&db).await.unwrap(), 2);
    assert_eq!(Article::count().exec(&db).await.unwrap(), 3);
    let bob_exists = Author::exists().filter(Author::email().eq("bob@x.io"));
    assert!(!bob_exists.exec(&db).await.unwrap());
    // Aggregates and group_by.
    let (rows, views) = Article::aggregate((count_all(), sum(Article::views())))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((rows, views), (3, Some(22)));
    let mut groups: Vec<(i64, i64)> = Article::group_by(Article::author_id())
        .aggregate(count_all())
        .exec(&db)
        .await
        .unwrap();
    groups.sort();
    assert_eq!(
        groups.len(),
        3,
        "ann, bob and cat have one live article each"
    );
    assert!(groups.iter().all(|(_, n)| *n == 1), "{groups:?}");
});

backend_tests!(includes_never_load_a_deleted_row, |db| async move {
    seed(&db).await;
    for strategy in BOTH {
        let authors = Author::find_many()
            .strategy(strategy)
            .include(Author::articles().include(Article::notes()))
            .order_by(Author::id().asc())
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(names(&authors), ["Ann", "Cat"], "{strategy:?}");
        let ann = &authors[0];
        let articles = ann.articles.loaded().unwrap();
        assert_eq!(titles(articles), ["a1"], "{strategy:?}");
        let notes = articles[0].notes.loaded().unwrap();
        assert_eq!(notes.len(), 1, "{strategy:?}");
        assert_eq!(titles(authors[1].articles.loaded().unwrap()), ["c1"]);
        // Even a deleted author read with_deleted gets only live articles.
        let bob = Author::find_by_email("bob@x.io")
            .with_deleted()
            .strategy(strategy)
            .include(Author::articles())
            .exec(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(titles(bob.articles.loaded().unwrap()), ["b1"]);
        // A live article whose (required) author is deleted: including the
        // author finds none, the error a missing required row always is.
        let orphan = Article::find_many()
            .strategy(strategy)
            .filter(Article::title().eq("b1"))
            .include(Article::author())
            .exec(&db)
            .await;
        assert!(orphan.is_err(), "{strategy:?}: {orphan:?}");
        let live = Article::find_many()
            .strategy(strategy)
            .filter(Article::title().eq("a1"))
            .include(Article::author())
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(live[0].author.loaded().unwrap().name, "Ann");
    }
});

backend_tests!(
    relation_filters_and_counts_skip_deleted_rows,
    |db| async move {
        seed(&db).await;
        let db = &db;
        let authors = |filter: Filter<Author>| async move {
            let found = Author::find_many().filter(filter).exec(db).await.unwrap();
            names(&found)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        // a2 (20) and c2 (30) are deleted: nobody has a live article over 15.
        assert!(authors(Author::articles().some(Article::views().gt(15)))
            .await
            .is_empty());
        assert_eq!(
            authors(Author::articles().every(Article::views().lt(15))).await,
            ["Ann", "Cat"]
        );
        assert_eq!(
            authors(Author::articles().none(Article::views().gt(15))).await,
            ["Ann", "Cat"]
        );
        let by_bob = Article::find_many()
            .filter(Article::author().is(Author::name().eq("Bob")))
            .exec(db)
            .await
            .unwrap();
        assert!(by_bob.is_empty(), "bob is deleted: {by_bob:?}");
        let counted = Author::find_many()
            .with_count(Author::articles())
            .order_by(Author::id().asc())
            .exec(db)
            .await
            .unwrap();
        let counts: Vec<_> = counted.iter().map(|a| a.articles.count()).collect();
        assert_eq!(counts, [Some(1), Some(1)]);
    }
);

backend_tests!(writes_do_not_touch_a_deleted_row, |db| async move {
    let [_, bob, _] = seed(&db).await;
    let update = Author::update(Author::by_id(bob))
        .name("Robert")
        .exec(&db)
        .await;
    assert!(matches!(update, Err(Error::NotFound { .. })), "{update:?}");
    let renamed = Author::update_many(Author::name().ne("nobody"))
        .name("Renamed")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(renamed, 2, "ann and cat; bob is deleted");
    let bob_row = Author::find_unique(Author::by_id(bob)).with_deleted();
    assert_eq!(bob_row.exec(&db).await.unwrap().unwrap().name, "Bob");
});

backend_tests!(upsert_revives_a_deleted_row, |db| async move {
    let [_, bob, _] = seed(&db).await;
    let revived = Author::upsert(
        Author::by_email("bob@x.io"),
        Author::create().email("bob@x.io").name("Bob 2"),
        Author::changes().name("Bob again"),
    )
    .exec(&db)
    .await
    .unwrap();
    assert_eq!((revived.id, revived.name.as_str()), (bob, "Bob again"));
    assert_eq!(revived.deleted_at, None);
    assert_eq!(Author::count().exec(&db).await.unwrap(), 3);
});

backend_tests!(only_deleted_restore_and_force_delete, |db| async move {
    let [_, bob, _] = seed(&db).await;
    assert_eq!(Author::count().with_deleted().exec(&db).await.unwrap(), 3);
    assert_eq!(Author::count().only_deleted().exec(&db).await.unwrap(), 1);
    let trash = Author::exists().only_deleted().filter(Author::id().eq(bob));
    assert!(trash.exec(&db).await.unwrap());
    let trashed_views = Article::aggregate(sum(Article::views())).only_deleted();
    assert_eq!(trashed_views.exec(&db).await.unwrap(), Some(50), "a2 + c2");
    let all_views = Article::aggregate(sum(Article::views())).with_deleted();
    assert_eq!(all_views.exec(&db).await.unwrap(), Some(72));
    let groups: Vec<(i64, i64)> = Article::group_by(Article::author_id())
        .aggregate(count_all())
        .with_deleted()
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(groups.iter().map(|(_, n)| n).sum::<i64>(), 5);
    let bob_first = Author::find_first().only_deleted().exec(&db).await.unwrap();
    assert_eq!(bob_first.unwrap().id, bob);

    let restored = Author::restore(Author::by_id(bob)).exec(&db).await.unwrap();
    assert_eq!((restored.name.as_str(), restored.deleted_at), ("Bob", None));
    assert_eq!(Author::count().exec(&db).await.unwrap(), 3);
    // Restoring a live row finds no deleted one.
    let twice = Author::restore(Author::by_id(bob)).exec(&db).await;
    assert!(matches!(twice, Err(Error::NotFound { .. })), "{twice:?}");
    let back = Article::restore_many()
        .filter(Article::views().gt(25))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(back, 1, "c2 only; a2 stays deleted");

    // force_delete: a real DELETE, of a live or a deleted row.
    let a2 = Article::find_first()
        .only_deleted()
        .exec(&db)
        .await
        .unwrap()
        .unwrap();
    Note::delete_many()
        .filter(Note::article_id().eq(a2.id))
        .exec(&db)
        .await
        .unwrap();
    let gone = Article::delete(Article::by_id(a2.id))
        .force_delete()
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(gone.title, "a2");
    assert_eq!(Article::count().with_deleted().exec(&db).await.unwrap(), 4);
    let note_ids = Note::find_many().exec(&db).await.unwrap();
    for note in note_ids {
        Note::delete(Note::by_id(note.id)).exec(&db).await.unwrap();
    }
    let purged = Article::delete_many()
        .filter(Article::title().eq("a1"))
        .force_delete()
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let left = Article::find_many().with_deleted().exec(&db).await.unwrap();
    assert_eq!(titles(&left), ["b1", "c1", "c2"]);
});

backend_tests!(a_model_without_soft_delete_is_unchanged, |db| async move {
    seed(&db).await;
    assert_eq!(Note::count().exec(&db).await.unwrap(), 2);
    assert_eq!(Note::count().with_deleted().exec(&db).await.unwrap(), 2);
    assert_eq!(Note::count().only_deleted().exec(&db).await.unwrap(), 0);
    let note = Note::find_first().exec(&db).await.unwrap().unwrap();
    Note::delete(Note::by_id(note.id)).exec(&db).await.unwrap();
    assert_eq!(Note::count().with_deleted().exec(&db).await.unwrap(), 1);
});

backend_tests!(partial_uniques_free_a_deleted_email, |db| async move {
    if db.dialect() == Dialect::MySql {
        // No partial indexes on MySQL/MariaDB: refused, naming model and key.
        let refused = db.push_schema::<Account>().await;
        match refused {
            Err(Error::Unsupported { model, field, .. }) => {
                assert_eq!((model, field), ("Account", "soft_accounts_email_key"));
            }
            other => panic!("expected Unsupported, got {other:?}"),
        }
        return;
    }
    db.push_schema::<Account>().await.unwrap();
    // The database reads back as the models describe it: the partial index
    // round-trips, so migrations see no difference.
    let live = strata::migrate::introspect::introspect(&db).await.unwrap();
    let models = <Account as strata::ModelSet>::schemas();
    let target = strata::migrate::from_models::db_schema(&models, db.dialect()).unwrap();
    if let Err(differences) = strata::migrate::normalize::same_schema(db.dialect(), &target, &live)
    {
        panic!("{}", differences.join("\n"));
    }
    let open = |plan: &str| Account::create().email("eve@x.io").plan(plan).exec(&db);
    let first = open("free").await.unwrap();
    let duplicate = open("pro").await;
    assert!(
        matches!(duplicate, Err(Error::UniqueViolation { .. })),
        "{duplicate:?}"
    );
    Account::delete(Account::by_id(first.id))
        .exec(&db)
        .await
        .unwrap();
    let second = open("pro").await.unwrap();
    assert_ne!(first.id, second.id);
    let live = Account::find_by_email("eve@x.io")
        .exec(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.plan, "pro");
    assert_eq!(Account::count().with_deleted().exec(&db).await.unwrap(), 2);
    // Upsert by the partial key is refused by name, before the database.
    let upsert = Account::upsert(
        Account::by_email("eve@x.io"),
        Account::create().email("eve@x.io").plan("team"),
        Account::changes().plan("team"),
    )
    .exec(&db)
    .await;
    match upsert {
        Err(Error::InvalidValue { model, field, .. }) => {
            assert_eq!((model, field), ("Account", Some("email")))
        }
        other => panic!("expected InvalidValue, got {other:?}"),
    }
    // Restoring the first would make two live rows with one email.
    let restore = Account::restore(Account::by_id(first.id)).exec(&db).await;
    assert!(
        matches!(restore, Err(Error::UniqueViolation { .. })),
        "{restore:?}"
    );
});

backend_tests!(the_select_builder_hides_deleted_rows, |db| async move {
    seed(&db).await;
    let db = &db;
    // FROM: the live authors; `with_deleted()` shows bob too.
    let emails = strata::select(Author::email()).from::<Author>();
    let live = emails.clone().fetch_all(db).await.unwrap();
    assert_eq!(sorted(live), ["ann@x.io", "cat@x.io"]);
    let all = emails.clone().with_deleted().fetch_all(db).await.unwrap();
    assert_eq!(sorted(all), ["ann@x.io", "bob@x.io", "cat@x.io"]);
    // The unfiltered text the `with_deleted()` run remembered is not reused
    // for the same query without it.
    let live = emails.fetch_all(db).await.unwrap();
    assert_eq!(sorted(live), ["ann@x.io", "cat@x.io"]);

    // Inner join: b1 is live but its author is not, so the pair is gone.
    let pairs = strata::select((Article::title(), Author::email()))
        .from::<Article>()
        .inner_join::<Author>(eq(Article::author_id(), Author::id()))
        .order_by(Article::title().asc());
    let rows = pairs.clone().fetch_all(db).await.unwrap();
    assert_eq!(rows, [s("a1", "ann@x.io"), s("c1", "cat@x.io")]);
    let rows = pairs.with_deleted().fetch_all(db).await.unwrap();
    let titles: Vec<&str> = rows.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(titles, ["a1", "a2", "b1", "c1", "c2"]);

    // Left join: the condition is in ON, so b1 stays with no author.
    let rows: Vec<(String, Option<String>)> = strata::select((Article::title(), Author::email()))
        .from::<Article>()
        .left_join::<Author>(eq(Article::author_id(), Author::id()))
        .order_by(Article::title().asc())
        .fetch_all(db)
        .await
        .unwrap();
    let ann = Some("ann@x.io".to_owned());
    let cat = Some("cat@x.io".to_owned());
    let expected = [("a1", ann), ("b1", None), ("c1", cat)];
    let expected: Vec<(String, Option<String>)> = (expected.into_iter())
        .map(|(t, e)| (t.to_owned(), e))
        .collect();
    assert_eq!(rows, expected);

    // Right join: FROM is the optional side; b1 stays with no author.
    let rows: Vec<(Option<String>, String)> = strata::select((Author::email(), Article::title()))
        .from::<Author>()
        .right_join::<Article>(eq(Article::author_id(), Author::id()))
        .order_by(Article::title().asc())
        .fetch_all(db)
        .await
        .unwrap();
    let flipped: Vec<(String, Option<String>)> = rows.into_iter().map(|(e, t)| (t, e)).collect();
    assert_eq!(flipped, expected);
    // Full join (MariaDB has none): the deleted author bob is not kept
    // unmatched, the deleted articles are not either.
    if db.dialect() != Dialect::MySql {
        let rows: Vec<(Option<String>, Option<String>)> =
            strata::select((Author::email(), Article::title()))
                .from::<Author>()
                .full_join::<Article>(eq(Article::author_id(), Author::id()))
                .fetch_all(db)
                .await
                .unwrap();
        let mut rows: Vec<(Option<String>, Option<String>)> =
            rows.into_iter().map(|(e, t)| (t, e)).collect();
        rows.sort();
        let expected: Vec<(Option<String>, Option<String>)> = (expected.iter())
            .map(|(t, e)| (Some(t.clone()), e.clone()))
            .collect();
        assert_eq!(rows, expected);
    }

    // EXISTS: ann's a2 (20 views) and cat's c2 (30) are deleted.
    let popular = strata::select(Article::id())
        .from::<Article>()
        .filter(eq(Article::author_id(), Author::id()).and(gte(Article::views(), 20)));
    let with_popular = strata::select(Author::email())
        .from::<Author>()
        .filter(exists(popular.clone()));
    assert_eq!(with_popular.clone().fetch_all(db).await.unwrap(), [""; 0]);
    let all = with_popular.with_deleted().fetch_all(db).await.unwrap();
    assert_eq!(sorted(all), ["ann@x.io", "cat@x.io"]);
    // IN (subquery): bob's b1 is live, bob is not.
    let writers = strata::select(Article::author_id()).from::<Article>();
    let rows = strata::select(Author::email())
        .from::<Author>()
        .with_deleted()
        .filter(in_subquery(Author::id(), writers))
        .fetch_all(db)
        .await
        .unwrap();
    // The outer select shows deleted authors, and everything inside it
    // reads deleted rows too: bob (b1) is back.
    assert_eq!(sorted(rows), ["ann@x.io", "bob@x.io", "cat@x.io"]);

    // A derived table and a CTE read live rows inside.
    let totals = strata::select((Article::author_id(), count(Article::id())))
        .from::<Article>()
        .group_by(Article::author_id())
        .as_derived("totals");
    let rows: Vec<(String, i64)> = strata::select((Author::email(), totals.col::<1>()))
        .from::<Author>()
        .inner_join_table(&totals, eq(totals.col::<0>(), Author::id()))
        .order_by(Author::email().asc())
        .fetch_all(db)
        .await
        .unwrap();
    assert_eq!(rows, [s2("ann@x.io", 1), s2("cat@x.io", 1)]);
    let live_titles = strata::select(Article::title())
        .from::<Article>()
        .as_cte("live_titles");
    let rows = strata::select(live_titles.col::<0>())
        .from_table(&live_titles)
        .fetch_all(db)
        .await
        .unwrap();
    assert_eq!(sorted(rows), ["a1", "b1", "c1"]);

    // Each branch of a set operation.
    let union = strata::select(Author::email())
        .from::<Author>()
        .union(strata::select(Author::name()).from::<Author>());
    let rows = union.clone().fetch_all(db).await.unwrap();
    assert_eq!(sorted(rows), ["Ann", "Cat", "ann@x.io", "cat@x.io"]);
    let rows = union.with_deleted().fetch_all(db).await.unwrap();
    assert_eq!(rows.len(), 6);

    // The condition written by hand, as before, still reads the trash.
    let trash = strata::select(Author::email())
        .from::<Author>()
        .with_deleted()
        .filter(is_not_null(Author::deleted_at()))
        .fetch_all(db)
        .await
        .unwrap();
    assert_eq!(trash, ["bob@x.io"]);
});

fn sorted(mut rows: Vec<String>) -> Vec<String> {
    rows.sort();
    rows
}

fn s(title: &str, email: &str) -> (String, String) {
    (title.to_owned(), email.to_owned())
}

fn s2(email: &str, n: i64) -> (String, i64) {
    (email.to_owned(), n)
}

backend_tests!(
    nested_writes_soft_delete_and_skip_deleted_rows,
    |db| async move {
        let [ann, _, _] = seed(&db).await;
        let live = Article::find_many().filter(Article::author_id().eq(ann));
        let a1 = live.exec(&db).await.unwrap().remove(0);
        let a2 = Article::find_first()
            .only_deleted()
            .filter(Article::title().eq("a2"))
            .exec(&db)
            .await
            .unwrap()
            .unwrap();
        // A nested update of a deleted child finds no such related row.
        let err = Author::update(Author::by_id(ann))
            .name("Ann")
            .with(Author::articles().update(Article::by_id(a2.id), Article::changes().views(0)))
            .exec(&db)
            .await;
        assert!(matches!(err, Err(Error::RelatedNotFound { .. })), "{err:?}");
        // A nested delete soft-deletes the child.
        Author::update(Author::by_id(ann))
            .name("Ann")
            .with(Author::articles().delete(Article::by_id(a1.id)))
            .exec(&db)
            .await
            .unwrap();
        let a1 = Article::find_unique(Article::by_id(a1.id)).with_deleted();
        let a1 = a1.exec(&db).await.unwrap().unwrap();
        assert!(a1.removed_at.is_some(), "kept, marked deleted: {a1:?}");
        let ann_live = Article::count().filter(Article::author_id().eq(ann));
        assert_eq!(ann_live.exec(&db).await.unwrap(), 0);
    }
);
