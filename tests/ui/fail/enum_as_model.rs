use strata::Model;

#[derive(Model)]
pub enum Status {
    Draft,
    Published,
}

fn main() {}
