use strata::Model;

#[derive(Model)]
pub struct UserId(i64);

fn main() {}
