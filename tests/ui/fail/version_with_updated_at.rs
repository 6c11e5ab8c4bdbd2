use strata::Model;

#[derive(Model)]
pub struct Item {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(version, updated_at)]
    pub changed: chrono::DateTime<chrono::Utc>,
}

fn main() {}
