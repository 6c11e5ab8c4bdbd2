//! Every generated item of a model used once, so a change in the runtime API
//! or the derive that breaks generated code shows up here.

use strata::{Db, Model};

#[derive(strata::Enum, Clone, Copy, Debug, PartialEq)]
#[strata(name = "user_role")]
pub enum Role {
    #[strata(rename = "USER")]
    User,
    #[strata(rename = "ADMIN")]
    Admin,
}

#[derive(Model, Debug)]
#[strata(table = "teams")]
pub struct Team {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub name: String,
}

#[derive(Model, Debug)]
#[strata(
    table = "users",
    unique(fields(first_name, last_name)),
    index(fields(team_id, created_at))
)]
pub struct User {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(unique)]
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    #[strata(column = "display_name", db_type = "varchar(255)")]
    pub nickname: Option<String>,
    #[strata(default = 0)]
    pub score: i32,
    #[strata(default = "USER")]
    pub role: Role,
    #[strata(references(model = Team, field = id), on_delete = set_null)]
    pub team_id: Option<i64>,
    #[strata(default = now)]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[strata(updated_at)]
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Model, Debug)]
#[strata(id(fields(user_id, tag)))]
pub struct Tagging {
    #[strata(references(model = User, field = id), on_delete = cascade)]
    pub user_id: i64,
    pub tag: String,
    #[strata(references(model = Self, field = user_id))]
    pub parent: Option<i64>,
}

async fn use_everything(db: &Db) -> strata::Result<()> {
    let team = Team::create().name("core").exec(db).await?;
    let user: User = User::create()
        .email("ann@example.com")
        .first_name("Ann")
        .last_name("Lee")
        .nickname("ann")
        .role(Role::Admin)
        .team_id(team.id)
        .exec(db)
        .await?;
    let _: Option<User> = User::find_by_email("ann@example.com").exec(db).await?;
    let _: Option<User> = User::find_unique(User::by_first_name_last_name("Ann", "Lee"))
        .exec(db)
        .await?;
    let _: Vec<User> = User::find_many()
        .filter(User::email().eq("x").and(User::score().gt(3)))
        .exec(db)
        .await?;
    let _: Option<User> = User::find_first().exec(db).await?;
    let _: u64 = User::count().exec(db).await?;
    let _: bool = User::exists().exec(db).await?;
    let _: User = User::update(User::by_id(user.id))
        .score(strata::increment(1))
        .nickname(None::<String>)
        .exec(db)
        .await?;
    let _: u64 = User::update_many(User::team_id().eq(team.id))
        .role(Role::User)
        .exec(db)
        .await?;
    let _: User = User::upsert(
        User::by_email("bob@example.com"),
        User::create()
            .email("bob@example.com")
            .first_name("Bob")
            .last_name("Ray"),
        User::changes().score(1),
    )
    .exec(db)
    .await?;
    let _: u64 = User::create_many(vec![
        User::create()
            .email("c@example.com")
            .first_name("C")
            .last_name("D"),
        User::create()
            .email("e@example.com")
            .first_name("E")
            .last_name("F"),
    ])
    .exec(db)
    .await?;
    let _: Tagging = Tagging::create().user_id(user.id).tag("x").exec(db).await?;
    let _: User = User::delete(User::by_id(user.id)).exec(db).await?;
    let _: u64 = User::delete_many().exec(db).await?;
    Ok(())
}

fn main() {
    assert_eq!(User::SCHEMA.table, "users");
    assert_eq!(User::SCHEMA.uniques.len(), 2);
    assert_eq!(Tagging::SCHEMA.table, "tagging");
    assert_eq!(Tagging::SCHEMA.primary_key.columns, &[0, 1]);
    let _ = use_everything;
}
