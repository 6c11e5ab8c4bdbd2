//! Relation loading on PostgreSQL: strata's nested `include` against
//! hand-written sqlx doing the same batched queries (`= ANY($1)`, the very SQL
//! strata runs, captured once) and stitching the levels with `HashMap`s.
//!
//! Cases (issue 4, item 11):
//! - `associations`: diesel_bench's case, 100 users x 10 posts x 10 comments,
//!   all loaded with users -> posts -> comments;
//! - `three_levels`: 1,000 users x 2 posts x 2 comments, loaded with
//!   users -> posts -> comments -> comment author (a shared belongs_to row).
//!
//! Both sides use one `PgConnection` on a current-thread runtime, interleaved in
//! rounds (see `strata_bench::compare`). Run: `cargo bench -p strata-bench
//! --bench relations`; `STRATA_BENCH_PG_URL` picks the server,
//! `STRATA_BENCH_ROUNDS` the rounds (default 30).

use chrono::{DateTime, Utc};
use schema_examples::blog::{BlogSchema, Comment, Post, User};
use sqlx::{Connection, PgConnection};
use std::collections::HashMap;
use std::time::Duration;
use strata::observe::Scope;
use strata::relation::Strategy;
use strata::{Db, FindMany, IntoCreate};
use strata_bench::{compare, versus, BoxFuture, Contender, Measured, Settings};
use uuid::Uuid;

#[derive(sqlx::Type, Debug, Clone, Copy)]
#[sqlx(type_name = "role", rename_all = "UPPERCASE")]
enum Role {
    User,
    Admin,
    Moderator,
}

#[derive(sqlx::Type, Debug, Clone, Copy)]
#[sqlx(type_name = "post_status", rename_all = "UPPERCASE")]
enum Status {
    Draft,
    Published,
    Archived,
}

#[allow(dead_code)]
#[derive(sqlx::FromRow, Debug, Clone)]
struct UserRow {
    id: String,
    email: String,
    name: Option<String>,
    role: Role,
    credits: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    manager_id: Option<String>,
}

#[allow(dead_code)]
#[derive(sqlx::FromRow, Debug)]
struct PostRow {
    id: Uuid,
    title: String,
    content: Option<String>,
    published: bool,
    status: Status,
    views: i64,
    rating: Option<f64>,
    metadata: Option<serde_json::Value>,
    author_id: String,
    category_id: Option<i32>,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

#[allow(dead_code)]
#[derive(sqlx::FromRow, Debug)]
struct CommentRow {
    id: i64,
    body: String,
    post_id: Uuid,
    author_id: String,
    created_at: DateTime<Utc>,
}

/// What the hand-written side builds: the same tree strata fills.
#[allow(dead_code)]
struct UserWith {
    user: UserRow,
    posts: Vec<PostWith>,
}

#[allow(dead_code)]
struct PostWith {
    post: PostRow,
    comments: Vec<CommentWith>,
}

#[allow(dead_code)]
struct CommentWith {
    comment: CommentRow,
    author: Option<UserRow>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Case {
    Associations,
    ThreeLevels,
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::Associations => "associations (100 x 10 x 10)",
            Case::ThreeLevels => "1,000 roots, 3 levels",
        }
    }

    /// (users, posts per user, comments per post)
    fn shape(self) -> (usize, usize, usize) {
        match self {
            Case::Associations => (100, 10, 10),
            Case::ThreeLevels => (1_000, 2, 2),
        }
    }

    fn query(self) -> FindMany<User> {
        let comments = match self {
            Case::Associations => Post::comments(),
            Case::ThreeLevels => Post::comments().include(Comment::author()),
        };
        User::find_many().include(User::posts().include(comments))
    }
}

