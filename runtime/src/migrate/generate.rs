//! `generate`: the models against the last migration's recorded schema, into
//! new migration folders; and `diff_database`: the models against a live
//! database, as changes and SQL, written nowhere.
//!
//! ```no_run
//! # fn run(models: &[&'static strata::schema::ModelSchema]) -> strata::Result<()> {
//! use strata::migrate::diff::{DiffOptions, Rename};
//! use strata::migrate::files::MigrationsDir;
//! use strata::migrate::generate::generate;
//! use strata::Dialect;
//!
//! let options = DiffOptions {
//!     renames: vec!["users.name=full_name".parse()?],
//!     allow_data_loss: false,
//! };
//! let written = generate(models, Dialect::Postgres, &MigrationsDir::new("migrations"), "rename_name", &options)?;
//! if written.is_empty() {
//!     println!("no changes");
//! }
//! # Ok(()) }
//! ```

use super::ddl::{self, PlannedMigration};
use super::diff::{self, Change, DiffOptions};
use super::files::{Migration, MigrationsDir, NewMigration};
use super::{from_models, introspect};
use crate::error::Result;
use crate::render::Dialect;
use crate::schema::ModelSchema;
use crate::Db;

/// Writes the migration folders that take the schema recorded by the newest
/// migration (none: an empty database) to what `models` declare on
/// `dialect`, named `{timestamp}_{slug}` (PostgreSQL may add
/// `{slug}_prepare` before and `{slug}_indexes` after: see
/// [`ddl::plan`]). The last one records the target schema. Nothing to do:
/// no folder, and an empty list.
pub fn generate(
    models: &[&'static ModelSchema],
    dialect: Dialect,
    dir: &MigrationsDir,
    slug: &str,
    options: &DiffOptions,
) -> Result<Vec<Migration>> {
    if let Some(recorded) = dir.dialect()? {
        if recorded != dialect {
            // ensure_dialect says which dialect the folder is for.
            dir.ensure_dialect(dialect)?;
        }
    }
    let previous = dir.latest_schema()?.unwrap_or_default();
    let target = from_models::db_schema(models, dialect)?;
    let changes = diff::diff(&previous, &target, dialect, options)?;
    let planned = ddl::plan(dialect, &changes);
    if planned.is_empty() {
        return Ok(Vec::new());
    }
    dir.ensure_dialect(dialect)?;
    let last = planned.len() - 1;
    let mut written = Vec::with_capacity(planned.len());
    for (i, migration) in planned.iter().enumerate() {
        let name = format!("{slug}{}", migration.suffix);
        written.push(dir.write(NewMigration {
            slug: &name,
            up: &migration.up,
            down: &migration.down,
            schema: (i == last).then_some(&target),
            no_transaction: migration.no_transaction,
        })?);
    }
    Ok(written)
}

/// What the models would change in a live database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseDiff {
    pub changes: Vec<Change>,
    /// The SQL, as `generate` would write it.
    pub migrations: Vec<PlannedMigration>,
}

impl DatabaseDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// The models against the database `db` is connected to: introspects it,
/// diffs, renders; writes nothing.
pub async fn diff_database(
    models: &[&'static ModelSchema],
    db: &Db,
    options: &DiffOptions,
) -> Result<DatabaseDiff> {
    let dialect = db.dialect();
    let live = introspect::introspect(db).await?;
    let target = from_models::db_schema(models, dialect)?;
    let changes = diff::diff(&live, &target, dialect, options)?;
    let migrations = ddl::plan(dialect, &changes);
    Ok(DatabaseDiff {
        changes,
        migrations,
    })
}
