//! strata's one error type. Database errors are classified into variants users
//! match on; the driver's error stays underneath for everything else.

use crate::render::Dialect;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `find_unique(..).exec()`-style calls that require a row found none.
    #[error("no {model} record matched the query")]
    NotFound { model: &'static str },

    #[error("unique constraint {constraint:?} on {model} failed for fields ({})", fields.join(", "))]
    UniqueViolation {
        model: &'static str,
        /// The constraint or index name the database reported, if it reported one.
        constraint: Option<String>,
        /// The model's fields covered by that constraint, when strata knows them.
        fields: Vec<&'static str>,
        #[source]
        source: sqlx::Error,
    },

    #[error("foreign key constraint {constraint:?} failed")]
    ForeignKeyViolation {
        constraint: Option<String>,
        #[source]
        source: sqlx::Error,
    },

    #[error("column {column:?} cannot be NULL")]
    NotNullViolation {
        column: Option<String>,
        #[source]
        source: sqlx::Error,
    },

    #[error("check constraint {constraint:?} failed")]
    CheckViolation {
        constraint: Option<String>,
        #[source]
        source: sqlx::Error,
    },

    /// The database cancelled the statement (statement or lock timeout).
    #[error("the database timed out the statement")]
    Timeout {
        #[source]
        source: sqlx::Error,
    },

    /// A locking read with `nowait()` met a row another transaction holds a
    /// conflicting lock on, and failed at once instead of waiting
    /// (PostgreSQL 55P03 from NOWAIT, MySQL 8 3572; MariaDB reports 1205,
    /// which strata reads as this when the statement asked for NOWAIT). On
    /// PostgreSQL the transaction is now aborted: roll it back (or run the
    /// read in a nested transaction, a savepoint, to go on without it).
    #[error("{model}: a row it reads is locked by another transaction, and the read asked not to wait (NOWAIT)")]
    LockNotAvailable {
        model: &'static str,
        #[source]
        source: sqlx::Error,
    },

    /// No connection became free within the pool's acquire timeout (or a
    /// transaction's `max_wait`).
    #[error("timed out waiting for a connection from the pool")]
    PoolTimedOut,

    /// A transaction ran past its `TransactionOptions::timeout`: it was rolled
    /// back (or, for a `Transaction` handle still held, will be when it is
    /// committed, rolled back or dropped) and nothing of it was kept.
    #[error("the transaction ran longer than its timeout of {timeout:?} and was rolled back")]
    TransactionTimeout { timeout: std::time::Duration },

    /// A serializable (or repeatable-read) transaction could not be ordered
    /// with a concurrent one (PostgreSQL 40001). Retryable: run the whole
    /// transaction again (`Db::retry`).
    #[error("{model}: could not serialize access due to a concurrent transaction; retry the transaction")]
    SerializationFailure {
        /// The model (or query label, or `transaction` for BEGIN/COMMIT)
        /// whose statement failed.
        model: &'static str,
        #[source]
        source: sqlx::Error,
    },

    /// The database broke a deadlock by failing this transaction
    /// (PostgreSQL 40P01, MySQL/MariaDB 1213). Retryable: run the whole
    /// transaction again (`Db::retry`).
    #[error("{model}: deadlock detected; the transaction was chosen as the victim; retry the transaction")]
    Deadlock {
        /// The model (or query label, or `transaction` for BEGIN/COMMIT)
        /// whose statement failed.
        model: &'static str,
        #[source]
        source: sqlx::Error,
    },

    /// A transaction option this database cannot honour (an isolation level
    /// SQLite does not have, DEFERRABLE outside PostgreSQL, ..): refused
    /// before anything was sent.
    #[error("transaction option {option} cannot be used on {dialect:?}: {reason}")]
    UnsupportedTransactionOption {
        option: &'static str,
        dialect: Dialect,
        reason: &'static str,
    },

    /// A model uses something this database cannot store or do.
    #[error("{model}.{field}: {reason} on {dialect:?}")]
    Unsupported {
        model: &'static str,
        field: &'static str,
        dialect: Dialect,
        reason: &'static str,
    },

    /// An index uses a feature this database does not have, and is not scoped
    /// away from it with `dialects(..)`.
    #[error("index {index} of model {model} uses {feature}, which {} does not have; scope the index to the databases that have it with `dialects(..)`, e.g. `#[strata(index(.., dialects(postgres)))]`", crate::schema::dialect_support::dialect_name(*dialect))]
    UnsupportedIndex {
        model: &'static str,
        index: &'static str,
        dialect: Dialect,
        feature: String,
    },

    /// A connection URL strata cannot use.
    #[error("invalid database URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: &'static str },

    /// A value or query the database cannot take, caught before it was sent:
    /// names the model, the field when known, and why.
    #[error("{model}{}: {reason}", field.map(|f| format!(".{f}")).unwrap_or_default())]
    InvalidValue {
        model: &'static str,
        field: Option<&'static str>,
        reason: String,
    },

    /// An upsert's key is held by a row of another tenant: the conflict
    /// update touches only the scope's own rows, so that row was left as it
    /// is and nothing was written. (A create with that key would fail on the
    /// unique constraint the same way.)
    #[error("{model}: upsert by ({}): the row with this key belongs to another tenant; nothing was written", fields.join(", "))]
    TenantKeyTaken {
        model: &'static str,
        /// The upsert key's fields.
        fields: Vec<&'static str>,
    },

    /// PostgreSQL's row-level security refused a row (42501): a write the
    /// table's policy does not allow, such as another tenant's row written
    /// through raw SQL under `Tenancy::RowLevelSecurity`. Nothing was
    /// written. (An upsert whose key is another tenant's row reports
    /// [`Error::TenantKeyTaken`] instead.)
    #[error("{model}: the row was refused by the table's row-level security policy; nothing was written")]
    RowSecurityViolation {
        model: &'static str,
        #[source]
        source: sqlx::Error,
    },

    /// A query on a tenant-scoped model (`#[strata(tenant = ..)]`) ran
    /// outside any tenant scope: wrap the request in
    /// `strata::tenant::scope(tenant_id, ..)`, or, for cross-tenant admin
    /// work, `strata::tenant::unscoped(..)`.
    #[error("{model} is tenant-scoped and no tenant is set: run it inside `strata::tenant::scope(tenant_id, ..)`, or `strata::tenant::unscoped(..)` for cross-tenant work")]
    MissingTenant { model: &'static str },

    /// A write would put a row of a tenant-scoped model under another tenant
    /// than the scope's (a create or upsert naming another tenant_id, an
    /// update setting it). Nothing was written.
    #[error("{model}.{field}: the row would belong to tenant {written}, but the scope is tenant {scope}; a tenant writes only its own rows")]
    TenantMismatch {
        model: &'static str,
        field: &'static str,
        /// The tenant in scope, as text.
        scope: String,
        /// The tenant the write named, as text.
        written: String,
    },

    /// The `Db`'s tenancy (`Db::builder().tenancy(..)`) cannot run this as
    /// asked: a mode the database does not have, a tenant id that names no
    /// usable schema, a transaction used from another tenant's scope than
    /// the one it began in, or a row-level-security model on a `Db` that
    /// does not set the tenant. Nothing was sent.
    #[error("{model}: {reason}")]
    Tenancy { model: &'static str, reason: String },

    /// A nested write named a related row that does not exist, or is not
    /// related to the row being written (`connect`, `update`, `delete`,
    /// `disconnect`); nothing of the write was kept.
    #[error("{model}.{relation}: no such {target} row related to this {model} (it does not exist, or belongs to another row)")]
    RelatedNotFound {
        /// The model written.
        model: &'static str,
        /// Its relation field the nested write was on.
        relation: &'static str,
        /// The related model.
        target: &'static str,
    },

    /// A relation was read that the query did not `include`.
    #[error("rows of {model} were not loaded: add `.include(..)` for this relation to the query")]
    NotLoaded { model: &'static str },

    /// A migrations folder or file strata cannot read or write: names the
    /// path and why.
    #[error("{path}: {reason}")]
    MigrationFiles { path: String, reason: String },

    /// A migration that cannot be applied, rolled back or resolved: names it
    /// and why (a failed earlier migration, a missing `down.sql`, ..).
    #[error("migration {name}: {reason}")]
    Migration { name: String, reason: String },

    /// An applied migration's file no longer matches what was applied.
    #[error("migration {name} was edited after it was applied: {file} now has checksum {current}, but {recorded} was applied; restore the file, or add a new migration for the change")]
    MigrationEdited {
        name: String,
        file: String,
        recorded: String,
        current: String,
    },

    /// Another deployer held the migration lock for the whole wait.
    #[error("another migration run holds the migration lock; gave up after {waited:?}")]
    MigrationLocked { waited: std::time::Duration },

    /// A schema change would drop data and the caller did not allow it: names
    /// every table and column that would be lost.
    #[error("the change would drop data in {}; pass a rename hint if this is a rename, or allow data loss", lost.join(", "))]
    DataLoss { lost: Vec<String> },

    /// A removed and an added column (or table) of the same shape, with no
    /// rename hint: strata never guesses a rename into a drop. Each entry is
    /// `table.old=new` (or `old=new` for a table).
    #[error("looks like a rename: {}; pass --rename {} (one per rename), or --allow-data-loss to drop and add instead", renames.join(", "), renames.join(" --rename "))]
    PossibleRename { renames: Vec<String> },

    /// A schema change strata cannot turn into a safe migration: names the
    /// table or column and says what to do instead.
    #[error("cannot generate a migration for {object}: {reason}")]
    SchemaChange { object: String, reason: String },

    /// A live database's schema holds something introspection cannot read
    /// into a schema description: names the table, column or constraint.
    #[error("introspecting {object}: {reason}")]
    Introspection { object: String, reason: String },

    /// A batched backfill that cannot start or go on: names it and why (a
    /// key it cannot iterate, a record left by another table, a batch that
    /// another run committed first).
    #[error("backfill {name}: {reason}")]
    Backfill { name: String, reason: String },

    /// Optimistic locking: an update (or an upsert's update) expected the
    /// row at `expected_version`, but another writer changed it since it was
    /// read. Nothing was written; read the row again and retry
    /// (`strata::optimistic::retry` does both).
    #[error("{model} {id} was changed since it was read: expected version {expected_version}, but the row is at another version; read it again and retry")]
    Conflict {
        model: &'static str,
        /// The key the row was updated by, as its values print (`42`,
        /// `(7, "sku-1")`).
        id: String,
        expected_version: i64,
    },

    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Error {
    /// Whether the error is the database refusing a duplicate.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Error::UniqueViolation { .. })
    }

    /// Whether running the whole transaction again may succeed: a
    /// serialization failure, a deadlock, or a lock wait given up on
    /// (MySQL/MariaDB 1205, SQLite busy). What `Db::retry` retries on.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::SerializationFailure { .. } | Error::Deadlock { .. } => true,
            Error::Timeout { source } => is_lock_wait_given_up(source),
            _ => false,
        }
    }

    /// Whether the error is an optimistic-locking [`Error::Conflict`].
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict { .. })
    }

    /// A stable snake_case name for the variant, for metrics labels and logs
    /// (`strata_errors_total{kind}`): a bounded set, never a message or a
    /// value. A driver error (`Error::Database`) is split only as far as an
    /// operator acts on it: `connection` (I/O, TLS), `pool_closed`, `decode`
    /// (a row that does not fit its type), `database` (everything else).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "not_found",
            Error::UniqueViolation { .. } => "unique_violation",
            Error::ForeignKeyViolation { .. } => "foreign_key_violation",
            Error::NotNullViolation { .. } => "not_null_violation",
            Error::CheckViolation { .. } => "check_violation",
            Error::Timeout { .. } => "timeout",
            Error::LockNotAvailable { .. } => "lock_not_available",
            Error::PoolTimedOut => "pool_timed_out",
            Error::TransactionTimeout { .. } => "transaction_timeout",
            Error::SerializationFailure { .. } => "serialization_failure",
            Error::Deadlock { .. } => "deadlock",
            Error::UnsupportedTransactionOption { .. } => "unsupported_transaction_option",
            Error::Unsupported { .. } => "unsupported",
            Error::UnsupportedIndex { .. } => "unsupported_index",
            Error::InvalidUrl { .. } => "invalid_url",
            Error::InvalidValue { .. } => "invalid_value",
            Error::MissingTenant { .. } => "missing_tenant",
            Error::TenantMismatch { .. } => "tenant_mismatch",
            Error::Tenancy { .. } => "tenancy",
            Error::RelatedNotFound { .. } => "related_not_found",
            Error::NotLoaded { .. } => "not_loaded",
            Error::MigrationFiles { .. } => "migration_files",
            Error::Migration { .. } => "migration",
            Error::MigrationEdited { .. } => "migration_edited",
            Error::MigrationLocked { .. } => "migration_locked",
            Error::DataLoss { .. } => "data_loss",
            Error::PossibleRename { .. } => "possible_rename",
            Error::SchemaChange { .. } => "schema_change",
            Error::Introspection { .. } => "introspection",
            Error::Backfill { .. } => "backfill",
            Error::Conflict { .. } => "conflict",
            Error::TenantKeyTaken { .. } => "tenant_key_taken",
            Error::RowSecurityViolation { .. } => "row_security_violation",
            Error::Database(source) => match source {
                sqlx::Error::Io(_) | sqlx::Error::Tls(_) => "connection",
                sqlx::Error::PoolTimedOut => "pool_timed_out",
                sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => "pool_closed",
                sqlx::Error::Decode(_)
                | sqlx::Error::ColumnDecode { .. }
                | sqlx::Error::ColumnNotFound(_)
                | sqlx::Error::ColumnIndexOutOfBounds { .. }
                | sqlx::Error::TypeNotFound { .. } => "decode",
                _ => "database",
            },
        }
    }
}

/// MySQL/MariaDB 1205 (lock wait timeout exceeded) or SQLite busy
/// (SQLITE_BUSY 5 and its extended codes 261, 517, 773): another transaction
/// held the lock the whole wait. Statement timeouts (PostgreSQL 57014, MySQL
/// 3024, MariaDB 1969) are not: the statement was slow, not in a conflict.
fn is_lock_wait_given_up(source: &sqlx::Error) -> bool {
    let Some(db) = source.as_database_error() else {
        return false;
    };
    if let Some(mysql) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return mysql.number() == 1205;
    }
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return matches!(db.code().as_deref(), Some("5" | "261" | "517" | "773"));
    }
    false
}
