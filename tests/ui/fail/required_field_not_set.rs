use strata::{Db, Model};

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub email: String,
    pub name: String,
    pub bio: Option<String>,
}

async fn sign_up(db: &Db) -> strata::Result<User> {
    User::create().name("Ann").exec(db).await
}

fn main() {
    let _ = sign_up;
}
