//! The multi-tenant SaaS schema (`schema_examples::saas`) at work: two
//! tenants, each writing and reading inside `strata::tenant::scope`, and
//! what happens when code forgets the scope, names another tenant, or
//! points at another tenant's rows. Each claim is checked and printed as
//! `ok` or `FAIL`; the process fails if any check does.
//!
//!     cargo run -p schema-examples --bin saas_demo
//!     DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo run -p schema-examples --bin saas_demo
//!     DATABASE_URL=mysql://root@127.0.0.1:3306/strata_saas cargo run -p schema-examples --bin saas_demo  # an existing database
//!
//! SQLite (a temp file, the default) and MySQL/MariaDB use
//! `Tenancy::Column`: strata adds `tenant_id = <scope>` to every statement.
//! On PostgreSQL the tables also get row-level security policies, and the
//! demo connects twice: as `DATABASE_URL`'s role (admin: creates the schema,
//! counts across tenants) and as an application role it creates
//! (`strata_saas_demo_app`: no superuser, no BYPASSRLS, DML only), whose
//! `Db` uses `Tenancy::RowLevelSecurity`. Set `SAAS_APP_DATABASE_URL` to
//! connect as an application role of your own instead. Set `RUST_LOG` to
//! `strata::query=debug` to see every statement with its tenant condition.

use schema_examples::saas::{Project, SaasSchema, Task, Tenant, User};
use strata::tenant::{self, Tenancy};
use strata::{sql, Db, Error};

/// The application role the demo creates on PostgreSQL.
const APP_ROLE: &str = "strata_saas_demo_app";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "off".into()))
        .with_target(false)
        .without_time()
        .compact()
        .init();

    let url = match std::env::var("DATABASE_URL") {
        Ok(url) => url,
        Err(_) => {
            let path = std::env::temp_dir().join("strata-saas-demo.db");
            let _ = std::fs::remove_file(&path);
            format!("sqlite://{}", path.display())
        }
    };
    let postgres = url.starts_with("postgres");
    // `row_level_security` models are refused by a PostgreSQL `Db` in
    // Column mode: there the database enforces the tenant as well.
    let tenancy = if postgres {
        Tenancy::RowLevelSecurity
    } else {
        Tenancy::Column
    };
    let admin = Db::builder()
        .url(&url)
        .tenancy(tenancy.clone())
        .connect()
        .await?;
    step(&format!(
        "connected to {:?} with {tenancy:?}; creating the SaaS schema",
        admin.dialect()
    ));
    admin.reset_schema::<SaasSchema>().await?;
    let app = if postgres {
        app_db(&admin, &url).await?
    } else {
        admin.clone()
    };

    let mut checks = Checks::default();
    let outcome = run(&admin, &app, &mut checks).await;
    app.close().await;
    if postgres && std::env::var("SAAS_APP_DATABASE_URL").is_err() {
        drop_app_role(&admin).await?;
    }
    admin.close().await;
    outcome?;
    checks.finish()
}

