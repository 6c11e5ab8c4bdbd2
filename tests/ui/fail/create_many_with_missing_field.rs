use strata::{Db, Model};

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub email: String,
}

async fn import(db: &Db) -> strata::Result<u64> {
    User::create_many(vec![User::create()]).exec(db).await
}

fn main() {
    let _ = import;
}
