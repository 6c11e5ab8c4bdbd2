use strata::{Db, Model};

#[derive(Model)]
pub struct Item {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub name: String,
    #[strata(version)]
    pub version: i64,
}

async fn rewind(db: &Db) {
    // strata bumps the version on every update; it has no setter.
    let _ = Item::update(Item::by_id(1)).version(0).exec(db).await;
}

fn main() {}
