//! Turning [`Value`]s into each driver's arguments. The only place that knows how
//! a value is shaped on the wire for each database.

use crate::render::{Rendered, Shared};
use crate::schema::SqlType;
use crate::value::Value;
use chrono::{Datelike as _, SecondsFormat, Timelike as _};
use sqlx::error::BoxDynError;
use sqlx::mysql::MySqlArguments;
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;
use sqlx::types::Json;
use sqlx::Arguments;
use std::sync::Arc;

/// The values bound to one statement's placeholders, in order.
#[derive(Debug)]
pub(crate) enum Binds {
    /// As the renderer collected them.
    Values(Vec<Value>),
    /// A many-row INSERT's rows as the create builders held them, so that
    /// `create_many` hands its values to the driver without first copying
    /// them into one list: in each row the columns the statement writes are
    /// `Some`, in column order, and `None` slots are columns it leaves out.
    /// `len` is the number of `Some`s over all rows.
    Rows {
        rows: Vec<Vec<Option<Value>>>,
        len: usize,
    },
}

impl Binds {
    fn len(&self) -> usize {
        match self {
            Binds::Values(values) => values.len(),
            Binds::Rows { len, .. } => *len,
        }
    }

    /// Each value by reference, in bind order.
    fn for_each_ref(
        &self,
        f: impl FnMut(&Value) -> Result<(), BoxDynError>,
    ) -> Result<(), BoxDynError> {
        match self {
            Binds::Values(values) => values.iter().try_for_each(f),
            Binds::Rows { rows, .. } => rows.iter().flatten().flatten().try_for_each(f),
        }
    }

