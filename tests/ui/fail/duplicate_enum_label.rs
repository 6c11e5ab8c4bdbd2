#[derive(strata::Enum, Clone, Copy)]
pub enum Role {
    #[strata(rename = "admin")]
    Admin,
    #[strata(rename = "admin")]
    Owner,
}

fn main() {}
