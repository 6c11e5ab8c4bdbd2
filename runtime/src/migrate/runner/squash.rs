//! `squash`: collapses every applied migration into one whose `up.sql`
//! creates the current schema, and rewrites the history to match.
//!
//! Only a database that has applied every migration may squash: its history
//! then says exactly "all of these are in place", which is what the new
//! migration means. The new folder is written first, the history is
//! rewritten in one transaction (the rows of `_strata_migrations` are
//! InnoDB rows on MySQL too, so this is atomic on every database), and only
//! then are the old folders removed; a failed rewrite removes the new folder
//! again. Other databases that applied the same migrations adopt the
//! squashed one on their next deploy: its `up.sql` names what it replaces
//! (`-- strata:squashes NAME` lines), and a database that applied all of
//! those records it without running it.

use chrono::Utc;

use super::session::Session;
use super::status::{State, Status};
use super::table::{self, Record};
use super::{apply, Migrator};
use crate::error::{Error, Result};
use crate::migrate::ddl::create::{create_schema, drop_schema};
use crate::migrate::files::{Migration, NewMigration, NO_TRANSACTION_MARKER};
use crate::render::Dialect;

/// Written at the top of a squashed `up.sql`, once per migration it
/// replaces, so a database that applied those can adopt it (see
/// [`adopt`]).
pub(super) const SQUASHES_MARKER: &str = "-- strata:squashes ";

/// The migrations a squashed `up.sql` replaces (none for another one).
pub(super) fn replaced_names(up: &str) -> Vec<&str> {
    (up.lines())
        .filter_map(|line| line.strip_prefix(SQUASHES_MARKER))
        .map(str::trim)
        .collect()
}

/// Records a squashed migration as applied on a database that applied
/// every migration it replaces, without running it, and deletes their
/// rows: the other environments' side of a squash. One transaction.
pub(super) async fn adopt(
    session: &mut Session,
    squashed: &Migration,
    replaced: &[&str],
) -> Result<()> {
    session.begin().await?;
    let body = adopt_records(session, squashed, replaced).await;
    apply::end_transaction(session, body).await?;
    Ok(())
}

async fn adopt_records(
    session: &mut Session,
    squashed: &Migration,
    replaced: &[&str],
) -> Result<(), sqlx::Error> {
    let dialect = session.dialect();
    for name in replaced {
        session.execute(table::delete(dialect, name)).await?;
    }
    let logs = format!(
        "squash adopted without running: this database had applied the {} migrations it replaces",
        replaced.len()
    );
    let record = applied_without_running(squashed, logs);
    session.execute(table::insert(dialect, &record)).await?;
    Ok(())
}

/// The record of a squashed migration that stands for migrations already
/// applied: applied now, in no time, without running.
fn applied_without_running(squashed: &Migration, logs: String) -> Record {
    let now = Utc::now();
    Record {
        name: squashed.name.clone(),
        checksum: squashed.checksum.clone(),
        started_at: now,
        finished_at: Some(now),
        execution_time_ms: Some(0),
        success: true,
        rolled_back_at: None,
        logs: Some(logs),
    }
}

impl Migrator {
    /// Squashes every migration into one named `{timestamp}_{slug}`; returns
    /// it. The old folders are deleted.
    pub async fn squash(&self, slug: &str) -> Result<Migration> {
        let (mut session, lock) = self.lock().await?;
        let result = self.squash_on(&mut session, slug).await;
        self.unlock(session, lock, result).await
    }

