//! The select builder's statements as soft delete sends them, per dialect,
//! recorded by a statement scope on a real database (what the built-in
//! interceptor made of the builder's AST, not a rendering beside it): the
//! live-rows condition in WHERE for FROM, in ON for joins, under each
//! alias, inside subqueries, derived tables, CTEs and set-operation
//! branches, and gone under `with_deleted()`. `soft_delete.rs` checks rows.

use schema_examples::soft::{Article, Author, SoftSchema};
use std::future::Future;
use strata::dsl::*;
use strata::observe::Scope;
use strata::{Db, Dialect};
use strata_tests::backend_tests;

strata::alias!(Other = Author as "other");

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

backend_tests!(soft_delete_select_builder_sql, |db| async move {
    db.push_schema::<SoftSchema>().await.unwrap();
    let out = &mut Vec::new();
    let db = &db;

    let from = strata::select(Author::email()).from::<Author>();
    record(out, "from", from.clone().fetch_all(db))
        .await
        .unwrap();
    let filtered = from.clone().filter(eq(Author::name(), "Ann"));
    record(out, "from with a filter", filtered.fetch_all(db))
        .await
        .unwrap();
    record(out, "with_deleted", from.with_deleted().fetch_all(db))
        .await
        .unwrap();

    let inner = strata::select((Article::title(), Author::email()))
        .from::<Article>()
        .inner_join::<Author>(eq(Article::author_id(), Author::id()));
    record(out, "inner join", inner.fetch_all(db))
        .await
        .unwrap();
    let left = strata::select((Article::title(), Author::email()))
        .from::<Article>()
        .left_join::<Author>(eq(Article::author_id(), Author::id()));
    record(out, "left join", left.fetch_all(db)).await.unwrap();
    let right = strata::select((Author::email(), Article::title()))
        .from::<Author>()
        .right_join::<Article>(eq(Article::author_id(), Author::id()));
    record(out, "right join", right.fetch_all(db))
        .await
        .unwrap();
    let same_name = strata::select((Author::email(), Other::col(Author::email())))
        .from::<Author>()
        .left_join::<Other>(eq(Other::col(Author::name()), Author::name()));
    record(out, "aliased self-join", same_name.fetch_all(db))
        .await
        .unwrap();

    let theirs = strata::select(Article::id())
        .from::<Article>()
        .filter(eq(Article::author_id(), Author::id()));
    let with_articles = strata::select(Author::email())
        .from::<Author>()
        .filter(exists(theirs.clone()));
    record(out, "exists", with_articles.fetch_all(db))
        .await
        .unwrap();
    let writers = strata::select(Article::author_id()).from::<Article>();
    let writing = strata::select(Author::email())
        .from::<Author>()
        .filter(in_subquery(Author::id(), writers));
    record(out, "in_subquery", writing.fetch_all(db))
        .await
        .unwrap();
    let articles = strata::select(count_all())
        .from::<Article>()
        .filter(eq(Article::author_id(), Author::id()))
        .scalar();
    let counted = strata::select((Author::email(), articles)).from::<Author>();
    record(out, "scalar subquery", counted.fetch_all(db))
        .await
        .unwrap();

    let totals = strata::select((Article::author_id(), count(Article::id())))
        .from::<Article>()
        .group_by(Article::author_id())
        .as_derived("totals");
    let derived = strata::select((Author::email(), totals.col::<1>()))
        .from::<Author>()
        .inner_join_table(&totals, eq(totals.col::<0>(), Author::id()));
    record(out, "derived table", derived.fetch_all(db))
        .await
        .unwrap();
    let titles = strata::select(Article::title())
        .from::<Article>()
        .as_cte("titles");
    let cte = strata::select(titles.col::<0>()).from_table(&titles);
    record(out, "cte", cte.fetch_all(db)).await.unwrap();

    let union = strata::select(Author::email())
        .from::<Author>()
        .union(strata::select(Article::title()).from::<Article>());
    record(out, "union", union.clone().fetch_all(db))
        .await
        .unwrap();
    record(
        out,
        "union with_deleted",
        union.with_deleted().fetch_all(db),
    )
    .await
    .unwrap();
    let nested = strata::select(Author::email())
        .from::<Author>()
        .with_deleted()
        .filter(exists(theirs));
    record(out, "with_deleted reaches subqueries", nested.fetch_all(db))
        .await
        .unwrap();

    snapshot(db, "soft_delete_select_builder", out);
});
