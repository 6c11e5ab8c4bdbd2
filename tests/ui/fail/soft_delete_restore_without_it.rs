use strata::{Db, Model};

#[derive(Model)]
pub struct Plain {
    #[strata(id, default = autoincrement)]
    pub id: i64,
}

async fn undo(db: &Db) {
    // Plain has no `#[strata(soft_delete = ..)]`: there is nothing to restore.
    let _ = Plain::restore(Plain::by_id(1)).exec(db).await;
}

fn main() {}
