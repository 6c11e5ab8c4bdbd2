use strata::Model;

#[derive(Model)]
pub struct Tagging {
    #[strata(id)]
    pub user_id: i64,
    #[strata(id)]
    pub tag: String,
}

fn main() {}
