//! A row's key values as a hash-map key: how loaded children find their
//! parents. Parent and child keys are produced from the same column types
//! (`FieldType::to_value` on one side, `decode_as` on the other), so equal
//! keys are equal `Value`s of the same variant.

use crate::schema::{Row, SqlType};
use crate::value::{decode_as, Value};
use std::hash::{Hash, Hasher};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RowKey {
    One(Value),
    Many(Vec<Value>),
}

impl RowKey {
    pub fn from_values(mut values: Vec<Value>) -> RowKey {
        if values.len() == 1 {
            if let Some(value) = values.pop() {
                return RowKey::One(value);
            }
        }
        RowKey::Many(values)
    }

    /// Whether any part is NULL: such a key matches nothing (SQL `=` semantics).
    pub fn has_null(&self) -> bool {
        self.parts().iter().any(|v| matches!(v, Value::Null(_)))
    }

    pub fn parts(&self) -> &[Value] {
        match self {
            RowKey::One(value) => std::slice::from_ref(value),
            RowKey::Many(values) => values,
        }
    }
}

/// Where a loaded row's parent key is: the positions of its columns in the
/// row (the child's own foreign key columns, or the `__k*` aliases after
/// them; `Load::key_positions`) and their types.
#[derive(Debug, Clone)]
pub(crate) struct KeyAt {
    pub(crate) positions: Vec<usize>,
    pub(crate) types: Vec<SqlType>,
}

impl KeyAt {
    pub(crate) fn read(&self, row: Row<'_>) -> Result<RowKey, sqlx::Error> {
        // A single-column key (the usual foreign key) without a Vec per row.
        if let ([at], [ty]) = (self.positions.as_slice(), self.types.as_slice()) {
            return Ok(RowKey::One(decode_as(row, *at, *ty)?));
        }
        let values = (self.positions.iter().zip(&self.types))
            .map(|(&at, &ty)| decode_as(row, at, ty))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RowKey::from_values(values))
    }
}

/// Keys are never NaN floats in practice (a float key column would be
/// unusual); NaN simply never matches, as in SQL.
impl Eq for RowKey {}

impl Hash for RowKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for part in self.parts() {
            hash_value(part, state);
        }
    }
}

fn hash_value<H: Hasher>(value: &Value, state: &mut H) {
    std::mem::discriminant(value).hash(state);
    match value {
        Value::Null(_) => {}
        Value::Bool(v) => v.hash(state),
        Value::I16(v) => v.hash(state),
        Value::I32(v) => v.hash(state),
        Value::I64(v) => v.hash(state),
        Value::F32(v) => v.to_bits().hash(state),
        Value::F64(v) => v.to_bits().hash(state),
        Value::Text(v) => v.hash(state),
        Value::Bytes(v) => v.hash(state),
        Value::Json(v) => v.to_string().hash(state),
        Value::Uuid(v) => v.hash(state),
        Value::Timestamptz(v) => v.hash(state),
        Value::Timestamp(v) => v.hash(state),
        Value::Date(v) => v.hash(state),
        #[cfg(feature = "decimal")]
        Value::Decimal(v) => v.hash(state),
        Value::Enum(_, label) => label.hash(state),
        Value::List(_, items) => items.iter().for_each(|v| hash_value(v, state)),
    }
}

/// Whether values of `ty` order in Rust exactly as in SQL on every
/// database, whatever its collation: integers, and uuids (PostgreSQL
/// compares their bytes; SQLite and MySQL store them as lowercase
/// hyphenated text, whose order is the bytes' in any collation). Text is
/// not: its order is the column's collation. `FieldType::key_order`
/// compares exactly these types.
pub(crate) fn compares_in_rust(ty: SqlType) -> bool {
    matches!(
        ty,
        SqlType::SmallInt | SqlType::Int | SqlType::BigInt | SqlType::Uuid
    )
}

/// The positions `0..len` in the order `compare` sorts them (stable): one
/// instantiation of the standard library's sort for every model's rows.
pub(super) fn sorted_positions(
    len: usize,
    compare: &dyn Fn(usize, usize) -> std::cmp::Ordering,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

#[cfg(test)]
mod tests {
    use super::compares_in_rust;
    use crate::schema::{FieldType, SqlType};
    use std::cmp::Ordering::{Equal, Less};

    /// The client sort is only chosen for `compares_in_rust` types, and
    /// only sorts if their `key_order` is real: the two lists must agree.
    #[test]
    fn key_order_is_real_exactly_where_the_client_sorts() {
        fn orders<T: FieldType>(low: T, high: T) -> bool {
            assert!(low.key_order(&low) == Equal);
            low.key_order(&high) == Less
        }
        let uuid = uuid::Uuid::from_u128;
        let cases = [
            (SqlType::SmallInt, orders(1i16, 2)),
            (SqlType::Int, orders(1i32, 2)),
            (SqlType::BigInt, orders(1i64, 2)),
            (SqlType::Uuid, orders(uuid(1), uuid(2))),
            (SqlType::Text, orders(String::from("a"), String::from("b"))),
            (SqlType::Double, orders(1.0f64, 2.0)),
            (SqlType::Bool, orders(false, true)),
        ];
        for (ty, ordered) in cases {
            assert_eq!(compares_in_rust(ty), ordered, "{ty:?}");
        }
    }
}
