//! The key a backfill walks: which columns may be one, the keyset query that
//! reads the next batch of keys, and the JSON form the last key is recorded
//! in so a later run can bind it again with its column's type.

use crate::error::{Error, Result};
use crate::render::{Dialect, Rendered, SqlWriter};
use crate::schema::{ColumnSchema, ModelSchema, SqlType};
use crate::value::Value;

/// Checks that `column` of `model` can drive a keyset walk: it alone is the
/// primary key or a unique key, is never NULL, and has a type whose last
/// value can be recorded and bound again.
pub(super) fn check(name: &str, model: &ModelSchema, column: &ColumnSchema) -> Result<()> {
    let refuse = |reason: String| {
        Err(Error::Backfill {
            name: name.to_owned(),
            reason,
        })
    };
    let single = model.keys().any(|key| match key.columns {
        [index] => model.columns.get(*index).is_some_and(|c| c.is(column)),
        _ => false,
    });
    if !single {
        let primary: Vec<&str> = (model.primary_key.columns.iter())
            .filter_map(|i| model.columns.get(*i).map(|c| c.name))
            .collect();
        return refuse(format!(
            "{}.{} is not a single-column key of {} (its primary key is ({})); a backfill walks one unique column in order: pass the primary key column, or a unique NOT NULL column",
            model.name,
            column.field,
            model.name,
            primary.join(", ")
        ));
    }
    if column.nullable {
        return refuse(format!(
            "{}.{} may be NULL, and NULL keys cannot be walked in order",
            model.name, column.field
        ));
    }
    if !walkable(column.ty) {
        return refuse(format!(
            "{}.{} is of type {:?}; a backfill walks integer, text or uuid keys",
            model.name, column.field, column.ty
        ));
    }
    Ok(())
}

fn walkable(ty: SqlType) -> bool {
    matches!(
        ty,
        SqlType::SmallInt | SqlType::Int | SqlType::BigInt | SqlType::Text | SqlType::Uuid
    )
}

/// `SELECT key FROM table [WHERE key > after] ORDER BY key LIMIT size`.
pub(super) fn next_batch(
    dialect: Dialect,
    model: &ModelSchema,
    column: &ColumnSchema,
    after: Option<&Value>,
    size: u32,
) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    w.push("SELECT ");
    w.push_ident(column.name);
    w.push(" FROM ");
    w.push_ident(model.table);
    if let Some(after) = after {
        w.push(" WHERE ");
        w.push_ident(column.name);
        w.push(" > ");
        w.push_bind(after.clone());
    }
    w.push(" ORDER BY ");
    w.push_ident(column.name);
    w.push(" LIMIT ");
    w.push_bind(Value::I64(i64::from(size)));
    w.finish()
}

/// `SELECT COUNT(*) FROM table`: the progress bar's length.
pub(super) fn count(dialect: Dialect, model: &ModelSchema) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    w.push("SELECT COUNT(*) FROM ");
    w.push_ident(model.table);
    w.finish()
}

/// The recorded form of a key value; `None` for a type `check` refuses.
pub(super) fn to_json(value: &Value) -> Option<String> {
    let json = match value {
        Value::I16(n) => serde_json::Value::from(*n),
        Value::I32(n) => serde_json::Value::from(*n),
        Value::I64(n) => serde_json::Value::from(*n),
        Value::Text(text) => serde_json::Value::from(text.as_str()),
        Value::Uuid(uuid) => serde_json::Value::from(uuid.to_string()),
        _ => return None,
    };
    Some(json.to_string())
}

/// A recorded key read back as a value of the column's type; `None` if the
/// text is not such a key (the record was written for another column, or
/// edited by hand).
pub(super) fn from_json(text: &str, ty: SqlType) -> Option<Value> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    match ty {
        SqlType::SmallInt => i16::try_from(json.as_i64()?).ok().map(Value::I16),
        SqlType::Int => i32::try_from(json.as_i64()?).ok().map(Value::I32),
        SqlType::BigInt => json.as_i64().map(Value::I64),
        SqlType::Text => json.as_str().map(|s| Value::Text(s.to_owned())),
        SqlType::Uuid => json.as_str()?.parse().ok().map(Value::Uuid),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_the_record() {
        let uuid = uuid::Uuid::from_u128(7);
        for (value, ty) in [
            (Value::I16(-3), SqlType::SmallInt),
            (Value::I32(70_000), SqlType::Int),
            (Value::I64(i64::MAX), SqlType::BigInt),
            (Value::Text("a \"quoted\" key".into()), SqlType::Text),
            (Value::Uuid(uuid), SqlType::Uuid),
        ] {
            let text = to_json(&value).unwrap();
            assert_eq!(from_json(&text, ty), Some(value), "{text}");
        }
    }

    #[test]
    fn a_key_of_another_type_is_refused() {
        assert_eq!(from_json("\"abc\"", SqlType::BigInt), None);
        assert_eq!(from_json("70000", SqlType::SmallInt), None);
        assert_eq!(from_json("\"not a uuid\"", SqlType::Uuid), None);
        assert_eq!(from_json("{", SqlType::Text), None);
    }
}
