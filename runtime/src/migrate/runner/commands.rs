//! The commands: `status`, `deploy`, `up`, `down`, `resolve`, `baseline`.
//! (`squash` and `reset` have their own files.) Each one that changes
//! anything reads the history under the migration lock, so what it decides
//! is still true when it acts.

use chrono::Utc;

use super::session::Session;
use super::status::{State, Status};
use super::table::{self, Record};
use super::{apply, squash, Migrator, Resolution};
use crate::error::{Error, Result};
use crate::migrate::files::Migration;
use crate::value::Value;

impl Migrator {
    /// Where every migration stands (no lock: it only reads).
    pub async fn status(&self) -> Result<Status> {
        let files = self.dir.list()?;
        let mut session = self.open().await?;
        let records = match table::exists(&mut session).await {
            Ok(true) => table::read_all(&mut session).await,
            Ok(false) => Ok(Vec::new()),
            Err(e) => Err(e),
        };
        session.close().await;
        Ok(Status::new(&files, &records?))
    }

    /// Applies every pending migration in name order; the names applied.
    pub async fn deploy(&self) -> Result<Vec<String>> {
        self.up(None).await
    }

    /// Applies the next `count` pending migrations (all with `None`).
    pub async fn up(&self, count: Option<usize>) -> Result<Vec<String>> {
        let (mut session, lock) = self.lock().await?;
        let result = self.up_on(&mut session, count).await;
        self.unlock(session, lock, result).await
    }

    pub(super) async fn up_on(
        &self,
        session: &mut Session,
        count: Option<usize>,
    ) -> Result<Vec<String>> {
        let files = self.dir.list()?;
        let records = table::read_all(session).await?;
        let status = Status::new(&files, &records);
        status.check_deployable()?;
        let mut applied = Vec::new();
        for name in status
            .pending()
            .into_iter()
            .take(count.unwrap_or(usize::MAX))
        {
            let Some(file) = files.iter().find(|f| f.name == name) else {
                continue;
            };
            let squashed = squash::replaced_names(&file.up);
            let had = |n: &&str| records.iter().any(|r| r.name == *n && r.is_applied());
            if squashed.iter().any(had) {
                let missing: Vec<&str> = squashed.iter().copied().filter(|n| !had(n)).collect();
                if !missing.is_empty() {
                    return Err(Error::Migration {
                        name: name.to_string(),
                        reason: format!(
                            "squashes migrations this database applied only some of (not \
                             applied: {}); deploy the migrations from before the squash \
                             first (the commit before it), then this one",
                            missing.join(", ")
                        ),
                    });
                }
                squash::adopt(session, file, &squashed).await?;
                tracing::info!(target: "strata::migrate", migration = name, "squash adopted");
            } else {
                let replaces = records.iter().any(|r| r.name == name);
                apply::up(session, file, replaces).await?;
                tracing::info!(target: "strata::migrate", migration = name, "applied");
            }
            applied.push(name.to_string());
        }
        Ok(applied)
    }

    /// Runs `down.sql` of the last `count` applied migrations, newest first,
    /// and marks each rolled back; the names rolled back. Refuses before
    /// running anything if one of them has no `down.sql` or no folder.
    pub async fn down(&self, count: usize) -> Result<Vec<String>> {
        let (mut session, lock) = self.lock().await?;
        let result = self.down_on(&mut session, count).await;
        self.unlock(session, lock, result).await
    }

    async fn down_on(&self, session: &mut Session, count: usize) -> Result<Vec<String>> {
        let files = self.dir.list()?;
        let records = table::read_all(session).await?;
        Status::new(&files, &records).check_deployable()?;
        let mut last: Vec<&Record> = records.iter().filter(|r| r.is_applied()).collect();
        last.sort_by(|a, b| b.name.cmp(&a.name));
        last.truncate(count);
        let mut undo: Vec<&Migration> = Vec::new();
        for record in &last {
            let file = files.iter().find(|f| f.name == record.name);
            match file {
                Some(file) if file.down.is_some() => undo.push(file),
                Some(_) => {
                    return Err(Error::Migration {
                        name: record.name.clone(),
                        reason: "has no down.sql, so it cannot be rolled back (nothing was \
                                 rolled back); write one, or add a new migration that undoes it"
                            .into(),
                    })
                }
                None => {
                    return Err(Error::Migration {
                        name: record.name.clone(),
                        reason: "is applied but its folder is missing, so there is no down.sql \
                                 to run (nothing was rolled back)"
                            .into(),
                    })
                }
            }
        }
        let mut rolled_back = Vec::new();
        for file in undo {
            apply::down(session, file).await?;
            tracing::info!(target: "strata::migrate", migration = %file.name, "rolled back");
            rolled_back.push(file.name.clone());
        }
        Ok(rolled_back)
    }

