//! An include level's rows as they are read, behind `dyn`: the statements,
//! the parent keys and the JSON arrays are handled once, in strata, and only
//! decoding a row into the child model (and, later, handing the rows out)
//! is compiled per relation in the user's crate.

use super::key::KeyAt;
use super::spec::{Assignment, ParentIndex, Spec};
use crate::error::Result;
use crate::execute::Sink;
use crate::schema::{FromRow, JsonRow, PartialModel, Row};
use serde_json::Value as Json;
use std::sync::Arc;

/// Child rows being decoded: whole models ([`FullRows`]) or `select`/`omit`
/// ones ([`PartialRows`]).
pub(super) trait Batch: Send {
    /// Decodes one row and keeps it.
    fn push(&mut self, row: Row<'_>) -> Result<(), sqlx::Error>;
    fn len(&self) -> usize;
    /// Drops the rows after the first `len` (an attempt being retried).
    fn truncate(&mut self, len: usize);
}

pub(super) struct FullRows<C>(pub(super) Vec<C>);

impl<C: FromRow + Send> Batch for FullRows<C> {
    #[inline(always)]
    fn push(&mut self, row: Row<'_>) -> Result<(), sqlx::Error> {
        self.0.push(C::from_row(row, &mut 0)?);
        Ok(())
    }
    #[inline(always)]
    fn len(&self) -> usize {
        self.0.len()
    }
    #[inline(always)]
    fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }
}

pub(super) struct PartialRows<C: PartialModel> {
    pub(super) rows: Vec<C::Partial>,
    /// Which of the child's columns the statement reads.
    pub(super) selected: Arc<[bool]>,
}

impl<C: PartialModel> Batch for PartialRows<C> {
    #[inline(always)]
    fn push(&mut self, row: Row<'_>) -> Result<(), sqlx::Error> {
        self.rows.push(C::decode_partial(row, &self.selected)?);
        Ok(())
    }
    #[inline(always)]
    fn len(&self) -> usize {
        self.rows.len()
    }
    #[inline(always)]
    fn truncate(&mut self, len: usize) {
        self.rows.truncate(len);
    }
}

/// One load statement's rows into `batch`, and into `owners` the parent
/// each goes to (its key read where `key` says, looked up in `parents`):
/// the two stay in step, row for row.
pub(super) struct Keyed<'a> {
    pub(super) batch: &'a mut dyn Batch,
    pub(super) key: &'a KeyAt,
    pub(super) parents: &'a ParentIndex<'a>,
    pub(super) owners: &'a mut Vec<Option<usize>>,
    /// The rows earlier statements of the same load left in `batch`.
    pub(super) base: usize,
}

impl Sink for Keyed<'_> {
    fn push(&mut self, row: Row<'_>) -> Result<(), sqlx::Error> {
        let owner = self.parents.owner(&self.key.read(row)?);
        self.batch.push(row)?;
        self.owners.push(owner);
        Ok(())
    }
    fn count(&self) -> u64 {
        (self.batch.len() - self.base) as u64
    }
    fn clear(&mut self) {
        self.batch.truncate(self.base);
        self.owners.truncate(self.base);
    }
}

/// One joined include's JSON column over all its parents, taken apart: the
/// child rows' value arrays, which parent each belongs to, and each nested
/// include's JSON column over these children.
pub(super) struct JsonRows {
    rows: Vec<Vec<Json>>,
    pub(super) assignment: Assignment,
    pub(super) nested: Vec<Vec<Json>>,
}

impl JsonRows {
    /// `column[i]` is parent `i`'s array of row arrays; each row array ends
    /// with one element per nested include (`nested` of them).
    pub(super) fn split(spec: &Spec, column: Vec<Json>, nested: usize) -> Result<JsonRows> {
        let mut split = JsonRows {
            rows: Vec::new(),
            assignment: Assignment {
                owners: Vec::new(),
                counts: Vec::with_capacity(column.len()),
                sharing: Vec::new(),
            },
            nested: vec![Vec::new(); nested],
        };
        for (parent, rows) in column.into_iter().enumerate() {
            let rows = spec.array(rows)?;
            split.assignment.counts.push(rows.len());
            for row in rows {
                let mut values = spec.array(row)?;
                let Some(at) = values.len().checked_sub(nested) else {
                    return Err(spec.malformed("a row array of the wrong length"));
                };
                for (column, value) in split.nested.iter_mut().zip(values.drain(at..)) {
                    column.push(value);
                }
                split.assignment.owners.push(Some(parent));
                split.rows.push(values);
            }
        }
        Ok(split)
    }

