//! Each library returns its own row types; converted into these (untimed,
//! outside the measured loop), every library's answer to a case must be equal
//! before the case is timed.

/// `users(id, name, hair_color)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub hair_color: Option<String>,
}

/// `posts(id, user_id, title, body)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PostRow {
    pub id: i64,
    pub user_id: i64,
    pub title: String,
    pub body: Option<String>,
}

/// `comments(id, post_id, text)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CommentRow {
    pub id: i64,
    pub post_id: i64,
    pub text: String,
}

/// A user with its posts, each with its comments: one row of
/// [`crate::case::Case::Associations`].
pub type UserTree = (UserRow, Vec<(PostRow, Vec<CommentRow>)>);

/// A library's answer to one case, normalized and sorted by id at every
/// level, so that answers compare equal whatever order rows arrived in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// [`crate::case::Case::TrivialQuery`].
    Users(Vec<UserRow>),
    /// [`crate::case::Case::MediumComplexQuery`].
    UsersWithPost(Vec<(UserRow, Option<PostRow>)>),
    /// [`crate::case::Case::Insert`]: the rows the library reported inserting.
    /// (The runner also reads the table back and compares its contents.)
    Inserted(u64),
    /// [`crate::case::Case::Associations`].
    UsersPostsComments(Vec<UserTree>),
}

impl Output {
    pub fn users<U: Into<UserRow>>(rows: impl IntoIterator<Item = U>) -> Output {
        let mut rows: Vec<UserRow> = rows.into_iter().map(Into::into).collect();
        rows.sort();
        Output::Users(rows)
    }

    pub fn users_with_post<U: Into<UserRow>, P: Into<PostRow>>(
        rows: impl IntoIterator<Item = (U, Option<P>)>,
    ) -> Output {
        let mut rows: Vec<_> = rows
            .into_iter()
            .map(|(u, p)| (u.into(), p.map(Into::into)))
            .collect();
        rows.sort();
        Output::UsersWithPost(rows)
    }

    pub fn users_posts_comments<U, P, C, PS, CS>(rows: impl IntoIterator<Item = (U, PS)>) -> Output
    where
        U: Into<UserRow>,
        P: Into<PostRow>,
        C: Into<CommentRow>,
        PS: IntoIterator<Item = (P, CS)>,
        CS: IntoIterator<Item = C>,
    {
        let mut rows: Vec<_> = rows
            .into_iter()
            .map(|(u, posts)| {
                let mut posts: Vec<_> = posts
                    .into_iter()
                    .map(|(p, comments)| {
                        let mut comments: Vec<CommentRow> =
                            comments.into_iter().map(Into::into).collect();
                        comments.sort();
                        (p.into(), comments)
                    })
                    .collect();
                posts.sort();
                (u.into(), posts)
            })
            .collect();
        rows.sort();
        Output::UsersPostsComments(rows)
    }

    /// Rows at the top level: what a reader checks a case returned.
    pub fn len(&self) -> usize {
        match self {
            Output::Users(r) => r.len(),
            Output::UsersWithPost(r) => r.len(),
            Output::Inserted(n) => *n as usize,
            Output::UsersPostsComments(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Tuples convert too, for libraries that decode into them.
impl<I: Into<i64>> From<(I, String, Option<String>)> for UserRow {
    fn from((id, name, hair_color): (I, String, Option<String>)) -> Self {
        UserRow {
            id: id.into(),
            name,
            hair_color,
        }
    }
}

impl<I: Into<i64>> From<(I, I, String, Option<String>)> for PostRow {
    fn from((id, user_id, title, body): (I, I, String, Option<String>)) -> Self {
        PostRow {
            id: id.into(),
            user_id: user_id.into(),
            title,
            body,
        }
    }
}

impl<I: Into<i64>> From<(I, I, String)> for CommentRow {
    fn from((id, post_id, text): (I, I, String)) -> Self {
        CommentRow {
            id: id.into(),
            post_id: post_id.into(),
            text,
        }
    }
}