/// Fresh database `strata_bench_rel` seeded with `case`'s rows.
async fn seed(admin_url: &str, case: Case) -> String {
    let mut admin = PgConnection::connect(admin_url).await.expect("PostgreSQL");
    for sql in [
        "DROP DATABASE IF EXISTS strata_bench_rel WITH (FORCE)",
        "CREATE DATABASE strata_bench_rel",
        "ALTER DATABASE strata_bench_rel SET synchronous_commit = off",
    ] {
        sqlx::raw_sql(sql).execute(&mut admin).await.expect(sql);
    }
    let url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/strata_bench_rel"),
        None => panic!("STRATA_BENCH_PG_URL needs a database path"),
    };
    let db = Db::connect(&url).await.expect("connect");
    db.push_schema::<BlogSchema>().await.expect("schema");
    let (users, posts, comments) = case.shape();
    let user_id = |u: usize| format!("user{u:05}");
    let post_id = |u: usize, p: usize| Uuid::from_u128((u * posts + p + 1) as u128);
    let creates: Vec<_> = (0..users)
        .map(|u| User::create().email(format!("{u}@bench.io")).id(user_id(u)))
        .collect();
    User::create_many(creates).exec(&db).await.expect("users");
    let creates: Vec<_> = (0..users * posts)
        .map(|i| {
            let (u, p) = (i / posts, i % posts);
            (Post::create().title(format!("post {i}")))
                .author_id(user_id(u))
                .content("A paragraph of text for the post body.")
                .id(post_id(u, p))
                .into_create()
        })
        .collect();
    Post::create_many(creates).exec(&db).await.expect("posts");
    let creates: Vec<_> = (0..users * posts * comments)
        .map(|i| {
            let post = i / comments;
            (Comment::create().body(format!("comment {i}")))
                .post_id(post_id(post / posts, post % posts))
                .author_id(user_id((i * 7) % users))
        })
        .collect();
    Comment::create_many(creates)
        .exec(&db)
        .await
        .expect("comments");
    db.close().await;
    url
}

/// The statements strata runs for `case`, in order: the hand-written side
/// sends the same text.
async fn strata_sql(db: &Db, case: Case) -> Vec<String> {
    let (result, report) = Scope::new().run(case.query().exec(db)).await;
    result.expect("strata include");
    report.statements().to_vec()
}

struct StrataSide {
    db: Db,
    case: Case,
    strategy: Strategy,
}

impl Contender for StrataSide {
    fn batch<'a>(&'a mut self, n: usize, out: &'a mut Vec<Duration>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            strata_bench::timed!(n, out, |_i| {
                let query = self.case.query().strategy(self.strategy);
                let users = query.exec(&self.db).await.expect("strata");
                users.len()
            });
        })
    }
}

struct SqlxSide {
    conn: PgConnection,
    case: Case,
    sql: Vec<String>,
}

impl SqlxSide {
    async fn load(&mut self) -> Vec<UserWith> {
        let sql = |i: usize| sqlx::AssertSqlSafe(self.sql[i].clone());
        let users: Vec<UserRow> = sqlx::query_as(sql(0))
            .fetch_all(&mut self.conn)
            .await
            .unwrap();
        let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
        let posts: Vec<PostRow> = (sqlx::query_as(sql(1)).bind(&ids))
            .fetch_all(&mut self.conn)
            .await
            .unwrap();
        let post_ids: Vec<Uuid> = posts.iter().map(|p| p.id).collect();
        let comments: Vec<CommentRow> = (sqlx::query_as(sql(2)).bind(&post_ids))
            .fetch_all(&mut self.conn)
            .await
            .unwrap();
        let authors: HashMap<String, UserRow> = if self.case == Case::ThreeLevels {
            let mut ids: Vec<&str> = comments.iter().map(|c| c.author_id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            let rows: Vec<UserRow> = (sqlx::query_as(sql(3)).bind(&ids))
                .fetch_all(&mut self.conn)
                .await
                .unwrap();
            rows.into_iter().map(|u| (u.id.clone(), u)).collect()
        } else {
            HashMap::new()
        };
        let mut by_post: HashMap<Uuid, Vec<CommentWith>> = HashMap::new();
        for comment in comments {
            let author = authors.get(&comment.author_id).cloned();
            by_post
                .entry(comment.post_id)
                .or_default()
                .push(CommentWith { comment, author });
        }
        let mut by_author: HashMap<String, Vec<PostWith>> = HashMap::new();
        for post in posts {
            let comments = by_post.remove(&post.id).unwrap_or_default();
            by_author
                .entry(post.author_id.clone())
                .or_default()
                .push(PostWith { post, comments });
        }
        users
            .into_iter()
            .map(|user| UserWith {
                posts: by_author.remove(&user.id).unwrap_or_default(),
                user,
            })
            .collect()
    }
}

impl Contender for SqlxSide {
    fn batch<'a>(&'a mut self, n: usize, out: &'a mut Vec<Duration>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            strata_bench::timed!(n, out, |_i| self.load().await.len());
        })
    }
}

