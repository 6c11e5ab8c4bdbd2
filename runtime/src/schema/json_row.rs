//! Decoding a row that arrived as JSON: an included row read by the joined
//! strategy (`relation::Strategy::Joined`) is one JSON array of its column
//! values, in column order, so the generated `FromRow` and `decode_partial`
//! read it through [`Row::Json`](super::Row::Json) exactly as they read a
//! driver's row.
//!
//! The SQL that builds the arrays (`render/json_load.rs`) chooses a JSON
//! shape per column type so that every value decodes to what the driver
//! itself would have returned for the column:
//!
//! | column | JSON |
//! |---|---|
//! | integers, text, enum labels, uuids | number / string as stored |
//! | `bool` | `true`/`false` (PostgreSQL), `1`/`0` (SQLite, MySQL) |
//! | `f32`, `f64` | text: a double's exact digits (an `f32` widened to the double it equals), since SQLite's JSON numbers keep 15 digits, MariaDB's FLOAT text 6, and serde_json parses floats only approximately |
//! | `Decimal` | text, every digit kept |
//! | bytes | hex text |
//! | dates and times | the database's text (ISO 8601, SQLite's stored text, MySQL's `YYYY-MM-DD hh:mm:ss.ffffff`) |
//! | JSON | embedded as JSON; a *nullable* JSON column is wrapped as `[value]`, so SQL NULL (`null`) and a JSON `null` (`[null]`) stay apart |

use super::Row;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone as _, Utc};
use serde_json::Value as Json;

/// One row's values as JSON, in column order.
#[derive(Clone, Copy, Debug)]
pub struct JsonRow<'r> {
    values: &'r [Json],
}

impl<'r> JsonRow<'r> {
    pub(crate) fn new(values: &'r [Json]) -> Self {
        JsonRow { values }
    }

    /// The row to hand to `FromRow`/`decode_partial`.
    pub(crate) fn row(self) -> Row<'r> {
        Row::Json(self)
    }

    fn value(&self, index: usize) -> Result<&'r Json, sqlx::Error> {
        self.values
            .get(index)
            .ok_or_else(|| sqlx::Error::ColumnIndexOutOfBounds {
                index,
                len: self.values.len(),
            })
    }

    pub(crate) fn is_null(&self, index: usize) -> Result<bool, sqlx::Error> {
        Ok(self.value(index)?.is_null())
    }

    /// Column `index` as `T`.
    pub(crate) fn get<T: FromJson>(&self, index: usize) -> Result<T, sqlx::Error> {
        T::from_json(self.value(index)?).map_err(|reason| sqlx::Error::ColumnDecode {
            index: format!("{index} (of an included row read as JSON)"),
            source: reason.into(),
        })
    }
}

/// A field type's value from its JSON shape (see the module docs).
pub(crate) trait FromJson: Sized {
    fn from_json(value: &Json) -> Result<Self, String>;

    /// A nullable column of this type: `null` is SQL NULL.
    fn from_json_nullable(value: &Json) -> Result<Option<Self>, String> {
        match value {
            Json::Null => Ok(None),
            value => Self::from_json(value).map(Some),
        }
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: &Json) -> Result<Self, String> {
        T::from_json_nullable(value)
    }
}

fn unexpected(value: &Json, wanted: &str) -> String {
    let mut shown = value.to_string();
    if shown.len() > 80 {
        let cut = (0..=80)
            .rev()
            .find(|&i| shown.is_char_boundary(i))
            .unwrap_or(0);
        shown.truncate(cut);
        shown.push_str("..");
    }
    format!("expected {wanted}, found {shown}")
}

fn text<'v>(value: &'v Json, wanted: &str) -> Result<&'v str, String> {
    value.as_str().ok_or_else(|| unexpected(value, wanted))
}

macro_rules! integer_from_json {
    ($($ty:ty),*) => {$(
        impl FromJson for $ty {
            fn from_json(value: &Json) -> Result<Self, String> {
                value
                    .as_i64()
                    .and_then(|n| <$ty>::try_from(n).ok())
                    .ok_or_else(|| unexpected(value, stringify!($ty)))
            }
        }
    )*};
}
integer_from_json!(i16, i32, i64);

/// Floats travel as text (see the module docs); a JSON number is accepted too.
fn float_text(value: &Json) -> Result<std::borrow::Cow<'_, str>, String> {
    match value {
        Json::String(s) => Ok(s.as_str().into()),
        Json::Number(n) => Ok(n.to_string().into()),
        other => Err(unexpected(other, "a number")),
    }
}

