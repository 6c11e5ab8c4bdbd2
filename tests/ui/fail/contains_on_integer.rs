use strata::Model;

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
}

fn main() {
    let _ = User::id().contains("1");
}