fn line(case: Case, strategy: &str, m: &Measured, base: &Measured) -> String {
    let (s, b) = (m.stats(), base.stats());
    let v = versus(m, base);
    format!(
        "| {} | {strategy} | {:.0} | {:.0} | {:.0} | {:.0} | {:.3}x | {:+.0} |",
        case.name(),
        s.median.as_secs_f64() * 1e6,
        s.p99.as_secs_f64() * 1e6,
        b.median.as_secs_f64() * 1e6,
        b.p99.as_secs_f64() * 1e6,
        v.ratio,
        v.overhead_us,
    )
}

async fn run(admin_url: &str, case: Case, settings: &Settings) -> String {
    let url = seed(admin_url, case).await;
    let db = Db::connect_single(&url).await.expect("strata connect");
    let sql = strata_sql(&db, case).await;
    let mut sqlx_side = SqlxSide {
        conn: PgConnection::connect(&url).await.expect("sqlx connect"),
        case,
        sql,
    };
    // Same tree on both sides before anything is timed.
    let ours = case.query().exec(&db).await.expect("strata");
    let theirs = sqlx_side.load().await;
    let count = |posts: usize, comments: usize| (posts, comments);
    assert_eq!(
        count(
            ours.iter()
                .map(|u| u.posts.get().map_or(0, <[_]>::len))
                .sum(),
            (ours.iter().flat_map(|u| u.posts.get().unwrap_or_default()))
                .map(|p| p.comments.get().map_or(0, <[_]>::len))
                .sum()
        ),
        count(
            theirs.iter().map(|u| u.posts.len()).sum(),
            theirs
                .iter()
                .flat_map(|u| &u.posts)
                .map(|p| p.comments.len())
                .sum()
        ),
    );
    let joined = case
        .query()
        .strategy(Strategy::Joined)
        .exec(&db)
        .await
        .expect("joined");
    assert_eq!(joined, ours, "both strategies read the same tree");
    let strata = |strategy| {
        let db = db.clone();
        Box::new(StrataSide { db, case, strategy }) as Box<dyn Contender>
    };
    let mut contenders: Vec<(String, Box<dyn Contender>)> = vec![
        ("strata batched".into(), strata(Strategy::Batched)),
        ("strata joined".into(), strata(Strategy::Joined)),
        ("sqlx".into(), Box::new(sqlx_side)),
    ];
    let (measured, n) = compare(settings, &mut contenders, None, None).await;
    eprintln!("{}: {} rounds x {n}", case.name(), settings.rounds);
    format!(
        "{}\n{}",
        line(case, "batched", &measured[0], &measured[2]),
        line(case, "joined", &measured[1], &measured[2])
    )
}

fn main() {
    let admin_url = std::env::var("STRATA_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let rounds = std::env::var("STRATA_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(30);
    let settings = Settings {
        rounds,
        batch_target: Duration::from_millis(50),
        min_batch: 1,
        max_batch: 20,
        warmup: Duration::from_millis(500),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut lines = vec![
        "| case | strategy | strata median µs | strata p99 µs | sqlx median µs | sqlx p99 µs | ratio | overhead µs |".to_owned(),
        "|---|---|---|---|---|---|---|---|".to_owned(),
    ];
    for case in [Case::Associations, Case::ThreeLevels] {
        lines.push(rt.block_on(run(&admin_url, case, &settings)));
    }
    println!("{}", lines.join("\n"));
}
