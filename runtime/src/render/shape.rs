//! SQL text remembered per statement shape, for the statements an application
//! runs on every request: a create, a read by unique key, an update by unique
//! key.
//!
//! Their text depends only on the model, the dialect, which columns are
//! written and how, the key, and which binds PostgreSQL must cast to an enum;
//! never on the values. So the caller names that [`Shape`], and the statement
//! is rendered the first time each thread sees it; after that its text is
//! shared (not copied: the driver and the hooks read the same `Arc`) and the
//! caller supplies the binds, in the order the renderer would write them. A
//! debug build renders every time and checks both.

use super::{Dialect, Rendered, Shared};
use crate::value::Value;
use std::any::TypeId;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// How many parts (column and key indices) a shape may have; a statement with
/// more is rendered every time.
const MAX_PARTS: usize = 24;

/// Shapes and bytes of text remembered per thread; past either the cache
/// starts over, so a program that builds statements from ever-new column sets
/// or row counts cannot grow it without bound.
const MAX_SHAPES: usize = 1024;
const MAX_BYTES: usize = 4 << 20;

/// Which statement a shape describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// `INSERT INTO t (columns..) VALUES (..) RETURNING every column`; the
    /// parts are the written columns' indices.
    InsertReturning,
    /// `SELECT every column FROM t WHERE key`; the one part is the key's index.
    SelectByKey,
    /// `INSERT INTO t (columns..) VALUES (..), (..)`; the parts are the
    /// columns' indices, then the number of rows. Its casts are per column.
    InsertMany,
    /// `UPDATE t SET assignments.. WHERE key RETURNING every column`; the
    /// parts are the key's index, then each assignment as column index and
    /// operator (`ArithOp` as 1.., plain set as 0).
    UpdateByKey,
}

/// Everything the text of one of [`Kind`]'s statements depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Shape {
    kind: Kind,
    /// The model (two models may share a table name, in tests at least).
    model: TypeId,
    dialect: Dialect,
    parts: [u16; MAX_PARTS],
    len: u8,
    /// Bit `i`: bind `i` is cast to an enum type (PostgreSQL).
    casts: u64,
}

impl Shape {
    /// A shape of model `M` with no parts yet.
    pub(crate) fn new<M: 'static>(kind: Kind, dialect: Dialect) -> Shape {
        Shape {
            kind,
            model: TypeId::of::<M>(),
            dialect,
            parts: [0; MAX_PARTS],
            len: 0,
            casts: 0,
        }
    }

    /// Adds a part; `None` if the shape has no room (render instead).
    pub(crate) fn push(mut self, part: usize) -> Option<Shape> {
        let slot = self.parts.get_mut(usize::from(self.len))?;
        *slot = u16::try_from(part).ok()?;
        self.len += 1;
        Some(self)
    }

    /// Records which written columns of `rows` PostgreSQL casts (a column's
    /// values are all cast or none are); `None` past 64 columns or if they are
    /// not. A row's written columns are its `Some` slots, as `create_many`
    /// holds them.
    pub(crate) fn column_casts(mut self, rows: &[Vec<Option<Value>>]) -> Option<Shape> {
        if self.dialect != Dialect::Postgres {
            return Some(self);
        }
        // Each row's casts as bits, and how many columns it writes.
        let casts = |row: &Vec<Option<Value>>| -> Option<(u64, usize)> {
            let mut bits = 0u64;
            let mut width = 0;
            for value in row.iter().flatten() {
                let bit = 1u64.checked_shl(u32::try_from(width).ok()?)?;
                if value.enum_schema().is_some() {
                    bits |= bit;
                }
                width += 1;
            }
            Some((bits, width))
        };
        let first = casts(rows.first()?)?;
        for row in rows.get(1..).unwrap_or_default() {
            if casts(row)? != first {
                return None;
            }
        }
        self.casts = first.0;
        Some(self)
    }

    /// Records which of `binds` PostgreSQL casts; `None` past 64 binds.
    pub(crate) fn binds(mut self, binds: &[Value]) -> Option<Shape> {
        if self.dialect != Dialect::Postgres {
            return Some(self);
        }
        if binds.len() > 64 {
            return None;
        }
        for (i, bind) in binds.iter().enumerate() {
            if bind.enum_schema().is_some() {
                self.casts |= 1 << i;
            }
        }
        Some(self)
    }
}

/// A multiply-rotate hasher: the keys are a few words, hashed on every query.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[derive(Default)]
struct Remembered {
    text: HashMap<Shape, Arc<String>, BuildHasherDefault<FxHasher>>,
    bytes: usize,
}

thread_local! {
    static TEXT: RefCell<Remembered> = RefCell::new(Remembered::default());
}

/// The text remembered for `shape` on this thread, if any: shared, a
/// reference count's increment rather than a copy of the text.
pub(crate) fn remembered(shape: &Shape) -> Option<Arc<String>> {
    TEXT.with(|known| known.borrow().text.get(shape).cloned())
}

/// Remembers `sql` as the text of `shape` on this thread.
pub(crate) fn remember(shape: Shape, sql: &Arc<String>) {
    TEXT.with(|known| {
        let mut known = known.borrow_mut();
        if known.text.len() >= MAX_SHAPES || known.bytes + sql.len() > MAX_BYTES {
            *known = Remembered::default();
        }
        known.bytes += sql.len();
        known.text.insert(shape, Arc::clone(sql));
    });
}

/// The statement of `shape` with `binds`: its remembered text, or the text
/// `render` writes the first time, given the binds (in a debug build: every
/// time, checked against the remembered text and against `binds`).
pub(crate) fn render_shape(
    shape: Shape,
    binds: Vec<Value>,
    render: impl FnOnce(Vec<Value>) -> Rendered,
) -> Shared {
    let Some(sql) = remembered(&shape) else {
        #[cfg(debug_assertions)]
        let expected = binds.clone();
        let rendered = Shared::from(render(binds));
        #[cfg(debug_assertions)]
        assert_eq!(rendered.binds, expected, "{shape:?}: binds in render order");
        remember(shape, &rendered.sql);
        return rendered;
    };
    #[cfg(debug_assertions)]
    {
        let rendered = render(binds.clone());
        assert_eq!(rendered.sql, *sql, "{shape:?}: remembered text");
        assert_eq!(rendered.binds, binds, "{shape:?}: binds in render order");
    }
    #[cfg(not(debug_assertions))]
    drop(render);
    Shared { sql, binds }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_with_more_parts_than_room_are_refused() {
        let mut shape = Some(Shape::new::<()>(Kind::InsertReturning, Dialect::Sqlite));
        for i in 0..MAX_PARTS {
            shape = shape.and_then(|s| s.push(i));
        }
        assert!(shape.clone().is_some());
        assert!(shape.and_then(|s| s.push(0)).is_none());
    }

    #[test]
    fn the_text_is_rendered_once_per_shape() {
        let shape = || {
            Shape::new::<u8>(Kind::SelectByKey, Dialect::Sqlite)
                .push(0)
                .unwrap()
        };
        let render = |sql: &str| {
            let sql = sql.to_owned();
            move |binds| Rendered { sql, binds }
        };
        let first = render_shape(shape(), vec![Value::I64(1)], render("SELECT 1"));
        assert_eq!(*first.sql, "SELECT 1");
        // Remembered: a release build would not call `render` at all; a debug
        // build checks that it still agrees.
        let again = std::panic::catch_unwind(|| {
            render_shape(shape(), vec![Value::I64(1)], render("SELECT 2"))
        });
        assert_eq!(again.is_err(), cfg!(debug_assertions));
    }
}
