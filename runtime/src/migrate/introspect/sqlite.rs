//! SQLite: the pragmas for columns, keys, indexes and foreign keys, and the
//! `CREATE` statements in `sqlite_master` for what the pragmas leave out.

use super::sqlite_sql::{parse_index, parse_table, KeySql, TableSql};
use super::{action, empty_table, is_internal, optional, text, text_rows};
use crate::error::Result;
use crate::migrate::normalize;
use crate::migrate::schema::{
    Check, Column, DbSchema, ForeignKey, Index, IndexPart, PrimaryKey, Table, Unique,
};
use crate::render::Dialect;
use crate::{Db, Value};

const TABLES: &str = "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name";
const COLUMNS: &str = "SELECT name, type, CAST(\"notnull\" AS TEXT), dflt_value, \
    CAST(pk AS TEXT) FROM pragma_table_info(?) ORDER BY cid";
const INDEXES: &str = "SELECT l.name, CAST(l.\"unique\" AS TEXT), l.origin, m.sql \
    FROM pragma_index_list(?) l LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name \
    ORDER BY l.name";
const INDEX_COLUMNS: &str = "SELECT name FROM pragma_index_info(?) ORDER BY seqno";
const FOREIGN_KEYS: &str = "SELECT CAST(id AS TEXT), \"table\", \"from\", \"to\", on_update, \
    on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq";

pub(super) async fn introspect(db: &Db) -> Result<DbSchema> {
    let mut schema = DbSchema::default();
    for row in text_rows(db, TABLES, Vec::new()).await? {
        let name = text(&row, 0);
        if is_internal(name) {
            continue;
        }
        let sql = parse_table(text(&row, 1));
        schema.tables.push(table(db, name, &sql).await?);
    }
    // A foreign key that names no columns references the primary key.
    let primary_keys: Vec<(String, Vec<String>)> = (schema.tables.iter())
        .map(|t| {
            (
                t.name.clone(),
                t.primary_key
                    .iter()
                    .flat_map(|k| k.columns.clone())
                    .collect(),
            )
        })
        .collect();
    for fk in schema.tables.iter_mut().flat_map(|t| &mut t.foreign_keys) {
        if fk.referenced_columns.iter().all(String::is_empty) {
            if let Some((_, pk)) = primary_keys.iter().find(|(t, _)| *t == fk.referenced_table) {
                fk.referenced_columns = pk.clone();
            }
        }
    }
    Ok(schema)
}

fn bind(name: &str) -> Vec<Value> {
    vec![Value::Text(name.to_owned())]
}

async fn table(db: &Db, name: &str, sql: &TableSql) -> Result<Table> {
    let mut table = empty_table(name);
    let mut primary_key: Vec<(usize, String)> = Vec::new();
    for row in text_rows(db, COLUMNS, bind(name)).await? {
        let column_name = text(&row, 0).to_owned();
        let position: usize = text(&row, 4).parse().unwrap_or(0);
        let generated = sql.autoincrement.as_deref() == Some(column_name.as_str());
        if position > 0 {
            primary_key.push((position, column_name.clone()));
        }
        table.columns.push(Column {
            ty: normalize::column_type(Dialect::Sqlite, text(&row, 1)),
            // A rowid alias (INTEGER PRIMARY KEY) can never hold NULL.
            nullable: text(&row, 2) != "1" && !generated,
            default: optional(&row, 3),
            generated,
            name: column_name,
        });
    }
    primary_key.sort();
    if !primary_key.is_empty() {
        table.primary_key = Some(PrimaryKey {
            name: None,
            columns: primary_key.into_iter().map(|(_, c)| c).collect(),
        });
    }
    for row in text_rows(db, INDEXES, bind(name)).await? {
        let index_name = text(&row, 0).to_owned();
        match text(&row, 2) {
            "u" => {
                let columns = index_columns(db, &index_name).await?;
                let declared = sql.uniques.iter().find(|(_, c)| *c == columns);
                let unique_name = declared
                    .and_then(|(n, _)| n.clone())
                    .unwrap_or_else(|| format!("{name}_{}_key", columns.join("_")));
                table.uniques.push(Unique {
                    name: unique_name,
                    columns,
                });
            }
            "c" => table
                .indexes
                .push(index(index_name, text(&row, 1) == "1", text(&row, 3))),
            // "pk": the primary key, read above.
            _ => {}
        }
    }
    table.foreign_keys = foreign_keys(db, name, sql).await?;
    table.checks = (sql.checks.iter().enumerate())
        .map(|(i, (check_name, expression))| Check {
            name: check_name
                .clone()
                .unwrap_or_else(|| format!("{name}_check{}", i + 1)),
            expression: expression.clone(),
        })
        .collect();
    Ok(table)
}

async fn index_columns(db: &Db, index: &str) -> Result<Vec<String>> {
    let rows = text_rows(db, INDEX_COLUMNS, bind(index)).await?;
    Ok(rows.iter().map(|r| text(r, 0).to_owned()).collect())
}

fn index(name: String, unique: bool, sql: &str) -> Index {
    let (keys, predicate) = parse_index(sql);
    let parts = (keys.into_iter())
        .map(|key| match key {
            KeySql::Column { name, descending } => IndexPart::Column { name, descending },
            KeySql::Expression { sql, .. } => IndexPart::Expression(sql),
        })
        .collect();
    Index {
        name,
        parts,
        unique,
        method: None,
        include: Vec::new(),
        predicate,
    }
}

async fn foreign_keys(db: &Db, table: &str, sql: &TableSql) -> Result<Vec<ForeignKey>> {
    let mut keys: Vec<(String, ForeignKey)> = Vec::new();
    for row in text_rows(db, FOREIGN_KEYS, bind(table)).await? {
        let id = text(&row, 0).to_owned();
        let (from, to) = (text(&row, 2).to_owned(), text(&row, 3).to_owned());
        if let Some((_, fk)) = keys.iter_mut().find(|(i, _)| *i == id) {
            fk.columns.push(from);
            fk.referenced_columns.push(to);
            continue;
        }
        let fk = ForeignKey {
            name: String::new(),
            columns: vec![from],
            referenced_table: text(&row, 1).into(),
            referenced_columns: vec![to],
            on_update: action(table, "foreign key", text(&row, 4))?,
            on_delete: action(table, "foreign key", text(&row, 5))?,
        };
        keys.push((id, fk));
    }
    // The pragma lists foreign keys without their names, last declared first.
    let mut keys: Vec<ForeignKey> = keys.into_iter().map(|(_, fk)| fk).collect();
    for fk in &mut keys {
        let declared = sql.foreign_keys.iter().find(|(_, c)| *c == fk.columns);
        fk.name = declared
            .and_then(|(n, _)| n.clone())
            .unwrap_or_else(|| format!("{table}_{}_fkey", fk.columns.join("_")));
    }
    Ok(keys)
}
