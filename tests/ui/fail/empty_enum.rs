#[derive(strata::Enum, Clone, Copy)]
pub enum Never {}

fn main() {}
