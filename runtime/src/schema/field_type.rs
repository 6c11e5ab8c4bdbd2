//! Rust types a model field may have, and how each is bound and decoded.

use super::json_row::JsonRow;
use super::SqlType;
use crate::value::Value;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sqlx::mysql::MySqlRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::Row as _;

/// A borrowed row from whichever database the query ran on. Decoding matches on it
/// once per column; the column index is known at compile time.
#[derive(Clone, Copy)]
pub enum Row<'r> {
    Postgres(&'r PgRow),
    Sqlite(&'r SqliteRow),
    MySql(&'r MySqlRow),
    /// An included row that arrived as a JSON array (the joined include
    /// strategy); see `json_row.rs`.
    Json(JsonRow<'r>),
}

// Functions rather than the variant constructors, which are not generic over the
// borrow's lifetime, so they can be passed where any row lifetime must work.
impl Row<'_> {
    pub(crate) fn from_postgres(row: &PgRow) -> Row<'_> {
        Row::Postgres(row)
    }
    pub(crate) fn from_sqlite(row: &SqliteRow) -> Row<'_> {
        Row::Sqlite(row)
    }
    pub(crate) fn from_mysql(row: &MySqlRow) -> Row<'_> {
        Row::MySql(row)
    }
}

/// Decodes a value from consecutive columns of a row, starting at `*index`.
pub trait FromRow: Sized {
    fn from_row(row: Row<'_>, index: &mut usize) -> Result<Self, sqlx::Error>;
}

/// A type a model field may have.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in a strata model field",
    note = "supported: i16, i32, i64, f32, f64, bool, String, Vec<u8>, chrono DateTime<Utc>/NaiveDate/NaiveDateTime, uuid::Uuid, serde_json::Value, strata::Json<T>, rust_decimal::Decimal (feature `decimal`), #[derive(strata::Enum)] enums, and Option of any of these"
)]
pub trait FieldType: Sized + Send + Sync + 'static {
    /// The type without its `Option`: what typed comparisons match on, so a
    /// nullable column compares with a non-null one of the same type.
    type Base: FieldType;
    /// The type as a nullable one: a left-joined column, an aggregate over
    /// no rows.
    type Nullable: FieldType;
    const SQL_TYPE: SqlType;
    const NULLABLE: bool = false;
    fn into_value(self) -> Value;
    /// The value without consuming the field: how relation loading reads the
    /// keys of rows it already holds.
    fn to_value(&self) -> Value;
    fn decode(row: Row<'_>, index: usize) -> Result<Self, sqlx::Error>;
    /// How two key values order, for the types whose order in Rust is
    /// their order in SQL on every database (`relation::key::compares_in_rust`:
    /// integers and uuids); `Equal` for the rest, which are never asked.
    fn key_order(&self, _other: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

/// `FieldType::key_order` of a native type: `Ord` for the integer types.
macro_rules! key_order {
    (SmallInt) => { key_order!(@ord); };
    (Int) => { key_order!(@ord); };
    (BigInt) => { key_order!(@ord); };
    (@ord) => {
        fn key_order(&self, other: &Self) -> std::cmp::Ordering {
            self.cmp(other)
        }
    };
    ($other:ident) => {};
}

impl<T: FieldType> FromRow for T {
    fn from_row(row: Row<'_>, index: &mut usize) -> Result<Self, sqlx::Error> {
        let value = T::decode(row, *index)?;
        *index += 1;
        Ok(value)
    }
}

/// Reads nothing: for queries whose rows only count (`exists`).
impl FromRow for () {
    fn from_row(_: Row<'_>, _: &mut usize) -> Result<Self, sqlx::Error> {
        Ok(())
    }
}

/// Types sqlx decodes natively on all three databases.
macro_rules! native_field {
    ($($ty:ty => $sql:ident, $variant:ident;)*) => {$(
        impl FieldType for $ty {
            type Base = $ty;
            type Nullable = Option<$ty>;
            const SQL_TYPE: SqlType = SqlType::$sql;
            key_order!($sql);
            fn into_value(self) -> Value {
                Value::$variant(self)
            }
            fn to_value(&self) -> Value {
                Value::$variant(self.clone())
            }
            fn decode(row: Row<'_>, index: usize) -> Result<Self, sqlx::Error> {
                match row {
                    Row::Postgres(r) => r.try_get(index),
                    Row::Sqlite(r) => sqlite_not_null(r, index),
                    Row::MySql(r) => r.try_get(index),
                    Row::Json(r) => r.get(index),
                }
            }
        }
        impl FieldType for Option<$ty> {
            type Base = $ty;
            type Nullable = Self;
            const SQL_TYPE: SqlType = SqlType::$sql;
            const NULLABLE: bool = true;
            fn into_value(self) -> Value {
                self.map_or(Value::Null(SqlType::$sql), Value::$variant)
            }
            fn to_value(&self) -> Value {
                self.as_ref().map_or(Value::Null(SqlType::$sql), FieldType::to_value)
            }
            fn decode(row: Row<'_>, index: usize) -> Result<Self, sqlx::Error> {
                match row {
                    Row::Postgres(r) => r.try_get(index),
                    Row::Sqlite(r) => r.try_get(index),
                    Row::MySql(r) => r.try_get(index),
                    Row::Json(r) => r.get(index),
                }
            }
        }
    )*};
}

native_field! {
    i16 => SmallInt, I16;
    i32 => Int, I32;
    i64 => BigInt, I64;
    f32 => Real, F32;
    f64 => Double, F64;
    bool => Bool, Bool;
    String => Text, Text;
    Vec<u8> => Bytes, Bytes;
    NaiveDateTime => Timestamp, Timestamp;
    NaiveDate => Date, Date;
    serde_json::Value => Json, Json;
}

/// Decodes through an intermediate type `$via` where one database stores the value
/// in another shape (UUIDs as text on SQLite/MySQL, instants as text on SQLite).
macro_rules! nullable_via {
    ($ty:ty) => {
        impl FieldType for Option<$ty> {
            type Base = $ty;
            type Nullable = Self;
            const SQL_TYPE: SqlType = <$ty as FieldType>::SQL_TYPE;
            const NULLABLE: bool = true;
            fn into_value(self) -> Value {
                self.map_or(Value::Null(Self::SQL_TYPE), FieldType::into_value)
            }
            fn to_value(&self) -> Value {
                self.as_ref()
                    .map_or(Value::Null(Self::SQL_TYPE), FieldType::to_value)
            }
            fn decode(row: Row<'_>, index: usize) -> Result<Self, sqlx::Error> {
                if is_null(row, index)? {
                    return Ok(None);
                }
                <$ty>::decode(row, index).map(Some)
            }
        }
    };
}

/// sqlx's SQLite decoders read a NULL as `0`, `""` or `false` where the Rust
/// type has no `None` (a left-joined column read as non-Option, say): refuse
/// it, as the PostgreSQL and MySQL drivers do, rather than invent a value.
/// Otherwise what `try_get` does (one value lookup, the type check, decode),
/// so the hot path of a many-row read costs the same.
fn sqlite_not_null<'r, T>(row: &'r SqliteRow, index: usize) -> Result<T, sqlx::Error>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    use sqlx::{TypeInfo as _, ValueRef as _};
    let value = row.try_get_raw(index)?;
    let decode_error = |source: sqlx::error::BoxDynError| sqlx::Error::ColumnDecode {
        index: index.to_string(),
        source,
    };
    if value.is_null() {
        return Err(decode_error(
            "unexpected NULL in a column read as a non-Option type; read it as an Option (`.nullable()` in the select builder)".into(),
        ));
    }
    let ty = value.type_info();
    if !T::compatible(&ty) {
        return Err(decode_error(
            format!(
                "mismatched types; Rust type `{}` (as SQL type `{}`) is not compatible with SQL type `{}`",
                std::any::type_name::<T>(),
                T::type_info().name(),
                ty.name()
            )
            .into(),
        ));
    }
    T::decode(value).map_err(decode_error)
}

