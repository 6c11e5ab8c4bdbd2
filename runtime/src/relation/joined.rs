//! Include loading in the parent's statement (strategy "joined"): each
//! include becomes a JSON subquery of the read ([`JsonInclude`], rendered by
//! `render/json_load.rs`), nested includes inside it, so a whole include tree
//! is one statement. Each parent row carries one JSON array per include;
//! its row arrays decode positionally through [`JsonRow`] with the same
//! generated `FromRow`/`decode_partial` as a driver's row.
//!
//! Both strategies take the order (ending with the child's primary key),
//! columns, filter and page from the same [`Relation`] fields, so they return
//! the same rows in the same order.

use super::load::{MISSING_REQUIRED, NESTED_UNDER_PARTIAL};
use super::{resolve, Holder, Relation};
use crate::error::{Error, Result};
use crate::query::ast::{Expr, InvalidExpr, JsonInclude, LoadJoin};
use crate::schema::{JsonRow, Model, PartialModel};
use serde_json::Value as Json;

impl<P, C, S> Relation<P, C, S>
where
    P: Model,
    C: PartialModel + Clone + Sync,
    S: Holder<C>,
{
    /// This include as a column of its parent's statement, or the reason it
    /// cannot be one (reported when the statement is rendered for `exec`).
    pub(super) fn joined_expr(&self) -> Expr {
        match self.json_include() {
            Ok(include) => Expr::IncludeJson(Box::new(include)),
            Err(Error::InvalidValue {
                model,
                field,
                reason,
            }) => Expr::Invalid(InvalidExpr {
                model,
                field,
                reason,
            }),
            Err(other) => Expr::Invalid(InvalidExpr {
                model: P::SCHEMA.name,
                field: Some(self.schema.field),
                reason: other.to_string(),
            }),
        }
    }

    fn json_include(&self) -> Result<JsonInclude> {
        if self.selected.is_some() && !self.includes.is_empty() {
            return Err(self.invalid(NESTED_UNDER_PARTIAL));
        }
        let link = resolve(P::SCHEMA, self.schema)?;
        let (key, join) = match link.join {
            None => (link.child, None),
            Some(join) => (
                Vec::new(),
                Some(LoadJoin {
                    table: join.table.table,
                    parent_side: join.parent_side,
                    child_side: join.child_side,
                    child_key: link.child,
                    filter: None,
                }),
            ),
        };
        Ok(JsonInclude {
            parent_table: P::SCHEMA.table,
            parent_key: link.parent,
            table: C::SCHEMA.table,
            columns: self.read_columns(),
            key,
            join,
            filter: self.filter.as_ref().map(|f| f.expr.clone()),
            order_by: self.total_order(),
            skip: self.skip,
            take: self.take,
            nested: self.includes.iter().map(|i| i.json_expr()).collect(),
        })
    }

    /// Fills this relation on `parent` from its JSON array of row arrays.
    pub(super) fn fill_from_json(&self, parent: &mut P, rows: Json) -> Result<()> {
        let rows = self.array(rows)?;
        let Some(selected) = &self.selected else {
            let mut children = Vec::with_capacity(rows.len());
            for row in rows {
                let mut values = self.array(row)?;
                let mut index = 0;
                let mut child = C::from_row(JsonRow::new(&values).row(), &mut index)?;
                // The nested includes' arrays follow the child's columns.
                let nested = values.drain(index.min(values.len())..);
                if nested.len() != self.includes.len() {
                    return Err(self.malformed("a row array of the wrong length"));
                }
                for (include, rows) in self.includes.iter().zip(nested) {
                    include.fill_json(&mut child, rows)?;
                }
                children.push(child);
            }
            return (self.slot)(parent)
                .fill(children)
                .map_err(|_| self.invalid(MISSING_REQUIRED));
        };
        let children = (rows.into_iter())
            .map(|row| {
                let values = self.array(row)?;
                Ok(C::decode_partial(JsonRow::new(&values).row(), selected)?)
            })
            .collect::<Result<Vec<_>>>()?;
        (self.slot)(parent).fill_partial(children.into());
        Ok(())
    }

    fn array(&self, value: Json) -> Result<Vec<Json>> {
        match value {
            Json::Array(values) => Ok(values),
            _ => Err(self.malformed("not a JSON array")),
        }
    }

    fn malformed(&self, what: &str) -> Error {
        Error::Database(sqlx::Error::ColumnDecode {
            index: format!(
                "{}.{} (included as JSON)",
                P::SCHEMA.name,
                self.schema.field
            ),
            source: format!("{what}; the joined include's SQL and its decoder disagree").into(),
        })
    }
}
