use strata::Model;

#[derive(Model)]
pub struct User {
    #[strata(id)]
    pub id: i64,
    #[strata(colum = "email_address")]
    pub email: String,
}

fn main() {}