fn is_null(row: Row<'_>, index: usize) -> Result<bool, sqlx::Error> {
    use sqlx::ValueRef as _;
    Ok(match row {
        Row::Postgres(r) => r.try_get_raw(index)?.is_null(),
        Row::Sqlite(r) => r.try_get_raw(index)?.is_null(),
        Row::MySql(r) => r.try_get_raw(index)?.is_null(),
        Row::Json(r) => r.is_null(index)?,
    })
}

impl FieldType for uuid::Uuid {
    type Base = Self;
    type Nullable = Option<Self>;
    const SQL_TYPE: SqlType = SqlType::Uuid;
    fn into_value(self) -> Value {
        Value::Uuid(self)
    }
    fn key_order(&self, other: &Self) -> std::cmp::Ordering {
        self.cmp(other)
    }
    fn to_value(&self) -> Value {
        Value::Uuid(*self)
    }
    fn decode(row: Row<'_>, index: usize) -> Result<Self, sqlx::Error> {
        match row {
            Row::Postgres(r) => r.try_get(index),
            Row::Sqlite(r) => r.try_get::<uuid::fmt::Hyphenated, _>(index).map(Into::into),
            Row::MySql(r) => r.try_get::<uuid::fmt::Hyphenated, _>(index).map(Into::into),
            Row::Json(r) => r.get(index),
        }
    }
}
nullable_via!(uuid::Uuid);

