//! Turning driver errors into strata's typed variants. sqlx already maps each
//! database's codes (PostgreSQL 23505/23503/23502/23514, MySQL 1062/1451/1452/1048,
//! SQLite extended constraint codes) to an `ErrorKind`; this adds the constraint,
//! column and model fields, which each database reports differently.

use super::transaction::Expired;
use crate::error::Error;
use crate::schema::{IndexPartSchema, IndexSchema, ModelSchema};
use sqlx::error::{DatabaseError, ErrorKind};

/// Whose statement failed: a model's (its fields name a unique violation),
/// or a query over no one model (a builder select, `sql!`), by its label.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scope {
    Model(&'static ModelSchema),
    Query(&'static str),
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::Model(model) => model.name,
            Scope::Query(label) => label,
        }
    }
}

impl From<&'static ModelSchema> for Scope {
    fn from(model: &'static ModelSchema) -> Self {
        Scope::Model(model)
    }
}

pub(crate) fn classify(error: sqlx::Error, scope: impl Into<Scope>) -> Error {
    let scope = scope.into();
    let db = match &error {
        sqlx::Error::PoolTimedOut => return Error::PoolTimedOut,
        sqlx::Error::Encode(e) => {
            return Error::InvalidValue {
                model: scope.name(),
                field: None,
                reason: e.to_string(),
            }
        }
        sqlx::Error::Configuration(e) => {
            if let Some(expired) = e.downcast_ref::<Expired>() {
                return Error::TransactionTimeout {
                    timeout: expired.timeout,
                };
            }
            if let Some(refused) = e.downcast_ref::<super::tenant_session::Refused>() {
                return Error::Tenancy {
                    model: scope.name(),
                    reason: refused.0.clone(),
                };
            }
            return Error::Database(error);
        }
        sqlx::Error::Database(db) => db.as_ref(),
        _ => return Error::Database(error),
    };
    match conflict(db) {
        Some(Conflict::Serialization) => {
            return Error::SerializationFailure {
                model: scope.name(),
                source: error,
            }
        }
        Some(Conflict::Deadlock) => {
            return Error::Deadlock {
                model: scope.name(),
                source: error,
            }
        }
        None => {}
    }
    if is_lock_not_available(db) {
        return Error::LockNotAvailable {
            model: scope.name(),
            source: error,
        };
    }
    if is_timeout(db) {
        return Error::Timeout { source: error };
    }
    // 42501 is PostgreSQL's "insufficient privilege" at large; a policy's
    // refusal says so in its message.
    if db.code().as_deref() == Some("42501") && db.message().contains("row-level security") {
        return Error::RowSecurityViolation {
            model: scope.name(),
            source: error,
        };
    }
    let constraint = db.constraint().map(str::to_owned);
    match db.kind() {
        ErrorKind::UniqueViolation => {
            let constraint = constraint
                .or_else(|| mysql_duplicate_key(db.message()))
                .or_else(|| sqlite_unique_index(db.message()));
            let fields = match scope {
                Scope::Model(model) => unique_fields(model, constraint.as_deref(), db.message()),
                Scope::Query(_) => Vec::new(),
            };
            Error::UniqueViolation {
                model: scope.name(),
                constraint,
                fields,
                source: error,
            }
        }
        ErrorKind::ForeignKeyViolation => Error::ForeignKeyViolation {
            constraint: constraint.or_else(|| mysql_foreign_key(db.message())),
            source: error,
        },
        ErrorKind::NotNullViolation => Error::NotNullViolation {
            column: null_column(db),
            source: error,
        },
        ErrorKind::CheckViolation => Error::CheckViolation {
            constraint: constraint.or_else(|| check_name(db.message())),
            source: error,
        },
        _ => Error::Database(error),
    }
}

/// Two transactions that could not both go on; the database failed this one.
enum Conflict {
    Serialization,
    Deadlock,
}

