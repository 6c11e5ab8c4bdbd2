use strata::Model;

#[derive(Model)]
#[strata(id(fields(user_id, tag)))]
pub struct Tagging {
    #[strata(id)]
    pub user_id: i64,
    pub tag: String,
}

fn main() {}
