//! Which tables a statement about one model can read that are soft-deleted.
//!
//! The AST names tables, not models, so the rewrite needs the soft-delete
//! column of each table it meets. Every table in a model statement is the
//! model's own or one its relations reach (relation filters, counts,
//! includes, cursors), so the set is found by walking the relation graph
//! from the model, once per model, and kept for the process.

use crate::schema::{ColumnSchema, ModelSchema};
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

/// The soft-delete columns of the tables reachable from a model.
#[derive(Debug, Clone, Copy)]
pub struct Tables(&'static [(&'static str, &'static ColumnSchema)]);

impl Tables {
    /// No table is soft-deleted: the rewrite has nothing to do.
    pub const NONE: Tables = Tables(&[]);

    pub fn is_empty(self) -> bool {
        self.0.is_empty()
    }

    /// The soft-delete column of `table`, if it has one.
    pub fn column(self, table: &str) -> Option<&'static ColumnSchema> {
        (self.0.iter())
            .find(|(name, _)| *name == table)
            .map(|&(_, column)| column)
    }

    /// The tables reachable from `model` (itself included), computed on
    /// first use. Keyed by the descriptor's address: a const may sit at
    /// several addresses, which only costs a second entry.
    pub fn of(model: &'static ModelSchema) -> Tables {
        static CACHE: OnceLock<RwLock<HashMap<usize, Tables>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let key = model as *const ModelSchema as usize;
        if let Some(found) = cache.read().ok().and_then(|c| c.get(&key).copied()) {
            return found;
        }
        let found = reachable(model);
        if let Ok(mut cache) = cache.write() {
            cache.insert(key, found);
        }
        found
    }
}

/// Walks the relations (and many-to-many join models) from `model`.
fn reachable(model: &'static ModelSchema) -> Tables {
    let mut seen: Vec<&'static str> = Vec::new();
    let mut found = Vec::new();
    let mut stack = vec![model];
    while let Some(m) = stack.pop() {
        // Stub schemas of models whose derive failed have no table.
        if m.table.is_empty() || seen.contains(&m.table) {
            continue;
        }
        seen.push(m.table);
        if let Some(column) = m.soft_delete_column() {
            found.push((m.table, column));
        }
        for relation in m.relations {
            stack.push(relation.target());
            if let Some(join) = relation.join {
                stack.push(join());
            }
        }
    }
    if found.is_empty() {
        return Tables::NONE;
    }
    // Once per model descriptor for the life of the process.
    Tables(Box::leak(found.into_boxed_slice()))
}
