#[derive(strata::Enum)]
pub enum Role {
    User,
    Admin,
}

fn main() {}
