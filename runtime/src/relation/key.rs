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
#[derive(Debug)]
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

/// Rows sorted through their positions ([`sort_rows`]): the standard
/// library's sort is compiled once in strata rather than for every model a
/// crate includes, and only these three methods are compiled per model.
pub(super) trait SortRows {
    fn len(&self) -> usize;
    fn compare(&self, a: usize, b: usize) -> std::cmp::Ordering;
    fn swap(&mut self, a: usize, b: usize);
}

/// Sorts `rows` stably by [`SortRows::compare`]; rows mostly arrive in
/// order already, and then none moves.
pub(super) fn sort_rows(rows: &mut dyn SortRows) {
    if let Some(order) = sort_order(&*rows) {
        permute(order, rows);
    }
}

/// The positions `0..len` in the order `rows.compare` sorts them (stable),
/// or `None` if they are in that order already.
fn sort_order(rows: &dyn SortRows) -> Option<Vec<usize>> {
    if (1..rows.len()).all(|i| rows.compare(i - 1, i).is_le()) {
        return None;
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| rows.compare(a, b));
    Some(order)
}

/// Rearranges `rows` in place, through `swap` alone, so that position `k`
/// holds what was at `order[k]`: each cycle of the permutation is followed
/// once, every swap putting one element where it belongs.
fn permute(mut order: Vec<usize>, rows: &mut dyn SortRows) {
    const DONE: usize = usize::MAX;
    for start in 0..order.len() {
        let mut at = start;
        while order[at] != DONE {
            let from = std::mem::replace(&mut order[at], DONE);
            if from == start {
                break;
            }
            rows.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{compares_in_rust, sort_order, sort_rows, SortRows};
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

    /// `sort_order` then `permute` sorts stably, for every arrangement of
    /// a few keys with repeats (the key's tie-break is the arrival order).
    #[test]
    fn sort_order_and_permute_sort_stably() {
        let keys = [3, 1, 2, 1, 0, 3];
        let mut arrangements = vec![vec![]];
        for _ in 0..keys.len() {
            arrangements = (arrangements.into_iter())
                .flat_map(|a: Vec<usize>| {
                    (0..keys.len())
                        .filter(|i| !a.contains(i))
                        .map(|i| [a.clone(), vec![i]].concat())
                        .collect::<Vec<_>>()
                })
                .collect();
        }
        assert_eq!(arrangements.len(), 720);
        for arrangement in arrangements {
            // (key, arrival) pairs in this arrangement.
            let rows: Vec<(i32, usize)> = arrangement.iter().map(|&i| (keys[i], i)).collect();
            let mut expected = rows.clone();
            expected.sort_by_key(|&(key, _)| key);
            let mut rows = ByKey(rows);
            if sort_order(&rows).is_none() {
                assert_eq!(rows.0, expected, "said sorted");
            }
            sort_rows(&mut rows);
            assert_eq!(rows.0, expected, "{arrangement:?}");
        }
    }

    /// (key, arrival) pairs sorted by key.
    struct ByKey(Vec<(i32, usize)>);

    impl SortRows for ByKey {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn compare(&self, a: usize, b: usize) -> std::cmp::Ordering {
            self.0[a].0.cmp(&self.0[b].0)
        }
        fn swap(&mut self, a: usize, b: usize) {
            self.0.swap(a, b);
        }
    }
}
