//! A tenant-scoped model's create builder does not require the tenant
//! column (strata fills it from `strata::tenant::scope`), in a plain
//! create, a nested create and `create_many`; it may still be set.

use strata::{BelongsTo, HasMany, Model};

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(tenant = tenant_id, row_level_security)]
pub struct Project {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    #[strata(has_many)]
    pub tasks: HasMany<Task>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(tenant = org)]
pub struct Task {
    #[strata(id, default = uuid)]
    pub id: uuid::Uuid,
    pub org: String,
    pub title: String,
    pub project_id: i64,
    #[strata(belongs_to(fields(project_id), references(id)), on_delete = cascade)]
    pub project: BelongsTo<Project>,
}

#[allow(dead_code)]
async fn writes(db: &strata::Db) -> strata::Result<()> {
    Project::create().name("a").exec(db).await?;
    Project::create().name("b").tenant_id(7).exec(db).await?;
    Project::create_many([Project::create().name("c"), Project::create().name("d")])
        .exec(db)
        .await?;
    Task::create()
        .title("t")
        .project(Task::project().create(Project::create().name("e")))
        .exec(db)
        .await?;
    Project::upsert(
        Project::by_id(1),
        Project::create().name("f"),
        Project::changes().name("g"),
    )
    .exec(db)
    .await?;
    Ok(())
}

fn main() {
    let schema = <Project as strata::Model>::SCHEMA;
    let tenant = schema.tenant.expect("Project is tenant-scoped");
    assert_eq!(schema.columns[tenant.column].name, "tenant_id");
    assert!(tenant.row_level_security);
    let task = <Task as strata::Model>::SCHEMA
        .tenant
        .expect("Task is tenant-scoped");
    assert!(!task.row_level_security);
}
