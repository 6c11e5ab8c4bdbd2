//! Rendering an include level ([`Load`]): the related rows of a batch of
//! parents in one statement (or a few, when an `IN` list must be split under
//! the database's bind limit). PostgreSQL gets the whole batch as one array
//! (`= ANY($1)`), so the statement text is the same for any batch size.
//!
//! Shape, with a per-parent page, when `select`/`omit` left the foreign key
//! out (otherwise the key is read from its own column, `"author_id"`, and no
//! `__k0` is sent):
//! ```sql
//! SELECT "id", "title", .., "__k0" FROM (
//!   SELECT "id", "title", .., "author_id" AS "__k0",
//!          ROW_NUMBER() OVER (PARTITION BY "author_id" ORDER BY ..) AS "__rn"
//!   FROM "posts" WHERE "author_id" = ANY($1) AND (filter)
//! ) AS "__w" WHERE "__rn" > $2 AND "__rn" <= $3 ORDER BY "__k0", "__rn"
//! ```
//! A many-to-many level joins the child table to a subquery of the join
//! table whose only columns are `__k*`/`__c*`, so the user's filter and order
//! (unqualified columns) cannot become ambiguous.

use super::statement::{write_expr, write_order};
use super::{Dialect, Rendered, SqlWriter};
use crate::query::ast::{Load, LoadJoin};
use crate::schema::ColumnSchema;
use crate::value::Value;

/// The statements reading `load`'s rows: none for an empty batch, one per
/// chunk of keys otherwise. Takes the load by value so each key is moved into
/// its bind, never copied.
pub fn render_load(mut load: Load, dialect: Dialect) -> Vec<Rendered> {
    let width = load.key_width().max(1);
    let keys = std::mem::take(&mut load.keys);
    if keys.is_empty() {
        return Vec::new();
    }
    if uses_array(&load, dialect) {
        return vec![render_chunk(&load, keys, dialect)];
    }
    // Binds besides the keys (filter, page) are the same in every chunk.
    let others = render_chunk(&load, keys[..width].to_vec(), dialect)
        .binds
        .len()
        - width;
    let per_chunk = (dialect.max_binds().saturating_sub(others) / width).max(1) * width;
    let mut statements = Vec::with_capacity(keys.len().div_ceil(per_chunk));
    let mut keys = keys.into_iter().peekable();
    while keys.peek().is_some() {
        let chunk: Vec<Value> = keys.by_ref().take(per_chunk).collect();
        statements.push(render_chunk(&load, chunk, dialect));
    }
    statements
}

/// PostgreSQL matches a single-column key against one array parameter.
fn uses_array(load: &Load, dialect: Dialect) -> bool {
    dialect == Dialect::Postgres && load.key_width() == 1
}

fn render_chunk(load: &Load, keys: Vec<Value>, dialect: Dialect) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    let paged = load.skip.is_some() || load.take.is_some();
    // Keys read from the child's own columns get no alias of their own.
    let aliased = load.key_positions().is_none();
    if paged {
        w.push("SELECT ");
        w.push_list(&load.columns, ", ", |w, c| w.push_ident(c.name));
        if aliased {
            for i in 0..load.key_width() {
                w.push(", ");
                w.push_ident(&key_alias(i));
            }
        }
        w.push(" FROM (");
    }
    write_inner(&mut w, load, keys, paged, aliased);
    if paged {
        w.push(") AS ");
        w.push_ident("__w");
        w.push(" WHERE ");
        let rank = |w: &mut SqlWriter, op: &str, n: i64| {
            w.push_ident("__rn");
            w.push(op);
            w.push_bind(Value::I64(n));
        };
        let skip = load.skip.unwrap_or(0);
        match load.take {
            Some(take) if skip > 0 => {
                rank(&mut w, " > ", skip);
                w.push(" AND ");
                rank(&mut w, " <= ", skip.saturating_add(take));
            }
            Some(take) => rank(&mut w, " <= ", take),
            None => rank(&mut w, " > ", skip),
        }
        w.push(" ORDER BY ");
        match aliased {
            true => w.push_list(0..load.key_width(), ", ", |w, i| {
                w.push_ident(&key_alias(i))
            }),
            false => w.push_list(&load.key, ", ", |w, c| w.push_ident(c.name)),
        }
        w.push(", ");
        w.push_ident("__rn");
    }
    w.finish()
}