    /// Decodes every child row into `batch`, in order.
    pub(super) fn decode(&self, batch: &mut dyn Batch) -> Result<()> {
        for values in &self.rows {
            batch.push(JsonRow::new(values).row())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relation::key::RowKey;
    use crate::schema::test_schema::{column, model};
    use crate::schema::{ModelSchema, RelationKind, RelationSchema, SqlType};
    use crate::value::Value;
    use serde_json::json;

    static COLUMNS: [crate::schema::ColumnSchema; 1] = [column("id", SqlType::BigInt, false)];
    static PARENT: ModelSchema = model("Parent", "parents", &COLUMNS);
    static CHILD: ModelSchema = model("Child", "children", &COLUMNS);
    fn child() -> &'static ModelSchema {
        &CHILD
    }
    static CHILDREN: RelationSchema = RelationSchema {
        field: "children",
        name: None,
        kind: RelationKind::HasMany,
        target: child,
        target_name: "Child",
        fields: &[],
        references: &[],
        join: None,
        implicit_join: false,
        through: None,
    };

    fn spec() -> Spec {
        Spec::new(&CHILDREN, &PARENT, &CHILD)
    }

    /// A row whose column 0 is the child (an `i64`) and column 1 its parent key.
    fn push(sink: &mut Keyed<'_>, child: i64, parent: i64) {
        let values = [json!(child), json!(parent)];
        sink.push(JsonRow::new(&values).row()).expect("decodes");
    }

    /// Rows and their owners stay in step across a load's statements, and
    /// an attempt that is retried (`clear`) drops only the rows of its own
    /// statement.
    #[test]
    fn keyed_rows_stay_in_step_and_a_retry_keeps_earlier_statements() {
        let key = KeyAt {
            positions: vec![1],
            types: vec![SqlType::BigInt],
        };
        let parent_keys: Vec<_> = [1, 2, 3, 1]
            .map(|k| Some(RowKey::One(Value::I64(k))))
            .into();
        let parents = ParentIndex::new(&parent_keys);
        let (mut batch, mut owners) = (FullRows::<i64>(Vec::new()), Vec::new());
        let mut first = Keyed {
            batch: &mut batch,
            key: &key,
            parents: &parents,
            owners: &mut owners,
            base: 0,
        };
        push(&mut first, 10, 1);
        push(&mut first, 11, 2);
        let base = batch.len();
        let mut second = Keyed {
            batch: &mut batch,
            key: &key,
            parents: &parents,
            owners: &mut owners,
            base,
        };
        push(&mut second, 12, 1);
        second.clear();
        assert_eq!(second.count(), 0);
        push(&mut second, 13, 3);
        push(&mut second, 14, 9);
        assert_eq!(second.count(), 2);
        assert_eq!(batch.0, [10, 11, 13, 14]);
        assert_eq!(owners, [Some(0), Some(1), Some(2), None]);
        // Parent 3 has parent 0's key: it shares parent 0's rows.
        let assignment = parents.assignment(owners);
        assert_eq!(assignment.counts, [1, 1, 1, 0]);
        assert_eq!(assignment.sharing, [(0, 3)]);
    }

    /// A joined column: each parent's rows are assigned to it in order, and
    /// each row's trailing arrays go to the nested includes' columns.
    #[test]
    fn json_rows_assign_rows_to_their_parents_and_split_off_nested_columns() {
        let column = vec![
            json!([[1, ["a"]], [2, []]]),
            json!([]),
            json!([[3, ["b", "c"]]]),
        ];
        let split = JsonRows::split(&spec(), column, 1).expect("well formed");
        assert_eq!(split.assignment.owners, [Some(0), Some(0), Some(2)]);
        assert_eq!(split.assignment.counts, [2, 0, 1]);
        assert!(split.assignment.sharing.is_empty());
        assert_eq!(
            split.nested,
            [vec![json!(["a"]), json!([]), json!(["b", "c"])]]
        );
        let mut rows = FullRows::<i64>(Vec::new());
        split.decode(&mut rows).expect("decodes");
        assert_eq!(rows.0, [1, 2, 3]);
    }

    /// What the SQL and the decoder disagreeing on looks like: an error
    /// naming the relation, not a panic or a misassigned row.
    #[test]
    fn malformed_json_columns_are_errors_naming_the_relation() {
        for column in [json!({"a": 1}), json!([1]), json!([[]])] {
            let error = JsonRows::split(&spec(), vec![column.clone()], 1)
                .err()
                .unwrap_or_else(|| panic!("{column} was accepted"));
            assert!(
                error.to_string().contains("Parent.children"),
                "{column}: {error}"
            );
        }
    }
}
