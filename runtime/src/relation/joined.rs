//! Include loading in the parent's statement (strategy "joined"): each
//! include becomes a JSON subquery of the read (`JsonInclude`, rendered by
//! `render/json_load.rs`), nested includes inside it, so a whole include tree
//! is one statement. Each parent row carries one JSON array per include;
//! its row arrays decode positionally through [`JsonRow`] with the same
//! generated `FromRow`/`decode_partial` as a driver's row.
//!
//! Both strategies take the order (ending with the child's primary key),
//! columns, filter and page from the same [`Relation`] fields, so they return
//! the same rows in the same order.

use super::load::MISSING_REQUIRED;
use super::{Holder, Relation};
use crate::error::Result;
use crate::schema::{JsonRow, Model, PartialModel};
use serde_json::Value as Json;

impl<P, C, S> Relation<P, C, S>
where
    P: Model,
    C: PartialModel + Clone + Sync,
    S: Holder<C>,
{
    /// Fills this relation on `parent` from its JSON array of row arrays.
    pub(super) fn fill_from_json(&self, parent: &mut P, rows: Json) -> Result<()> {
        let spec = &self.spec;
        let rows = spec.array(rows)?;
        let Some(selected) = &spec.selected else {
            let mut children = Vec::with_capacity(rows.len());
            for row in rows {
                let mut values = spec.array(row)?;
                let mut index = 0;
                let mut child = C::from_row(JsonRow::new(&values).row(), &mut index)?;
                // The nested includes' arrays follow the child's columns.
                let nested = values.drain(index.min(values.len())..);
                if nested.len() != self.includes.len() {
                    return Err(spec.malformed("a row array of the wrong length"));
                }
                for (include, rows) in self.includes.iter().zip(nested) {
                    include.fill_json(&mut child, rows)?;
                }
                children.push(child);
            }
            return (self.slot)(parent)
                .fill(children)
                .map_err(|_| spec.invalid(MISSING_REQUIRED));
        };
        let mut children = Vec::with_capacity(rows.len());
        for row in rows {
            let values = spec.array(row)?;
            children.push(C::decode_partial(JsonRow::new(&values).row(), selected)?);
        }
        (self.slot)(parent).fill_partial(children.into());
        Ok(())
    }
}
