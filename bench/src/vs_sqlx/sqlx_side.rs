//! The hand-written sqlx side: `query_as` with the SQL of `sql.rs` into the
//! `FromRow` rows of `rows.rs`, binding the values strata binds, in the form
//! strata stores them on each database.
//!
//! Written once for both databases: [`HandWritten`] says what differs (the row
//! type, how a uuid and an instant are bound, the NULLs' types).

use super::cases::{now_micros, Case, CONTENT, MANY};
use super::fixture::Fixture;
use super::rows::{PgPost, SqlitePost};
use super::sql::Sql;
use crate::{timed, BoxFuture, Contender};
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::postgres::Postgres;
use sqlx::sqlite::Sqlite;
use sqlx::{Connection as _, Database, Encode, Executor, IntoArguments, Type};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// What the sqlx side runs: the hand-written code, or a variant that isolates
/// one difference from strata (extra contenders, reported separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// strata's SQL, as one statement (a single INSERT is atomic by itself).
    Plain,
    /// strata's SQL inside BEGIN .. COMMIT, as strata runs it.
    InTransaction,
    /// The INSERT without the explicit-NULL columns (not strata's SQL).
    Narrow,
    /// One row (a point query, or a write's RETURNING row) read through
    /// `fetch_all`, taking the first, as strata's `fetch_optional` does
    /// (instead of sqlx's `fetch_optional`/`fetch_one`).
    FetchAll,
    /// A point query in the shape of strata's sqlx call, without strata: an
    /// owned SQL string, arguments built by hand, `query_with(..).try_map(..)`
    /// decoding by position, `fetch_all`, first row.
    StrataShape,
}

/// How a sqlx contender connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlxConn {
    Single,
    /// `sqlx::pool::PoolOptions` with the values of `strata::PoolOptions::default()`.
    PoolLikeStrata,
    /// `sqlx::pool::PoolOptions::new()`: sqlx's defaults (`test_before_acquire` on).
    PoolSqlxDefaults,
    /// sqlx's defaults with `test_before_acquire(false)`.
    PoolNoTest,
    /// A pool like `PoolLikeStrata`, with one connection acquired once and
    /// used for every statement, as strata's pooled `Db` lends its cached
    /// connection to a serial workload (an attribution contender).
    PoolHeld,
}

fn pool_options<DB: Database>(how: SqlxConn) -> sqlx::pool::PoolOptions<DB> {
    match how {
        SqlxConn::PoolLikeStrata | SqlxConn::PoolHeld => {
            let o = strata::PoolOptions::default();
            sqlx::pool::PoolOptions::new()
                .max_connections(o.max_connections)
                .min_connections(o.min_connections)
                .acquire_timeout(o.acquire_timeout)
                .idle_timeout(o.idle_timeout)
                .max_lifetime(o.max_lifetime)
                .test_before_acquire(o.test_before_acquire)
        }
        SqlxConn::PoolNoTest => sqlx::pool::PoolOptions::new().test_before_acquire(false),
        SqlxConn::PoolSqlxDefaults | SqlxConn::Single => sqlx::pool::PoolOptions::new(),
    }
}

/// A value sqlx binds on `DB`.
pub trait Bind<DB: Database>: for<'q> Encode<'q, DB> + Type<DB> + Send + 'static {}
impl<DB: Database, T: for<'q> Encode<'q, DB> + Type<DB> + Send + 'static> Bind<DB> for T {}

