//! The statements soft delete's rewrites send, per dialect, as recorded by a
//! statement scope on a real database: so what is snapshotted is what the
//! built-in interceptor made of each builder's statement, not a rendering
//! of the AST beside it. Binds are not shown; `soft_delete.rs` checks the
//! rows.

use schema_examples::soft::{Article, Author, SoftSchema};
use std::future::Future;
use strata::dsl::*;
use strata::observe::Scope;
use strata::relation::Strategy;
use strata::{Db, Dialect};
use strata_tests::backend_tests;

/// Runs `query` in a scope and appends its statements under `label`.
async fn record<T>(out: &mut Vec<String>, label: &str, query: impl Future<Output = T>) -> T {
    let (output, report) = Scope::new().run(query).await;
    out.push(format!("-- {label}\n{}", report.statements().join("\n")));
    output
}

fn snapshot(db: &Db, name: &str, out: &[String]) {
    let suffix = match db.dialect() {
        Dialect::Postgres => "postgres",
        Dialect::Sqlite => "sqlite",
        Dialect::MySql => "mysql",
    };
    insta::assert_snapshot!(format!("{name}@{suffix}"), out.join("\n\n"));
}

async fn rows(db: &Db) -> (Author, Article) {
    db.push_schema::<SoftSchema>().await.unwrap();
    let ann = Author::create().email("ann@x.io").name("Ann");
    let ann = ann.exec(db).await.unwrap();
    let article = Article::create().title("a1").views(1).author_id(ann.id);
    (ann, article.exec(db).await.unwrap())
}

backend_tests!(soft_delete_reads_sql, |db| async move {
    let (ann, _) = rows(&db).await;
    let out = &mut Vec::new();
    let db = &db;
    record(
        out,
        "find_unique",
        Author::find_unique(Author::by_id(ann.id)).exec(db),
    )
    .await
    .unwrap();
    record(
        out,
        "find_by_email",
        Author::find_by_email("ann@x.io").exec(db),
    )
    .await
    .unwrap();
    let first = Author::find_first().filter(Author::name().eq("Ann"));
    record(out, "find_first", first.exec(db)).await.unwrap();
    let paged = Author::find_many().cursor(Author::by_id(ann.id)).take(2);
    record(out, "find_many with a cursor", paged.exec(db))
        .await
        .unwrap();
    let emails = Author::find_many().select(Author::email());
    record(out, "select", emails.exec(db)).await.unwrap();
    record(out, "count", Author::count().exec(db))
        .await
        .unwrap();
    record(out, "exists", Author::exists().exec(db))
        .await
        .unwrap();
    let total = Article::aggregate(sum(Article::views()));
    record(out, "aggregate", total.exec(db)).await.unwrap();
    let groups = Article::group_by(Article::author_id()).aggregate(count_all());
    record(out, "group_by", groups.exec(db)).await.unwrap();
    let counted = Author::find_many().with_count(Author::articles());
    record(out, "with_count", counted.exec(db)).await.unwrap();
    let some = Author::find_many().filter(Author::articles().some(Article::views().gt(0)));
    record(out, "some", some.exec(db)).await.unwrap();
    let every = Author::find_many().filter(Author::articles().every(Article::views().gt(0)));
    record(out, "every", every.exec(db)).await.unwrap();
    let is = Article::find_many().filter(Article::author().is(Author::name().eq("Ann")));
    record(out, "is", is.exec(db)).await.unwrap();
    for strategy in [Strategy::Batched, Strategy::Joined] {
        let tree = Author::find_many()
            .strategy(strategy)
            .include(Author::articles().include(Article::notes()));
        record(out, &format!("include {strategy:?}"), tree.exec(db))
            .await
            .unwrap();
    }
    record(
        out,
        "with_deleted",
        Author::find_many().with_deleted().exec(db),
    )
    .await
    .unwrap();
    record(out, "only_deleted", Author::count().only_deleted().exec(db))
        .await
        .unwrap();
    snapshot(db, "soft_delete_reads", out);
});

backend_tests!(soft_delete_writes_sql, |db| async move {
    let (ann, article) = rows(&db).await;
    let out = &mut Vec::new();
    let db = &db;
    let rename = Author::update(Author::by_id(ann.id)).name("Ann B");
    record(out, "update", rename.exec(db)).await.unwrap();
    let many = Author::update_many(Author::name().ne("x")).name("Ann C");
    record(out, "update_many", many.exec(db)).await.unwrap();
    let delete = Article::delete(Article::by_id(article.id));
    record(out, "delete", delete.exec(db)).await.unwrap();
    let restore = Article::restore(Article::by_id(article.id));
    record(out, "restore", restore.exec(db)).await.unwrap();
    let delete_many = Article::delete_many().filter(Article::views().gt(0));
    record(out, "delete_many", delete_many.exec(db))
        .await
        .unwrap();
    let restore_many = Article::restore_many().filter(Article::views().gt(0));
    record(out, "restore_many", restore_many.exec(db))
        .await
        .unwrap();
    let upsert = Author::upsert(
        Author::by_email("ann@x.io"),
        Author::create().email("ann@x.io").name("Ann"),
        Author::changes().name("Ann D"),
    );
    record(out, "upsert", upsert.exec(db)).await.unwrap();
    let force = Article::delete(Article::by_id(article.id)).force_delete();
    record(out, "force_delete", force.exec(db)).await.unwrap();
    let force_many = Article::delete_many().force_delete();
    record(out, "delete_many force_delete", force_many.exec(db))
        .await
        .unwrap();
    snapshot(db, "soft_delete_writes", out);
});

/// The DDL: `partial_uniques` makes `Account`'s email a partial unique
/// index over live rows on PostgreSQL and SQLite and is refused on
/// MySQL/MariaDB; `Author`'s plain `unique` stays a constraint.
#[test]
fn soft_delete_ddl() {
    use schema_examples::soft::Account;
    use strata::migrate::{ddl::create, from_models};
    use strata::ModelSet;
    for (dialect, suffix) in strata_tests::DIALECTS {
        let ddl = match from_models::db_schema(&<(Author, Account)>::schemas(), dialect) {
            Ok(schema) => create::create_schema(dialect, &schema).join(";\n\n"),
            Err(error) => format!("error: {error}"),
        };
        insta::assert_snapshot!(format!("soft_delete_ddl@{suffix}"), ddl);
    }
}
