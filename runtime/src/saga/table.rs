//! `_strata_sagas`: its DDL per dialect and every statement the engine runs
//! on it, rendered by SqlWriter (identifiers quoted, values bound), with the
//! column types and CREATE/SELECT/INSERT helpers `_strata_migrations` and
//! `_strata_backfills` use (migrate/bookkeeping.rs).
//!
//! Every write after the claim is conditional on the runner's lease token
//! (`.. WHERE id = ? AND lease_owner = ?`): a runner whose lease another
//! took over changes nothing and learns it from the row count (MySQL
//! connects with CLIENT_FOUND_ROWS, so it counts matched rows too).

use chrono::{DateTime, Utc};

use super::error::SagaError;
use super::state::SagaStatus;
use crate::migrate::bookkeeping::{self, Types};
use crate::render::{Dialect, Rendered, SqlWriter};
use crate::schema::SqlType;
use crate::value::Value;
use crate::Db;

pub const SAGA_TABLE: &str = "_strata_sagas";

/// What database errors on this table name.
pub(super) const LABEL: &str = "_strata_sagas";

/// The columns in the order `state::decode` reads them.
pub(super) const COLUMNS: [&str; 12] = [
    "id",
    "name",
    "status",
    "step",
    "steps",
    "context",
    "attempts",
    "last_error",
    "lease_owner",
    "lease_until",
    "created_at",
    "updated_at",
];

pub(super) fn create_table(dialect: Dialect) -> Rendered {
    let Types { key, instant, text } = bookkeeping::types(dialect);
    let columns = [
        ("id", key, "NOT NULL PRIMARY KEY"),
        ("name", key, "NOT NULL"),
        ("status", key, "NOT NULL"),
        ("step", "BIGINT", "NOT NULL"),
        // JSON as text: the same column type on every database.
        ("steps", text, "NOT NULL"),
        ("context", text, "NOT NULL"),
        ("attempts", "BIGINT", "NOT NULL"),
        ("last_error", text, "NULL"),
        ("lease_owner", key, "NULL"),
        // Milliseconds since the epoch: compares alike on every database.
        ("lease_until", "BIGINT", "NULL"),
        ("created_at", instant, "NOT NULL"),
        ("updated_at", instant, "NOT NULL"),
    ];
    bookkeeping::create_table(dialect, SAGA_TABLE, &columns)
}

/// Creates the table if it is missing. Two processes creating it at once
/// can collide on PostgreSQL (IF NOT EXISTS checks, then creates): the
/// loser's error is retried once, when the table exists.
pub(super) async fn ensure(db: &Db) -> Result<(), SagaError> {
    let create = || db.execute_unscoped(LABEL, create_table(db.dialect()));
    if create().await.is_ok() {
        return Ok(());
    }
    create()
        .await
        .map(drop)
        .map_err(|source| SagaError::database("", source))
}

pub(super) fn select(dialect: Dialect, id: &str) -> Rendered {
    let mut w = bookkeeping::select(dialect, SAGA_TABLE, &COLUMNS);
    where_id(&mut w, id);
    w.finish()
}

/// A saga's first record. `lease` is the runner's token and lease end when
/// the saga starts running at once, `None` when it is only recorded.
pub(super) struct NewSaga<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub steps: String,
    pub context: String,
    pub lease: Option<(&'a str, i64)>,
    pub now: DateTime<Utc>,
}

pub(super) fn insert(dialect: Dialect, saga: NewSaga<'_>) -> Rendered {
    let (owner, until) = match saga.lease {
        Some((owner, until)) => (Value::Text(owner.to_owned()), Value::I64(until)),
        None => (Value::Null(SqlType::Text), Value::Null(SqlType::BigInt)),
    };
    let values = [
        Value::Text(saga.id.to_owned()),
        Value::Text(saga.name.to_owned()),
        Value::Text(SagaStatus::Running.as_str().to_owned()),
        Value::I64(0),
        Value::Text(saga.steps),
        Value::Text(saga.context),
        Value::I64(i64::from(saga.lease.is_some())),
        Value::Null(SqlType::Text),
        owner,
        until,
        Value::Timestamptz(saga.now),
        Value::Timestamptz(saga.now),
    ];
    bookkeeping::insert(dialect, SAGA_TABLE, &COLUMNS, values)
}