/// The tour; `admin` sees every tenant, `app` is what a request handler uses.
async fn run(admin: &Db, app: &Db, checks: &mut Checks) -> Result<(), Box<dyn std::error::Error>> {
    step("two tenants (the tenant table itself is not tenant-scoped: no scope needed)");
    let acme = Tenant::create()
        .slug("acme")
        .name("Acme Corp")
        .exec(app)
        .await?;
    let globex = Tenant::create()
        .slug("globex")
        .name("Globex")
        .exec(app)
        .await?;
    println!(
        "  -> {} #{}, {} #{}",
        acme.slug, acme.id, globex.slug, globex.id
    );

    step("inside each tenant's scope: users, projects, tasks; no create names tenant_id");
    let acme_seed = tenant::scope(acme.id, seed(app, "acme", &["Ann", "Bob"])).await?;
    let globex_seed = tenant::scope(globex.id, seed(app, "globex", &["Gil"])).await?;
    for (tenant, seed) in [(&acme, &acme_seed), (&globex, &globex_seed)] {
        println!(
            "  -> {}: users {:?}, project {:?} (tenant_id {})",
            tenant.slug,
            seed.users.iter().map(|u| &u.name).collect::<Vec<_>>(),
            seed.project.name,
            seed.project.tenant_id
        );
        checks.check(
            &format!(
                "{}'s rows were written with tenant_id {}",
                tenant.slug, tenant.id
            ),
            seed.users.iter().all(|u| u.tenant_id == tenant.id)
                && seed.project.tenant_id == tenant.id,
        );
    }

    step("find_many in acme's scope: only acme's rows");
    let (projects, tasks, users) = tenant::scope(acme.id, async {
        let projects = Project::find_many()
            .order_by(Project::id().asc())
            .exec(app)
            .await?;
        let tasks = Task::find_many().exec(app).await?;
        let users = User::find_many().exec(app).await?;
        Ok::<_, Error>((projects, tasks, users))
    })
    .await?;
    println!(
        "  -> projects {:?}",
        projects.iter().map(|p| &p.name).collect::<Vec<_>>()
    );
    checks.check(
        &format!(
            "acme sees {} projects, {} tasks, {} users, none of globex's",
            projects.len(),
            tasks.len(),
            users.len()
        ),
        projects.iter().all(|p| p.tenant_id == acme.id)
            && tasks.iter().all(|t| t.tenant_id == acme.id)
            && users.iter().all(|u| u.tenant_id == acme.id)
            && users.len() == acme_seed.users.len(),
    );

    step("include: acme's users, their projects, each project's tasks and assignee");
    let owners = tenant::scope(acme.id, async {
        User::find_many()
            .order_by(User::id().asc())
            .with_count(User::assigned())
            .include(User::projects().include(Project::tasks().include(Task::assignee())))
            .exec(app)
            .await
    })
    .await?;
    let mut included_tenants = Vec::new();
    for user in &owners {
        println!(
            "  -> {} ({} task(s) assigned) owns:",
            user.name,
            user.assigned.count().unwrap_or(0)
        );
        for project in user.projects.loaded()? {
            included_tenants.push(project.tenant_id);
            println!("     {:?}", project.name);
            for task in project.tasks.loaded()? {
                included_tenants.push(task.tenant_id);
                let assignee = task.assignee.loaded()?.as_ref().map(|u| u.name.as_str());
                println!("       {:?} assignee={assignee:?}", task.title);
            }
        }
    }
    checks.check(
        "every included row is acme's",
        !included_tenants.is_empty() && included_tenants.iter().all(|t| *t == acme.id),
    );

    step("acme asks for globex's project by its id, counts and updates across the board");
    let (stolen, open, renamed) = tenant::scope(acme.id, async {
        let stolen = Project::find_unique(Project::by_id(globex_seed.project.id))
            .exec(app)
            .await?;
        let open = Project::count()
            .filter(Project::tasks().some(Task::done().eq(false)))
            .exec(app)
            .await?;
        let renamed = Task::update_many(Task::done().eq(false))
            .done(true)
            .exec(app)
            .await?;
        Ok::<_, Error>((stolen, open, renamed))
    })
    .await?;
    checks.check(
        "globex's project is not found from acme's scope",
        stolen.is_none(),
    );
    checks.check(
        &format!("a relation-filtered count sees acme's projects only ({open})"),
        open == 2,
    );
    checks.check(
        &format!("update_many touched acme's open tasks only ({renamed})"),
        renamed == acme_seed.tasks,
    );
    let globex_open = tenant::scope(globex.id, async {
        Task::count().filter(Task::done().eq(false)).exec(app).await
    })
    .await?;
    checks.check(
        &format!("globex's {globex_open} open tasks are untouched"),
        globex_open == globex_seed.tasks,
    );

    step("a query with no scope at all");
    match Project::find_many().exec(app).await {
        Err(Error::MissingTenant { model }) => {
            println!("  -> MissingTenant {{ model: {model:?} }}");
            checks.check("refused before reaching the database", true);
        }
        other => checks.check(&format!("expected MissingTenant, got {other:?}"), false),
    }

    step("acme creates a project naming globex as its tenant");
    let attempt = tenant::scope(acme.id, async {
        Project::create()
            .tenant_id(globex.id)
            .name("Hostile takeover")
            .owner_id(acme_seed.users[0].id)
            .exec(app)
            .await
    })
    .await;
    match attempt {
        Err(Error::TenantMismatch {
            model,
            field,
            scope,
            written,
        }) => {
            println!("  -> TenantMismatch {model}.{field}: scope {scope}, written {written}");
            checks.check("refused", true);
        }
        other => checks.check(&format!("expected TenantMismatch, got {other:?}"), false),
    }

    step("acme adds a task to globex's project by its id (the foreign key includes tenant_id)");
    let attempt = tenant::scope(acme.id, async {
        Task::create()
            .title("Sneak in")
            .project_id(globex_seed.project.id)
            .exec(app)
            .await
    })
    .await;
    match attempt {
        Err(Error::ForeignKeyViolation { constraint, .. }) => {
            println!("  -> ForeignKeyViolation {constraint:?}");
            checks.check("the database refuses it", true);
        }
        other => checks.check(
            &format!("expected ForeignKeyViolation, got {other:?}"),
            false,
        ),
    }

    step("raw SQL in acme's scope (strata does not filter sql!)");
    let raw = tenant::scope(acme.id, async {
        sql!("SELECT COUNT(*) FROM {Project}")
            .fetch_scalar::<i64>(app)
            .await
    })
    .await?;
    if app.tenancy() == &Tenancy::RowLevelSecurity {
        checks.check(
            &format!("PostgreSQL's policy shows the app role acme's {raw} projects only"),
            raw == 2,
        );
    } else {
        println!("  -> {raw} projects: every tenant's (Column mode leaves raw SQL to you)");
    }

    step("admin work across tenants: tenant::unscoped, on the admin connection");
    let (all_projects, all_tasks) = tenant::unscoped(async {
        let projects = Project::count().exec(admin).await?;
        let tasks = Task::count().exec(admin).await?;
        Ok::<_, Error>((projects, tasks))
    })
    .await?;
    checks.check(
        &format!("{all_projects} projects and {all_tasks} tasks in all, nothing extra written"),
        all_projects == 3 && all_tasks == acme_seed.tasks + globex_seed.tasks,
    );
    Ok(())
}

