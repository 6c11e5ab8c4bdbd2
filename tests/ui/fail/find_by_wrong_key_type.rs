use strata::Model;

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(unique)]
    pub email: String,
}

fn main() {
    let _ = User::find_by_email(42);
}