/// What differs between the databases on the hand-written side.
pub trait HandWritten: Database {
    /// The row, `#[derive(sqlx::FromRow)]`.
    type Post: for<'r> sqlx::FromRow<'r, Self::Row> + Send + Unpin + 'static;
    /// A uuid as strata stores it.
    type Id: Bind<Self>;
    /// An instant as strata stores it.
    type Instant: Bind<Self>;
    /// A NULL of the JSON column, typed as the column (PostgreSQL checks).
    type JsonNull: Bind<Self> + Default;
    /// A NULL of an instant column.
    type InstantNull: Bind<Self> + Default;
    fn id(id: Uuid) -> Self::Id;
    fn instant(t: DateTime<Utc>) -> Self::Instant;
    /// The row decoded by column position, as strata decodes.
    fn by_position(row: Self::Row) -> Result<Self::Post, sqlx::Error>;
    /// The connect options both sides use.
    fn options(fx: &Fixture) -> <Self::Connection as sqlx::Connection>::Options;
    fn rows_affected(done: &Self::QueryResult) -> u64;
}

impl HandWritten for Postgres {
    type Post = PgPost;
    type Id = Uuid;
    type Instant = DateTime<Utc>;
    type JsonNull = Option<serde_json::Value>;
    type InstantNull = Option<DateTime<Utc>>;
    fn id(id: Uuid) -> Uuid {
        id
    }
    fn instant(t: DateTime<Utc>) -> DateTime<Utc> {
        t
    }
    fn by_position(row: sqlx::postgres::PgRow) -> Result<PgPost, sqlx::Error> {
        PgPost::by_position(row)
    }
    fn options(fx: &Fixture) -> sqlx::postgres::PgConnectOptions {
        use std::str::FromStr as _;
        sqlx::postgres::PgConnectOptions::from_str(&fx.url).unwrap()
    }
    fn rows_affected(done: &sqlx::postgres::PgQueryResult) -> u64 {
        done.rows_affected()
    }
}

/// SQLite: uuids bound as hyphenated text and instants as RFC 3339 text with
/// fixed microseconds, as strata stores them.
impl HandWritten for Sqlite {
    type Post = SqlitePost;
    type Id = uuid::fmt::Hyphenated;
    type Instant = String;
    type JsonNull = Option<String>;
    type InstantNull = Option<String>;
    fn id(id: Uuid) -> uuid::fmt::Hyphenated {
        id.hyphenated()
    }
    fn instant(t: DateTime<Utc>) -> String {
        t.to_rfc3339_opts(SecondsFormat::Micros, true)
    }
    fn by_position(row: sqlx::sqlite::SqliteRow) -> Result<SqlitePost, sqlx::Error> {
        SqlitePost::by_position(row)
    }
    fn options(fx: &Fixture) -> sqlx::sqlite::SqliteConnectOptions {
        super::fixture::sqlite_options(&fx.url)
    }
    fn rows_affected(done: &sqlx::sqlite::SqliteQueryResult) -> u64 {
        done.rows_affected()
    }
}

/// A sqlx connection the way each strategy holds one.
enum Conn<DB: Database> {
    Single(DB::Connection),
    Pool(sqlx::Pool<DB>),
    Held(sqlx::pool::PoolConnection<DB>),
}

/// Runs `$query.$method(executor)` on whichever connection `$conn` holds.
macro_rules! on {
    ($conn:expr, $query:ident . $method:ident) => {
        match $conn {
            Conn::Single(c) => $query.$method(&mut *c).await,
            Conn::Pool(p) => $query.$method(&*p).await,
            Conn::Held(c) => $query.$method(&mut **c).await,
        }
    };
}

/// Runs `$query.execute(..)` inside BEGIN .. COMMIT on `$conn`.
macro_rules! in_transaction {
    ($conn:expr, $query:ident) => {{
        let mut tx = match $conn {
            Conn::Single(c) => c.begin().await.unwrap(),
            Conn::Pool(p) => p.begin().await.unwrap(),
            Conn::Held(c) => c.begin().await.unwrap(),
        };
        let done = $query.execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        done
    }};
}

type QueryAs<'q, DB> =
    sqlx::query::QueryAs<'q, DB, <DB as HandWritten>::Post, <DB as Database>::Arguments>;
type Query<DB> = sqlx::query::Query<'static, DB, <DB as Database>::Arguments>;

