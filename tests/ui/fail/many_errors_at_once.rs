// Every mistake in a model is reported in one build.
use strata::Model;

#[derive(Model)]
#[strata(index(fields(titel)))]
pub struct Post {
    #[strata(default = autoincrement)]
    pub slug: String,
    pub title: String,
    #[strata(default = now)]
    pub views: i32,
    #[strata(on_delete = cascade)]
    pub author_id: i64,
}

fn main() {}