fn parse_f64(text: &str) -> Result<f64, String> {
    // SQLite's scaled form, `<digits>p<k>`: digits times 2^k (json_load.rs).
    if let Some((digits, power)) = text.split_once('p') {
        let scaled = parse_f64(digits)?;
        let power: i32 = power.parse().map_err(|e| format!("{text:?}: {e}"))?;
        // In steps of 2^±512, each exact, so only the last can round, and
        // it does not: the product is the double SQLite scaled.
        let step = if power < 0 { -512 } else { 512 };
        let mut value = scaled;
        for _ in 0..power / step {
            value *= 2f64.powi(step);
        }
        return Ok(value * 2f64.powi(power % step));
    }
    match text {
        // PostgreSQL's and SQLite's spellings of the non-finite values.
        "NaN" => Ok(f64::NAN),
        "Infinity" | "Inf" => Ok(f64::INFINITY),
        "-Infinity" | "-Inf" => Ok(f64::NEG_INFINITY),
        _ => text.parse().map_err(|e| format!("{text:?}: {e}")),
    }
}

impl FromJson for f64 {
    fn from_json(value: &Json) -> Result<Self, String> {
        parse_f64(&float_text(value)?)
    }
}

/// The double an `f32` column widens to, narrowed back: exact. (SQLite
/// stores a REAL as a double, which its driver narrows the same way.)
impl FromJson for f32 {
    fn from_json(value: &Json) -> Result<Self, String> {
        f64::from_json(value).map(|v| v as f32)
    }
}

impl FromJson for bool {
    fn from_json(value: &Json) -> Result<Self, String> {
        match value {
            Json::Bool(b) => Ok(*b),
            // SQLite and MySQL store booleans as integers.
            Json::Number(n) => n
                .as_i64()
                .map(|n| n != 0)
                .ok_or_else(|| unexpected(value, "a boolean")),
            other => Err(unexpected(other, "a boolean")),
        }
    }
}

impl FromJson for String {
    fn from_json(value: &Json) -> Result<Self, String> {
        text(value, "a string").map(str::to_owned)
    }
}

impl FromJson for Vec<u8> {
    fn from_json(value: &Json) -> Result<Self, String> {
        decode_hex(text(value, "hex text")?)
    }
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = hex.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return Err(format!("odd-length hex text of {} characters", bytes.len()));
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| "hex text with a non-hex character".to_owned())
}

/// The date-time spellings the databases write (and SQLite's driver reads):
/// RFC 3339 first, then these, with or without an offset.
const DATE_TIME_FORMATS: [&str; 14] = [
    "%F %T%.f",
    "%FT%T%.f",
    "%F %R",
    "%FT%R",
    "%F %RZ",
    "%FT%RZ",
    "%F %T%.fZ",
    "%FT%T%.fZ",
    "%F %R%:z",
    "%FT%R%:z",
    "%F %T%.f%:z",
    "%FT%T%.f%:z",
    "%F %T%.f%#z",
    "%FT%T%.f%#z",
];

fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    DATE_TIME_FORMATS.iter().find_map(|format| {
        DateTime::parse_from_str(text, format)
            .map(|at| at.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                NaiveDateTime::parse_from_str(text, format)
                    .ok()
                    .map(|at| Utc.from_utc_datetime(&at))
            })
    })
}

impl FromJson for DateTime<Utc> {
    fn from_json(value: &Json) -> Result<Self, String> {
        let text = text(value, "a date-time")?;
        parse_instant(text).ok_or_else(|| format!("{text:?} is not a date-time"))
    }
}

impl FromJson for NaiveDateTime {
    fn from_json(value: &Json) -> Result<Self, String> {
        let text = text(value, "a date-time")?;
        DATE_TIME_FORMATS
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .or_else(|| parse_instant(text).map(|at| at.naive_utc()))
            .ok_or_else(|| format!("{text:?} is not a date-time"))
    }
}

impl FromJson for NaiveDate {
    fn from_json(value: &Json) -> Result<Self, String> {
        let text = text(value, "a date")?;
        NaiveDate::parse_from_str(text, "%F").map_err(|e| format!("{text:?}: {e}"))
    }
}

impl FromJson for uuid::Uuid {
    fn from_json(value: &Json) -> Result<Self, String> {
        let text = text(value, "a UUID")?;
        uuid::Uuid::parse_str(text).map_err(|e| format!("{text:?}: {e}"))
    }
}