/// Hand-written sqlx on one database, running one case.
pub struct SqlxSide<DB: HandWritten> {
    conn: Conn<DB>,
    fx: Arc<Fixture>,
    case: Case,
    variant: Variant,
    next: usize,
}

/// The queries, built as the timed loop builds them; `client.rs` of the bench
/// times them alone.
impl<DB> SqlxSide<DB>
where
    DB: HandWritten,
    for<'a, 'q> &'a str: Encode<'q, DB> + Type<DB>,
    bool: Bind<DB>,
    i64: Bind<DB>,
    Option<f64>: Bind<DB>,
    Option<i32>: Bind<DB>,
{
    pub fn find_by_id(sql: &Sql, id: Uuid) -> QueryAs<'static, DB> {
        sqlx::query_as(sql.find_by_id).bind(DB::id(id))
    }

    pub fn find_many_filtered<'q>(sql: &Sql, author: &'q str) -> QueryAs<'q, DB> {
        sqlx::query_as(sql.find_many_filtered).bind(author)
    }

    pub fn find_many_all(sql: &Sql) -> QueryAs<'static, DB> {
        sqlx::query_as(sql.find_many_all)
    }

    pub fn create<'q>(sql: &Sql, title: &'q str, writer: &'q str) -> QueryAs<'q, DB> {
        sqlx::query_as(sql.create)
            .bind(DB::id(Uuid::new_v4()))
            .bind(title)
            .bind(CONTENT)
            .bind(true)
            .bind(writer)
            .bind(DB::instant(now_micros()))
    }

    /// The 100-row INSERT (`narrow`: without the explicit-NULL columns);
    /// `title(j)` is row `j`'s title.
    pub fn create_many<'t>(
        sql: &Sql,
        narrow: bool,
        title: impl Fn(usize) -> &'t str,
        writer: &str,
    ) -> Query<DB> {
        let text = if narrow {
            sql.create_many_narrow
        } else {
            sql.create_many
        };
        let mut q = sqlx::query(text);
        for j in 0..MANY {
            q = q
                .bind(DB::id(Uuid::new_v4()))
                .bind(title(j))
                .bind(CONTENT)
                .bind(true);
            if !narrow {
                // PostgreSQL checks a NULL's type: typed like the columns.
                q = q.bind(None::<f64>).bind(DB::JsonNull::default());
            }
            q = q.bind(writer);
            if !narrow {
                q = q.bind(None::<i32>).bind(DB::InstantNull::default());
            }
            q = q.bind(DB::instant(now_micros()));
        }
        q
    }

    pub fn update_by_id(sql: &Sql, id: Uuid) -> QueryAs<'static, DB> {
        sqlx::query_as(sql.update_by_id).bind(1i64).bind(DB::id(id))
    }

    /// The client work of `case` alone: build the query and bind (encode) its
    /// values, as the timed loop does before executing, then drop it.
    pub fn build(sql: &Sql, case: Case, id: Uuid, writer: &str) {
        use std::hint::black_box;
        match case {
            Case::FindById => drop(black_box(Self::find_by_id(sql, id))),
            Case::FindMany100 => drop(black_box(Self::find_many_filtered(sql, writer))),
            Case::FindManyAll => drop(black_box(Self::find_many_all(sql))),
            Case::Create => drop(black_box(Self::create(sql, "Benchmark post", writer))),
            Case::CreateMany => drop(black_box(Self::create_many(
                sql,
                false,
                |_| "Benchmark post",
                writer,
            ))),
            Case::UpdateById => drop(black_box(Self::update_by_id(sql, id))),
        }
    }
}

impl<DB> SqlxSide<DB>
where
    DB: HandWritten,
{
    pub async fn connect(
        fx: &Arc<Fixture>,
        how: SqlxConn,
        case: Case,
        variant: Variant,
    ) -> SqlxSide<DB> {
        let options = DB::options(fx);
        let conn = match how {
            SqlxConn::Single => Conn::Single(DB::Connection::connect_with(&options).await.unwrap()),
            SqlxConn::PoolHeld => {
                let pool = pool_options(how).connect_with(options).await.unwrap();
                Conn::Held(pool.acquire().await.unwrap())
            }
            _ => Conn::Pool(pool_options(how).connect_with(options).await.unwrap()),
        };
        SqlxSide {
            conn,
            fx: fx.clone(),
            case,
            variant,
            next: 0,
        }
    }
}

