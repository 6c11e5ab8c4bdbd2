//! The command line's arguments (clap derive).

use std::path::PathBuf;

use clap::{ArgGroup, Parser, Subcommand};

/// strata: migrations and diagrams for this crate's models.
#[derive(Debug, Clone, Parser)]
#[command(name = "strata", version)]
pub struct Cli {
    /// The database URL [default: DIRECT_URL, else DATABASE_URL].
    #[arg(long, global = true)]
    pub url: Option<String>,

    /// The migrations folder.
    #[arg(long, global = true, default_value = "migrations")]
    pub migrations_dir: PathBuf,

    /// Seconds to wait for another run holding the migration lock.
    #[arg(long, global = true, default_value_t = 60)]
    pub lock_timeout: u64,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Create, apply and inspect migrations.
    Migrate {
        #[command(subcommand)]
        command: MigrateCommand,
    },
    /// Print a Mermaid ER diagram of the models.
    Erd,
    /// Suggest index changes: redundant and unused indexes, foreign keys
    /// without one, and differences from the models (reads only).
    Advise {
        /// Exit non-zero when there is any finding (a check for CI).
        #[arg(long)]
        exit_code: bool,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum MigrateCommand {
    /// Write a migration from what changed in the models since the newest
    /// migration's recorded schema.
    Generate {
        /// The migration's name after its timestamp, snake_case.
        name: String,
        #[command(flatten)]
        changes: ChangeOptions,
    },
    /// Print the SQL that would bring the database to the models (writes nothing).
    Diff {
        #[command(flatten)]
        changes: ChangeOptions,
        /// Exit non-zero when there are differences (a drift check for CI).
        #[arg(long)]
        exit_code: bool,
    },
    /// Apply every pending migration, in order (what a deploy runs).
    Deploy {
        /// Schema per tenant (PostgreSQL): deploy to every schema named
        /// PREFIX followed by a tenant id, one after the other, instead of
        /// the URL's own schema. A failing tenant does not stop the others;
        /// the exit code is non-zero if any failed.
        #[arg(long, value_name = "PREFIX")]
        tenants: Option<String>,
    },
    /// Show each migration: applied, pending, rolled back, failed, edited or missing.
    Status,
    /// Apply the next COUNT pending migrations (all by default).
    Up { count: Option<usize> },
    /// Roll back the last COUNT applied migrations with their down.sql.
    Down {
        #[arg(default_value_t = 1)]
        count: usize,
    },
    /// Settle a failed migration, after making the database match one side.
    #[command(group(ArgGroup::new("resolution").required(true).args(["applied", "rolled_back"])))]
    Resolve {
        /// Its changes are in place: record it as applied.
        #[arg(long, value_name = "NAME")]
        applied: Option<String>,
        /// Its changes are not in place: record it rolled back; deploy applies it again.
        #[arg(long, value_name = "NAME")]
        rolled_back: Option<String>,
    },
    /// Record every migration up to NAME (all by default) as applied without
    /// running it: for a database whose schema already exists.
    Baseline { name: Option<String> },
    /// Collapse every applied migration into one that creates the current schema.
    Squash {
        /// The new migration's name after its timestamp.
        #[arg(long, default_value = "squashed")]
        name: String,
    },
    /// Development only: drop everything and apply every migration again.
    Reset {
        /// Also on a database that is not on this machine.
        #[arg(long)]
        force: bool,
    },
    /// Check migrations for statements that lock or break running code.
    Lint {
        /// Migration folder names (every migration by default).
        names: Vec<String>,
    },
}

/// What a diff may do: renames it must not guess, and data loss.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ChangeOptions {
    /// A rename, not a drop and an add: `table.old_column=new_column` or
    /// `old_table=new_table`. Repeat for several.
    #[arg(long = "rename", value_name = "HINT")]
    pub renames: Vec<String>,
    /// Drop tables and columns (and narrow types) although their data is lost.
    #[arg(long)]
    pub allow_data_loss: bool,
}