/// Takes the lease of a saga in one of `statuses` that no runner holds (or
/// whose runner's lease ended before `now_ms`); counts a claim in `attempts`.
pub(super) fn claim(
    dialect: Dialect,
    id: &str,
    owner: &str,
    now_ms: i64,
    until_ms: i64,
    statuses: &[SagaStatus],
) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    w.push("UPDATE ");
    w.push_ident(SAGA_TABLE);
    w.push(" SET ");
    w.push_ident("lease_owner");
    w.push(" = ");
    w.push_bind(Value::Text(owner.to_owned()));
    w.push(", ");
    w.push_ident("lease_until");
    w.push(" = ");
    w.push_bind(Value::I64(until_ms));
    w.push(", ");
    w.push_ident("attempts");
    w.push(" = ");
    w.push_ident("attempts");
    w.push(" + 1");
    where_id(&mut w, id);
    w.push(" AND ");
    status_in(&mut w, statuses);
    w.push(" AND ");
    lease_free(&mut w, now_ms);
    w.finish()
}

/// Extends the lease `owner` holds.
pub(super) fn renew(dialect: Dialect, id: &str, owner: &str, until_ms: i64) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    w.push("UPDATE ");
    w.push_ident(SAGA_TABLE);
    w.push(" SET ");
    w.push_ident("lease_until");
    w.push(" = ");
    w.push_bind(Value::I64(until_ms));
    where_owned(&mut w, id, owner);
    w.finish()
}

/// What the runner holding a saga writes after each change.
pub(super) struct Save<'a> {
    pub id: &'a str,
    pub owner: &'a str,
    pub status: SagaStatus,
    pub step: usize,
    pub steps: String,
    pub context: String,
    pub last_error: Option<String>,
    /// The lease's new end, or `None` to release it.
    pub lease_until: Option<i64>,
    pub now: DateTime<Utc>,
}

pub(super) fn save(dialect: Dialect, save: Save<'_>) -> Rendered {
    let (owner, until) = match save.lease_until {
        Some(until) => (Value::Text(save.owner.to_owned()), Value::I64(until)),
        None => (Value::Null(SqlType::Text), Value::Null(SqlType::BigInt)),
    };
    let assignments = [
        ("status", Value::Text(save.status.as_str().to_owned())),
        (
            "step",
            Value::I64(i64::try_from(save.step).unwrap_or(i64::MAX)),
        ),
        ("steps", Value::Text(save.steps)),
        ("context", Value::Text(save.context)),
        (
            "last_error",
            save.last_error
                .map_or(Value::Null(SqlType::Text), Value::Text),
        ),
        ("lease_owner", owner),
        ("lease_until", until),
        ("updated_at", Value::Timestamptz(save.now)),
    ];
    let mut w = SqlWriter::new(dialect);
    w.push("UPDATE ");
    w.push_ident(SAGA_TABLE);
    w.push(" SET ");
    w.push_list(assignments, ", ", |w, (column, value)| {
        w.push_ident(column);
        w.push(" = ");
        w.push_bind(value);
    });
    where_owned(&mut w, save.id, save.owner);
    w.finish()
}

/// The sagas in `statuses` that no runner holds, oldest first: `(id, name)`.
pub(super) fn pending(dialect: Dialect, now_ms: i64, statuses: &[SagaStatus]) -> Rendered {
    let mut w = bookkeeping::select(dialect, SAGA_TABLE, &["id", "name"]);
    w.push(" WHERE ");
    status_in(&mut w, statuses);
    w.push(" AND ");
    lease_free(&mut w, now_ms);
    w.push(" ORDER BY ");
    w.push_ident("created_at");
    w.push(", ");
    w.push_ident("id");
    w.finish()
}

fn where_id(w: &mut SqlWriter, id: &str) {
    w.push(" WHERE ");
    w.push_ident("id");
    w.push(" = ");
    w.push_bind(Value::Text(id.to_owned()));
}

fn where_owned(w: &mut SqlWriter, id: &str, owner: &str) {
    where_id(w, id);
    w.push(" AND ");
    w.push_ident("lease_owner");
    w.push(" = ");
    w.push_bind(Value::Text(owner.to_owned()));
}

/// `status IN (..)`.
fn status_in(w: &mut SqlWriter, statuses: &[SagaStatus]) {
    w.push_ident("status");
    w.push(" IN (");
    w.push_list(statuses, ", ", |w, s| {
        w.push_bind(Value::Text(s.as_str().to_owned()))
    });
    w.push(")");
}

