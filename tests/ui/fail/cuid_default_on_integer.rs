use strata::Model;

#[derive(Model)]
pub struct Invite {
    #[strata(id, default = cuid)]
    pub id: i64,
}

fn main() {}