/// PostgreSQL 40001 (serialization failure) and 40P01 (deadlock); MySQL and
/// MariaDB 1213 (deadlock; its SQLSTATE is 40001 too, so the number decides).
fn conflict(db: &dyn DatabaseError) -> Option<Conflict> {
    if let Some(number) = mysql_number(db) {
        return (number == 1213).then_some(Conflict::Deadlock);
    }
    match db.code().as_deref() {
        Some("40001") => Some(Conflict::Serialization),
        Some("40P01") => Some(Conflict::Deadlock),
        _ => None,
    }
}

/// A NOWAIT read meeting a locked row: MySQL 8's 3572 (ER_LOCK_NOWAIT), and
/// PostgreSQL's 55P03 unless `lock_timeout` raised it. Both use that code;
/// they differ in where the server raised it: `lock_timeout` cancels the
/// statement in `ProcessInterrupts`, NOWAIT fails where the lock is taken
/// (`heap_lock_tuple`, or the lock manager for a table). The routine, unlike
/// the message, is never translated. MariaDB reports NOWAIT as 1205, the
/// lock wait timeout's number: only the statement can tell (query/row_lock.rs).
fn is_lock_not_available(db: &dyn DatabaseError) -> bool {
    if let Some(number) = mysql_number(db) {
        return number == 3572;
    }
    match db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        Some(pg) if pg.code() == "55P03" => match pg.routine() {
            Some(routine) => routine != "ProcessInterrupts",
            // A server (or proxy) that left the routine out: the English message.
            None => !pg.message().contains("lock timeout"),
        },
        _ => false,
    }
}

/// PostgreSQL 57014 (statement timeout / cancel) and 55P03 (lock timeout);
/// MySQL 1205 (lock wait) and 3024 (max_execution_time); MariaDB 1969
/// (max_statement_time); SQLite 5 and 6 (busy / locked after busy_timeout).
fn is_timeout(db: &dyn DatabaseError) -> bool {
    if let Some(number) = mysql_number(db) {
        return matches!(number, 1205 | 3024 | 1969);
    }
    // SQLite reports its (extended) result code: SQLITE_BUSY, SQLITE_LOCKED and
    // their extended forms (BUSY_RECOVERY 261, BUSY_SNAPSHOT 517, BUSY_TIMEOUT 773).
    matches!(
        db.code().as_deref(),
        Some("57014" | "55P03" | "5" | "6" | "261" | "517" | "773")
    )
}

fn mysql_number(db: &dyn DatabaseError) -> Option<u16> {
    db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
        .map(|e| e.number())
}

/// `Duplicate entry 'a@b' for key 'users_email_key'` (MySQL 8 prefixes the table:
/// `'users.users_email_key'`).
fn mysql_duplicate_key(message: &str) -> Option<String> {
    let rest = message.rsplit_once(" for key '")?.1;
    let key = rest.strip_suffix('\'')?;
    Some(key.rsplit('.').next().unwrap_or(key).to_owned())
}

/// `... CONSTRAINT `posts_author_id_fkey` FOREIGN KEY ...`
fn mysql_foreign_key(message: &str) -> Option<String> {
    let rest = message.split_once("CONSTRAINT `")?.1;
    Some(rest.split_once('`')?.0.to_owned())
}

/// A unique index that is not a constraint, on SQLite:
/// `UNIQUE constraint failed: index 'users_email_lower_key'`.
fn sqlite_unique_index(message: &str) -> Option<String> {
    let rest = message.strip_prefix("UNIQUE constraint failed: index '")?;
    Some(rest.strip_suffix('\'')?.to_owned())
}