/// `(lease_owner IS NULL OR lease_until < now)`.
fn lease_free(w: &mut SqlWriter, now_ms: i64) {
    w.push("(");
    w.push_ident("lease_owner");
    w.push(" IS NULL OR ");
    w.push_ident("lease_until");
    w.push(" < ");
    w.push_bind(Value::I64(now_ms));
    w.push(")");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_per_dialect() {
        assert_eq!(
            create_table(Dialect::Postgres).sql,
            "CREATE TABLE IF NOT EXISTS \"_strata_sagas\" (\"id\" TEXT NOT NULL PRIMARY KEY, \
             \"name\" TEXT NOT NULL, \"status\" TEXT NOT NULL, \"step\" BIGINT NOT NULL, \
             \"steps\" TEXT NOT NULL, \"context\" TEXT NOT NULL, \"attempts\" BIGINT NOT NULL, \
             \"last_error\" TEXT NULL, \"lease_owner\" TEXT NULL, \"lease_until\" BIGINT NULL, \
             \"created_at\" TIMESTAMPTZ NOT NULL, \"updated_at\" TIMESTAMPTZ NOT NULL)"
        );
        let mysql = create_table(Dialect::MySql).sql;
        assert!(mysql.starts_with(
            "CREATE TABLE IF NOT EXISTS `_strata_sagas` (`id` VARCHAR(255) NOT NULL PRIMARY KEY"
        ));
        assert!(
            mysql.contains("`steps` LONGTEXT NOT NULL")
                && mysql.contains("`updated_at` DATETIME(6) NOT NULL")
        );
        assert!(create_table(Dialect::Sqlite)
            .sql
            .contains("\"created_at\" TEXT NOT NULL"));
    }

    #[test]
    fn a_claim_takes_only_a_free_lease_in_the_statuses_given() {
        let statuses = [SagaStatus::Running, SagaStatus::Compensating];
        let rendered = claim(Dialect::Postgres, "s1", "token", 1_000, 61_000, &statuses);
        assert_eq!(
            rendered.sql,
            "UPDATE \"_strata_sagas\" SET \"lease_owner\" = $1, \"lease_until\" = $2, \
             \"attempts\" = \"attempts\" + 1 WHERE \"id\" = $3 AND \"status\" IN ($4, $5) \
             AND (\"lease_owner\" IS NULL OR \"lease_until\" < $6)"
        );
        assert_eq!(
            rendered.binds,
            vec![
                Value::Text("token".into()),
                Value::I64(61_000),
                Value::Text("s1".into()),
                Value::Text("running".into()),
                Value::Text("compensating".into()),
                Value::I64(1_000),
            ]
        );
        let mysql = claim(Dialect::MySql, "s1", "token", 1_000, 61_000, &statuses).sql;
        assert!(
            mysql.ends_with("AND (`lease_owner` IS NULL OR `lease_until` < ?)"),
            "{mysql}"
        );
    }

    #[test]
    fn every_write_after_the_claim_is_conditional_on_the_lease() {
        let now = Utc::now();
        let release = Save {
            id: "s1",
            owner: "token",
            status: SagaStatus::Completed,
            step: 3,
            steps: "[]".into(),
            context: "{}".into(),
            last_error: None,
            lease_until: None,
            now,
        };
        let rendered = save(Dialect::Sqlite, release);
        assert_eq!(
            rendered.sql,
            "UPDATE \"_strata_sagas\" SET \"status\" = ?, \"step\" = ?, \"steps\" = ?, \
             \"context\" = ?, \"last_error\" = ?, \"lease_owner\" = ?, \"lease_until\" = ?, \
             \"updated_at\" = ? WHERE \"id\" = ? AND \"lease_owner\" = ?"
        );
        // Released: the owner and the lease's end are NULL, the check is on the token.
        assert_eq!(rendered.binds[5], Value::Null(SqlType::Text));
        assert_eq!(rendered.binds[6], Value::Null(SqlType::BigInt));
        assert_eq!(rendered.binds[9], Value::Text("token".into()));
        assert!(renew(Dialect::Postgres, "s1", "token", 5)
            .sql
            .ends_with("WHERE \"id\" = $2 AND \"lease_owner\" = $3"));
    }
}
