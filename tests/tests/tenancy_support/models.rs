//! The isolation tests' models, declared by a macro so that the same models
//! exist twice: tenant-scoped (`tenant_models!()`, Column and schema mode)
//! and with PostgreSQL row-level security as well
//! (`tenant_models!(, row_level_security)`, RLS mode). The scenarios are
//! written once and compiled against each set.
//!
//! A team has projects (soft-deleted), a project has tasks and tags (many
//! to many through `ProjectTag`, itself tenant-scoped); a team's `code` is
//! unique across tenants (the upsert key). `Region` is shared, not
//! tenant-scoped: a root from which queries reach tenant tables.

macro_rules! tenant_models {
    ($($rls:tt)*) => {
        use chrono::{DateTime, Utc};
        use strata::{BelongsTo, HasMany, ManyToMany, Model};
        use uuid::Uuid;

        #[derive(Model, Debug, Clone, PartialEq)]
        #[strata(table = "tn_regions")]
        pub struct Region {
            #[strata(id, default = autoincrement)]
            pub id: i64,
            pub name: String,
            #[strata(has_many)]
            pub teams: HasMany<Team>,
        }

        #[derive(Model, Debug, Clone, PartialEq)]
        #[strata(table = "tn_teams", tenant = tenant_id $($rls)*)]
        pub struct Team {
            #[strata(id, default = uuid)]
            pub id: Uuid,
            pub tenant_id: i64,
            pub name: String,
            #[strata(unique)]
            pub code: String,
            pub region_id: Option<i64>,
            #[strata(belongs_to(fields(region_id), references(id)), on_delete = set_null)]
            pub region: BelongsTo<Option<Region>>,
            #[strata(has_many)]
            pub projects: HasMany<Project>,
        }

        #[derive(Model, Debug, Clone, PartialEq)]
        #[strata(table = "tn_projects", soft_delete = deleted_at, tenant = tenant_id $($rls)*)]
        pub struct Project {
            #[strata(id, default = uuid)]
            pub id: Uuid,
            pub tenant_id: i64,
            pub team_id: Uuid,
            pub name: String,
            #[strata(default = 0)]
            pub points: i64,
            pub deleted_at: Option<DateTime<Utc>>,
            #[strata(belongs_to(fields(team_id), references(id)), on_delete = cascade)]
            pub team: BelongsTo<Team>,
            #[strata(has_many)]
            pub tasks: HasMany<Task>,
            #[strata(many_to_many(through = ProjectTag))]
            pub tags: ManyToMany<Tag>,
        }

        #[derive(Model, Debug, Clone, PartialEq)]
        #[strata(table = "tn_tasks", tenant = tenant_id $($rls)*)]
        pub struct Task {
            #[strata(id, default = uuid)]
            pub id: Uuid,
            pub tenant_id: i64,
            pub project_id: Uuid,
            pub title: String,
            #[strata(default = false)]
            pub done: bool,
            #[strata(belongs_to(fields(project_id), references(id)), on_delete = cascade)]
            pub project: BelongsTo<Project>,
        }

        #[derive(Model, Debug, Clone, PartialEq)]
        #[strata(table = "tn_tags", tenant = tenant_id $($rls)*)]
        pub struct Tag {
            #[strata(id, default = uuid)]
            pub id: Uuid,
            pub tenant_id: i64,
            pub name: String,
            #[strata(many_to_many(through = ProjectTag))]
            pub projects: ManyToMany<Project>,
        }

        #[derive(Model, Debug, Clone, PartialEq)]
        #[strata(table = "tn_project_tags", id(fields(project_id, tag_id)), tenant = tenant_id $($rls)*)]
        pub struct ProjectTag {
            pub project_id: Uuid,
            pub tag_id: Uuid,
            pub tenant_id: i64,
            #[strata(belongs_to(fields(project_id), references(id)), on_delete = cascade)]
            pub project: BelongsTo<Project>,
            #[strata(belongs_to(fields(tag_id), references(id)), on_delete = cascade)]
            pub tag: BelongsTo<Tag>,
        }

        /// Every model, in an order `push_schema` accepts.
        pub type Schema = (Region, Team, Project, Task, Tag, ProjectTag);
    };
}