#[cfg(feature = "decimal")]
impl FromJson for rust_decimal::Decimal {
    fn from_json(value: &Json) -> Result<Self, String> {
        let text = match value {
            Json::String(s) => s.clone(),
            Json::Number(n) => n.to_string(),
            other => return Err(unexpected(other, "a decimal")),
        };
        text.parse().map_err(|e| format!("{text:?}: {e}"))
    }
}

/// A JSON column is embedded as itself; a nullable one as `[value]` (or
/// `null` for SQL NULL).
impl FromJson for Json {
    fn from_json(value: &Json) -> Result<Self, String> {
        Ok(value.clone())
    }

    fn from_json_nullable(value: &Json) -> Result<Option<Self>, String> {
        match value {
            Json::Null => Ok(None),
            Json::Array(wrapped) if wrapped.len() == 1 => Ok(Some(wrapped[0].clone())),
            other => Err(unexpected(other, "a nullable JSON column's [value]")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn get<T: FromJson>(value: Json) -> Result<T, String> {
        T::from_json(&value)
    }

    #[test]
    fn floats_travel_as_exact_text() {
        assert_eq!(
            get::<f64>(json!("0.30000000000000004")),
            Ok(0.30000000000000004)
        );
        assert_eq!(
            get::<f64>(json!("3.1415926535897931")),
            Ok(std::f64::consts::PI)
        );
        assert_eq!(get::<f64>(json!("-Infinity")), Ok(f64::NEG_INFINITY));
        assert!(get::<f64>(json!("NaN")).unwrap().is_nan());
        assert_eq!(get::<f32>(json!("0.0015")), Ok(0.0015f32));
        assert_eq!(get::<f32>(json!("0.0015000000130385160")), Ok(0.0015f32));
    }

    #[test]
    fn sqlites_scaled_floats() {
        let half = |power: i32| 2f64.powi(power / 2) * 2f64.powi(power - power / 2);
        for (x, power) in [
            (1e300, 1024),
            (f64::MAX, 1024),
            (1e100, 512),
            (-1e-100, -512),
            (5e-324, -1024),
            (2.2250738585072014e-308, -1024),
        ] {
            // What SQLite writes: x scaled by 2^-power, then the power.
            let scaled = x * half(-power / 2) * half(-power + power / 2);
            let text = format!("{scaled:e}p{power}");
            assert_eq!(get::<f64>(json!(text)), Ok(x), "{text}");
        }
    }

    #[test]
    fn integers_and_booleans() {
        assert_eq!(get::<i64>(json!(i64::MIN)), Ok(i64::MIN));
        assert!(get::<i16>(json!(70000)).is_err());
        assert_eq!(get::<bool>(json!(1)), Ok(true));
        assert_eq!(get::<bool>(json!(false)), Ok(false));
    }

    #[test]
    fn bytes_are_hex_in_either_case() {
        assert_eq!(get::<Vec<u8>>(json!("00FFa0")), Ok(vec![0, 255, 160]));
        assert_eq!(get::<Vec<u8>>(json!("")), Ok(vec![]));
        assert!(get::<Vec<u8>>(json!("0")).is_err());
    }

    #[test]
    fn each_databases_date_times() {
        let at = Utc.with_ymd_and_hms(2026, 2, 28, 23, 59, 58).unwrap()
            + chrono::TimeDelta::microseconds(123_456);
        for text in [
            "2026-02-28T23:59:58.123456+00:00",
            "2026-03-01T00:59:58.123456+01:00",
            "2026-02-28T23:59:58.123456Z",
            "2026-02-28 23:59:58.123456",
        ] {
            assert_eq!(get::<DateTime<Utc>>(json!(text)), Ok(at), "{text}");
        }
        let local = at.naive_utc();
        assert_eq!(
            get::<NaiveDateTime>(json!("2026-02-28T23:59:58.123456")),
            Ok(local)
        );
        assert_eq!(
            get::<NaiveDateTime>(json!("2026-02-28 23:59:58.123456")),
            Ok(local)
        );
        assert_eq!(
            get::<NaiveDate>(json!("2000-02-29")),
            Ok(NaiveDate::from_ymd_opt(2000, 2, 29).unwrap())
        );
    }

    #[test]
    fn nullable_json_keeps_sql_null_and_json_null_apart() {
        assert_eq!(get::<Option<Json>>(json!(null)), Ok(None));
        assert_eq!(get::<Option<Json>>(json!([null])), Ok(Some(Json::Null)));
        assert_eq!(get::<Option<Json>>(json!([[1]])), Ok(Some(json!([1]))));
        assert_eq!(get::<Json>(json!({"a": 1})), Ok(json!({"a": 1})));
        assert_eq!(get::<Option<i32>>(json!(null)), Ok(None));
    }
}
