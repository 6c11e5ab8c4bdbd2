//! One library on one kind of connection, able to run every case it supports.
//!
//! A library module writes each case once, as inherent async methods on its
//! type returning its own row types:
//!
//! ```ignore
//! async fn trivial_query(&mut self) -> Vec<User>;                          // User: Into<UserRow>
//! async fn medium_complex_query(&mut self) -> Vec<(User, Option<Post>)>;  // Post: Into<PostRow>
//! async fn insert(&mut self, rows: usize) -> u64;                          // rows inserted
//! async fn associations(&mut self) -> Vec<(User, Vec<(Post, Vec<Comment>)>)>;
//! ```
//!
//! (`associations` may return any nesting that is `IntoIterator` of those
//! pairs.) Then `impl_peer!(Type)` implements [`Peer`]: the timed loop
//! calls the methods and drops what they return, untouched; only the untimed
//! [`Peer::output`] converts into the normalized rows for the equality check.

use std::time::Duration;
use strata_bench::BoxFuture;
use strata_peers_bench::case::Case;
use strata_peers_bench::rows::Output;

pub trait Peer: Send {
    /// Shown in the report, e.g. `sqlx (pool, tuned)`.
    fn name(&self) -> &str;

    /// Runs `case` once, untimed, and returns the answer normalized.
    fn output<'a>(&'a mut self, case: Case) -> BoxFuture<'a, Output>;

    /// Runs `n` timed iterations of `case`, pushing each one's latency onto `out`.
    fn batch<'a>(
        &'a mut self,
        case: Case,
        n: usize,
        out: &'a mut Vec<Duration>,
    ) -> BoxFuture<'a, ()>;
}

/// Implements [`Peer`] for a type with the four case methods (see the module
/// docs) and a `name: String` field.
#[macro_export]
macro_rules! impl_peer {
    ($ty:ty) => {
        impl $crate::peer::Peer for $ty {
            fn name(&self) -> &str {
                &self.name
            }

            fn output<'a>(
                &'a mut self,
                case: ::strata_peers_bench::case::Case,
            ) -> ::strata_bench::BoxFuture<'a, ::strata_peers_bench::rows::Output> {
                use ::strata_peers_bench::case::Case;
                use ::strata_peers_bench::rows::Output;
                Box::pin(async move {
                    match case {
                        Case::TrivialQuery(_) => Output::users(self.trivial_query().await),
                        Case::MediumComplexQuery(_) => {
                            Output::users_with_post(self.medium_complex_query().await)
                        }
                        Case::Insert(rows) => Output::Inserted(self.insert(rows).await),
                        Case::Associations => {
                            Output::users_posts_comments(self.associations().await)
                        }
                    }
                })
            }

            fn batch<'a>(
                &'a mut self,
                case: ::strata_peers_bench::case::Case,
                n: usize,
                out: &'a mut Vec<::std::time::Duration>,
            ) -> ::strata_bench::BoxFuture<'a, ()> {
                use ::strata_peers_bench::case::Case;
                Box::pin(async move {
                    match case {
                        Case::TrivialQuery(_) => {
                            ::strata_bench::timed!(n, out, |_i| self.trivial_query().await)
                        }
                        Case::MediumComplexQuery(_) => {
                            ::strata_bench::timed!(n, out, |_i| self.medium_complex_query().await)
                        }
                        Case::Insert(rows) => {
                            ::strata_bench::timed!(n, out, |_i| self.insert(rows).await)
                        }
                        Case::Associations => {
                            ::strata_bench::timed!(n, out, |_i| self.associations().await)
                        }
                    }
                })
            }
        }
    };
}

/// `From` conversions into the normalized rows for a library's `User`,
/// `Post` and `Comment` types whose fields are named as the tables' columns.
#[macro_export]
macro_rules! impl_into_rows {
    ($user:ty, $post:ty, $comment:ty) => {
        impl From<$user> for ::strata_peers_bench::rows::UserRow {
            fn from(u: $user) -> Self {
                (u.id, u.name, u.hair_color).into()
            }
        }

        impl From<$post> for ::strata_peers_bench::rows::PostRow {
            fn from(p: $post) -> Self {
                (p.id, p.user_id, p.title, p.body).into()
            }
        }

        impl From<$comment> for ::strata_peers_bench::rows::CommentRow {
            fn from(c: $comment) -> Self {
                (c.id, c.post_id, c.text).into()
            }
        }
    };
}

/// users -> posts -> comments stitched by hand with `HashMap`s, as the
/// hand-written contenders (sqlx, tokio-postgres) do it: any row types with
/// `id`, `user_id` and `post_id` fields of one integer type.
#[macro_export]
macro_rules! stitch_by_hand {
    ($users:expr, $posts:expr, $comments:expr) => {{
        let mut comments_by_post = ::std::collections::HashMap::<_, Vec<_>>::new();
        for c in $comments {
            comments_by_post.entry(c.post_id).or_default().push(c);
        }
        let mut posts_by_user = ::std::collections::HashMap::<_, Vec<_>>::new();
        for p in $posts {
            let comments = comments_by_post.remove(&p.id).unwrap_or_default();
            posts_by_user
                .entry(p.user_id)
                .or_default()
                .push((p, comments));
        }
        $users
            .into_iter()
            .map(|u| {
                let posts = posts_by_user.remove(&u.id).unwrap_or_default();
                (u, posts)
            })
            .collect()
    }};
}
