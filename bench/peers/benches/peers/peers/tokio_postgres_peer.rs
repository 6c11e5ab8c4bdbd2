//! tokio-postgres, the wire-level floor (PostgreSQL only): one `Client`, every
//! statement prepared once when connecting (as its docs recommend for a query
//! run repeatedly) and executed by its handle, rows decoded by column index,
//! the associations as three queries (`= ANY($1)` over the parents' ids)
//! stitched by hand.

use crate::fixture::{Database, Fixture};
use crate::peer::Peer;
use std::collections::HashMap;
use strata_peers_bench::case::Case;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row, Statement};

pub struct User {
    pub id: i32,
    pub name: String,
    pub hair_color: Option<String>,
}

pub struct Post {
    pub id: i32,
    pub user_id: i32,
    pub title: String,
    pub body: Option<String>,
}

pub struct Comment {
    pub id: i32,
    pub post_id: i32,
    pub text: String,
}

const USERS: &str = "SELECT id, name, hair_color FROM users";
const MEDIUM: &str = "SELECT u.id, u.name, u.hair_color, p.id, p.user_id, p.title, p.body \
    FROM users AS u LEFT JOIN posts AS p ON u.id = p.user_id WHERE u.hair_color = $1";
const POSTS: &str = "SELECT id, user_id, title, body FROM posts WHERE user_id = ANY($1)";
const COMMENTS: &str = "SELECT id, post_id, text FROM comments WHERE post_id = ANY($1)";

pub struct TokioPostgresPeer {
    name: String,
    client: Client,
    users: Statement,
    medium: Statement,
    posts: Statement,
    comments: Statement,
    /// `INSERT .. VALUES ($1, $2), ($3, $4), ..` per number of rows: the
    /// cases' sizes prepared when connecting, any other on first use.
    inserts: HashMap<usize, Statement>,
}

pub async fn connect_all(fixture: &Fixture) -> Vec<Box<dyn Peer>> {
    if fixture.database != Database::Postgres {
        return Vec::new();
    }
    let (client, connection) = tokio_postgres::connect(&fixture.url, NoTls)
        .await
        .expect("connect");
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("tokio-postgres connection: {e}");
        }
    });
    let prepare = |sql: &'static str| client.prepare(sql);
    let (users, medium, posts, comments) = (
        prepare(USERS).await.expect("prepare"),
        prepare(MEDIUM).await.expect("prepare"),
        prepare(POSTS).await.expect("prepare"),
        prepare(COMMENTS).await.expect("prepare"),
    );
    let mut inserts = HashMap::new();
    for case in Case::ALL {
        if let Case::Insert(rows) = case {
            let statement = client.prepare(&insert_sql(rows)).await.expect("prepare");
            inserts.insert(rows, statement);
        }
    }
    vec![Box::new(TokioPostgresPeer {
        name: "tokio-postgres".into(),
        client,
        users,
        medium,
        posts,
        comments,
        inserts,
    })]
}

fn insert_sql(rows: usize) -> String {
    let mut sql = String::from("INSERT INTO users (name, hair_color) VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${}, ${})", 2 * i + 1, 2 * i + 2));
    }
    sql
}

fn user(row: &Row) -> User {
    User {
        id: row.get(0),
        name: row.get(1),
        hair_color: row.get(2),
    }
}

impl TokioPostgresPeer {
    async fn trivial_query(&mut self) -> Vec<User> {
        let rows = (self.client.query(&self.users, &[]).await).expect("trivial query");
        rows.iter().map(user).collect()
    }

    async fn medium_complex_query(&mut self) -> Vec<(User, Option<Post>)> {
        let rows =
            (self.client.query(&self.medium, &[&"black"]).await).expect("medium complex query");
        rows.iter()
            .map(|row| {
                let post = row.get::<_, Option<i32>>(3).map(|id| Post {
                    id,
                    user_id: row.get(4),
                    title: row.get(5),
                    body: row.get(6),
                });
                (user(row), post)
            })
            .collect()
    }

    async fn insert(&mut self, rows: usize) -> u64 {
        let statement = match self.inserts.get(&rows) {
            Some(statement) => statement.clone(),
            None => {
                let statement = (self.client.prepare(&insert_sql(rows)).await).expect("prepare");
                self.inserts.insert(rows, statement.clone());
                statement
            }
        };
        let names: Vec<String> = (0..rows).map(Case::user_name).collect();
        let hair: Vec<Option<String>> = (0..rows)
            .map(|i| Case::Insert(rows).hair_color(i))
            .collect();
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(2 * rows);
        for (name, hair) in names.iter().zip(&hair) {
            params.push(name);
            params.push(hair);
        }
        (self.client.execute(&statement, &params).await).expect("insert")
    }

    async fn associations(&mut self) -> Vec<(User, Vec<(Post, Vec<Comment>)>)> {
        let users = self.trivial_query().await;
        let user_ids: Vec<i32> = users.iter().map(|u| u.id).collect();
        let posts: Vec<Post> = (self.client.query(&self.posts, &[&user_ids]).await)
            .expect("posts")
            .iter()
            .map(|row| Post {
                id: row.get(0),
                user_id: row.get(1),
                title: row.get(2),
                body: row.get(3),
            })
            .collect();
        let post_ids: Vec<i32> = posts.iter().map(|p| p.id).collect();
        let comments = (self.client.query(&self.comments, &[&post_ids]).await).expect("comments");
        let comments = comments.iter().map(|row| Comment {
            id: row.get(0),
            post_id: row.get(1),
            text: row.get(2),
        });
        stitch_by_hand!(users, posts, comments)
    }
}

impl_into_rows!(User, Post, Comment);

impl_peer!(TokioPostgresPeer);
