//! strata under concurrency through the pooler: each task owns one user and
//! its posts, runs every kind of operation in turn, and checks each answer
//! against what it wrote itself, so a row of another statement, another
//! bind or another task shows up as wrong, not only an error.

use super::Tally;
use schema_examples::blog::{Post, PostStatus, Role, User};
use std::time::{Duration, Instant};
use strata::dsl::*;
use strata::{sql, Db, Error};

/// What one task has written: the truth its reads are checked against.
struct Own {
    id: String,
    email: String,
    credits: i32,
    /// (title, views) of its posts, in views order (views = the step).
    posts: Vec<(String, i64)>,
}

pub async fn run(db: &Db, tasks: i64, seconds: Duration) -> Tally {
    let deadline = Instant::now() + seconds;
    let handles: Vec<_> = (0..tasks)
        .map(|task| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let email = format!("task{task}@x.io");
                let user = match User::create()
                    .email(&email)
                    .name(format!("Task {task}"))
                    .role(Role::Moderator)
                    .exec(&db)
                    .await
                {
                    Ok(user) => user,
                    Err(e) => {
                        tally.record(Err(format!("creating {email}: {e}")));
                        return tally;
                    }
                };
                let right = user.email == email && user.role == Role::Moderator;
                tally.record(Ok(right));
                let mut own = Own {
                    id: user.id,
                    email,
                    credits: 0,
                    posts: Vec::new(),
                };
                let mut step = 0_i64;
                while Instant::now() < deadline {
                    let outcome = one(&db, &mut own, step).await;
                    tally.record(outcome.map_err(|e| format!("step {step}: {e}")));
                    step += 1;
                }
                tally
            })
        })
        .collect();
    let mut total = Tally::default();
    for handle in handles {
        total.add(handle.await.expect("a stress task panicked"));
    }
    total
}

/// One operation, chosen by `step`: Ok(true) if its answer is right.
async fn one(db: &Db, own: &mut Own, step: i64) -> Result<bool, Error> {
    Ok(match step % 8 {
        0 => {
            let title = format!("{}-{step}", own.email);
            let post = Post::create()
                .title(&title)
                .author_id(&own.id)
                .views(step)
                .rating(step as f64 / 4.0)
                .status(PostStatus::Published)
                .exec(db)
                .await?;
            own.posts.push((title.clone(), step));
            post.title == title
                && post.views == step
                && post.author_id == own.id
                && post.rating == Some(step as f64 / 4.0)
                && post.status == PostStatus::Published
        }
        1 => match User::find_by_email(&own.email).exec(db).await? {
            Some(user) => user.id == own.id && user.credits == own.credits,
            None => false,
        },
        2 => {
            let user = User::update(User::by_email(&own.email))
                .credits(own.credits + 1)
                .exec(db)
                .await?;
            own.credits += 1;
            user.id == own.id && user.credits == own.credits
        }
        3 => {
            let users = User::find_many()
                .filter(User::email().eq(&own.email))
                .include(User::posts().order_by(Post::views().asc()))
                .exec(db)
                .await?;
            match users.as_slice() {
                [user] => same_posts(user.posts.loaded()?, &own.posts) && user.id == own.id,
                _ => false,
            }
        }
        4 => in_transaction(db, own, step).await?,
        5 => {
            let id = &own.id;
            let rows: Vec<(String, i64)> = sql!(
                "SELECT {Post::title}, {Post::views} FROM {Post} \
                 WHERE {Post::author_id} = {id} ORDER BY {Post::views}"
            )
            .fetch_all(db)
            .await?;
            rows == own.posts
        }
        6 => {
            let rows: Vec<(String, String, i64)> =
                strata::select((Post::title(), User::email(), Post::views()))
                    .from::<Post>()
                    .inner_join::<User>(eq(Post::author_id(), User::id()))
                    .filter(User::email().eq(&own.email))
                    .order_by(Post::views().asc())
                    .fetch_all(db)
                    .await?;
            let expected: Vec<_> = own
                .posts
                .iter()
                .map(|(title, views)| (title.clone(), own.email.clone(), *views))
                .collect();
            rows == expected
        }
        _ => {
            let count = Post::count()
                .filter(Post::author_id().eq(&own.id))
                .exec(db)
                .await?;
            count == own.posts.len() as u64
        }
    })
}

fn same_posts(posts: &[Post], own: &[(String, i64)]) -> bool {
    posts.len() == own.len()
        && posts
            .iter()
            .zip(own)
            .all(|(post, (title, views))| &post.title == title && post.views == *views)
}

/// A transaction that writes, reads its own write back, and rolls a
/// savepoint back: what the transaction sees and what stays must both be
/// right.
async fn in_transaction(db: &Db, own: &mut Own, step: i64) -> Result<bool, Error> {
    let (id, email, credits) = (own.id.clone(), own.email.clone(), own.credits);
    let title = format!("{email}-{step}");
    let inner_title = format!("{email}-{step}-undone");
    let seen = db
        .transaction(|tx| {
            Box::pin(async move {
                Post::create()
                    .title(&title)
                    .author_id(&id)
                    .views(step)
                    .exec(tx)
                    .await?;
                let user = User::update(User::by_email(&email))
                    .credits(credits + 10)
                    .exec(tx)
                    .await?;
                // A savepoint whose write is undone.
                let undone: Result<(), Error> = tx
                    .transaction(|sp| {
                        Box::pin(async move {
                            Post::create()
                                .title(&inner_title)
                                .author_id(&user.id)
                                .views(-1)
                                .exec(sp)
                                .await?;
                            Err(Error::NotFound {
                                model: "rolled back on purpose",
                            })
                        })
                    })
                    .await;
                let count = Post::count()
                    .filter(Post::author_id().eq(&id))
                    .exec(tx)
                    .await?;
                Ok((user.credits, count, undone.is_err()))
            })
        })
        .await?;
    own.credits += 10;
    own.posts.push((format!("{}-{step}", own.email), step));
    Ok(seen == (own.credits, own.posts.len() as u64, true))
}
