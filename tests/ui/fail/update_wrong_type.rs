use strata::Model;

#[derive(Model)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub age: i32,
}

fn main() {
    let _ = User::update(User::by_id(1)).age("forty");
}