    async fn squash_on(&self, session: &mut Session, slug: &str) -> Result<Migration> {
        let files = self.dir.list()?;
        let records = table::read_all(session).await?;
        let status = Status::new(&files, &records);
        status.check_deployable()?;
        let not_applied: Vec<&str> = (status.migrations.iter())
            .filter(|m| m.state != State::Applied)
            .map(|m| m.name.as_str())
            .collect();
        if let Some(first) = not_applied.first() {
            return Err(Error::Migration {
                name: (*first).to_string(),
                reason: format!(
                    "squash needs a database that has applied every migration and has a folder \
                     for each; not applied or missing here: {}. Deploy (or restore the \
                     folders) first",
                    not_applied.join(", ")
                ),
            });
        }
        if files.len() < 2 {
            return Err(Error::Migration {
                name: files.first().map_or_else(String::new, |f| f.name.clone()),
                reason: "there is nothing to squash: fewer than two migrations".into(),
            });
        }
        let mut squashed = squashed_sql(session.dialect(), &files);
        let header: String = (files.iter())
            .map(|f| format!("{SQUASHES_MARKER}{}\n", f.name))
            .collect();
        squashed.up = header + &squashed.up;
        let new = self.dir.write(NewMigration {
            slug,
            up: &squashed.up,
            down: squashed.down.as_deref().unwrap_or_default(),
            schema: files.last().and_then(|f| f.schema.as_ref()),
            no_transaction: squashed.no_transaction,
        })?;
        if squashed.down.is_none() {
            remove(&new.path.join("down.sql"), |p| std::fs::remove_file(p))?;
        }
        if let Err(e) = rewrite_history(session, &files, &new).await {
            remove(&new.path, |p| std::fs::remove_dir_all(p))?;
            return Err(e);
        }
        for file in &files {
            remove(&file.path, |p| std::fs::remove_dir_all(p))?;
        }
        // Re-read: down.sql may be gone since `write` read it.
        let listed = self.dir.list()?;
        Ok(listed
            .into_iter()
            .find(|m| m.name == new.name)
            .unwrap_or(new))
    }
}

struct Squashed {
    up: String,
    down: Option<String>,
    no_transaction: bool,
}

/// The new migration's SQL: the schema the newest migration recorded,
/// created from scratch, when it recorded one; otherwise every `up.sql` in
/// order (and every `down.sql` in reverse, when all have one).
fn squashed_sql(dialect: Dialect, files: &[Migration]) -> Squashed {
    if let Some(schema) = files.last().and_then(|f| f.schema.as_ref()) {
        let statements =
            |list: Vec<String>| list.iter().map(|s| format!("{s};\n")).collect::<String>();
        return Squashed {
            up: statements(create_schema(dialect, schema)),
            down: Some(statements(drop_schema(dialect, schema))),
            no_transaction: false,
        };
    }
    let without_marker = |sql: &str| {
        sql.lines()
            .filter(|line| line.trim_end() != NO_TRANSACTION_MARKER)
            .map(|line| format!("{line}\n"))
            .collect::<String>()
    };
    let section = |name: &str, sql: &str| format!("-- from {name}\n{}\n", without_marker(sql));
    let up = files.iter().map(|f| section(&f.name, &f.up)).collect();
    let down = (files.iter().rev())
        .map(|f| f.down.as_deref().map(|d| section(&f.name, d)))
        .collect::<Option<String>>();
    Squashed {
        up,
        down,
        no_transaction: files.iter().any(|f| f.no_transaction),
    }
}

/// Deletes every record and records the squashed migration as applied,
/// in one transaction.
async fn rewrite_history(session: &mut Session, old: &[Migration], new: &Migration) -> Result<()> {
    session.begin().await?;
    let body = replace_records(session, old, new).await;
    apply::end_transaction(session, body).await?;
    Ok(())
}

async fn replace_records(
    session: &mut Session,
    old: &[Migration],
    new: &Migration,
) -> Result<(), sqlx::Error> {
    let dialect = session.dialect();
    // Every row: also those of migrations rolled back and deleted since.
    session.execute(table::delete_all(dialect)).await?;
    let logs = format!(
        "squash of {} migrations, {} to {}",
        old.len(),
        old.first().map_or("", |f| f.name.as_str()),
        old.last().map_or("", |f| f.name.as_str())
    );
    let record = applied_without_running(new, logs);
    session.execute(table::insert(dialect, &record)).await?;
    Ok(())
}

fn remove(path: &std::path::Path, how: fn(&std::path::Path) -> std::io::Result<()>) -> Result<()> {
    how(path).map_err(|e| Error::MigrationFiles {
        path: path.display().to_string(),
        reason: format!("cannot remove it: {e}"),
    })
}
