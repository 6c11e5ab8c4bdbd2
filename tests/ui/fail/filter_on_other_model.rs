use strata::Model;

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub email: String,
}

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub title: String,
}

fn main() {
    let _ = Post::find_many().filter(User::email().eq("x"));
}
