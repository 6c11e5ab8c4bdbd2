//! The hand-written SQL of the sqlx side, and the check that it is exactly what
//! strata renders for the same calls.

use super::cases::MANY;
use super::strata_side::{strata_create, update_statement};
use schema_examples::blog::Post;
use std::fmt::Write as _;
use strata::render::{render, Rendered};
use strata::{Dialect, IntoCreate as _};
use uuid::Uuid;

macro_rules! post_columns {
    () => {
        r#""id", "title", "content", "published", "status", "views", "rating", "metadata", "author_id", "category_id", "published_at", "created_at""#
    };
}
macro_rules! insert_columns {
    () => {
        r#"INSERT INTO "posts" ("id", "title", "content", "published", "author_id", "created_at") VALUES "#
    };
}

/// The statements of one dialect.
#[derive(Debug, Clone, Copy)]
pub struct Sql {
    pub find_by_id: &'static str,
    pub find_many_filtered: &'static str,
    pub find_many_all: &'static str,
    pub create: &'static str,
    /// `create_many` of `MANY` rows: generated, `MANY_COLUMNS` per row.
    pub create_many: &'static str,
    /// The same without the explicit NULL columns (not strata's SQL: shows what
    /// the explicit NULLs cost).
    pub create_many_narrow: &'static str,
    pub update_by_id: &'static str,
}

const PG_SQL: Sql = Sql {
    find_by_id: concat!(
        "SELECT ",
        post_columns!(),
        r#" FROM "posts" WHERE "id" = $1"#
    ),
    find_many_filtered: concat!(
        "SELECT ",
        post_columns!(),
        r#" FROM "posts" WHERE "author_id" = $1"#
    ),
    find_many_all: concat!("SELECT ", post_columns!(), r#" FROM "posts""#),
    create: concat!(
        insert_columns!(),
        "($1, $2, $3, $4, $5, $6) RETURNING ",
        post_columns!()
    ),
    create_many: "",
    create_many_narrow: "",
    update_by_id: concat!(
        r#"UPDATE "posts" SET "views" = "views" + $1 WHERE "id" = $2 RETURNING "#,
        post_columns!()
    ),
};

const SQLITE_SQL: Sql = Sql {
    find_by_id: concat!(
        "SELECT ",
        post_columns!(),
        r#" FROM "posts" WHERE "id" = ?"#
    ),
    find_many_filtered: concat!(
        "SELECT ",
        post_columns!(),
        r#" FROM "posts" WHERE "author_id" = ?"#
    ),
    find_many_all: concat!("SELECT ", post_columns!(), r#" FROM "posts""#),
    create: concat!(
        insert_columns!(),
        "(?, ?, ?, ?, ?, ?) RETURNING ",
        post_columns!()
    ),
    create_many: "",
    create_many_narrow: "",
    update_by_id: concat!(
        r#"UPDATE "posts" SET "views" = "views" + ? WHERE "id" = ? RETURNING "#,
        post_columns!()
    ),
};

/// The columns strata's `create_many` writes for the bench's rows: the four set,
/// `id` and `created_at` filled in by strata, and the nullable columns without a
/// default sent as explicit NULLs so every row shares one column list.
pub const MANY_COLUMNS: [&str; 10] = [
    "id",
    "title",
    "content",
    "published",
    "rating",
    "metadata",
    "author_id",
    "category_id",
    "published_at",
    "created_at",
];
/// The same rows without the explicit NULLs: what `create` writes.
const NARROW_COLUMNS: [&str; 6] = [
    "id",
    "title",
    "content",
    "published",
    "author_id",
    "created_at",
];

/// `INSERT INTO "posts" (columns) VALUES (..), (..)` for `rows` rows, as strata
/// writes it.
fn insert_sql(dialect: Dialect, columns: &[&str], rows: usize) -> &'static str {
    let mut sql = String::from(r#"INSERT INTO "posts" ("#);
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        write!(sql, "\"{c}\"").unwrap();
    }
    sql.push_str(") VALUES ");
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..columns.len() {
            if col > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match dialect {
                Dialect::Postgres => write!(sql, "${n}").unwrap(),
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    // Leaked once at startup: hand-written sqlx code passes `&'static str`.
    sql.leak()
}

/// The hand-written statements for `dialect`.
pub fn sql_for(dialect: Dialect) -> Sql {
    let mut sql = match dialect {
        Dialect::Postgres => PG_SQL,
        _ => SQLITE_SQL,
    };
    sql.create_many = insert_sql(dialect, &MANY_COLUMNS, MANY);
    sql.create_many_narrow = insert_sql(dialect, &NARROW_COLUMNS, MANY);
    sql
}

/// Panics unless strata renders exactly the hand-written SQL with `binds` values,
/// so both sides run the same statements.
pub fn check_sql(dialect: Dialect, fx_writer: &str) {
    let sql = sql_for(dialect);
    let id = Uuid::new_v4();
    let same = |case: &str, hand: &str, rendered: Rendered, binds: usize| {
        assert_eq!(
            hand, rendered.sql,
            "{dialect:?} {case}: the hand-written SQL differs from strata's rendering"
        );
        assert_eq!(
            rendered.binds.len(),
            binds,
            "{dialect:?} {case}: bind count"
        );
    };
    same(
        "find by id",
        sql.find_by_id,
        render(&Post::find_unique(Post::by_id(id)).statement(), dialect),
        1,
    );
    let filtered = Post::find_many().filter(Post::author_id().eq(fx_writer));
    same(
        "find_many filtered",
        sql.find_many_filtered,
        render(&filtered.statement().unwrap(), dialect),
        1,
    );
    same(
        "find_many all",
        sql.find_many_all,
        render(&Post::find_many().statement().unwrap(), dialect),
        0,
    );
    let create = strata_create("title", fx_writer).into_create().statement();
    same("create", sql.create, render(&create, dialect), 6);
    let many = Post::create_many((0..MANY).map(|_| strata_create("title", fx_writer)));
    let statements = many.statements(dialect);
    assert_eq!(statements.len(), 1, "create_many {MANY} is one INSERT");
    same(
        "create_many",
        sql.create_many,
        render(&statements[0], dialect),
        MANY_COLUMNS.len() * MANY,
    );
    same(
        "update by id",
        sql.update_by_id,
        render(&update_statement(id), dialect),
        2,
    );
}
