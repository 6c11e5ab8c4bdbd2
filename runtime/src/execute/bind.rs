//! Turning [`Value`]s into each driver's arguments. The only place that knows how
//! a value is shaped on the wire for each database.

use crate::schema::SqlType;
use crate::value::Value;
use chrono::SecondsFormat;
use sqlx::error::BoxDynError;
use sqlx::mysql::MySqlArguments;
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;
use sqlx::types::Json;
use sqlx::Arguments;

/// Adds each value to `$args`: the arms every driver shares, plus the
/// per-driver arms given (which take precedence, being matched first).
macro_rules! add_values {
    ($args:ident, $values:expr, { $($(#[$attr:meta])* $special:pat => $add:expr,)* }) => {{
        for value in $values {
            match value {
                $($(#[$attr])* $special => $add,)*
                Value::Bool(v) => $args.add(v)?,
                Value::I16(v) => $args.add(v)?,
                Value::I32(v) => $args.add(v)?,
                Value::I64(v) => $args.add(v)?,
                Value::F32(v) => $args.add(v)?,
                Value::F64(v) => $args.add(v)?,
                Value::Text(v) => $args.add(v)?,
                Value::Bytes(v) => $args.add(v)?,
                Value::Json(v) => $args.add(Json(v))?,
                Value::Timestamp(v) => $args.add(v)?,
                Value::Date(v) => $args.add(v)?,
                // Enums travel as their label (PostgreSQL casts the placeholder).
                Value::Enum(_, label) => $args.add(label)?,
            }
        }
        Ok($args)
    }};
}

pub(crate) fn pg_arguments(values: Vec<Value>) -> Result<PgArguments, BoxDynError> {
    let mut args = PgArguments::default();
    let has_nul = |v: &Value| matches!(v, Value::Text(t) if t.as_bytes().contains(&0));
    // One pass: refuse NULs, and size the buffer so encoding never grows it
    // (each value is written after a 4-byte length).
    let mut size = 0;
    for value in &values {
        let nul = match value {
            Value::List(_, items) => items.iter().any(has_nul),
            other => has_nul(other),
        };
        if nul {
            return Err(NUL_IN_TEXT.into());
        }
        size += 4 + match value {
            Value::Text(t) => t.len(),
            Value::Bytes(b) => b.len(),
            _ => 16,
        };
    }
    args.reserve(values.len(), size);
    add_values!(args, values, {
        Value::Null(ty) => pg_null(&mut args, ty)?,
        Value::List(ty, items) => pg_array(&mut args, ty, items)?,
        Value::Uuid(v) => args.add(v)?,
        Value::Timestamptz(v) => args.add(v)?,
        #[cfg(feature = "decimal")]
        Value::Decimal(v) => args.add(v)?,
    })
}

/// PostgreSQL refuses NUL in text with an encoding error that names neither the
/// value nor the reason; say both before anything is sent.
const NUL_IN_TEXT: &str = "a text value contains a NUL byte (\\0), which PostgreSQL cannot store in text columns; strip it or store the data as Vec<u8>";

/// PostgreSQL checks a NULL parameter's type against its column, so the NULL is
/// sent with the column's type.
fn pg_null(args: &mut PgArguments, ty: SqlType) -> Result<(), BoxDynError> {
    match ty {
        SqlType::SmallInt => args.add(None::<i16>),
        SqlType::Int => args.add(None::<i32>),
        SqlType::BigInt => args.add(None::<i64>),
        SqlType::Real => args.add(None::<f32>),
        SqlType::Double => args.add(None::<f64>),
        SqlType::Bool => args.add(None::<bool>),
        SqlType::Text | SqlType::Enum(_) => args.add(None::<String>),
        SqlType::Bytes => args.add(None::<Vec<u8>>),
        SqlType::Json => args.add(None::<Json<serde_json::Value>>),
        SqlType::Uuid => args.add(None::<uuid::Uuid>),
        SqlType::Timestamptz => args.add(None::<chrono::DateTime<chrono::Utc>>),
        SqlType::Timestamp => args.add(None::<chrono::NaiveDateTime>),
        SqlType::Date => args.add(None::<chrono::NaiveDate>),
        #[cfg(feature = "decimal")]
        SqlType::Decimal => args.add(None::<rust_decimal::Decimal>),
        #[cfg(not(feature = "decimal"))]
        SqlType::Decimal => args.add(None::<String>),
    }
}

/// The renderer writes `IN (..)` lists for SQLite and MySQL; an array reaching
/// them is a strata bug, reported rather than sent.
const LIST_OFF_POSTGRES: &str =
    "strata bug: an array parameter was rendered for a database without arrays";

/// A key batch as one PostgreSQL array of the column's type (NULLs kept).
fn pg_array(args: &mut PgArguments, ty: SqlType, items: Vec<Value>) -> Result<(), BoxDynError> {
    macro_rules! array_of {
        ($($sql:ident / $variant:ident => $t:ty),*) => {
            match ty {
                $(SqlType::$sql => {
                    let mut array: Vec<Option<$t>> = Vec::with_capacity(items.len());
                    for item in items {
                        array.push(match item {
                            Value::$variant(v) => Some(v),
                            Value::Null(_) => None,
                            other => return Err(format!("a {other:?} in an array of {ty:?}").into()),
                        });
                    }
                    args.add(array)
                })*
                SqlType::Json => {
                    let mut array: Vec<Option<Json<serde_json::Value>>> = Vec::with_capacity(items.len());
                    for item in items {
                        array.push(match item {
                            Value::Json(v) => Some(Json(v)),
                            Value::Null(_) => None,
                            other => return Err(format!("a {other:?} in an array of {ty:?}").into()),
                        });
                    }
                    args.add(array)
                }
                // Enum arrays travel as text[]; the renderer casts them.
                SqlType::Enum(_) => {
                    let mut array: Vec<Option<&'static str>> = Vec::with_capacity(items.len());
                    for item in items {
                        array.push(match item {
                            Value::Enum(_, label) => Some(label),
                            Value::Null(_) => None,
                            other => return Err(format!("a {other:?} in an array of {ty:?}").into()),
                        });
                    }
                    args.add(array)
                }
                #[cfg(not(feature = "decimal"))]
                SqlType::Decimal => Err("Decimal needs the `decimal` feature".into()),
            }
        };
    }
    #[cfg(feature = "decimal")]
    return array_of!(SmallInt / I16 => i16, Int / I32 => i32, BigInt / I64 => i64,
        Real / F32 => f32, Double / F64 => f64, Bool / Bool => bool, Text / Text => String,
        Bytes / Bytes => Vec<u8>, Uuid / Uuid => uuid::Uuid,
        Timestamptz / Timestamptz => chrono::DateTime<chrono::Utc>,
        Timestamp / Timestamp => chrono::NaiveDateTime, Date / Date => chrono::NaiveDate,
        Decimal / Decimal => rust_decimal::Decimal);
    #[cfg(not(feature = "decimal"))]
    array_of!(SmallInt / I16 => i16, Int / I32 => i32, BigInt / I64 => i64,
        Real / F32 => f32, Double / F64 => f64, Bool / Bool => bool, Text / Text => String,
        Bytes / Bytes => Vec<u8>, Uuid / Uuid => uuid::Uuid,
        Timestamptz / Timestamptz => chrono::DateTime<chrono::Utc>,
        Timestamp / Timestamp => chrono::NaiveDateTime, Date / Date => chrono::NaiveDate)
}

/// Instants are stored on SQLite as RFC 3339 text with a fixed microsecond width
/// and `Z`, so that text order is time order.
fn sqlite_instant(v: chrono::DateTime<chrono::Utc>) -> String {
    v.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn sqlite_arguments(values: Vec<Value>) -> Result<SqliteArguments, BoxDynError> {
    let mut args = SqliteArguments::default();
    args.reserve(values.len(), 0);
    add_values!(args, values, {
        Value::Null(_) => args.add(None::<String>)?,
        Value::List(..) => return Err(LIST_OFF_POSTGRES.into()),
        Value::Uuid(v) => args.add(v.hyphenated().to_string())?,
        Value::Timestamptz(v) => args.add(sqlite_instant(v))?,
        // Refused by the DDL check; keep exact text if such a column exists anyway.
        #[cfg(feature = "decimal")]
        Value::Decimal(v) => args.add(v.to_string())?,
    })
}

pub(crate) fn mysql_arguments(values: Vec<Value>) -> Result<MySqlArguments, BoxDynError> {
    let mut args = MySqlArguments::default();
    args.reserve(values.len(), 0);
    add_values!(args, values, {
        Value::Null(_) => args.add(None::<String>)?,
        Value::List(..) => return Err(LIST_OFF_POSTGRES.into()),
        Value::Uuid(v) => args.add(v.hyphenated().to_string())?,
        // DATETIME(6) in UTC: the session time zone is +00:00 (sqlx sets it).
        Value::Timestamptz(v) => args.add(v.naive_utc())?,
        #[cfg(feature = "decimal")]
        Value::Decimal(v) => args.add(v)?,
    })
}