impl<DB> Contender for SqlxSide<DB>
where
    DB: HandWritten,
    for<'a, 'q> &'a str: Encode<'q, DB> + Type<DB>,
    bool: Bind<DB>,
    i64: Bind<DB>,
    Option<f64>: Bind<DB>,
    Option<i32>: Bind<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
{
    fn batch<'a>(&'a mut self, n: usize, out: &'a mut Vec<Duration>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let SqlxSide {
                conn,
                fx,
                case,
                variant,
                next,
            } = self;
            let fx = &**fx;
            let sql = &fx.sql;
            let fetch_all = *variant == Variant::FetchAll;
            match case {
                Case::FindById if *variant == Variant::StrataShape => timed!(n, out, |_i| {
                    *next += 1;
                    let mut args = DB::Arguments::default();
                    sqlx::Arguments::add(&mut args, DB::id(fx.post_id(*next))).unwrap();
                    let owned = sqlx::AssertSqlSafe(sql.find_by_id.to_owned());
                    let q = sqlx::query_with(owned, args).try_map(DB::by_position);
                    let rows = on!(&mut *conn, q.fetch_all).unwrap();
                    rows.into_iter().next().expect("row")
                }),
                Case::FindById if fetch_all => timed!(n, out, |_i| {
                    *next += 1;
                    let q = Self::find_by_id(sql, fx.post_id(*next));
                    let rows = on!(&mut *conn, q.fetch_all).unwrap();
                    rows.into_iter().next().expect("row")
                }),
                Case::FindById => timed!(n, out, |_i| {
                    *next += 1;
                    let q = Self::find_by_id(sql, fx.post_id(*next));
                    on!(&mut *conn, q.fetch_optional).unwrap().expect("row")
                }),
                Case::FindMany100 => timed!(n, out, |_i| {
                    *next += 1;
                    let q = Self::find_many_filtered(sql, fx.author(*next));
                    on!(&mut *conn, q.fetch_all).unwrap()
                }),
                Case::FindManyAll => timed!(n, out, |_i| {
                    let q = Self::find_many_all(sql);
                    on!(&mut *conn, q.fetch_all).unwrap()
                }),
                Case::Create => timed!(n, out, |_i| {
                    *next += 1;
                    let q = Self::create(sql, fx.title(*next), &fx.writer);
                    if fetch_all {
                        let rows = on!(&mut *conn, q.fetch_all).unwrap();
                        rows.into_iter().next().expect("row")
                    } else {
                        on!(&mut *conn, q.fetch_one).unwrap()
                    }
                }),
                Case::CreateMany => timed!(n, out, |_i| {
                    *next += 1;
                    let base = *next * MANY;
                    let narrow = *variant == Variant::Narrow;
                    let q = Self::create_many(sql, narrow, |j| fx.title(base + j), &fx.writer);
                    let done = if *variant == Variant::InTransaction {
                        in_transaction!(&mut *conn, q)
                    } else {
                        on!(&mut *conn, q.execute).unwrap()
                    };
                    debug_assert_eq!(DB::rows_affected(&done) as usize, MANY);
                    done
                }),
                Case::UpdateById => timed!(n, out, |_i| {
                    *next += 1;
                    let q = Self::update_by_id(sql, fx.post_id(*next));
                    if fetch_all {
                        let rows = on!(&mut *conn, q.fetch_all).unwrap();
                        rows.into_iter().next().expect("row")
                    } else {
                        on!(&mut *conn, q.fetch_optional).unwrap().expect("row")
                    }
                }),
            }
        })
    }
}
