//! diesel_bench's schema, shared by the Diesel (sync) and diesel-async
//! contenders: `table!` matching the fixture's DDL, the joins Diesel may
//! build, and the model structs derived as Diesel's guides write them.

use diesel::prelude::*;
use strata_peers_bench::case::Case;

diesel::table! {
    users (id) {
        id -> Integer,
        name -> Varchar,
        hair_color -> Nullable<Varchar>,
    }
}

diesel::table! {
    posts (id) {
        id -> Integer,
        user_id -> Integer,
        title -> Varchar,
        body -> Nullable<Text>,
    }
}

diesel::table! {
    comments (id) {
        id -> Integer,
        post_id -> Integer,
        text -> Text,
    }
}

diesel::joinable!(comments -> posts (post_id));
diesel::joinable!(posts -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, posts, comments);

#[derive(Debug, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub name: String,
    pub hair_color: Option<String>,
}

/// A user to insert; `None` is inserted as NULL (not `DEFAULT`), which is
/// what lets one multi-row INSERT run on SQLite too.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewUser {
    pub name: String,
    pub hair_color: Option<String>,
}

#[derive(Debug, Queryable, Selectable, Identifiable, Associations)]
#[diesel(table_name = posts)]
#[diesel(belongs_to(User))]
pub struct Post {
    pub id: i32,
    pub user_id: i32,
    pub title: String,
    pub body: Option<String>,
}

#[derive(Debug, Queryable, Selectable, Identifiable, Associations)]
#[diesel(table_name = comments)]
#[diesel(belongs_to(Post))]
pub struct Comment {
    pub id: i32,
    pub post_id: i32,
    pub text: String,
}

/// The `rows` users [`Case::Insert`] inserts, built inside the timed call as
/// every contender builds its own values.
pub fn new_users(rows: usize) -> Vec<NewUser> {
    (0..rows)
        .map(|i| NewUser {
            name: Case::user_name(i),
            hair_color: Case::Insert(rows).hair_color(i),
        })
        .collect()
}

/// A user with its posts, each with its comments.
pub type UserTree = (User, Vec<(Post, Vec<Comment>)>);

/// Stitches loaded users, posts and comments with `grouped_by`, as Diesel's
/// association docs do.
pub fn stitch(users: Vec<User>, posts: Vec<Post>, comments: Vec<Comment>) -> Vec<UserTree> {
    let comments = comments.grouped_by(&posts);
    let posts = posts.into_iter().zip(comments).grouped_by(&users);
    users.into_iter().zip(posts).collect()
}

impl_into_rows!(User, Post, Comment);
