//! `migrate generate` and `migrate diff`: the models against the newest
//! migration's recorded schema (written as folders), or against a live
//! database (printed).

use std::io::Write;

use super::{migrations_dialect, write, ChangeOptions};
use crate::error::Result;
use crate::migrate::diff::{DiffOptions, Rename};
use crate::migrate::files::MigrationsDir;
use crate::migrate::generate::diff_database;
use crate::migrate::runner::UrlSources;
use crate::schema::ModelSchema;
use crate::Db;

fn diff_options(changes: &ChangeOptions) -> Result<DiffOptions> {
    let renames = (changes.renames.iter())
        .map(|hint| hint.parse::<Rename>())
        .collect::<Result<Vec<_>>>()?;
    Ok(DiffOptions {
        renames,
        allow_data_loss: changes.allow_data_loss,
    })
}

/// Writes the folders; the dialect is the folder's, else the URL's.
pub(super) fn generate(
    dir: &MigrationsDir,
    slug: &str,
    changes: &ChangeOptions,
    models: &[&'static ModelSchema],
    sources: &UrlSources,
    out: &mut dyn Write,
) -> Result<bool> {
    let dialect = migrations_dialect(dir, sources)?;
    let options = diff_options(changes)?;
    let written = crate::migrate::generate::generate(models, dialect, dir, slug, &options)?;
    if written.is_empty() {
        write(
            out,
            "no changes: the models match the newest migration's schema\n",
        )?;
    }
    for migration in &written {
        let note = if migration.no_transaction {
            " (runs outside a transaction)"
        } else {
            ""
        };
        write(out, &format!("wrote {}{note}\n", migration.path.display()))?;
    }
    Ok(true)
}

/// Prints the SQL that would bring the database at `url` to the models;
/// whether there was any.
pub(super) async fn diff(
    url: &str,
    changes: &ChangeOptions,
    models: &[&'static ModelSchema],
    out: &mut dyn Write,
) -> Result<bool> {
    let options = diff_options(changes)?;
    let db = Db::connect_single(url).await?;
    let result = diff_database(models, &db, &options).await;
    db.close().await;
    let diff = result?;
    if diff.is_empty() {
        write(out, "no differences: the database matches the models\n")?;
        return Ok(false);
    }
    for migration in &diff.migrations {
        let kind = match migration.no_transaction {
            true => ", outside a transaction",
            false => "",
        };
        let header = format!("-- up{}{kind}\n", migration.suffix);
        write(out, &header)?;
        write(out, &migration.up)?;
        if !migration.up.ends_with('\n') {
            write(out, "\n")?;
        }
    }
    Ok(true)
}