    /// Settles a failed migration: records it applied or rolled back.
    pub async fn resolve(&self, name: &str, resolution: Resolution) -> Result<()> {
        let (mut session, lock) = self.lock().await?;
        let result = self.resolve_on(&mut session, name, resolution).await;
        self.unlock(session, lock, result).await
    }

    async fn resolve_on(
        &self,
        session: &mut Session,
        name: &str,
        resolution: Resolution,
    ) -> Result<()> {
        let records = table::read_all(session).await?;
        let record = records.iter().find(|r| r.name == name);
        let Some(record) = record.filter(|r| r.is_failed()) else {
            let state = match record {
                None => "has never run",
                Some(r) if r.is_applied() => "is applied",
                Some(_) => "is rolled back",
            };
            return Err(Error::Migration {
                name: name.to_string(),
                reason: format!("{state}, not failed: resolve only settles a failed migration"),
            });
        };
        let now = Utc::now();
        let note = |how: &str| {
            let earlier = record.logs.clone().unwrap_or_default();
            format!("{earlier}\nresolved as {how} at {}", now.to_rfc3339())
        };
        let set = match resolution {
            Resolution::Applied => {
                // The fixed file is what is now in place.
                let current = (self.dir.list()?.into_iter())
                    .find(|f| f.name == name)
                    .map_or(record.checksum.clone(), |f| f.checksum);
                vec![
                    ("success", Value::Bool(true)),
                    ("checksum", Value::Text(current)),
                    (
                        "finished_at",
                        Value::Timestamptz(record.finished_at.unwrap_or(now)),
                    ),
                    ("logs", Value::Text(note("applied"))),
                ]
            }
            Resolution::RolledBack => vec![
                ("rolled_back_at", Value::Timestamptz(now)),
                ("logs", Value::Text(note("rolled back"))),
            ],
        };
        session
            .execute(table::update(session.dialect(), name, set))
            .await?;
        Ok(())
    }

    /// Records every migration up to and including `up_to` (all without it)
    /// as applied without running it: for a database whose schema already
    /// exists when it adopts strata. The names marked.
    pub async fn baseline(&self, up_to: Option<&str>) -> Result<Vec<String>> {
        let (mut session, lock) = self.lock().await?;
        let result = self.baseline_on(&mut session, up_to).await;
        self.unlock(session, lock, result).await
    }

    async fn baseline_on(&self, session: &mut Session, up_to: Option<&str>) -> Result<Vec<String>> {
        let files = self.dir.list()?;
        if let Some(name) = up_to.filter(|name| files.iter().all(|f| f.name != *name)) {
            return Err(Error::Migration {
                name: name.to_string(),
                reason: format!("no such migration folder in {}", self.dir.path().display()),
            });
        }
        let records = table::read_all(session).await?;
        let status = Status::new(&files, &records);
        status.check_deployable()?;
        let dialect = session.dialect();
        let mut marked = Vec::new();
        for m in &status.migrations {
            if up_to.is_some_and(|last| m.name.as_str() > last) {
                break;
            }
            if !matches!(m.state, State::Pending | State::RolledBack) {
                continue;
            }
            let Some(file) = files.iter().find(|f| f.name == m.name) else {
                continue;
            };
            if m.record.is_some() {
                session.execute(table::delete(dialect, &m.name)).await?;
            }
            let now = Utc::now();
            let record = Record {
                name: file.name.clone(),
                checksum: file.checksum.clone(),
                started_at: now,
                finished_at: Some(now),
                execution_time_ms: Some(0),
                success: true,
                rolled_back_at: None,
                logs: Some("baseline: recorded as applied without running".into()),
            };
            session.execute(table::insert(dialect, &record)).await?;
            marked.push(file.name.clone());
        }
        Ok(marked)
    }
}