/// The rows of every parent in `keys`, with their key (under an alias when
/// `aliased`) and, when `paged`, their rank within the parent.
fn write_inner(w: &mut SqlWriter, load: &Load, keys: Vec<Value>, paged: bool, aliased: bool) {
    let key_exprs: Vec<KeyExpr> = match &load.join {
        Some(join) => (0..join.parent_side.len()).map(KeyExpr::Joined).collect(),
        None => load.key.iter().copied().map(KeyExpr::Column).collect(),
    };
    w.push("SELECT ");
    w.push_list(&load.columns, ", ", |w, c| w.push_ident(c.name));
    for (i, key) in key_exprs.iter().enumerate().filter(|_| aliased) {
        w.push(", ");
        key.write(w);
        w.push(" AS ");
        w.push_ident(&key_alias(i));
    }
    if paged {
        w.push(", ROW_NUMBER() OVER (PARTITION BY ");
        w.push_list(&key_exprs, ", ", |w, k| k.write(w));
        w.push(" ORDER BY ");
        w.push_list(&load.order_by, ", ", write_order);
        w.push(") AS ");
        w.push_ident("__rn");
    }
    w.push(" FROM ");
    w.push_ident(load.table);
    let mut conditions = 0;
    if let Some(join) = &load.join {
        write_join(w, load.table, join, keys);
    } else {
        w.push(" WHERE ");
        write_key_match(w, &load.key, keys);
        conditions += 1;
    }
    if let Some(filter) = &load.filter {
        w.push(if conditions == 0 { " WHERE " } else { " AND " });
        w.push("(");
        write_expr(w, filter);
        w.push(")");
    }
    // No order: the rows are sorted in the client (`Relation::sorts_on_client`).
    if !paged && !load.order_by.is_empty() {
        w.push(" ORDER BY ");
        w.push_list(&load.order_by, ", ", write_order);
    }
}

/// `JOIN (SELECT "A" AS "__k0", "B" AS "__c0" FROM "_PostToTag" WHERE "A" = ANY($1)) AS "__j"
/// ON "tags"."id" = "__j"."__c0"`.
fn write_join(w: &mut SqlWriter, child_table: &str, join: &LoadJoin, keys: Vec<Value>) {
    w.push(" JOIN (SELECT ");
    w.push_list(join.parent_side.iter().enumerate(), ", ", |w, (i, c)| {
        w.push_ident(c.name);
        w.push(" AS ");
        w.push_ident(&key_alias(i));
    });
    for (i, c) in join.child_side.iter().enumerate() {
        w.push(", ");
        w.push_ident(c.name);
        w.push(" AS ");
        w.push_ident(&format!("__c{i}"));
    }
    w.push(" FROM ");
    w.push_ident(join.table);
    w.push(" WHERE ");
    write_key_match(w, &join.parent_side, keys);
    if let Some(filter) = &join.filter {
        // Bare columns: inside this subquery they name the join table.
        w.push(" AND (");
        write_expr(w, filter);
        w.push(")");
    }
    w.push(") AS ");
    w.push_ident("__j");
    w.push(" ON ");
    w.push_list(join.child_key.iter().enumerate(), " AND ", |w, (i, c)| {
        w.push_ident(child_table);
        w.push(".");
        w.push_ident(c.name);
        w.push(" = ");
        w.push_ident("__j");
        w.push(".");
        w.push_ident(&format!("__c{i}"));
    });
}

/// `"k" = ANY($1)` on PostgreSQL, `"k" IN (?, ..)`, or `("a", "b") IN ((?, ?), ..)`;
/// `keys` holds one value per column per parent.
fn write_key_match(w: &mut SqlWriter, columns: &[&'static ColumnSchema], keys: Vec<Value>) {
    if let [column] = columns {
        w.push_ident(column.name);
        if w.dialect == Dialect::Postgres {
            w.push(" = ANY(");
            w.push_array_bind(Value::List(column.ty, keys));
            w.push(")");
        } else {
            w.push(" IN (");
            w.push_list(keys, ", ", SqlWriter::push_bind);
            w.push(")");
        }
        return;
    }
    w.push("(");
    w.push_list(columns, ", ", |w, c| w.push_ident(c.name));
    w.push(") IN (");
    let mut values = keys.into_iter();
    let tuples = values.len() / columns.len().max(1);
    w.push_list(0..tuples, ", ", |w, _| {
        w.push("(");
        w.push_list(
            values.by_ref().take(columns.len()),
            ", ",
            SqlWriter::push_bind,
        );
        w.push(")");
    });
    w.push(")");
}

/// Where a row's parent key comes from.
enum KeyExpr {
    /// A column of the child (direct relations).
    Column(&'static ColumnSchema),
    /// Key column `i` of the join subquery.
    Joined(usize),
}

impl KeyExpr {
    fn write(&self, w: &mut SqlWriter) {
        match self {
            KeyExpr::Column(c) => w.push_ident(c.name),
            KeyExpr::Joined(i) => {
                w.push_ident("__j");
                w.push(".");
                w.push_ident(&key_alias(*i));
            }
        }
    }
}

fn key_alias(i: usize) -> String {
    format!("__k{i}")
}
