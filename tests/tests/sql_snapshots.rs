//! The SQL strata renders for every operation, per dialect. A reader can see
//! exactly what will run; a change to rendering shows up as a snapshot diff.

use schema_examples::blog::{BlogSchema, Post, PostStatus, PostTag, Role, Tag, User};
use strata::query::ast::Statement;
use strata::render::{create_schema, render};
use strata::{decrement, increment, multiply, Dialect, IntoCreate, ModelSet};
use strata_tests::{show_sql, DIALECTS};

fn show(statement: &Statement, dialect: Dialect) -> String {
    show_sql(&render(statement, dialect))
}

/// Snapshots `build()`'s statement once per dialect, named `{name}@{dialect}`.
fn snapshot(name: &str, build: impl Fn() -> Statement) {
    for (dialect, suffix) in DIALECTS {
        insta::assert_snapshot!(format!("{name}@{suffix}"), show(&build(), dialect));
    }
}

#[test]
fn find_many_with_every_filter() {
    snapshot("find_many_filters", || {
        Post::find_many()
            .filter(
                Post::published()
                    .eq(true)
                    .and(Post::views().gte(10))
                    .and(Post::views().lt(1000))
                    .and(Post::rating().ne(2.5))
                    .and(Post::status().in_([PostStatus::Published, PostStatus::Archived]))
                    .and(Post::category_id().not_in([1, 2]))
                    .and(Post::content().is_not_null())
                    .and(Post::published_at().is_null())
                    .and(Post::views().gt(0).or(Post::views().lte(-1)).not()),
            )
            .statement()
            .unwrap()
    });
}

#[test]
fn text_matching_escapes_wildcards() {
    snapshot("text_contains", || {
        User::find_many()
            .filter(User::email().contains("50%_off!"))
            .statement()
            .unwrap()
    });
    snapshot("text_starts_with_insensitive", || {
        User::find_many()
            .filter(User::name().starts_with("An*").insensitive())
            .statement()
            .unwrap()
    });
    snapshot("text_ends_with", || {
        User::find_many()
            .filter(User::email().ends_with("@example.com"))
            .statement()
            .unwrap()
    });
}

#[test]
fn ordering_and_pagination() {
    snapshot("order_nulls_skip_take", || {
        Post::find_many()
            .order_by(Post::published_at().desc())
            .order_by(Post::rating().asc().nulls_first())
            .skip(20)
            .take(10)
            .statement()
            .unwrap()
    });
    snapshot("skip_without_take", || {
        Post::find_many().skip(5).statement().unwrap()
    });
    snapshot("omit", || {
        User::find_many()
            .omit((User::name(), User::updated_at()))
            .statement()
            .unwrap()
    });
    snapshot("cursor", || {
        User::find_many()
            .order_by(User::created_at().desc())
            .cursor(User::by_email("ann@example.com"))
            .take(2)
            .statement()
            .unwrap()
    });
    snapshot("distinct_select", || {
        Post::find_many()
            .distinct()
            .select((Post::author_id(), Post::status()))
            .statement()
            .unwrap()
    });
}

#[test]
fn single_row_reads() {
    snapshot("find_unique", || User::find_by_email("a@b.c").statement());
    snapshot("find_unique_composite", || {
        PostTag::find_unique(PostTag::by_post_id_tag_id(uuid::Uuid::nil(), 7)).statement()
    });
    snapshot("find_first", || {
        User::find_first()
            .filter(User::role().eq(Role::Admin))
            .order_by(User::created_at().asc())
            .statement()
            .unwrap()
    });
    snapshot("count", || {
        User::count().filter(User::credits().gt(0)).statement()
    });
    snapshot("exists", || {
        Tag::exists().filter(Tag::name().eq("rust")).statement()
    });
}

#[test]
fn writes() {
    snapshot("create", || {
        Tag::create().name("rust").into_create().statement()
    });
    snapshot("create_with_enum_and_json", || {
        Post::create()
            .title("t")
            .author_id("u1")
            .status(PostStatus::Published)
            .metadata(serde_json::json!({"k": [1, 2]}))
            .into_create()
            .statement()
    });
    snapshot("update_by_key", || {
        User::update(User::by_id("u1"))
            .name("Ann")
            .credits(decrement(5))
            .into_inner()
            .statement()
    });
    snapshot("update_many_arithmetic", || {
        Post::update_many(Post::published().eq(false))
            .views(increment(1))
            .rating(multiply(2.0))
            .into_inner()
            .statement()
    });
    snapshot("upsert", || {
        User::upsert(
            User::by_email("e@x.io"),
            User::create().email("e@x.io"),
            User::changes().credits(increment(10)),
        )
        .statement()
    });
    snapshot("delete_by_key", || Tag::delete(Tag::by_id(3)).statement());
    snapshot("delete_many", || {
        Tag::delete_many()
            .filter(Tag::name().starts_with("tmp"))
            .statement()
    });
}

#[test]
fn create_many_is_one_insert_and_chunks_under_the_bind_limit() {
    snapshot("create_many", || {
        let rows = ["a", "b", "c"].map(|n| Tag::create().name(n));
        let mut statements = Tag::create_many(rows).statements(Dialect::Postgres);
        assert_eq!(statements.len(), 1);
        statements.remove(0)
    });
    for (dialect, _) in DIALECTS {
        let rows = (0..70_000).map(|i| Tag::create().name(format!("t{i}")));
        let statements = Tag::create_many(rows).statements(dialect);
        let binds: Vec<usize> = statements
            .iter()
            .map(|s| render(s, dialect).binds.len())
            .collect();
        assert!(
            binds.iter().all(|&n| n <= dialect.max_binds()),
            "{dialect:?}: {binds:?}"
        );
        assert_eq!(binds.iter().sum::<usize>(), 70_000, "{dialect:?}");
        assert_eq!(
            statements.len(),
            70_000usize.div_ceil(dialect.max_binds()),
            "{dialect:?}"
        );
    }
}

#[test]
fn blog_schema_ddl() {
    for (dialect, suffix) in DIALECTS {
        let ddl = create_schema(&BlogSchema::schemas(), dialect).unwrap();
        insta::assert_snapshot!(format!("blog_ddl@{suffix}"), ddl.join(";\n\n"));
    }
}