    /// Each value, in bind order; stops at the first error.
    fn for_each(
        self,
        mut f: impl FnMut(Value) -> Result<(), BoxDynError>,
    ) -> Result<(), BoxDynError> {
        match self {
            Binds::Values(values) => values.into_iter().try_for_each(f),
            Binds::Rows { rows, .. } => {
                for row in rows {
                    for value in row.into_iter().flatten() {
                        f(value)?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// One statement to run: its text and its binds.
#[derive(Debug)]
pub(crate) struct Bound {
    /// Shared with the driver (and, for a remembered shape, with
    /// `render::shape`'s cache), not copied.
    pub sql: Arc<String>,
    pub binds: Binds,
}

impl From<Rendered> for Bound {
    fn from(rendered: Rendered) -> Self {
        Bound {
            sql: Arc::new(rendered.sql),
            binds: Binds::Values(rendered.binds),
        }
    }
}

impl From<Shared> for Bound {
    fn from(rendered: Shared) -> Self {
        Bound {
            sql: rendered.sql,
            binds: Binds::Values(rendered.binds),
        }
    }
}

/// Adds `$value` to `$args`: the arms every driver shares, plus the
/// per-driver arms given (which take precedence, being matched first).
macro_rules! add_value {
    ($args:ident, $value:expr, { $($(#[$attr:meta])* $special:pat => $add:expr,)* }) => {{
        match $value {
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
        Ok(())
    }};
}

pub(crate) fn pg_arguments(values: Vec<Value>) -> Result<PgArguments, BoxDynError> {
    pg_bind(Binds::Values(values))
}

pub(crate) fn pg_bind(binds: Binds) -> Result<PgArguments, BoxDynError> {
    let mut args = PgArguments::default();
    let has_nul = |v: &Value| matches!(v, Value::Text(t) if has_nul(t.as_bytes()));
    // One pass: refuse NULs, and size the buffer so encoding never grows it
    // (each value is written after a 4-byte length).
    let mut size = 0;
    binds.for_each_ref(|value| {
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
        Ok(())
    })?;
    args.reserve(binds.len(), size);
    binds.for_each(|value| {
        add_value!(args, value, {
            Value::Null(ty) => pg_null(&mut args, ty)?,
            Value::List(ty, items) => pg_array(&mut args, ty, items)?,
            Value::Uuid(v) => args.add(v)?,
            Value::Timestamptz(v) => args.add(v)?,
            #[cfg(feature = "decimal")]
            Value::Decimal(v) => args.add(v)?,
        })
    })?;
    Ok(args)
}

/// Whether `bytes` holds a 0: eight bytes at a time (texts are short, and a
/// `create_many` checks every one).
fn has_nul(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut words = bytes.chunks_exact(8);
    let zero_in = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS != 0;
    (words.by_ref()).any(|w| <[u8; 8]>::try_from(w).is_ok_and(|w| zero_in(u64::from_ne_bytes(w))))
        || words.remainder().contains(&0)
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
/// and `Z`, so that text order is time order: what chrono's
/// `to_rfc3339_opts(SecondsFormat::Micros, true)` writes.
fn sqlite_instant(v: chrono::DateTime<chrono::Utc>) -> Arc<str> {
    let mut text = [0u8; INSTANT_LEN];
    match write_instant(v, &mut text) {
        Some(text) => Arc::from(text),
        None => Arc::from(v.to_rfc3339_opts(SecondsFormat::Micros, true)),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
const INSTANT_LEN: usize = 27;

/// The RFC 3339 text of `v` as chrono writes it, without `core::fmt` or an
/// allocation (a `create_many` writes one per row); `None` for what chrono
/// writes differently (years outside 0..=9999, a leap second), left to it.
fn write_instant(v: chrono::DateTime<chrono::Utc>, out: &mut [u8; INSTANT_LEN]) -> Option<&str> {
    let v = v.naive_utc();
    let year = u32::try_from(v.year()).ok().filter(|y| *y <= 9999)?;
    let nano = v.nanosecond();
    if nano >= 1_000_000_000 {
        return None;
    }
    *out = *b"0000-00-00T00:00:00.000000Z";
    let fields = [
        (0..4, year),
        (5..7, v.month()),
        (8..10, v.day()),
        (11..13, v.hour()),
        (14..16, v.minute()),
        (17..19, v.second()),
        (20..26, nano / 1000),
    ];
    for (range, mut n) in fields {
        for digit in out.get_mut(range)?.iter_mut().rev() {
            *digit = b'0' + (n % 10) as u8;
            n /= 10;
        }
    }
    std::str::from_utf8(&out[..]).ok()
}

/// A uuid as hyphenated lowercase text, written without `core::fmt`.
fn hyphenated(v: uuid::Uuid, buffer: &mut [u8; uuid::fmt::Hyphenated::LENGTH]) -> &str {
    v.hyphenated().encode_lower(buffer)
}

pub(crate) fn sqlite_arguments(values: Vec<Value>) -> Result<SqliteArguments, BoxDynError> {
    sqlite_bind(Binds::Values(values))
}

pub(crate) fn sqlite_bind(binds: Binds) -> Result<SqliteArguments, BoxDynError> {
    let mut args = SqliteArguments::default();
    args.reserve(binds.len(), 0);
    binds.for_each(|value| {
        add_value!(args, value, {
            Value::Null(_) => args.add(None::<String>)?,
            Value::List(..) => return Err(LIST_OFF_POSTGRES.into()),
            // One allocation for the text sqlx keeps (`Arc<str>`), none to
            // format it.
            Value::Uuid(v) => args.add(Arc::<str>::from(hyphenated(v, &mut [0; 36])))?,
            Value::Timestamptz(v) => args.add(sqlite_instant(v))?,
            // Refused by the DDL check; keep exact text if such a column exists anyway.
            #[cfg(feature = "decimal")]
            Value::Decimal(v) => args.add(v.to_string())?,
        })
    })?;
    Ok(args)
}

pub(crate) fn mysql_arguments(values: Vec<Value>) -> Result<MySqlArguments, BoxDynError> {
    mysql_bind(Binds::Values(values))
}

pub(crate) fn mysql_bind(binds: Binds) -> Result<MySqlArguments, BoxDynError> {
    let mut args = MySqlArguments::default();
    args.reserve(binds.len(), 0);
    binds.for_each(|value| {
        add_value!(args, value, {
            Value::Null(_) => args.add(None::<String>)?,
            Value::List(..) => return Err(LIST_OFF_POSTGRES.into()),
            Value::Uuid(v) => args.add(hyphenated(v, &mut [0; 36]))?,
            // DATETIME(6) in UTC: the session time zone is +00:00 (sqlx sets it).
            Value::Timestamptz(v) => args.add(v.naive_utc())?,
            #[cfg(feature = "decimal")]
            Value::Decimal(v) => args.add(v)?,
        })
    })?;
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};

    /// chrono's text, which SQLite columns already hold.
    fn chrono_text(v: DateTime<Utc>) -> String {
        v.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    #[test]
    fn instants_are_written_as_chrono_writes_them() {
        let mut instants = vec![
            Utc.timestamp_opt(0, 0).unwrap(),
            Utc.timestamp_opt(1_764_100_000, 123_456_789).unwrap(),
            Utc.timestamp_opt(1_764_100_000, 999_999_999).unwrap(),
            Utc.timestamp_opt(-1, 1_000).unwrap(),
            NaiveDate::from_ymd_opt(0, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc(),
            NaiveDate::from_ymd_opt(9999, 12, 31)
                .unwrap()
                .and_hms_micro_opt(23, 59, 59, 999_999)
                .unwrap()
                .and_utc(),
            // chrono's own text: a sign and more digits, a leap second.
            NaiveDate::from_ymd_opt(10_000, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc(),
            NaiveDate::from_ymd_opt(-1, 6, 15)
                .unwrap()
                .and_hms_opt(12, 30, 1)
                .unwrap()
                .and_utc(),
            NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
                .unwrap()
                .and_utc(),
        ];
        // A spread of ordinary instants, microseconds included.
        let mut t: i64 = -62_000_000_000;
        while t < 250_000_000_000 {
            instants.push(
                Utc.timestamp_opt(t, (t.unsigned_abs() % 1_000_000_000) as u32)
                    .unwrap(),
            );
            t += 7_777_777_777;
        }
        for v in instants {
            assert_eq!(&*sqlite_instant(v), chrono_text(v), "{v:?}");
        }
    }

    #[test]
    fn nul_bytes_are_found_anywhere() {
        assert!(!has_nul(b""));
        assert!(!has_nul(
            "héllo, wörld: no NUL in this longer text".as_bytes()
        ));
        assert!(!has_nul(&[
            0x80, 0x81, 0xff, 0x01, 0x7f, 0x80, 0x01, 0x01, 0x02
        ]));
        for len in 1..40 {
            for at in 0..len {
                let mut bytes = vec![b'a'; len];
                bytes[at] = 0;
                assert!(has_nul(&bytes), "{len} {at}");
            }
        }
    }

    #[test]
    fn uuids_are_hyphenated_lowercase() {
        let v = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
        assert_eq!(hyphenated(v, &mut [0; 36]), v.hyphenated().to_string());
    }

    #[test]
    fn rows_bind_their_set_slots_in_order() {
        let binds = Binds::Rows {
            rows: vec![
                vec![Some(Value::I64(1)), None, Some(Value::Text("a".into()))],
                vec![Some(Value::I64(2)), None, Some(Value::Null(SqlType::Text))],
            ],
            len: 4,
        };
        let mut seen = Vec::new();
        binds
            .for_each(|v| {
                seen.push(v);
                Ok(())
            })
            .unwrap();
        assert_eq!(
            seen,
            [
                Value::I64(1),
                Value::Text("a".into()),
                Value::I64(2),
                Value::Null(SqlType::Text)
            ]
        );
    }
}
