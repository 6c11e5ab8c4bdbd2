//! Migration folders written by hand in a temp dir, and the few raw queries
//! the runner and CLI tests check the database with.
#![allow(dead_code)] // each test file uses its own part

use std::fs;
use std::path::Path;
use std::time::Duration;
use strata::migrate::files::{Migration, MigrationsDir};
use strata::migrate::lint::lint_migration;
use strata::migrate::runner::Migrator;
use strata::schema::ModelSchema;
use strata::{Db, Dialect};
use strata_tests::url_of;

/// A migrations folder in its own temp dir, removed when dropped.
pub struct Folders {
    temp: tempfile::TempDir,
}

impl Folders {
    pub fn new() -> Self {
        let temp = tempfile::Builder::new()
            .prefix("strata-migrations")
            .tempdir()
            .expect("a temp dir");
        Folders { temp }
    }

    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    pub fn dir(&self) -> MigrationsDir {
        MigrationsDir::new(self.temp.path())
    }

    /// Writes (or rewrites) the folder `name` with `up.sql` and, if given,
    /// `down.sql`.
    pub fn add(&self, name: &str, up: &str, down: Option<&str>) {
        let folder = self.temp.path().join(name);
        fs::create_dir_all(&folder).unwrap();
        fs::write(folder.join("up.sql"), up).unwrap();
        match down {
            Some(down) => fs::write(folder.join("down.sql"), down).unwrap(),
            None => {
                let _ = fs::remove_file(folder.join("down.sql"));
            }
        }
    }

    /// One migration per table, in order: `2026010100000{i}_create_{table}`
    /// creating `table (id INTEGER)`, with a `down.sql` dropping it if
    /// `down`.
    pub fn add_tables(&self, tables: &[&str], down: bool) {
        for (i, table) in tables.iter().enumerate() {
            let up = format!("CREATE TABLE {table} (id INTEGER);\n");
            let drop = format!("DROP TABLE {table};\n");
            let name = format!("2026010100000{i}_create_{table}");
            self.add(&name, &up, down.then_some(drop.as_str()));
        }
    }

    /// Another folder with copies of every migration in this one.
    pub fn copy(&self) -> Folders {
        let copy = Folders::new();
        for name in self.names() {
            let (from, to) = (self.path().join(&name), copy.path().join(&name));
            fs::create_dir_all(&to).unwrap();
            for file in fs::read_dir(&from).unwrap() {
                let file = file.unwrap();
                fs::copy(file.path(), to.join(file.file_name())).unwrap();
            }
        }
        copy
    }

    /// The folder names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.temp.path())
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// A runner on the test database (its own connection) over `folders`.
pub fn migrator(db: &Db, folders: &Folders) -> Migrator {
    Migrator::new(url_of(db), folders.dir()).lock_timeout(Duration::from_secs(60))
}

/// A statement that takes about half a second.
pub fn sleep_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "SELECT pg_sleep(0.5);",
        Dialect::MySql => "SELECT SLEEP(0.5);",
        // SQLite has no sleep: count through a long recursive sequence.
        Dialect::Sqlite => {
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000) \
             SELECT COUNT(*) FROM n;"
        }
    }
}

/// The one integer `sql` returns.
pub async fn count(db: &Db, sql: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    let result = if let Some(pool) = db.as_postgres() {
        sqlx::query_scalar(sql).fetch_one(pool).await
    } else if let Some(pool) = db.as_mysql() {
        sqlx::query_scalar(sql).fetch_one(pool).await
    } else if let Some(pool) = db.as_sqlite() {
        sqlx::query_scalar(sql).fetch_one(pool).await
    } else {
        panic!("count: {db:?} has no pool")
    };
    result.unwrap_or_else(|e| panic!("counting: {e}"))
}

/// Runs `sql` on the test database's pool.
pub async fn exec(db: &Db, sql: &str) -> Result<(), sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if let Some(pool) = db.as_postgres() {
        sqlx::raw_sql(sql).execute(pool).await.map(drop)
    } else if let Some(pool) = db.as_mysql() {
        sqlx::raw_sql(sql).execute(pool).await.map(drop)
    } else if let Some(pool) = db.as_sqlite() {
        sqlx::raw_sql(sql).execute(pool).await.map(drop)
    } else {
        panic!("exec: {db:?} has no pool")
    }
}

/// Whether `table` exists (can be read).
pub async fn exists(db: &Db, table: &str) -> bool {
    exec(db, &format!("SELECT 1 FROM {table} WHERE 1 = 0"))
        .await
        .is_ok()
}

/// Fails naming the migration, its SQL and the findings if the linter finds
/// anything in the migrations `generate` wrote.
pub fn assert_lint_clean(dialect: Dialect, written: &[Migration], models: &[&'static ModelSchema]) {
    for migration in written {
        let findings = lint_migration(migration, dialect, models);
        assert!(
            findings.is_empty(),
            "{}:\n{}\n\nfindings:\n{}",
            migration.name,
            migration.up,
            findings
                .iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
