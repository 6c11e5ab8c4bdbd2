use strata::Model;

#[derive(Model)]
pub struct Wrapper<T> {
    #[strata(id)]
    pub id: i64,
    pub value: T,
}

fn main() {}
