//! A bound value. Every user value reaches the database as one of these, through a
//! bind parameter; none is ever written into SQL text.

use crate::schema::{EnumSchema, FieldType, Row, SqlType};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A typed NULL: PostgreSQL needs the parameter type even for NULL.
    Null(SqlType),
    Bool(bool),
    I16(i16),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    Text(String),
    Bytes(Vec<u8>),
    Json(serde_json::Value),
    Uuid(uuid::Uuid),
    Timestamptz(DateTime<Utc>),
    Timestamp(NaiveDateTime),
    Date(NaiveDate),
    #[cfg(feature = "decimal")]
    Decimal(rust_decimal::Decimal),
    Enum(&'static EnumSchema, &'static str),
    /// Values of one column type bound as a single PostgreSQL array parameter
    /// (`"author_id" = ANY($1)`), so a batch of keys is one bind and one
    /// statement text whatever its length. Only PostgreSQL binds it.
    List(SqlType, Vec<Value>),
}

impl Value {
    /// Moves the value out and leaves a placeholder that owns nothing: a
    /// builder's values go into a statement's binds while the builder (which
    /// of its slots are set, in what order) may still be read to build the
    /// statement on a shape-cache miss.
    pub(crate) fn take(&mut self) -> Value {
        std::mem::replace(self, Value::Bool(false))
    }

    /// The enum type a placeholder must be cast to on PostgreSQL, if any.
    pub(crate) fn enum_schema(&self) -> Option<&'static EnumSchema> {
        match self {
            Value::Enum(schema, _)
            | Value::Null(SqlType::Enum(schema))
            | Value::List(SqlType::Enum(schema), _) => Some(schema),
            _ => None,
        }
    }
}

/// Decodes one column as the [`Value`] for `ty` (used where the Rust type is only
/// known from the schema, e.g. primary keys read back on MySQL).
pub(crate) fn decode_as(row: Row<'_>, index: usize, ty: SqlType) -> Result<Value, sqlx::Error> {
    fn get<T: FieldType>(row: Row<'_>, index: usize) -> Result<Value, sqlx::Error>
    where
        Option<T>: FieldType,
    {
        Ok(Option::<T>::decode(row, index)?.map_or(Value::Null(T::SQL_TYPE), T::into_value))
    }
    match ty {
        SqlType::SmallInt => get::<i16>(row, index),
        SqlType::Int => get::<i32>(row, index),
        SqlType::BigInt => get::<i64>(row, index),
        SqlType::Real => get::<f32>(row, index),
        SqlType::Double => get::<f64>(row, index),
        SqlType::Bool => get::<bool>(row, index),
        SqlType::Text => get::<String>(row, index),
        SqlType::Bytes => get::<Vec<u8>>(row, index),
        SqlType::Json => get::<serde_json::Value>(row, index),
        SqlType::Uuid => get::<uuid::Uuid>(row, index),
        SqlType::Timestamptz => get::<DateTime<Utc>>(row, index),
        SqlType::Timestamp => get::<NaiveDateTime>(row, index),
        SqlType::Date => get::<NaiveDate>(row, index),
        #[cfg(feature = "decimal")]
        SqlType::Decimal => get::<rust_decimal::Decimal>(row, index),
        #[cfg(not(feature = "decimal"))]
        SqlType::Decimal => get::<String>(row, index),
        SqlType::Enum(schema) => {
            let Some(label) = crate::schema::decode_enum_label(row, index)? else {
                return Ok(Value::Null(ty));
            };
            match schema.variants.iter().find(|v| ***v == *label) {
                Some(variant) => Ok(Value::Enum(schema, variant)),
                // A label the enum does not know is an error, never a NULL.
                None => Err(sqlx::Error::ColumnDecode {
                    index: index.to_string(),
                    source: format!("{label:?} is not a variant of enum {}", schema.rust_name)
                        .into(),
                }),
            }
        }
    }
}
