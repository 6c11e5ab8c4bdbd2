use strata::Model;

#[derive(Model)]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(updated_at, default = now)]
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn main() {}
