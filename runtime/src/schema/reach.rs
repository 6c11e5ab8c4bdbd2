//! The tables a statement about one model can touch, and what the built-in
//! row filters (soft delete, tenancy) put on each.
//!
//! The AST names tables, not models, so a rewrite needs each table's
//! soft-delete column and tenant column. Every table in a model statement is
//! the model's own or one its relations reach (relation filters, counts,
//! includes, cursors), so the set is found by walking the relation graph
//! from the model, once per model, and kept for the process. A model that
//! reaches neither kind of table gets [`Reach::NONE`]: one cached lookup per
//! operation is all the filters cost it.

use crate::schema::{ColumnSchema, ModelSchema};
use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{OnceLock, RwLock};

/// One reachable table that a built-in filter applies to.
#[derive(Debug, Clone, Copy)]
pub struct Reached {
    pub table: &'static str,
    /// The model the table belongs to, for errors.
    pub model: &'static str,
    /// Its soft-delete column, if the model is soft-deleted.
    pub soft_delete: Option<&'static ColumnSchema>,
    /// Its tenant column, if the model is tenant-scoped.
    pub tenant: Option<&'static ColumnSchema>,
}

/// The filtered tables reachable from a model (itself included).
#[derive(Debug, Clone, Copy)]
pub struct Reach {
    tables: &'static [Reached],
    soft_delete: bool,
    tenant: bool,
}

impl Reach {
    /// Nothing to filter.
    pub const NONE: Reach = Reach {
        tables: &[],
        soft_delete: false,
        tenant: false,
    };

    /// Whether some reachable table is soft-deleted.
    pub fn soft_delete(self) -> bool {
        self.soft_delete
    }

    /// Whether some reachable table is tenant-scoped.
    pub fn tenant(self) -> bool {
        self.tenant
    }

    /// What is known about `table`, if a filter applies to it.
    pub fn table(self, table: &str) -> Option<&'static Reached> {
        self.tables.iter().find(|t| t.table == table)
    }

    /// The soft-delete column of `table`, if it has one.
    pub fn soft_delete_column(self, table: &str) -> Option<&'static ColumnSchema> {
        self.table(table).and_then(|t| t.soft_delete)
    }

    /// The tenant column of `table` and its model's name, if it has one.
    pub fn tenant_column(self, table: &str) -> Option<(&'static str, &'static ColumnSchema)> {
        (self.table(table)).and_then(|t| Some((t.model, t.tenant?)))
    }

    /// The tables reachable from `model` (itself included), computed on
    /// first use. Keyed by the descriptor's address: a const may sit at
    /// several addresses, which only costs a second entry.
    ///
    /// Each thread first asks a few slots of its own (by address, the
    /// answers never change): every operation asks, and the shared map's
    /// lock and lookup were most of an operation's cost of the built-in
    /// filters (~90 instructions, callgrind).
    pub fn of(model: &'static ModelSchema) -> Reach {
        let key = model as *const ModelSchema as usize;
        let slot = recent_slot(key);
        let recent = RECENT.with(|recent| {
            let (address, reach) = recent[slot].get();
            (address == key).then_some(reach)
        });
        if let Some(found) = recent {
            return found;
        }
        let found = Reach::shared(model, key);
        RECENT.with(|recent| recent[slot].set((key, found)));
        found
    }

    /// [`Reach::of`] from the map all threads share.
    fn shared(model: &'static ModelSchema, key: usize) -> Reach {
        type ByAddress = HashMap<usize, Reach, BuildHasherDefault<AddressHasher>>;
        static CACHE: OnceLock<RwLock<ByAddress>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
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

/// How many answers of [`Reach::of`] each thread keeps: a direct-mapped
/// table by address, so a program with more models only asks the shared
/// map more often.
const RECENT_SLOTS: usize = 8;

thread_local! {
    /// `(descriptor address, its reach)`; address 0 is no descriptor.
    static RECENT: [Cell<(usize, Reach)>; RECENT_SLOTS] =
        const { [const { Cell::new((0, Reach::NONE)) }; RECENT_SLOTS] };
}

/// The slot of `address` in `RECENT`: the top bits of a Fibonacci hash.
fn recent_slot(address: usize) -> usize {
    let bits = RECENT_SLOTS.trailing_zeros();
    ((address as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
}

/// Hashes a descriptor's address with one multiply: every operation looks
/// its model up here, and SipHash (the default) was most of that lookup's
/// cost (147 of 232 instructions under callgrind). The keys are addresses
/// in this process, not input anyone chooses.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        // Fibonacci hashing spreads the aligned (low-zero) address bits.
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Walks the relations (and many-to-many join models) from `model`.
fn reachable(model: &'static ModelSchema) -> Reach {
    let mut seen: Vec<&'static str> = Vec::new();
    let mut found = Vec::new();
    let mut stack = vec![model];
    while let Some(m) = stack.pop() {
        // Stub schemas of models whose derive failed have no table.
        if m.table.is_empty() || seen.contains(&m.table) {
            continue;
        }
        seen.push(m.table);
        let (soft_delete, tenant) = (m.soft_delete_column(), m.tenant_column());
        if soft_delete.is_some() || tenant.is_some() {
            found.push(Reached {
                table: m.table,
                model: m.name,
                soft_delete,
                tenant,
            });
        }
        for relation in m.relations {
            stack.push(relation.target());
            if let Some(join) = relation.join {
                stack.push(join());
            }
        }
    }
    if found.is_empty() {
        return Reach::NONE;
    }
    Reach {
        soft_delete: found.iter().any(|t| t.soft_delete.is_some()),
        tenant: found.iter().any(|t| t.tenant.is_some()),
        // Once per model descriptor for the life of the process.
        tables: Box::leak(found.into_boxed_slice()),
    }
}
