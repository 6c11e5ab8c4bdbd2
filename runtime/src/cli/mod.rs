//! The `strata` command line, run by a binary in the user's own crate so it
//! knows the user's models:
//!
//! ```ignore
//! // src/bin/strata.rs
//! fn main() -> std::process::ExitCode {
//!     strata::cli::run(&<my_app::Schema as strata::ModelSet>::schemas())
//! }
//! ```
//!
//! `cargo run --bin strata -- migrate status`. Commands that touch the
//! database take its URL from `--url`, else `DIRECT_URL`, else
//! `DATABASE_URL` (refused when it points at a pooler: see
//! [`UrlSources::choose`]).

mod advise;
mod args;
mod generate;
mod tenants;

pub use args::{ChangeOptions, Cli, Command, MigrateCommand};

use std::io::Write;
use std::process::ExitCode;

use clap::Parser as _;

use crate::error::{Error, Result};
use crate::migrate::files::MigrationsDir;
use crate::migrate::lint::{lint_migration, Severity};
use crate::migrate::runner::{Migrator, Resolution, State, UrlSources};
use crate::render::Dialect;
use crate::schema::ModelSchema;

/// Parses the process's arguments, runs the command, prints what it did
/// (errors on stderr) and returns the exit code: non-zero on an error, a
/// failed or edited migration in `status`, or a lint error.
pub fn run(models: &[&'static ModelSchema]) -> ExitCode {
    let cli = Cli::parse();
    let sources = UrlSources::from_env(cli.url.clone());
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    match runtime.block_on(execute(&cli, models, &sources, &mut stdout)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Parses a command line whose first item is the program's name, as
/// [`run`] parses the process's: for running [`execute`] in-process.
pub fn parse_from<I, T>(args: I) -> std::result::Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    Cli::try_parse_from(args)
}

/// Runs a parsed command, writing its report to `out`. `Ok(false)` means it
/// ran but found something wrong (a failed migration, a lint error).
pub async fn execute(
    cli: &Cli,
    models: &[&'static ModelSchema],
    sources: &UrlSources,
    out: &mut dyn Write,
) -> Result<bool> {
    let dir = MigrationsDir::new(&cli.migrations_dir);
    match &cli.command {
        Command::Erd => {
            write(out, &crate::migrate::erd::mermaid(models))?;
            Ok(true)
        }
        Command::Advise { exit_code } => {
            let found = advise::advise(&sources.choose()?, models, out).await?;
            Ok(!(found && *exit_code))
        }
        Command::Migrate { command } => {
            let timeout = std::time::Duration::from_secs(cli.lock_timeout);
            migrate(command, dir, timeout, models, sources, out).await
        }
    }
}

async fn migrate(
    command: &MigrateCommand,
    dir: MigrationsDir,
    lock_timeout: std::time::Duration,
    models: &[&'static ModelSchema],
    sources: &UrlSources,
    out: &mut dyn Write,
) -> Result<bool> {
    match command {
        MigrateCommand::Lint { names } => return lint(&dir, names, models, sources, out),
        MigrateCommand::Generate { name, changes } => {
            return generate::generate(&dir, name, changes, models, sources, out)
        }
        MigrateCommand::Diff { changes, exit_code } => {
            let url = sources.choose()?;
            let differs = generate::diff(&url, changes, models, out).await?;
            return Ok(!(differs && *exit_code));
        }
        MigrateCommand::Deploy {
            tenants: Some(prefix),
        } => return tenants::deploy(&sources.choose()?, prefix, dir, lock_timeout, out).await,
        _ => {}
    }
    let migrator = Migrator::new(sources.choose()?, dir).lock_timeout(lock_timeout);
    match command {
        MigrateCommand::Status => {
            let status = migrator.status().await?;
            write(out, &status.to_string())?;
            let broken = status.in_state(&State::Failed).next().is_some()
                || (status.migrations.iter()).any(|m| matches!(m.state, State::Edited { .. }));
            Ok(!broken)
        }
        MigrateCommand::Deploy { .. } => report_applied(out, &migrator.deploy().await?),
        MigrateCommand::Up { count } => report_applied(out, &migrator.up(*count).await?),
        MigrateCommand::Down { count } => {
            let rolled_back = migrator.down(*count).await?;
            report(
                out,
                "rolled back",
                &rolled_back,
                "nothing is applied: nothing to roll back",
            )
        }
        MigrateCommand::Resolve {
            applied,
            rolled_back,
        } => {
            let (name, resolution, how) = match (applied, rolled_back) {
                (Some(name), None) => (name, Resolution::Applied, "applied"),
                (None, Some(name)) => (name, Resolution::RolledBack, "rolled back"),
                // clap's argument group admits exactly one.
                _ => {
                    return Err(Error::Migration {
                        name: String::new(),
                        reason: "resolve takes exactly one of --applied NAME or --rolled-back NAME"
                            .into(),
                    })
                }
            };
            migrator.resolve(name, resolution).await?;
            write(out, &format!("recorded {name} as {how}\n"))?;
            Ok(true)
        }
        MigrateCommand::Baseline { name } => {
            let marked = migrator.baseline(name.as_deref()).await?;
            report(
                out,
                "recorded as applied without running it:",
                &marked,
                "every migration is already recorded: nothing to baseline",
            )
        }
        MigrateCommand::Squash { name } => {
            let before = migrator.dir().list()?.len();
            let squashed = migrator.squash(name).await?;
            let text = format!("squashed {before} migrations into {}\n", squashed.name);
            write(out, &text)?;
            Ok(true)
        }
        MigrateCommand::Reset { force } => {
            let applied = migrator.reset(*force).await?;
            write(out, "dropped every table, view and type\n")?;
            report(out, "applied", &applied, "no migrations to apply")
        }
        MigrateCommand::Lint { .. }
        | MigrateCommand::Generate { .. }
        | MigrateCommand::Diff { .. } => Ok(true),
    }
}

/// Lints `names` (every migration when empty) against the models.
fn lint(
    dir: &MigrationsDir,
    names: &[String],
    models: &[&'static ModelSchema],
    sources: &UrlSources,
    out: &mut dyn Write,
) -> Result<bool> {
    let dialect = migrations_dialect(dir, sources)?;
    let all = dir.list()?;
    if let Some(unknown) = names.iter().find(|n| all.iter().all(|m| m.name != **n)) {
        return Err(Error::Migration {
            name: unknown.clone(),
            reason: format!("no such migration folder in {}", dir.path().display()),
        });
    }
    let chosen = all
        .iter()
        .filter(|m| names.is_empty() || names.contains(&m.name));
    let (mut errors, mut warnings, mut files) = (0, 0, 0);
    for migration in chosen {
        files += 1;
        for finding in lint_migration(migration, dialect, models) {
            match finding.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
            write(out, &format!("{}: {finding}\n", finding.severity))?;
        }
    }
    write(
        out,
        &format!("linted {files} migrations: {errors} errors, {warnings} warnings\n"),
    )?;
    Ok(errors == 0)
}

/// The dialect the migrations are for: their `migration_lock.toml`, else the
/// database URL's scheme.
pub(super) fn migrations_dialect(dir: &MigrationsDir, sources: &UrlSources) -> Result<Dialect> {
    if let Some(dialect) = dir.dialect()? {
        return Ok(dialect);
    }
    let url = sources.choose()?;
    match url.split(':').next().unwrap_or_default() {
        "postgres" | "postgresql" => Ok(Dialect::Postgres),
        "mysql" | "mariadb" => Ok(Dialect::MySql),
        "sqlite" => Ok(Dialect::Sqlite),
        _ => Err(Error::InvalidUrl {
            url: String::new(),
            reason: "cannot tell which database the migrations are for: no \
                     migration_lock.toml and an unknown URL scheme",
        }),
    }
}

/// What `deploy` and `up` say.
fn report_applied(out: &mut dyn Write, applied: &[String]) -> Result<bool> {
    report(
        out,
        "applied",
        applied,
        "already up to date: nothing to apply",
    )
}

fn report(out: &mut dyn Write, verb: &str, names: &[String], none: &str) -> Result<bool> {
    if names.is_empty() {
        write(out, &format!("{none}\n"))?;
    }
    for name in names {
        write(out, &format!("{verb} {name}\n"))?;
    }
    Ok(true)
}

pub(super) fn write(out: &mut dyn Write, text: &str) -> Result<()> {
    out.write_all(text.as_bytes())
        .map_err(|e| Error::MigrationFiles {
            path: "<stdout>".into(),
            reason: format!("cannot write the report: {e}"),
        })
}