impl FieldType for DateTime<Utc> {
    type Base = Self;
    type Nullable = Option<Self>;
    const SQL_TYPE: SqlType = SqlType::Timestamptz;
    fn into_value(self) -> Value {
        Value::Timestamptz(self)
    }
    fn to_value(&self) -> Value {
        Value::Timestamptz(*self)
    }
    fn decode(row: Row<'_>, index: usize) -> Result<Self, sqlx::Error> {
        match row {
            Row::Postgres(r) => r.try_get(index),
            Row::Sqlite(r) => r.try_get(index),
            // DATETIME(6) holds UTC wall-clock time; strata writes it that way.
            Row::MySql(r) => r.try_get::<NaiveDateTime, _>(index).map(|t| t.and_utc()),
            Row::Json(r) => r.get(index),
        }
    }
}
nullable_via!(DateTime<Utc>);

/// SQLite has no decimal type and sqlx no SQLite decimal codec: strata refuses
/// `Decimal` columns in SQLite DDL, and reads exact text if one exists anyway.
#[cfg(feature = "decimal")]
impl FieldType for rust_decimal::Decimal {
    type Base = Self;
    type Nullable = Option<Self>;
    const SQL_TYPE: SqlType = SqlType::Decimal;
    fn into_value(self) -> Value {
        Value::Decimal(self)
    }
    fn to_value(&self) -> Value {
        Value::Decimal(*self)
    }
    fn decode(row: Row<'_>, index: usize) -> Result<Self, sqlx::Error> {
        match row {
            Row::Postgres(r) => r.try_get(index),
            Row::MySql(r) => r.try_get(index),
            Row::Json(r) => r.get(index),
            Row::Sqlite(r) => {
                let text: String = r.try_get(index)?;
                text.parse().map_err(|e| sqlx::Error::ColumnDecode {
                    index: index.to_string(),
                    source: Box::new(e),
                })
            }
        }
    }
}
#[cfg(feature = "decimal")]
nullable_via!(rust_decimal::Decimal);

/// A JSON column decoded into `T` (re-export of sqlx's wrapper).
pub use sqlx::types::Json;

impl<T> FieldType for Json<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    type Base = Self;
    type Nullable = Option<Self>;
    const SQL_TYPE: SqlType = SqlType::Json;
    fn into_value(self) -> Value {
        self.to_value()
    }
    fn to_value(&self) -> Value {
        // Serializing a user type into a JSON tree only fails for maps with
        // non-string keys; store JSON null rather than panic, as serde_json does
        // for such values elsewhere.
        Value::Json(serde_json::to_value(&self.0).unwrap_or(serde_json::Value::Null))
    }
    fn decode(row: Row<'_>, index: usize) -> Result<Self, sqlx::Error> {
        let tree = serde_json::Value::decode(row, index)?;
        serde_json::from_value(tree)
            .map(Json)
            .map_err(|e| sqlx::Error::ColumnDecode {
                index: index.to_string(),
                source: Box::new(e),
            })
    }
}

impl<T> FieldType for Option<Json<T>>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    type Base = Json<T>;
    type Nullable = Self;
    const SQL_TYPE: SqlType = SqlType::Json;
    const NULLABLE: bool = true;
    fn into_value(self) -> Value {
        self.map_or(Value::Null(SqlType::Json), FieldType::into_value)
    }
    fn to_value(&self) -> Value {
        self.as_ref()
            .map_or(Value::Null(SqlType::Json), FieldType::to_value)
    }
    fn decode(row: Row<'_>, index: usize) -> Result<Self, sqlx::Error> {
        if let Row::Json(r) = row {
            // A nullable JSON column arrives wrapped (`[value]`).
            return match r.get::<Option<serde_json::Value>>(index)? {
                None => Ok(None),
                Some(tree) => serde_json::from_value(tree)
                    .map(|v| Some(Json(v)))
                    .map_err(|e| sqlx::Error::ColumnDecode {
                        index: index.to_string(),
                        source: Box::new(e),
                    }),
            };
        }
        if is_null(row, index)? {
            return Ok(None);
        }
        Json::<T>::decode(row, index).map(Some)
    }
}

/// Decodes an enum column as its text label. PostgreSQL reports the enum's own
/// type, which sqlx's `str` decoder would refuse, so the check is skipped there.
/// The label is borrowed from the row: an enum column costs no allocation
/// per row (only a joined include's JSON hands it over as a `String`).
#[doc(hidden)]
pub fn decode_enum_label(
    row: Row<'_>,
    index: usize,
) -> Result<Option<std::borrow::Cow<'_, str>>, sqlx::Error> {
    use std::borrow::Cow;
    Ok(match row {
        Row::Postgres(r) => r
            .try_get_unchecked::<Option<&str>, _>(index)?
            .map(Cow::Borrowed),
        Row::Sqlite(r) => r.try_get::<Option<&str>, _>(index)?.map(Cow::Borrowed),
        Row::MySql(r) => r
            .try_get_unchecked::<Option<&str>, _>(index)?
            .map(Cow::Borrowed),
        Row::Json(r) => r.get::<Option<String>>(index)?.map(Cow::Owned),
    })
}
