//! Migration folders on disk.
//!
//! ```text
//! migrations/
//!   migration_lock.toml            dialect = "postgres"
//!   20261125210500_create_users/
//!     up.sql                       applied by `deploy` / `up`
//!     down.sql                     applied by `down`; optional for hand-written ones
//!     schema.json                  the schema after this migration (generated ones)
//! ```
//!
//! A migration whose `up.sql` starts with the line `-- strata:no-transaction`
//! runs outside a transaction (PostgreSQL `CREATE INDEX CONCURRENTLY` cannot run
//! inside one). The folder name sorts by time, so applying in name order is
//! applying in creation order. The checksum covers `up.sql` with line endings
//! normalised, so a checkout on Windows does not look like an edit.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::Timelike;
use sha2::{Digest, Sha256};

use super::schema::DbSchema;
use crate::error::{Error, Result};
use crate::render::Dialect;

/// The first line that makes a migration run outside a transaction.
pub const NO_TRANSACTION_MARKER: &str = "-- strata:no-transaction";

const LOCK_FILE: &str = "migration_lock.toml";
const SCHEMA_FILE: &str = "schema.json";

/// One migration folder, read from disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The folder name, `{timestamp}_{slug}`: the migration's identity.
    pub name: String,
    pub path: PathBuf,
    pub up: String,
    /// `None` when the folder has no `down.sql`.
    pub down: Option<String>,
    /// The schema after this migration, when the generator recorded it.
    pub schema: Option<DbSchema>,
    pub no_transaction: bool,
    /// [`checksum`] of `up.sql`.
    pub checksum: String,
}

/// What a new migration folder holds.
#[derive(Debug, Clone)]
pub struct NewMigration<'a> {
    /// A short description, `snake_case`; becomes the name after the timestamp.
    pub slug: &'a str,
    pub up: &'a str,
    pub down: &'a str,
    /// The schema after this migration; `None` for a hand-written migration.
    pub schema: Option<&'a DbSchema>,
    /// Writes the [`NO_TRANSACTION_MARKER`] first line.
    pub no_transaction: bool,
}

/// The migrations folder of one project (one dialect).
#[derive(Debug, Clone)]
pub struct MigrationsDir {
    path: PathBuf,
}

impl MigrationsDir {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        MigrationsDir { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The dialect recorded in `migration_lock.toml`, `None` before the first
    /// migration. Migrations are SQL for one database: the runner refuses to
    /// apply them to another.
    pub fn dialect(&self) -> Result<Option<Dialect>> {
        let path = self.path.join(LOCK_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&path, e)),
        };
        let value = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .find(|(key, _)| key.trim() == "dialect")
            .map(|(_, value)| value.trim().trim_matches('"'))
            .ok_or_else(|| files_error(&path, "has no `dialect = \"..\"` line".into()))?;
        dialect_named(value).map(Some).ok_or_else(|| {
            files_error(
                &path,
                format!("unknown dialect {value:?} (expected postgres, sqlite or mysql)"),
            )
        })
    }

    /// Records `dialect`, or checks it matches the one recorded.
    pub fn ensure_dialect(&self, dialect: Dialect) -> Result<()> {
        match self.dialect()? {
            Some(recorded) if recorded == dialect => Ok(()),
            Some(recorded) => Err(files_error(
                &self.path.join(LOCK_FILE),
                format!(
                    "these migrations are for {}, not {}",
                    dialect_name(recorded),
                    dialect_name(dialect)
                ),
            )),
            None => {
                create_dir(&self.path)?;
                let path = self.path.join(LOCK_FILE);
                let text = format!(
                    "# Written by strata: the database these migrations are for.\ndialect = \"{}\"\n",
                    dialect_name(dialect)
                );
                fs::write(&path, text).map_err(|e| io_error(&path, e))
            }
        }
    }

    /// Every migration, in name (creation) order. A missing folder has none.
    pub fn list(&self) -> Result<Vec<Migration>> {
        let entries = match fs::read_dir(&self.path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&self.path, e)),
        };
        let mut folders = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&self.path, e))?;
            if entry.path().is_dir() {
                folders.push(entry.path());
            }
        }
        folders.sort();
        folders.iter().map(|path| read_migration(path)).collect()
    }

    /// The schema recorded by the newest migration that recorded one: what the
    /// next `generate` diffs the models against.
    pub fn latest_schema(&self) -> Result<Option<DbSchema>> {
        Ok(self.list()?.into_iter().rev().find_map(|m| m.schema))
    }

    /// Writes a new migration folder named `{UTC timestamp}_{slug}`, one
    /// second later than the newest existing one if the clock would collide.
    pub fn write(&self, new: NewMigration<'_>) -> Result<Migration> {
        check_slug(&self.path, new.slug)?;
        create_dir(&self.path)?;
        let mut stamp = chrono::Utc::now().naive_utc();
        let newest = self
            .list()?
            .into_iter()
            .filter_map(|m| timestamp_of(&m.name))
            .max();
        if let Some(newest) =
            newest.filter(|newest| *newest >= stamp.with_nanosecond(0).unwrap_or(stamp))
        {
            stamp = newest + chrono::Duration::seconds(1);
        }
        let name = format!("{}_{}", stamp.format("%Y%m%d%H%M%S"), new.slug);
        let path = self.path.join(&name);
        create_dir(&path)?;
        let up = if new.no_transaction {
            format!("{NO_TRANSACTION_MARKER}\n{}", new.up)
        } else {
            new.up.to_string()
        };
        write_file(&path.join("up.sql"), &up)?;
        write_file(&path.join("down.sql"), new.down)?;
        if let Some(schema) = new.schema {
            let json = serde_json::to_string_pretty(schema)
                .map_err(|e| files_error(&path, format!("cannot serialise the schema: {e}")))?;
            write_file(&path.join(SCHEMA_FILE), &(json + "\n"))?;
        }
        read_migration(&path)
    }
}

