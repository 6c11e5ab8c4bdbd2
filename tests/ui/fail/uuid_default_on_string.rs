use strata::Model;

#[derive(Model)]
pub struct Session {
    #[strata(id, default = uuid)]
    pub id: String,
}

fn main() {}