/// The CHECK constraint a row failed, where the driver does not say it:
/// SQLite `CHECK constraint failed: posts_views_check`, MariaDB
/// ``CONSTRAINT `posts_views_check` failed for `db`.`posts` ``, MySQL
/// `Check constraint 'posts_views_check' is violated.`
fn check_name(message: &str) -> Option<String> {
    if let Some(name) = message.strip_prefix("CHECK constraint failed: ") {
        return Some(name.to_owned());
    }
    if let Some(rest) = message.strip_prefix("Check constraint '") {
        return Some(rest.split_once('\'')?.0.to_owned());
    }
    mysql_foreign_key(message)
}

/// Which of the model's fields a unique violation is about: by constraint name
/// (PostgreSQL, MySQL) or by the `table.column` list SQLite reports
/// (`UNIQUE constraint failed: users.email, users.org`).
fn unique_fields(
    model: &'static ModelSchema,
    constraint: Option<&str>,
    message: &str,
) -> Vec<&'static str> {
    let fields_of = |columns: &[usize]| columns.iter().map(|&i| model.column(i).field).collect();
    if let Some(name) = constraint {
        if let Some(key) = model
            .keys()
            .find(|k| k.name == name || (name == "PRIMARY" && k.name == model.primary_key.name))
        {
            return fields_of(key.columns);
        }
        if let Some(index) = model.indexes.iter().find(|i| i.unique && i.name == name) {
            return index_fields(model, index);
        }
    }
    if let Some(list) = message.strip_prefix("UNIQUE constraint failed: ") {
        return list
            .split(", ")
            .filter_map(|qualified| {
                let column = qualified.rsplit('.').next()?;
                model
                    .columns
                    .iter()
                    .find(|c| c.name == column)
                    .map(|c| c.field)
            })
            .collect();
    }
    Vec::new()
}

/// The fields a unique index covers: its plain columns, and the columns an
/// expression key names (`lower(email)` covers `email`), in column order.
fn index_fields(model: &'static ModelSchema, index: &IndexSchema) -> Vec<&'static str> {
    let in_expression = |name: &str| {
        index.parts.iter().any(|part| match part {
            IndexPartSchema::Expression(sql) => sql
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == name),
            IndexPartSchema::Column { .. } => false,
        })
    };
    (model.columns.iter().enumerate())
        .filter(|(i, c)| index.columns().any(|k| k == *i) || in_expression(c.name))
        .map(|(_, c)| c.field)
        .collect()
}

/// PostgreSQL reports the column; MySQL says `Column 'name' cannot be null`
/// (or, for a column left out of an INSERT, `Field 'name' doesn't have a default
/// value`); SQLite says `NOT NULL constraint failed: users.name`.
fn null_column(db: &dyn DatabaseError) -> Option<String> {
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        return pg.column().map(str::to_owned);
    }
    let message = db.message();
    if let Some(rest) = message.strip_prefix("NOT NULL constraint failed: ") {
        return rest.rsplit('.').next().map(str::to_owned);
    }
    let rest = ["Column '", "Field '"]
        .iter()
        .find_map(|prefix| message.split_once(prefix))?
        .1;
    Some(rest.split_once('\'')?.0.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mysql_and_mariadb_duplicate_key_names() {
        assert_eq!(
            mysql_duplicate_key("Duplicate entry 'a' for key 'users_email_key'").as_deref(),
            Some("users_email_key")
        );
        assert_eq!(
            mysql_duplicate_key("Duplicate entry 'a' for key 'users.users_email_key'").as_deref(),
            Some("users_email_key")
        );
    }

    #[test]
    fn reads_check_constraint_names_of_each_database() {
        for message in [
            "CHECK constraint failed: posts_views_check",
            "CONSTRAINT `posts_views_check` failed for `db`.`posts`",
            "Check constraint 'posts_views_check' is violated.",
        ] {
            assert_eq!(
                check_name(message).as_deref(),
                Some("posts_views_check"),
                "{message}"
            );
        }
        assert_eq!(
            sqlite_unique_index("UNIQUE constraint failed: index 'users_email_lower_key'")
                .as_deref(),
            Some("users_email_lower_key")
        );
    }
}
