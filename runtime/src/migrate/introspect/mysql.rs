//! MySQL/MariaDB: information_schema, the current database only.

use super::{action, empty_table, optional, text, text_rows, TextRow};
use crate::error::Result;
use crate::migrate::from_models::as_unique;
use crate::migrate::normalize;
use crate::migrate::schema::{
    Check, Column, DbSchema, ForeignKey, Index, IndexPart, PrimaryKey, Table,
};
use crate::render::Dialect;
use crate::Db;

const TABLES: &str = "SELECT TABLE_NAME FROM information_schema.TABLES \
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME";
const COLUMNS: &str = "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, \
    COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
    ORDER BY TABLE_NAME, ORDINAL_POSITION";
const STATISTICS: &str = "SELECT TABLE_NAME, INDEX_NAME, CAST(NON_UNIQUE AS CHAR), \
    COLUMN_NAME, COLLATION, INDEX_TYPE FROM information_schema.STATISTICS \
    WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX";
const FOREIGN_KEYS: &str = "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, \
    k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE \
    FROM information_schema.KEY_COLUMN_USAGE k \
    JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA \
    AND r.TABLE_NAME = k.TABLE_NAME AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
    WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
    ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION";
/// MariaDB's CHECK_CONSTRAINTS, where names are per table (a column-level
/// CHECK is named after its column).
const MARIADB_CHECKS: &str = "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL \
    FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() \
    ORDER BY TABLE_NAME, CONSTRAINT_NAME";
/// MySQL 8's CHECK_CONSTRAINTS has no TABLE_NAME or LEVEL; its check names are
/// unique per schema, so TABLE_CONSTRAINTS supplies the table by name. Every
/// MySQL 8 check reads as table-level: its JSON is a real type, never a CHECK.
const MYSQL_CHECKS: &str = "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE, 'Table' \
    FROM information_schema.TABLE_CONSTRAINTS tc \
    JOIN information_schema.CHECK_CONSTRAINTS cc \
    ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
    WHERE tc.CONSTRAINT_TYPE = 'CHECK' AND tc.TABLE_SCHEMA = DATABASE() \
    ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME";

pub(super) async fn introspect(db: &Db) -> Result<DbSchema> {
    let mut schema = DbSchema::default();
    for row in text_rows(db, TABLES, Vec::new()).await? {
        schema.tables.push(empty_table(text(&row, 0)));
    }
    for row in text_rows(db, COLUMNS, Vec::new()).await? {
        if let Some(table) = table_mut(&mut schema, text(&row, 0)) {
            table.columns.push(column(&row));
        }
    }
    for row in text_rows(db, FOREIGN_KEYS, Vec::new()).await? {
        if let Some(table) = table_mut(&mut schema, text(&row, 0)) {
            foreign_key(table, &row)?;
        }
    }
    let mut indexes: Vec<(String, Index)> = Vec::new();
    for row in text_rows(db, STATISTICS, Vec::new()).await? {
        let (table, name) = (text(&row, 0), text(&row, 1));
        let part = IndexPart::Column {
            name: text(&row, 3).into(),
            descending: text(&row, 4) == "D",
        };
        match indexes
            .iter_mut()
            .find(|(t, i)| t == table && i.name == name)
        {
            Some((_, index)) => index.parts.push(part),
            None => indexes.push((table.into(), new_index(&row, part))),
        }
    }
    for (table_name, index) in indexes {
        if let Some(table) = table_mut(&mut schema, &table_name) {
            add_index(table, index);
        }
    }
    let version = text_rows(db, "SELECT VERSION()", Vec::new()).await?;
    let mariadb = version.iter().any(|row| text(row, 0).contains("MariaDB"));
    let checks = if mariadb {
        MARIADB_CHECKS
    } else {
        MYSQL_CHECKS
    };
    for row in text_rows(db, checks, Vec::new()).await? {
        if let Some(table) = table_mut(&mut schema, text(&row, 0)) {
            check(table, &row);
        }
    }
    Ok(schema)
}

