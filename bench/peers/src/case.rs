//! The cases of diesel_bench (diesel-rs/diesel, `diesel_bench/`), at the
//! sizes its fast run uses plus a 1,000-row insert.

use serde::{Deserialize, Serialize};

/// One thing every library is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "case", content = "rows", rename_all = "snake_case")]
pub enum Case {
    /// `SELECT id, name, hair_color FROM users` over a table of this many users
    /// (all with hair_color NULL).
    TrivialQuery(usize),
    /// Users LEFT JOIN posts WHERE users.hair_color = 'black', over this many
    /// users alternating black/brown (even index black) and no posts, as
    /// diesel_bench seeds it: half the users come back, each with no post.
    MediumComplexQuery(usize),
    /// One INSERT of this many users (name `User {i}`, hair_color
    /// `hair_color`). The table is emptied after every batch, untimed.
    Insert(usize),
    /// 100 users, 10 posts each, 10 comments per post: load all users, their
    /// posts, the posts' comments, and stitch them into users -> posts ->
    /// comments (three statements in the hand-written versions).
    Associations,
}

/// Users in [`Case::Associations`].
pub const ASSOCIATION_USERS: usize = 100;
/// Posts per user and comments per post in [`Case::Associations`].
pub const ASSOCIATION_FANOUT: usize = 10;

impl Case {
    /// Every case, in the order they run and are reported.
    pub const ALL: [Case; 8] = [
        Case::TrivialQuery(1),
        Case::TrivialQuery(10_000),
        Case::MediumComplexQuery(1),
        Case::MediumComplexQuery(10_000),
        Case::Insert(1),
        Case::Insert(100),
        Case::Insert(1_000),
        Case::Associations,
    ];

    /// A stable name, e.g. `trivial_query/10000`: the key in records, filters
    /// and the report.
    pub fn name(self) -> String {
        match self {
            Case::TrivialQuery(n) => format!("trivial_query/{n}"),
            Case::MediumComplexQuery(n) => format!("medium_complex_query/{n}"),
            Case::Insert(n) => format!("insert/{n}"),
            Case::Associations => "associations".into(),
        }
    }

    /// The name of a user seeded (or inserted) at `index`.
    pub fn user_name(index: usize) -> String {
        format!("User {index}")
    }

    /// The hair colour of the user at `index`, as this case seeds or inserts it.
    pub fn hair_color(self, index: usize) -> Option<String> {
        match self {
            Case::TrivialQuery(_) => None,
            Case::Insert(_) => Some("hair_color".into()),
            Case::MediumComplexQuery(_) | Case::Associations => Some(
                if index.is_multiple_of(2) {
                    "black"
                } else {
                    "brown"
                }
                .into(),
            ),
        }
    }

    /// Title of post `i` (0..10) of the user with id `user_id`.
    pub fn post_title(i: usize, user_id: i64) -> String {
        format!("Post {i} by user {user_id}")
    }

    /// Text of comment `i` (0..10) on the post with id `post_id`.
    pub fn comment_text(i: usize, post_id: i64) -> String {
        format!("Comment {i} on post {post_id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip_through_json() {
        let names: std::collections::HashSet<_> = Case::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), Case::ALL.len());
        for case in Case::ALL {
            let json = serde_json::to_string(&case).unwrap();
            assert_eq!(serde_json::from_str::<Case>(&json).unwrap(), case);
        }
    }
}
