//! Where each migration stands: the folders on disk joined with the
//! database's `_strata_migrations` records, and the checks every command
//! makes before it changes anything.

use std::fmt;

use super::table::Record;
use crate::error::{Error, Result};
use crate::migrate::files::Migration;

/// Every migration on disk or in the database's history, in name order.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub migrations: Vec<MigrationStatus>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MigrationStatus {
    pub name: String,
    /// Its `up.sql`, when the folder exists.
    pub up_sql: Option<std::path::PathBuf>,
    pub state: State,
    /// The database's record of it, if it has one.
    pub record: Option<Record>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Applied, and the file is unchanged.
    Applied,
    /// On disk, never applied.
    Pending,
    /// Applied once, then undone by `down` or `resolve --rolled-back`:
    /// pending again.
    RolledBack,
    /// Its last run failed or died half-way; blocks every deploy until
    /// `resolve`.
    Failed,
    /// Applied, but `up.sql` changed since: checksums differ.
    Edited { recorded: String, current: String },
    /// Recorded as applied, but its folder is gone.
    Missing,
}

impl State {
    fn label(&self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::RolledBack => "rolled back",
            State::Failed => "FAILED",
            State::Edited { .. } => "EDITED",
            State::Missing => "missing",
        }
    }
}

impl Status {
    /// Joins the folders with the records.
    pub fn new(files: &[Migration], records: &[Record]) -> Status {
        let mut migrations: Vec<MigrationStatus> = files
            .iter()
            .map(|file| {
                let record = records.iter().find(|r| r.name == file.name);
                MigrationStatus {
                    name: file.name.clone(),
                    up_sql: Some(file.path.join("up.sql")),
                    state: file_state(file, record),
                    record: record.cloned(),
                }
            })
            .collect();
        for record in records {
            if files.iter().all(|f| f.name != record.name) {
                let state = if record.is_failed() {
                    State::Failed
                } else if record.is_applied() {
                    State::Missing
                } else {
                    // Rolled back and since deleted: nothing left to say.
                    continue;
                };
                migrations.push(MigrationStatus {
                    name: record.name.clone(),
                    up_sql: None,
                    state,
                    record: Some(record.clone()),
                });
            }
        }
        migrations.sort_by(|a, b| a.name.cmp(&b.name));
        Status { migrations }
    }

    pub fn in_state(&self, state: &State) -> impl Iterator<Item = &MigrationStatus> {
        let wanted = std::mem::discriminant(state);
        (self.migrations.iter()).filter(move |m| std::mem::discriminant(&m.state) == wanted)
    }

    /// Names of the migrations `deploy` would apply, in order.
    pub fn pending(&self) -> Vec<&str> {
        (self.migrations.iter())
            .filter(|m| matches!(m.state, State::Pending | State::RolledBack))
            .map(|m| m.name.as_str())
            .collect()
    }

    /// Whether every migration on disk is applied and nothing is amiss.
    pub fn is_up_to_date(&self) -> bool {
        self.migrations.iter().all(|m| m.state == State::Applied)
    }

    /// Refuses to go on past a failed migration or an edited one.
    pub(super) fn check_deployable(&self) -> Result<()> {
        if let Some(failed) = self.in_state(&State::Failed).next() {
            let error = (failed.record.as_ref())
                .and_then(|r| r.logs.clone())
                .unwrap_or_else(|| "it did not finish".into());
            return Err(Error::Migration {
                name: failed.name.clone(),
                reason: format!(
                    "failed and blocks every deploy until it is resolved ({error}). Make the \
                     database match one side, then run `strata migrate resolve --applied {0}` \
                     if its changes are now in place, or `strata migrate resolve --rolled-back \
                     {0}` if they are not (it is then applied again by the next deploy)",
                    failed.name
                ),
            });
        }
        for m in &self.migrations {
            if let State::Edited { recorded, current } = &m.state {
                return Err(Error::MigrationEdited {
                    name: m.name.clone(),
                    file: (m.up_sql.as_ref())
                        .map_or_else(|| format!("{}/up.sql", m.name), |p| p.display().to_string()),
                    recorded: recorded.clone(),
                    current: current.clone(),
                });
            }
        }
        Ok(())
    }
}

fn file_state(file: &Migration, record: Option<&Record>) -> State {
    match record {
        None => State::Pending,
        Some(r) if r.is_failed() => State::Failed,
        Some(r) if !r.is_applied() => State::RolledBack,
        Some(r) if r.checksum != file.checksum => State::Edited {
            recorded: r.checksum.clone(),
            current: file.checksum.clone(),
        },
        Some(_) => State::Applied,
    }
}

/// A table: name, state, when it was applied and how long it took, then a
/// one-line summary.
impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.migrations.is_empty() {
            return writeln!(f, "no migrations");
        }
        let width = (self.migrations.iter().map(|m| m.name.len()))
            .chain([9])
            .max()
            .unwrap_or(9);
        writeln!(f, "{:<width$}  {:<11}  applied at", "migration", "state")?;
        for m in &self.migrations {
            let applied = match (&m.state, &m.record) {
                (State::Applied | State::Edited { .. } | State::Missing, Some(r)) => format!(
                    "{} ({} ms)",
                    r.finished_at
                        .unwrap_or(r.started_at)
                        .format("%Y-%m-%d %H:%M:%S UTC"),
                    r.execution_time_ms.unwrap_or(0)
                ),
                (State::Failed, Some(r)) => {
                    format!("failed {}", r.started_at.format("%Y-%m-%d %H:%M:%S UTC"))
                }
                _ => String::new(),
            };
            let line = format!("{:<width$}  {:<11}  {applied}", m.name, m.state.label());
            writeln!(f, "{}", line.trim_end())?;
            if let State::Edited { recorded, current } = &m.state {
                writeln!(f, "    up.sql checksum {current}, applied {recorded}")?;
            }
            let logs = m.record.as_ref().and_then(|r| r.logs.as_deref());
            if let (State::Failed, Some(logs)) = (&m.state, logs) {
                let first = logs.lines().next().unwrap_or_default();
                writeln!(f, "    error: {first}")?;
            }
        }
        let counts: Vec<String> = [
            State::Applied,
            State::Pending,
            State::RolledBack,
            State::Failed,
            State::Edited {
                recorded: String::new(),
                current: String::new(),
            },
            State::Missing,
        ]
        .iter()
        .filter_map(|state| {
            let n = self.in_state(state).count();
            (n > 0).then(|| format!("{n} {}", state.label().to_lowercase()))
        })
        .collect();
        writeln!(f, "{}", counts.join(", "))
    }
}