/// What `seed` wrote for one tenant.
struct Seed {
    users: Vec<User>,
    /// The first project, owned by the first user.
    project: Project,
    tasks: u64,
}

/// One tenant's users, projects and tasks, run inside its scope: plain
/// creates, a nested create and a `create_many`, none naming `tenant_id`.
async fn seed(db: &Db, slug: &str, names: &[&str]) -> Result<Seed, Error> {
    let mut users = Vec::new();
    for name in names {
        let user = User::create()
            .email(format!("{}@{slug}.test", name.to_lowercase()))
            .name(*name)
            .exec(db)
            .await?;
        users.push(user);
    }
    let owner = users[0].id;
    let assignee = users.last().map(|u| u.id);
    let project = Project::create()
        .name(format!("{slug} launch"))
        .owner_id(owner)
        .exec(db)
        .await?;
    let mut tasks = Task::create_many([
        Task::create()
            .title("Plan")
            .project_id(project.id)
            .assignee_id(assignee),
        Task::create().title("Build").project_id(project.id),
    ])
    .exec(db)
    .await?;
    if names.len() > 1 {
        // A second project, created through the task that needs it.
        Task::create()
            .title("Kick-off")
            .project(
                Task::project().create(
                    Project::create()
                        .name(format!("{slug} internal"))
                        .owner_id(owner),
                ),
            )
            .exec(db)
            .await?;
        tasks += 1;
    }
    Ok(Seed {
        users,
        project,
        tasks,
    })
}

/// The application's `Db` on PostgreSQL: `SAAS_APP_DATABASE_URL`, or a role
/// created here that can log in without a password (trust auth, as on a
/// development machine), is no superuser, has no BYPASSRLS and may only
/// read and write the rows of these tables.
async fn app_db(admin: &Db, url: &str) -> Result<Db, Box<dyn std::error::Error>> {
    let app_url = match std::env::var("SAAS_APP_DATABASE_URL") {
        Ok(app_url) => app_url,
        Err(_) => {
            tenant::unscoped(sql!(
                "DO $body$ BEGIN
                   IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'strata_saas_demo_app') THEN
                     CREATE ROLE strata_saas_demo_app LOGIN NOSUPERUSER NOBYPASSRLS;
                   END IF;
                   EXECUTE format('GRANT USAGE ON SCHEMA %I TO strata_saas_demo_app', current_schema());
                   EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO strata_saas_demo_app', current_schema());
                 END $body$"
            )
            .execute(admin))
            .await?;
            tenant::unscoped(
                sql!("GRANT SELECT, INSERT, UPDATE, DELETE ON {Tenant}, {User}, {Project}, {Task} TO strata_saas_demo_app")
                    .execute(admin),
            )
            .await?;
            with_user(url, APP_ROLE)
        }
    };
    let app = Db::builder()
        .url(&app_url)
        .tenancy(Tenancy::RowLevelSecurity)
        .connect()
        .await?;
    println!("  -> the application connects as {APP_ROLE:?} (no superuser, no BYPASSRLS)");
    Ok(app)
}

/// Drops the role `app_db` created, with the privileges it holds here.
async fn drop_app_role(admin: &Db) -> Result<(), Error> {
    tenant::unscoped(async {
        sql!("DROP OWNED BY strata_saas_demo_app")
            .execute(admin)
            .await?;
        sql!("DROP ROLE strata_saas_demo_app").execute(admin).await
    })
    .await?;
    Ok(())
}

/// `url` with its user (and password) replaced by `user`.
fn with_user(url: &str, user: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let host = rest.split_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{user}@{host}")
}

#[derive(Default)]
struct Checks {
    failed: Vec<String>,
    passed: usize,
}

impl Checks {
    fn check(&mut self, what: &str, ok: bool) {
        println!("  {} {what}", if ok { "ok  " } else { "FAIL" });
        if ok {
            self.passed += 1;
        } else {
            self.failed.push(what.to_owned());
        }
    }

    fn finish(self) -> Result<(), Box<dyn std::error::Error>> {
        step(&format!(
            "{} checks passed, {} failed",
            self.passed,
            self.failed.len()
        ));
        if self.failed.is_empty() {
            Ok(())
        } else {
            Err(format!("tenant isolation checks failed: {:?}", self.failed).into())
        }
    }
}

fn step(text: &str) {
    println!("\n== {text}");
}
