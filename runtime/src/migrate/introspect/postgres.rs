//! PostgreSQL: pg_catalog, the current schema only.

use super::{action, optional, text, text_rows, TextRow};
use crate::error::{Error, Result};
use crate::migrate::normalize;
use crate::migrate::schema::{
    Check, Column, DbSchema, EnumType, ForeignKey, Index, IndexPart, PrimaryKey, Table, Unique,
};
use crate::render::Dialect;
use crate::Db;

const TABLES: &str = "SELECT c.relname::text FROM pg_class c \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY 1";

const ENUMS: &str = "SELECT t.typname::text, e.enumlabel::text FROM pg_type t \
    JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace \
    WHERE n.nspname = current_schema() ORDER BY t.typname, e.enumsortorder";

const COLUMNS: &str = "SELECT c.relname::text, a.attname::text, \
    format_type(a.atttypid, a.atttypmod), a.attnotnull::text, \
    pg_get_expr(d.adbin, d.adrelid), (a.attidentity <> '')::text, t.typtype::text, \
    t.typname::text \
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
    JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid \
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
    AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum";

/// Constraints: columns and referenced columns as JSON arrays, in key order.
const CONSTRAINTS: &str = "SELECT cl.relname::text, k.conname::text, k.contype::text, \
    (SELECT json_agg(a.attname ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(num, ord) \
     JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num)::text, \
    rt.relname::text, \
    (SELECT json_agg(a.attname ORDER BY u.ord) FROM unnest(k.confkey) WITH ORDINALITY u(num, ord) \
     JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num)::text, \
    k.confdeltype::text, k.confupdtype::text, pg_get_constraintdef(k.oid) \
    FROM pg_constraint k JOIN pg_class cl ON cl.oid = k.conrelid \
    JOIN pg_namespace n ON n.oid = cl.relnamespace LEFT JOIN pg_class rt ON rt.oid = k.confrelid \
    WHERE n.nspname = current_schema() AND k.contype IN ('p', 'u', 'f', 'c') \
    ORDER BY cl.relname, k.conname";

/// Indexes that no PRIMARY KEY, UNIQUE or EXCLUDE constraint owns; each key
/// as `[column name or expression, is a column, descending]`.
const INDEXES: &str = "SELECT t.relname::text, i.relname::text, x.indisunique::text, \
    am.amname::text, x.indnkeyatts::text, pg_get_expr(x.indpred, x.indrelid, true), \
    (SELECT json_agg(json_build_array( \
        CASE WHEN x.indkey[k - 1] <> 0 THEN (SELECT a.attname::text FROM pg_attribute a \
            WHERE a.attrelid = x.indrelid AND a.attnum = x.indkey[k - 1]) \
        ELSE pg_get_indexdef(x.indexrelid, k, true) END, \
        x.indkey[k - 1] <> 0, coalesce((x.indoption[k - 1] & 1) = 1, false)) ORDER BY k) \
     FROM generate_series(1, x.indnatts) k)::text \
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
    JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = i.relam \
    WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint k \
        WHERE k.conindid = x.indexrelid AND k.conrelid = x.indrelid AND k.contype IN ('p', 'u', 'x')) \
    ORDER BY 1, 2";

pub(super) async fn introspect(db: &Db) -> Result<DbSchema> {
    let mut schema = DbSchema::default();
    for row in text_rows(db, ENUMS, Vec::new()).await? {
        let (name, label) = (text(&row, 0), text(&row, 1).to_owned());
        match schema.enums.iter_mut().find(|e| e.name == name) {
            Some(e) => e.values.push(label),
            None => schema.enums.push(EnumType {
                name: name.into(),
                values: vec![label],
            }),
        }
    }
    for row in text_rows(db, TABLES, Vec::new()).await? {
        schema.tables.push(super::empty_table(text(&row, 0)));
    }
    for row in text_rows(db, COLUMNS, Vec::new()).await? {
        if let Some(table) = table_mut(&mut schema, text(&row, 0)) {
            table.columns.push(column(&row));
        }
    }
    for row in text_rows(db, CONSTRAINTS, Vec::new()).await? {
        let name = text(&row, 0).to_owned();
        if let Some(table) = table_mut(&mut schema, &name) {
            constraint(table, &row)?;
        }
    }
    for row in text_rows(db, INDEXES, Vec::new()).await? {
        let name = text(&row, 0).to_owned();
        if let Some(table) = table_mut(&mut schema, &name) {
            table.indexes.push(index(&name, &row)?);
        }
    }
    super::pg_policy::read(db, &mut schema).await?;
    Ok(schema)
}

fn table_mut<'s>(schema: &'s mut DbSchema, name: &str) -> Option<&'s mut Table> {
    schema.tables.iter_mut().find(|t| t.name == name)
}

fn column(row: &TextRow) -> Column {
    let generated = text(row, 5) == "true";
    let ty = if text(row, 6) == "e" {
        text(row, 7).to_owned()
    } else {
        normalize::column_type(Dialect::Postgres, text(row, 2))
    };
    Column {
        name: text(row, 1).into(),
        ty,
        nullable: text(row, 3) != "true",
        default: optional(row, 4),
        generated,
    }
}

fn names(table: &str, constraint: &str, json: &str) -> Result<Vec<String>> {
    if json.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(json).map_err(|e| Error::Introspection {
        object: format!("{table}.{constraint}"),
        reason: format!("unreadable column list {json:?}: {e}"),
    })
}

fn constraint(table: &mut Table, row: &TextRow) -> Result<()> {
    let name = text(row, 1).to_owned();
    let columns = names(&table.name, &name, text(row, 3))?;
    match text(row, 2) {
        "p" => {
            table.primary_key = Some(PrimaryKey {
                name: Some(name),
                columns,
            })
        }
        "u" => table.uniques.push(Unique { name, columns }),
        "f" => table.foreign_keys.push(ForeignKey {
            referenced_table: text(row, 4).into(),
            referenced_columns: names(&table.name, &name, text(row, 5))?,
            on_delete: action(&table.name, &name, text(row, 6))?,
            on_update: action(&table.name, &name, text(row, 7))?,
            name,
            columns,
        }),
        _ => {
            let definition = text(row, 8);
            let expression = definition
                .strip_prefix("CHECK ")
                .unwrap_or(definition)
                .trim_end_matches(" NOT VALID");
            table.checks.push(Check {
                name,
                expression: expression.into(),
            });
        }
    }
    Ok(())
}

fn index(table: &str, row: &TextRow) -> Result<Index> {
    let name = text(row, 1).to_owned();
    let key_count: usize = text(row, 4).parse().unwrap_or(0);
    let keys: Vec<(String, bool, bool)> = match text(row, 6) {
        "" => Vec::new(),
        json => serde_json::from_str(json).map_err(|e| Error::Introspection {
            object: format!("{table}.{name}"),
            reason: format!("unreadable index keys {json:?}: {e}"),
        })?,
    };
    let (key_parts, include) = keys.split_at(key_count.min(keys.len()));
    let parts = (key_parts.iter())
        .map(|(text, is_column, descending)| match is_column {
            true => IndexPart::Column {
                name: text.clone(),
                descending: *descending,
            },
            false => IndexPart::Expression(text.clone()),
        })
        .collect();
    let method = Some(text(row, 3).to_owned()).filter(|m| m != "btree");
    Ok(Index {
        name,
        parts,
        unique: text(row, 2) == "true",
        method,
        include: include.iter().map(|(name, _, _)| name.clone()).collect(),
        predicate: optional(row, 5),
    })
}
