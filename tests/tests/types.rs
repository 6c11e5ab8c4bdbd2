//! Every supported field type round-trips unchanged on every database.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use schema_examples::blog::Role;
use strata::{Dialect, Error, IntoCreate, Json, Model};
use strata_tests::backend_tests;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
struct Settings {
    theme: String,
    sizes: Vec<u32>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "all_types")]
struct AllTypes {
    #[strata(id, default = autoincrement)]
    id: i64,
    small: i16,
    int: i32,
    big: i64,
    real: f32,
    double: f64,
    flag: bool,
    text: String,
    bytes: Vec<u8>,
    instant: DateTime<Utc>,
    local: NaiveDateTime,
    day: NaiveDate,
    uid: Uuid,
    doc: serde_json::Value,
    typed: Json<Settings>,
    role: Role,
    o_small: Option<i16>,
    o_int: Option<i32>,
    o_big: Option<i64>,
    o_real: Option<f32>,
    o_double: Option<f64>,
    o_flag: Option<bool>,
    o_text: Option<String>,
    o_bytes: Option<Vec<u8>>,
    o_instant: Option<DateTime<Utc>>,
    o_local: Option<NaiveDateTime>,
    o_day: Option<NaiveDate>,
    o_uid: Option<Uuid>,
    o_doc: Option<serde_json::Value>,
    o_typed: Option<Json<Settings>>,
    o_role: Option<Role>,
}

fn instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 28, 23, 59, 58).unwrap()
        + chrono::TimeDelta::microseconds(123_456)
}

fn extremes(some: bool) -> strata::Create<AllTypes> {
    let settings = Settings {
        theme: "dark \"ünï\" ✓".into(),
        sizes: vec![1, 2, 3],
    };
    let doc = serde_json::json!({"nested": {"list": [1, 2.5, null, true, "x"]}, "emoji": "🦀"});
    let create = AllTypes::create()
        .small(i16::MIN)
        .int(i32::MAX)
        .big(i64::MIN)
        .real(1.5e-3)
        .double(std::f64::consts::PI)
        .flag(true)
        .text("multi\nline\ttext ünï 🦀")
        .bytes(vec![0u8, 255, 1, 2, 0])
        .instant(instant())
        .local(
            NaiveDate::from_ymd_opt(1999, 12, 31)
                .unwrap()
                .and_hms_micro_opt(23, 59, 59, 999_999)
                .unwrap(),
        )
        .day(NaiveDate::from_ymd_opt(2000, 2, 29).unwrap())
        .uid(Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef))
        .doc(doc.clone())
        .typed(Json(settings.clone()))
        .role(Role::Moderator);
    if !some {
        return create.into_create();
    }
    create
        .o_small(i16::MAX)
        .o_int(i32::MIN)
        .o_big(i64::MAX)
        .o_real(-2.25f32)
        .o_double(-1e300)
        .o_flag(false)
        .o_text("")
        .o_bytes(Vec::new())
        .o_instant(instant())
        .o_local(
            NaiveDate::from_ymd_opt(2038, 1, 19)
                .unwrap()
                .and_hms_opt(3, 14, 8)
                .unwrap(),
        )
        .o_day(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
        .o_uid(Uuid::nil())
        .o_doc(serde_json::json!([]))
        .o_typed(Json(settings))
        .o_role(Role::Admin)
        .into_create()
}

backend_tests!(every_type_round_trips, |db| async move {
    db.push_schema::<AllTypes>().await.unwrap();
    for some in [false, true] {
        let written = extremes(some).exec(&db).await.unwrap();
        let read = AllTypes::find_by_id(written.id)
            .exec_required(&db)
            .await
            .unwrap();
        assert_eq!(read, written);
        assert_eq!(read.instant, instant());
        assert_eq!(read.small, i16::MIN);
        assert_eq!(read.big, i64::MIN);
        assert_eq!(read.bytes, vec![0u8, 255, 1, 2, 0]);
        assert_eq!(read.role, Role::Moderator);
        assert_eq!(read.typed.0.sizes, vec![1, 2, 3]);
        if some {
            assert_eq!(read.o_big, Some(i64::MAX));
            assert_eq!(read.o_text.as_deref(), Some(""), "empty string is not NULL");
            assert_eq!(read.o_bytes.as_deref(), Some(&[][..]));
            assert_eq!(read.o_role, Some(Role::Admin));
        } else {
            assert_eq!(read.o_big, None);
            assert_eq!(read.o_role, None);
            assert_eq!(read.o_typed, None);
        }
    }
    // Every type is also usable in a filter.
    let found = AllTypes::count()
        .filter(
            AllTypes::instant()
                .eq(instant())
                .and(AllTypes::uid().eq(Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef)))
                .and(AllTypes::role().eq(Role::Moderator))
                .and(AllTypes::o_role().eq(Role::Admin))
                .and(AllTypes::day().lt(NaiveDate::from_ymd_opt(2000, 3, 1).unwrap()))
                .and(AllTypes::o_uid().is_not_null())
                .and(AllTypes::flag().eq(true)),
        )
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(found, 1);
    // Setting an Option field back to NULL.
    let row = AllTypes::find_first()
        .filter(AllTypes::o_role().is_not_null())
        .exec(&db)
        .await
        .unwrap()
        .unwrap();
    let cleared = AllTypes::update(AllTypes::by_id(row.id))
        .o_role(None)
        .o_instant(None)
        .o_typed(None)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(
        (cleared.o_role, cleared.o_instant, cleared.o_typed),
        (None, None, None)
    );
});

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "prices")]
struct Price {
    #[strata(id, default = autoincrement)]
    id: i32,
    amount: Decimal,
    discount: Option<Decimal>,
}

backend_tests!(decimal_is_exact_or_refused, |db| async move {
    let pushed = db.push_schema::<Price>().await;
    if db.dialect() == Dialect::Sqlite {
        // SQLite has no exact decimal: refused up front, naming the model and field.
        match pushed {
            Err(Error::Unsupported {
                model: "Price",
                field: "amount",
                ..
            }) => {}
            other => panic!("expected Unsupported for Price.amount, got {other:?}"),
        }
        return;
    }
    pushed.unwrap();
    let amount: Decimal = "12345678901234567890.123456789".parse().unwrap();
    let p = Price::create().amount(amount).exec(&db).await.unwrap();
    assert_eq!(p.amount, amount);
    let p = Price::update(Price::by_id(p.id))
        .amount(strata::increment(Decimal::new(1, 9)))
        .discount(Decimal::new(-5, 1))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(p.amount.to_string(), "12345678901234567890.123456790");
    assert_eq!(p.discount, Some(Decimal::new(-5, 1)));
});
