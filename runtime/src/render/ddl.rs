//! DDL for a set of models: enum types, tables, keys, CHECK constraints, foreign
//! keys and indexes (`index_ddl.rs`).
//! Migrations (a later layer) reuse these functions statement by statement.

use super::index_ddl::create_index;
use super::{Dialect, SqlWriter};
use crate::error::{Error, Result};
use crate::schema::dialect_support::check_dialect;
use crate::schema::{ColumnSchema, DefaultValue, EnumSchema, ModelSchema, SqlType};

/// Every statement that creates `models` (and the join tables of their
/// implicit `many_to_many` relations) on an empty database, in an order that
/// database accepts: enum types, then tables (referenced before referencing),
/// then foreign keys and indexes.
pub fn create_schema(models: &[&'static ModelSchema], dialect: Dialect) -> Result<Vec<String>> {
    let models = &with_join_tables(models);
    for model in models {
        check_dialect(model, dialect)?;
    }
    let mut statements = Vec::new();
    if dialect == Dialect::Postgres {
        for schema in distinct_enums(models) {
            statements.push(create_enum(schema, dialect));
        }
    }
    let ordered = dependency_order(models);
    for model in &ordered {
        statements.push(create_table(model, dialect)?);
    }
    // SQLite cannot add constraints later, but accepts forward references inline.
    if dialect != Dialect::Sqlite {
        for model in &ordered {
            for fk in model.foreign_keys {
                let mut w = SqlWriter::new(dialect);
                w.push("ALTER TABLE ");
                w.push_ident(model.table);
                w.push(" ADD ");
                write_foreign_key(&mut w, model, fk)?;
                statements.push(w.finish().sql);
            }
        }
    }
    for model in &ordered {
        for index in model.indexes.iter().filter(|i| i.exists_on(dialect)) {
            statements.push(create_index(model, index, dialect));
        }
    }
    Ok(statements)
}

/// Statements that drop `models` (and, on PostgreSQL, their enum types) if they
/// exist: dependants first, so foreign keys never block a drop.
pub fn drop_schema(models: &[&'static ModelSchema], dialect: Dialect) -> Vec<String> {
    let models = &with_join_tables(models);
    let mut statements = Vec::new();
    for model in dependency_order(models).iter().rev() {
        let mut w = SqlWriter::new(dialect);
        w.push("DROP TABLE IF EXISTS ");
        w.push_ident(model.table);
        if dialect == Dialect::Postgres {
            w.push(" CASCADE");
        }
        statements.push(w.finish().sql);
    }
    if dialect == Dialect::Postgres {
        for schema in distinct_enums(models) {
            let mut w = SqlWriter::new(dialect);
            w.push("DROP TYPE IF EXISTS ");
            w.push_ident(schema.db_name);
            statements.push(w.finish().sql);
        }
    }
    statements
}

/// `models` and the generated join tables of their implicit `many_to_many`
/// relations (`_PostToTag`), each once: both sides of a relation declare the
/// same table. The join tables' foreign keys then order them after both sides.
fn with_join_tables(models: &[&'static ModelSchema]) -> Vec<&'static ModelSchema> {
    let mut all = models.to_vec();
    let joins = (models.iter())
        .flat_map(|m| m.relations)
        .filter(|r| r.implicit_join)
        .filter_map(|r| r.join.map(|join| join()));
    for join in joins {
        if !all.iter().any(|m| m.table == join.table) {
            all.push(join);
        }
    }
    all
}

fn distinct_enums(models: &[&'static ModelSchema]) -> Vec<&'static EnumSchema> {
    let mut seen: Vec<&'static EnumSchema> = Vec::new();
    for column in models.iter().flat_map(|m| m.columns) {
        if let SqlType::Enum(schema) = column.ty {
            if !seen.iter().any(|s| s.db_name == schema.db_name) {
                seen.push(schema);
            }
        }
    }
    seen
}

fn create_enum(schema: &EnumSchema, dialect: Dialect) -> String {
    let mut w = SqlWriter::new(dialect);
    w.push("CREATE TYPE ");
    w.push_ident(schema.db_name);
    w.push(" AS ENUM (");
    write_labels(&mut w, schema);
    w.push(")");
    w.finish().sql
}

fn write_labels(w: &mut SqlWriter, schema: &EnumSchema) {
    w.push_list(schema.variants, ", ", |w, v| w.push(&string_literal(v)));
}

/// A SQL string literal for text that comes from the model definition (enum
/// labels), never from user data.
fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Referenced tables first, so inline foreign keys (SQLite) and readers of the DDL
/// see targets before their users. Cycles keep declaration order.
fn dependency_order(models: &[&'static ModelSchema]) -> Vec<&'static ModelSchema> {
    let mut ordered: Vec<&'static ModelSchema> = Vec::with_capacity(models.len());
    fn visit(
        model: &'static ModelSchema,
        models: &[&'static ModelSchema],
        ordered: &mut Vec<&'static ModelSchema>,
        visiting: &mut Vec<&'static str>,
    ) {
        if ordered.iter().any(|m| m.table == model.table) || visiting.contains(&model.table) {
            return;
        }
        visiting.push(model.table);
        for fk in model.foreign_keys {
            let target = (fk.target)();
            if models.iter().any(|m| m.table == target.table) {
                visit(target, models, ordered, visiting);
            }
        }
        visiting.pop();
        ordered.push(model);
    }
    let mut visiting = Vec::new();
    for model in models {
        visit(model, models, &mut ordered, &mut visiting);
    }
    ordered
}

pub(crate) fn create_table(model: &ModelSchema, dialect: Dialect) -> Result<String> {
    let mut w = SqlWriter::new(dialect);
    w.push("CREATE TABLE ");
    w.push_ident(model.table);
    w.push(" (\n  ");
    let inline_pk = inline_primary_key(model, dialect);
    for (i, column) in model.columns.iter().enumerate() {
        if i > 0 {
            w.push(",\n  ");
        }
        write_column(&mut w, model, i, column, inline_pk == Some(i))?;
    }
    if inline_pk.is_none() {
        w.push(",\n  PRIMARY KEY (");
        w.push_list(model.primary_key.columns, ", ", |w, &i| {
            w.push_ident(model.column(i).name)
        });
        w.push(")");
    }
    for key in model.uniques {
        w.push(",\n  CONSTRAINT ");
        w.push_ident(key.name);
        w.push(" UNIQUE (");
        w.push_list(key.columns, ", ", |w, &i| {
            w.push_ident(model.column(i).name)
        });
        w.push(")");
    }
    for check in model.checks {
        w.push(",\n  CONSTRAINT ");
        w.push_ident(check.name);
        w.push(" CHECK (");
        w.push(check.expression);
        w.push(")");
    }
    if dialect == Dialect::Sqlite {
        for fk in model.foreign_keys {
            w.push(",\n  ");
            write_foreign_key(&mut w, model, fk)?;
        }
    }
    w.push("\n)");
    if dialect == Dialect::MySql {
        // A binary collation makes `=`, ORDER BY and LIKE case-sensitive, as on
        // PostgreSQL and SQLite.
        w.push(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
    }
    Ok(w.finish().sql)
}

/// SQLite's AUTOINCREMENT must be declared inline on an `INTEGER PRIMARY KEY`.
fn inline_primary_key(model: &ModelSchema, dialect: Dialect) -> Option<usize> {
    let auto = model.autoincrement_column()?;
    (dialect == Dialect::Sqlite && model.primary_key.columns == [auto]).then_some(auto)
}

fn write_foreign_key(
    w: &mut SqlWriter,
    model: &ModelSchema,
    fk: &crate::schema::ForeignKeySchema,
) -> Result<()> {
    let target = (fk.target)();
    w.push("CONSTRAINT ");
    w.push_ident(fk.name);
    w.push(" FOREIGN KEY (");
    w.push_list(fk.columns, ", ", |w, &i| w.push_ident(model.column(i).name));
    w.push(") REFERENCES ");
    w.push_ident(target.table);
    w.push(" (");
    for (i, field) in fk.target_fields.iter().enumerate() {
        let column =
            target
                .columns
                .iter()
                .find(|c| c.field == *field)
                .ok_or(Error::Unsupported {
                    model: model.name,
                    field: model.column(fk.columns[0]).field,
                    dialect: w.dialect,
                    reason: "the foreign key references a field the target model does not have",
                })?;
        if i > 0 {
            w.push(", ");
        }
        w.push_ident(column.name);
    }
    w.push(") ON DELETE ");
    w.push(fk.on_delete.sql());
    w.push(" ON UPDATE ");
    w.push(fk.on_update.sql());
    Ok(())
}

fn write_column(
    w: &mut SqlWriter,
    model: &ModelSchema,
    index: usize,
    column: &ColumnSchema,
    inline_pk: bool,
) -> Result<()> {
    let dialect = w.dialect;
    let unsupported = |reason| Error::Unsupported {
        model: model.name,
        field: column.field,
        dialect,
        reason,
    };
    w.push_ident(column.name);
    w.push(" ");
    let autoincrement = column.default == Some(DefaultValue::Autoincrement);
    if inline_pk {
        w.push("INTEGER PRIMARY KEY AUTOINCREMENT");
        return Ok(());
    }
    match column.db_type {
        Some(spelling) => w.push(spelling),
        None => write_type(w, column.ty, model.is_keyed(index)).map_err(unsupported)?,
    }
    if autoincrement {
        match dialect {
            Dialect::Postgres => w.push(" GENERATED BY DEFAULT AS IDENTITY"),
            Dialect::MySql => w.push(" AUTO_INCREMENT"),
            Dialect::Sqlite => {
                return Err(unsupported(
                    "autoincrement on SQLite needs the field to be the whole primary key",
                ))
            }
        }
    }
    if !column.nullable {
        w.push(" NOT NULL");
    }
    match column.default {
        Some(DefaultValue::Literal(sql)) | Some(DefaultValue::Sql(sql)) => {
            w.push(" DEFAULT ");
            let wrap = dialect != Dialect::Postgres;
            // SQLite and MySQL want expression defaults parenthesised.
            let is_expr = matches!(column.default, Some(DefaultValue::Sql(_)));
            if wrap && is_expr {
                w.push("(");
            }
            w.push(sql);
            if wrap && is_expr {
                w.push(")");
            }
        }
        Some(DefaultValue::Now) => {
            w.push(" DEFAULT ");
            w.push(now_default(column.ty, dialect));
        }
        _ => {}
    }
    if let (SqlType::Enum(schema), Dialect::Sqlite) = (column.ty, dialect) {
        w.push(" CHECK (");
        w.push_ident(column.name);
        w.push(" IN (");
        write_labels(w, schema);
        w.push("))");
    }
    Ok(())
}

fn now_default(ty: SqlType, dialect: Dialect) -> &'static str {
    match (ty, dialect) {
        (SqlType::Date, _) => "CURRENT_DATE",
        (_, Dialect::Postgres) => "CURRENT_TIMESTAMP",
        (_, Dialect::MySql) => "CURRENT_TIMESTAMP(6)",
        // The same text shape strata writes, so stored instants compare as text.
        (_, Dialect::Sqlite) => "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
    }
}

/// The column type for `ty`. `keyed` columns on MySQL need a bounded length.
fn write_type(w: &mut SqlWriter, ty: SqlType, keyed: bool) -> Result<(), &'static str> {
    use Dialect::*;
    let spelling = match (ty, w.dialect) {
        (SqlType::SmallInt, Postgres) => "smallint",
        (SqlType::SmallInt, Sqlite) => "INTEGER",
        (SqlType::SmallInt, MySql) => "SMALLINT",
        (SqlType::Int, Postgres) => "integer",
        (SqlType::Int, Sqlite) => "INTEGER",
        (SqlType::Int, MySql) => "INT",
        (SqlType::BigInt, Postgres) => "bigint",
        (SqlType::BigInt, Sqlite) => "INTEGER",
        (SqlType::BigInt, MySql) => "BIGINT",
        (SqlType::Real, Postgres) => "real",
        (SqlType::Real, Sqlite) => "REAL",
        (SqlType::Real, MySql) => "FLOAT",
        (SqlType::Double, Postgres) => "double precision",
        (SqlType::Double, Sqlite) => "REAL",
        (SqlType::Double, MySql) => "DOUBLE",
        (SqlType::Bool, Postgres) => "boolean",
        (SqlType::Bool, Sqlite) => "BOOLEAN",
        (SqlType::Bool, MySql) => "BOOLEAN",
        (SqlType::Text, Postgres) => "text",
        (SqlType::Text, Sqlite) => "TEXT",
        (SqlType::Text, MySql) if keyed => "VARCHAR(255)",
        (SqlType::Text, MySql) => "LONGTEXT",
        (SqlType::Bytes, Postgres) => "bytea",
        (SqlType::Bytes, Sqlite) => "BLOB",
        (SqlType::Bytes, MySql) if keyed => "VARBINARY(255)",
        (SqlType::Bytes, MySql) => "LONGBLOB",
        (SqlType::Json, Postgres) => "jsonb",
        (SqlType::Json, Sqlite) => "TEXT",
        (SqlType::Json, MySql) => "JSON",
        (SqlType::Uuid, Postgres) => "uuid",
        (SqlType::Uuid, Sqlite) => "TEXT",
        (SqlType::Uuid, MySql) => "CHAR(36)",
        (SqlType::Timestamptz, Postgres) => "timestamptz",
        (SqlType::Timestamp, Postgres) => "timestamp",
        (SqlType::Timestamptz | SqlType::Timestamp, Sqlite) => "TEXT",
        (SqlType::Timestamptz | SqlType::Timestamp, MySql) => "DATETIME(6)",
        (SqlType::Date, Postgres) => "date",
        (SqlType::Date, Sqlite) => "TEXT",
        (SqlType::Date, MySql) => "DATE",
        (SqlType::Decimal, Postgres) => "numeric",
        (SqlType::Decimal, MySql) => "DECIMAL(65, 30)",
        (SqlType::Decimal, Sqlite) => {
            return Err("Decimal cannot be stored exactly (SQLite has no decimal type; use f64 or a String, or a db_type override)")
        }
        (SqlType::Enum(schema), Postgres) => {
            w.push_ident(schema.db_name);
            return Ok(());
        }
        (SqlType::Enum(_), Sqlite) => "TEXT",
        (SqlType::Enum(schema), MySql) => {
            w.push("ENUM(");
            write_labels(w, schema);
            w.push(")");
            return Ok(());
        }
    };
    w.push(spelling);
    Ok(())
}
