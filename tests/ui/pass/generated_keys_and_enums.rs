//! Generated keys (uuid, cuid), a model with no required field (its create
//! builder has no type parameters), enums in plain and `Option` fields, a raw
//! identifier field and a self-reference through `Self`.

use strata::{Db, Model};

#[derive(strata::Enum, Clone, Copy, Debug, PartialEq)]
pub enum Status {
    Draft,
    #[strata(rename = "live")]
    Published,
}

#[derive(Model, Debug)]
pub struct Session {
    #[strata(id, default = uuid)]
    pub id: uuid::Uuid,
    #[strata(unique, default = cuid)]
    pub token: String,
    pub status: Option<Status>,
    #[strata(default = now)]
    pub started_at: chrono::NaiveDateTime,
    #[strata(updated_at)]
    pub touched_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Model, Debug)]
#[strata(table = "categories")]
pub struct Category {
    #[strata(id, default = autoincrement)]
    pub id: i32,
    pub r#type: String,
    #[strata(default = "draft")]
    pub status: Status,
    #[strata(references(model = Self, field = id), on_delete = cascade, on_update = restrict)]
    pub parent_id: Option<i32>,
    #[strata(index, default(sql = "0"))]
    pub position: i16,
}

async fn run(db: &Db) -> strata::Result<()> {
    // Every Session field is optional or generated: `create()` can run as is.
    let session = Session::create().exec(db).await?;
    let _: Option<Session> = Session::find_by_token(session.token.as_str())
        .exec(db)
        .await?;
    let _: Session = Session::update(Session::by_id(session.id))
        .status(Status::Published)
        .exec(db)
        .await?;
    let root = Category::create().r#type("root").exec(db).await?;
    let _ = Category::create()
        .r#type("leaf")
        .parent_id(root.id)
        .status(Status::Draft)
        .exec(db)
        .await?;
    let _: Vec<Category> = Category::find_many()
        .filter(Category::r#type().starts_with("l"))
        .exec(db)
        .await?;
    Ok(())
}

fn main() {
    assert_eq!(Category::SCHEMA.table, "categories");
    assert_eq!(Session::SCHEMA.table, "session");
    let _ = run;
}