fn table_mut<'s>(schema: &'s mut DbSchema, name: &str) -> Option<&'s mut Table> {
    schema.tables.iter_mut().find(|t| t.name == name)
}

fn column(row: &TextRow) -> Column {
    // MariaDB reports a nullable column without a default as `DEFAULT NULL`.
    let default = optional(row, 4).filter(|d| d != "NULL");
    Column {
        name: text(row, 1).into(),
        ty: normalize::column_type(Dialect::MySql, text(row, 2)),
        nullable: text(row, 3) == "YES",
        default,
        generated: text(row, 5).to_ascii_lowercase().contains("auto_increment"),
    }
}

fn foreign_key(table: &mut Table, row: &TextRow) -> Result<()> {
    let name = text(row, 1);
    let (column, referenced) = (text(row, 2).to_owned(), text(row, 4).to_owned());
    if let Some(fk) = table.foreign_keys.iter_mut().find(|fk| fk.name == name) {
        fk.columns.push(column);
        fk.referenced_columns.push(referenced);
        return Ok(());
    }
    let fk = ForeignKey {
        name: name.into(),
        columns: vec![column],
        referenced_table: text(row, 3).into(),
        referenced_columns: vec![referenced],
        on_delete: action(&table.name, name, text(row, 5))?,
        on_update: action(&table.name, name, text(row, 6))?,
    };
    table.foreign_keys.push(fk);
    Ok(())
}

fn new_index(row: &TextRow, first: IndexPart) -> Index {
    let method = match text(row, 5) {
        "BTREE" | "" => None,
        other => Some(other.to_ascii_lowercase()),
    };
    Index {
        name: text(row, 1).into(),
        parts: vec![first],
        unique: text(row, 2) == "0",
        method,
        include: Vec::new(),
        predicate: None,
    }
}

/// The primary key, a unique key (MySQL keeps no difference between a UNIQUE
/// constraint and a plain unique index), or an index. The index InnoDB adds
/// for a foreign key without one is the foreign key's, not the schema's.
fn add_index(table: &mut Table, index: Index) {
    let columns = |index: &Index| -> Vec<String> {
        (index.parts.iter())
            .filter_map(|p| match p {
                IndexPart::Column { name, .. } => Some(name.clone()),
                IndexPart::Expression(_) => None,
            })
            .collect()
    };
    if index.name == "PRIMARY" {
        table.primary_key = Some(PrimaryKey {
            name: None,
            columns: columns(&index),
        });
    } else if let Some(unique) = as_unique(&index) {
        table.uniques.push(unique);
    } else if !is_foreign_key_index(table, &index, &columns(&index)) {
        table.indexes.push(index);
    }
}

/// InnoDB names the index it adds for a foreign key after the constraint,
/// or after the first column when the constraint has no name.
fn is_foreign_key_index(table: &Table, index: &Index, columns: &[String]) -> bool {
    let plain = !index.unique && index.method.is_none();
    (table.foreign_keys.iter()).any(|fk| {
        let named_after = fk.name == index.name || fk.columns.first() == Some(&index.name);
        plain && named_after && fk.columns == columns
    })
}

/// MariaDB stores a JSON column as LONGTEXT with a column CHECK
/// `json_valid(column)` named after it: read back as the `json` type.
fn check(table: &mut Table, row: &TextRow) {
    let (name, clause) = (text(row, 1), text(row, 2));
    let json_column = (text(row, 3) == "Column")
        .then(|| table.columns.iter_mut().find(|c| c.name == name))
        .flatten()
        .filter(|c| c.ty == "longtext")
        .filter(|c| {
            normalize::expression(Dialect::MySql, clause)
                == normalize::expression(Dialect::MySql, &format!("json_valid(`{}`)", c.name))
        });
    match json_column {
        Some(column) => column.ty = "json".into(),
        None => table.checks.push(Check {
            name: name.into(),
            expression: clause.into(),
        }),
    }
}
