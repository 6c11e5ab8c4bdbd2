//! SQL text remembered per statement shape, so a statement an application
//! runs again is not rendered again.
//!
//! Its text depends only on the query's shape, never on the values. The
//! point statements (a create, a read by unique key, an update by unique
//! key) name that [`Shape`]: model, dialect, which columns are written and
//! how, the key, which binds PostgreSQL must cast to an enum. Every other
//! statement run as built (model reads and writes, builder selects) is
//! written once more as a key ([`SqlWriter::key`]: the text, minus quoting
//! and numbering) and looked up by it. Either way the statement is
//! rendered the first time each thread sees it; after that its text is
//! shared (not copied: the driver and the hooks read the same `Arc`) and
//! the caller supplies the binds, in the order the renderer would write
//! them (a key's writer collects them). A debug build renders every time
//! and checks both.

use super::{Dialect, Rendered, Shared, SqlWriter};
use crate::value::Value;
use std::any::TypeId;
use std::cell::{Cell, RefCell};
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

/// The longest key remembered: a statement past it (an IN list of
/// thousands) renders every time rather than crowd out the others.
const MAX_KEY: usize = 16 << 10;

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
        // Whole words without a copy: a builder select's key is a few
        // hundred bytes, hashed on every run.
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let word: [u8; 8] = word.try_into().unwrap_or_default();
            self.write_u64(u64::from_le_bytes(word));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
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

type FxMap<K> = HashMap<K, Arc<String>, BuildHasherDefault<FxHasher>>;

#[derive(Default)]
struct Remembered {
    text: FxMap<Shape>,
    /// Builder selects' text by key (`SqlWriter::key`): their shape has
    /// too many parts for a [`Shape`].
    keyed: FxMap<Box<[u8]>>,
    bytes: usize,
}

impl Remembered {
    /// Makes room for `bytes` more, starting over when the cache is full.
    fn room(&mut self, bytes: usize) {
        if self.text.len() + self.keyed.len() >= MAX_SHAPES || self.bytes + bytes > MAX_BYTES {
            *self = Remembered::default();
        }
        self.bytes += bytes;
    }
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
        known.room(sql.len());
        known.text.insert(shape, Arc::clone(sql));
    });
}

thread_local! {
    /// The last key's buffer, reused: a key is as long as the text.
    static KEY: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// A writer of a statement's key ([`SqlWriter::key`]) after `write` wrote
/// into it; hand it to [`remembered_text`].
pub(crate) fn key_writer(dialect: Dialect, write: impl FnOnce(&mut SqlWriter)) -> SqlWriter {
    let mut w = SqlWriter::key(dialect, KEY.take());
    write(&mut w);
    w
}

/// The statement whose key `w` wrote: the text remembered for the key on
/// this thread, with `w`'s binds; the first time, `render`'s (which
/// renders the same statement with its checks), remembered. `render`'s
/// error when the statement holds something that could not be built. A
/// debug build renders every time and checks the remembered text.
pub(crate) fn remembered_text(
    w: SqlWriter,
    render: impl FnOnce() -> crate::Result<Rendered>,
) -> crate::Result<Shared> {
    if w.invalid.is_some() {
        return render().map(Shared::from);
    }
    let (key, binds) = w.finish_key();
    let known = TEXT.with(|known| known.borrow().keyed.get(key.as_slice()).cloned());
    let shared = match known {
        Some(sql) => {
            #[cfg(debug_assertions)]
            {
                let rendered = render()?;
                assert_eq!(rendered.sql, *sql, "remembered text");
                assert_eq!(rendered.binds, binds, "{sql}: binds in render order");
            }
            #[cfg(not(debug_assertions))]
            drop(render);
            Shared { sql, binds }
        }
        None => {
            let shared = Shared::from(render()?);
            debug_assert_eq!(shared.binds, binds, "{}: binds in render order", shared.sql);
            if key.len() > MAX_KEY {
                KEY.set(key);
                return Ok(shared);
            }
            TEXT.with(|known| {
                let mut known = known.borrow_mut();
                known.room(key.len() + shared.sql.len());
                known
                    .keyed
                    .insert(key.as_slice().into(), Arc::clone(&shared.sql));
            });
            shared
        }
    };
    KEY.set(key);
    Ok(shared)
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
