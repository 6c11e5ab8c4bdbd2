//! diesel_bench's "medium complex query" on the blog schema: users LEFT JOIN
//! posts, filtered on the user's name. One definition for the bench that times
//! it (`benches/medium_query.rs`) and the example that counts its instructions
//! (`examples/select_instructions.rs`).

use schema_examples::blog::{Post, User};
use strata::dsl::*;
use strata::render::Rendered;
use strata::{Db, Dialect, ToSql};

/// One row: the user's id, email and name, and its post's title, views and
/// published flag (`None` on the post side for a user without posts).
pub type MediumRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<bool>,
);

/// The query as written by hand for PostgreSQL; checked against strata's
/// rendering where it is used.
pub const MEDIUM_PG: &str = r#"SELECT "users"."id", "users"."email", "users"."name", "posts"."title", "posts"."views", "posts"."published" FROM "users" LEFT JOIN "posts" ON "posts"."author_id" = "users"."id" WHERE "users"."name" = $1"#;
/// The same for SQLite.
pub const MEDIUM_SQLITE: &str = r#"SELECT "users"."id", "users"."email", "users"."name", "posts"."title", "posts"."views", "posts"."published" FROM "users" LEFT JOIN "posts" ON "posts"."author_id" = "users"."id" WHERE "users"."name" = ?"#;

/// The query through strata's select builder (a macro, since the query's type
/// spells out its select list and sources).
macro_rules! medium {
    ($name:expr) => {
        strata::select((
            User::id(),
            User::email(),
            User::name(),
            Post::title(),
            Post::views(),
            Post::published(),
        ))
        .from::<User>()
        .left_join::<Post>(eq(Post::author_id(), User::id()))
        .filter(eq(User::name(), $name))
    };
}

/// The query built and run as a user would, on every call.
pub async fn fetch(db: &Db, name: &str) -> strata::Result<Vec<MediumRow>> {
    medium!(name).fetch_all(db).await
}

/// The statement strata renders for the query on `dialect`.
pub fn render(dialect: Dialect, name: &str) -> strata::Result<Rendered> {
    medium!(name).to_sql(dialect)
}
