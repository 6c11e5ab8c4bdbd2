use strata::Model;

#[derive(Model)]
#[strata(index(fields(published, published_at), desc))]
pub struct Post {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub published: bool,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn main() {}
