#[derive(strata::FromRow)]
enum NotARow {
    A,
}

#[derive(strata::FromRow)]
struct Unknown {
    #[strata(rename = "x")]
    field: i64,
}

fn main() {}