/// SHA-256 of `sql` with `\r\n` and lone `\r` read as `\n`, lower-case hex.
pub fn checksum(sql: &str) -> String {
    let normalized = sql.replace("\r\n", "\n").replace('\r', "\n");
    let digest = Sha256::digest(normalized.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn read_migration(path: &Path) -> Result<Migration> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| files_error(path, "the folder name is not UTF-8".into()))?
        .to_string();
    let up_path = path.join("up.sql");
    let up = fs::read_to_string(&up_path).map_err(|e| io_error(&up_path, e))?;
    let down = read_optional(&path.join("down.sql"))?;
    let schema = match read_optional(&path.join(SCHEMA_FILE))? {
        Some(json) => Some(serde_json::from_str(&json).map_err(|e| {
            files_error(
                &path.join(SCHEMA_FILE),
                format!("is not a strata schema: {e}"),
            )
        })?),
        None => None,
    };
    let no_transaction = up.lines().next().map(str::trim_end) == Some(NO_TRANSACTION_MARKER);
    let checksum = checksum(&up);
    Ok(Migration {
        name,
        path: path.to_path_buf(),
        up,
        down,
        schema,
        no_transaction,
        checksum,
    })
}

/// The `{timestamp}` of a `{timestamp}_{slug}` folder name.
fn timestamp_of(name: &str) -> Option<chrono::NaiveDateTime> {
    let digits = name.get(..14)?;
    chrono::NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S").ok()
}

fn read_optional(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(path, e)),
    }
}

fn check_slug(dir: &Path, slug: &str) -> Result<()> {
    let ok = !slug.is_empty()
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(files_error(
            dir,
            format!("migration name {slug:?} must be snake_case: a-z, 0-9 and _"),
        ))
    }
}

fn create_dir(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(|e| io_error(path, e))
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).map_err(|e| io_error(path, e))
}

pub(crate) fn dialect_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "postgres",
        Dialect::Sqlite => "sqlite",
        Dialect::MySql => "mysql",
    }
}

fn dialect_named(name: &str) -> Option<Dialect> {
    match name {
        "postgres" | "postgresql" => Some(Dialect::Postgres),
        "sqlite" => Some(Dialect::Sqlite),
        "mysql" | "mariadb" => Some(Dialect::MySql),
        _ => None,
    }
}

fn files_error(path: &Path, reason: String) -> Error {
    Error::MigrationFiles {
        path: path.display().to_string(),
        reason,
    }
}

fn io_error(path: &Path, error: std::io::Error) -> Error {
    files_error(path, error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_ignores_line_endings_only() {
        assert_eq!(checksum("a;\r\nb;\n"), checksum("a;\nb;\n"));
        assert_eq!(checksum("a;\rb;"), checksum("a;\nb;"));
        assert_ne!(checksum("a;\nb;"), checksum("a;\nb; "));
        assert_eq!(
            checksum(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn writes_and_reads_back_in_order() {
        let dir = std::env::temp_dir().join(format!("strata-files-{}", uuid::Uuid::new_v4()));
        let migrations = MigrationsDir::new(&dir);
        assert_eq!(migrations.dialect().unwrap(), None);
        migrations.ensure_dialect(Dialect::Postgres).unwrap();
        assert!(migrations.ensure_dialect(Dialect::MySql).is_err());
        let schema = DbSchema::default();
        let first = migrations
            .write(NewMigration {
                slug: "create_users",
                up: "CREATE TABLE a (id int);\n",
                down: "DROP TABLE a;\n",
                schema: Some(&schema),
                no_transaction: false,
            })
            .unwrap();
        let second = migrations
            .write(NewMigration {
                slug: "index_users",
                up: "CREATE INDEX CONCURRENTLY i ON a (id);\n",
                down: "DROP INDEX CONCURRENTLY i;\n",
                schema: None,
                no_transaction: true,
            })
            .unwrap();
        assert!(
            first.name < second.name,
            "{} !< {}",
            first.name,
            second.name
        );
        let listed = migrations.list().unwrap();
        assert_eq!(listed, vec![first.clone(), second.clone()]);
        assert!(!first.no_transaction && second.no_transaction);
        assert_eq!(migrations.latest_schema().unwrap(), Some(schema));
        assert!(migrations
            .write(NewMigration {
                slug: "Bad Name",
                up: "",
                down: "",
                schema: None,
                no_transaction: false,
            })
            .is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
