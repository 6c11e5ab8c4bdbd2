//! Optimistic locking: the `#[strata(version)]` column.
//!
//! Every update and upsert of a versioned model sets `"version" = "version" + 1`
//! (so any writer's change is visible to the others); an update that names
//! the version it read (`expect_version(v)`, or `row.checked_update()`) also
//! adds `AND "version" = $v`, and when that matches no row strata tells a
//! row that is gone ([`Error::NotFound`]) from one another writer changed
//! ([`Error::Conflict`]). [`retry`] runs a read-modify-write closure again
//! on a conflict.

use super::ast::{ArithOp, AssignValue, Assignment, CompareOp, Expr};
use super::filter::UniqueKey;
use crate::error::{Error, Result};
use crate::execute::Db;
use crate::schema::{ColumnSchema, Model, SqlType};
use crate::value::Value;
use std::future::Future;
use std::time::Duration;

/// The statement's insert id when a MySQL upsert's update was refused by its
/// expected version: MySQL has no `WHERE` on `ON DUPLICATE KEY UPDATE`, and
/// with the client's found-rows flag a refused update and an insert both
/// report one affected row, so the refusal records this value with
/// `LAST_INSERT_ID(..)` (no AUTO_INCREMENT key reaches it).
pub(crate) const MYSQL_REFUSED_INSERT_ID: u64 = i64::MAX as u64;

/// The version column of `M`, if it has one.
pub(crate) fn version_column<M: Model>() -> Option<&'static ColumnSchema> {
    M::SCHEMA.version.and_then(|i| M::SCHEMA.columns.get(i))
}

/// `"version" = "version" + 1`, unless `set` already assigns the version.
pub(crate) fn push_bump<M: Model>(set: &mut Vec<Assignment>) {
    let Some(column) = version_column::<M>() else {
        return;
    };
    if set.iter().any(|a| a.column.is(column)) {
        return;
    }
    // One of the column's own type, so PostgreSQL adds like to like.
    let one = match column.ty {
        SqlType::Int => Value::I32(1),
        _ => Value::I64(1),
    };
    set.push(Assignment {
        column,
        value: AssignValue::Arithmetic(ArithOp::Add, one),
    });
}

/// `"version" = $expected` on the statement's own table (`qualify`: named
/// with the table, as inside `ON CONFLICT`).
pub(crate) fn version_check<M: Model>(expected: &Value, qualify: bool) -> Option<Expr> {
    let column = version_column::<M>()?;
    let lhs = if qualify {
        Expr::Qualified {
            table: M::SCHEMA.table.into(),
            column,
        }
    } else {
        Expr::Column(column)
    };
    Some(Expr::Compare(
        Box::new(lhs),
        CompareOp::Eq,
        Box::new(Expr::Value(expected.clone())),
    ))
}

/// The version a row of `M` holds, read from the row itself.
pub(crate) fn version_of<M: Model>(row: &M) -> Option<Value> {
    M::SCHEMA.version.and_then(|i| row.column_value(i))
}

/// The primary key of `row`, to update it by.
pub(crate) fn primary_key_of_row<M: Model>(row: &M) -> UniqueKey<M> {
    let values = (M::SCHEMA.primary_key.columns.iter())
        .filter_map(|&i| row.column_value(i))
        .collect();
    UniqueKey::new(0, values)
}

/// Why an update with an expected version matched no row: the row with
/// `key` is gone, or it is at another version.
pub(crate) async fn missed<M: Model>(db: &Db, key: &UniqueKey<M>, expected: &Value) -> Error {
    match super::find::FindUnique::new(key.clone()).exec(db).await {
        Ok(None) => super::write::not_found::<M>(),
        Ok(Some(_)) => conflict::<M>(key.values(), expected),
        Err(e) => e,
    }
}

/// [`Error::Conflict`] for the row with key `values`.
pub(crate) fn conflict<M: Model>(values: &[Value], expected: &Value) -> Error {
    let id = match values {
        [one] => key_text(one),
        many => format!(
            "({})",
            many.iter().map(key_text).collect::<Vec<_>>().join(", ")
        ),
    };
    Error::Conflict {
        model: M::SCHEMA.name,
        id,
        expected_version: match expected {
            Value::I16(v) => i64::from(*v),
            Value::I32(v) => i64::from(*v),
            Value::I64(v) => *v,
            _ => 0,
        },
    }
}

/// A key value as a person reads it: numbers bare, text quoted.
fn key_text(value: &Value) -> String {
    match value {
        Value::I16(v) => v.to_string(),
        Value::I32(v) => v.to_string(),
        Value::I64(v) => v.to_string(),
        Value::Text(v) => format!("{v:?}"),
        Value::Uuid(v) => v.to_string(),
        Value::Bool(v) => v.to_string(),
        Value::Enum(_, label) => (*label).to_owned(),
        other => format!("{other:?}"),
    }
}

/// Runs `body` (read a row, change it, update it with the version it read)
/// and runs it again, at most `attempts` times in all, while it fails with
/// [`Error::Conflict`]: another writer changed the row in between, so the
/// next attempt reads the new version. Any other error, or the last
/// conflict, is returned as it is. Between attempts it sleeps a short,
/// randomised and growing pause, so writers that collided do not collide
/// again in step.
///
/// ```ignore
/// let item = strata::optimistic::retry(&db, 10, |db| async move {
///     let item = Item::find_unique(Item::by_id(id)).exec_required(&db).await?;
///     item.checked_update().stock(item.stock - 1).exec(&db).await
/// })
/// .await?;
/// ```
///
/// `body` gets its own handle on `db` (inside a transaction, the
/// transaction's), so the closure can be `async move`. Inside a REPEATABLE
/// READ or SERIALIZABLE transaction every re-read sees the transaction's
/// snapshot and the version never catches up: retry the whole transaction
/// there instead.
pub async fn retry<T, F, Fut>(db: &Db, attempts: u32, mut body: F) -> Result<T>
where
    F: FnMut(Db) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let attempts = attempts.max(1);
    let mut attempt = 1;
    loop {
        match body(db.clone()).await {
            Err(e) if e.is_conflict() && attempt < attempts => {
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// Up to 1 ms doubled per attempt (capped at 64 ms), times a random factor
/// in [0.5, 1).
fn backoff(attempt: u32) -> Duration {
    let ceiling = 1_000u64 << attempt.saturating_sub(1).min(6);
    let jitter = jitter_permille();
    Duration::from_micros(ceiling / 2 + ceiling * jitter / 2_000)
}

/// A number in 0..1000 that differs between calls and threads: std's
/// randomly seeded hasher over the clock, enough to spread retries out.
fn jitter_permille() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.finish() % 1_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for attempt in 1..40 {
            let pause = backoff(attempt);
            let ceiling = Duration::from_micros(1_000 << (attempt - 1).min(6));
            assert!(
                pause >= ceiling / 2 && pause < ceiling,
                "{attempt}: {pause:?}"
            );
        }
    }
}
