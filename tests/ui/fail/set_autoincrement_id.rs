use strata::Model;

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub email: String,
}

fn main() {
    let _ = User::create().id(7).email("ann@example.com");
}
