//! DDL that creates and drops whole objects of a [`DbSchema`], per dialect:
//! enum types, tables (with their primary key, UNIQUE and CHECK constraints,
//! and on SQLite their foreign keys), foreign keys, indexes, and a whole
//! schema in dependency order. `push_schema` and generated migrations both
//! use these, so there is one DDL path. Identifiers are quoted; types,
//! defaults and expressions are written as the schema holds them.

use crate::migrate::schema::{Column, DbSchema, EnumType, ForeignKey, Index, IndexPart, Table};
use crate::render::{Dialect, SqlWriter};

/// Every statement that creates `schema` on an empty database: enum types,
/// tables (referenced before referencing), then foreign keys (SQLite: inline
/// in the tables), then indexes, then PostgreSQL's row-level security.
pub fn create_schema(dialect: Dialect, schema: &DbSchema) -> Vec<String> {
    let mut statements = Vec::new();
    if dialect == Dialect::Postgres {
        statements.extend(schema.enums.iter().map(|e| create_enum(dialect, e)));
    }
    let ordered = dependency_order(&schema.tables);
    statements.extend(ordered.iter().map(|t| create_table(dialect, t)));
    if dialect != Dialect::Sqlite {
        for table in &ordered {
            for fk in &table.foreign_keys {
                statements.push(add_foreign_key(dialect, &table.name, fk));
            }
        }
    }
    for table in &ordered {
        for index in &table.indexes {
            statements.push(create_index(dialect, &table.name, index, false));
        }
    }
    if dialect == Dialect::Postgres {
        statements.extend(
            ordered
                .iter()
                .flat_map(|t| super::rls::create_statements(t)),
        );
    }
    statements
}

/// Statements that drop every table of `schema` (and PostgreSQL's enum types)
/// if they exist: dependants first, so foreign keys never block a drop.
pub fn drop_schema(dialect: Dialect, schema: &DbSchema) -> Vec<String> {
    let mut statements: Vec<String> = (dependency_order(&schema.tables).iter().rev())
        .map(|table| {
            let mut w = SqlWriter::new(dialect);
            w.push("DROP TABLE IF EXISTS ");
            w.push_ident(&table.name);
            if dialect == Dialect::Postgres {
                w.push(" CASCADE");
            }
            w.finish().sql
        })
        .collect();
    if dialect == Dialect::Postgres {
        for e in &schema.enums {
            let mut w = SqlWriter::new(dialect);
            w.push("DROP TYPE IF EXISTS ");
            w.push_ident(&e.name);
            statements.push(w.finish().sql);
        }
    }
    statements
}

/// Referenced tables first (a table's own self-reference aside); cycles keep
/// the given order.
pub fn dependency_order(tables: &[Table]) -> Vec<&Table> {
    fn visit<'t>(
        table: &'t Table,
        all: &'t [Table],
        ordered: &mut Vec<&'t Table>,
        visiting: &mut Vec<&'t str>,
    ) {
        if ordered.iter().any(|t| t.name == table.name) || visiting.contains(&table.name.as_str()) {
            return;
        }
        visiting.push(&table.name);
        for fk in &table.foreign_keys {
            if let Some(target) = all.iter().find(|t| t.name == fk.referenced_table) {
                visit(target, all, ordered, visiting);
            }
        }
        visiting.pop();
        ordered.push(table);
    }
    let (mut ordered, mut visiting) = (Vec::with_capacity(tables.len()), Vec::new());
    for table in tables {
        visit(table, tables, &mut ordered, &mut visiting);
    }
    ordered
}

/// `CREATE TYPE "name" AS ENUM ('a', 'b')` (PostgreSQL only).
pub fn create_enum(dialect: Dialect, e: &EnumType) -> String {
    let mut w = SqlWriter::new(dialect);
    w.push("CREATE TYPE ");
    w.push_ident(&e.name);
    w.push(" AS ENUM (");
    w.push_list(&e.values, ", ", |w, v| w.push(&string_literal(v)));
    w.push(")");
    w.finish().sql
}

/// `DROP TYPE "name"` (PostgreSQL only).
pub fn drop_enum(dialect: Dialect, name: &str) -> String {
    let mut w = SqlWriter::new(dialect);
    w.push("DROP TYPE ");
    w.push_ident(name);
    w.finish().sql
}

/// `CREATE TABLE` with the columns, the primary key, UNIQUE and CHECK
/// constraints, on SQLite the foreign keys (it cannot add them later), and on
/// MySQL the table options strata relies on (InnoDB, a binary collation).
pub fn create_table(dialect: Dialect, table: &Table) -> String {
    let mut w = SqlWriter::new(dialect);
    w.push("CREATE TABLE ");
    w.push_ident(&table.name);
    w.push(" (\n  ");
    let inline_pk = inline_primary_key(dialect, table);
    w.push_list(&table.columns, ",\n  ", |w, column| {
        if inline_pk == Some(column.name.as_str()) {
            // SQLite's AUTOINCREMENT exists only on an inline INTEGER PRIMARY KEY.
            w.push_ident(&column.name);
            w.push(" integer PRIMARY KEY AUTOINCREMENT");
        } else {
            write_column(w, column);
        }
    });
    if let (Some(pk), None) = (&table.primary_key, inline_pk) {
        w.push(",\n  ");
        if let (Some(name), Dialect::Postgres) = (&pk.name, dialect) {
            w.push("CONSTRAINT ");
            w.push_ident(name);
            w.push(" ");
        }
        w.push("PRIMARY KEY (");
        write_idents(&mut w, &pk.columns);
        w.push(")");
    }
    for unique in &table.uniques {
        w.push(",\n  CONSTRAINT ");
        w.push_ident(&unique.name);
        w.push(" UNIQUE (");
        write_idents(&mut w, &unique.columns);
        w.push(")");
    }
    for check in &table.checks {
        w.push(",\n  CONSTRAINT ");
        w.push_ident(&check.name);
        w.push(" CHECK (");
        w.push(&check.expression);
        w.push(")");
    }
    if dialect == Dialect::Sqlite {
        for fk in &table.foreign_keys {
            w.push(",\n  ");
            write_foreign_key(&mut w, fk);
        }
    }
    w.push("\n)");
    if dialect == Dialect::MySql {
        // A binary collation makes `=`, ORDER BY and LIKE case-sensitive, as on
        // PostgreSQL and SQLite.
        w.push(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
    }
    w.finish().sql
}

/// The column SQLite declares `INTEGER PRIMARY KEY AUTOINCREMENT` inline.
fn inline_primary_key(dialect: Dialect, table: &Table) -> Option<&str> {
    let pk = table.primary_key.as_ref()?;
    let [only] = pk.columns.as_slice() else {
        return None;
    };
    let column = table.column(only)?;
    (dialect == Dialect::Sqlite && column.generated).then_some(only.as_str())
}

/// `DROP TABLE "name"`.
pub fn drop_table(dialect: Dialect, name: &str) -> String {
    let mut w = SqlWriter::new(dialect);
    w.push("DROP TABLE ");
    w.push_ident(name);
    w.finish().sql
}

/// One column's definition, as in `CREATE TABLE` and `ADD COLUMN`:
/// `"name" type [identity] [NOT NULL] [DEFAULT expr]`.
pub fn column_definition(dialect: Dialect, column: &Column) -> String {
    let mut w = SqlWriter::new(dialect);
    write_column(&mut w, column);
    w.finish().sql
}

fn write_column(w: &mut SqlWriter, column: &Column) {
    w.push_ident(&column.name);
    w.push(" ");
    write_type(w, &column.ty);
    if column.generated {
        match w.dialect {
            Dialect::Postgres => w.push(" GENERATED BY DEFAULT AS IDENTITY"),
            Dialect::MySql => w.push(" AUTO_INCREMENT"),
            // Only as the inline primary key (`create_table`).
            Dialect::Sqlite => {}
        }
    }
    if !column.nullable {
        w.push(" NOT NULL");
    }
    if let Some(default) = &column.default {
        w.push(" DEFAULT ");
        w.push(default);
    }
}

/// A column type as the schema spells it. A PostgreSQL type that is a bare
/// name other than a built-in type is a user type (an enum): quoted.
pub fn column_type_sql(dialect: Dialect, ty: &str) -> String {
    let mut w = SqlWriter::new(dialect);
    write_type(&mut w, ty);
    w.finish().sql
}

fn write_type(w: &mut SqlWriter, ty: &str) {
    let bare_name = ty.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if w.dialect == Dialect::Postgres && bare_name && !is_postgres_builtin(ty) {
        w.push_ident(ty);
    } else {
        w.push(ty);
    }
}

fn is_postgres_builtin(ty: &str) -> bool {
    const BUILTIN: [&str; 42] = [
        "smallint",
        "integer",
        "bigint",
        "int",
        "int2",
        "int4",
        "int8",
        "real",
        "float4",
        "float8",
        "numeric",
        "decimal",
        "boolean",
        "bool",
        "text",
        "varchar",
        "char",
        "bpchar",
        "bytea",
        "json",
        "jsonb",
        "uuid",
        "timestamptz",
        "timestamp",
        "date",
        "time",
        "timetz",
        "interval",
        "inet",
        "cidr",
        "macaddr",
        "money",
        "xml",
        "tsvector",
        "tsquery",
        "serial",
        "bigserial",
        "smallserial",
        "citext",
        "oid",
        "bit",
        "varbit",
    ];
    BUILTIN.iter().any(|b| ty.eq_ignore_ascii_case(b))
}

/// `ALTER TABLE "table" ADD CONSTRAINT .. FOREIGN KEY ..` (not SQLite, which
/// has foreign keys only in `CREATE TABLE`).
pub fn add_foreign_key(dialect: Dialect, table: &str, fk: &ForeignKey) -> String {
    let mut w = SqlWriter::new(dialect);
    w.push("ALTER TABLE ");
    w.push_ident(table);
    w.push(" ADD ");
    write_foreign_key(&mut w, fk);
    w.finish().sql
}

/// `ALTER TABLE "table" DROP CONSTRAINT "name"` (MySQL: `DROP FOREIGN KEY`).
pub fn drop_foreign_key(dialect: Dialect, table: &str, name: &str) -> String {
    let mut w = SqlWriter::new(dialect);
    w.push("ALTER TABLE ");
    w.push_ident(table);
    w.push(if dialect == Dialect::MySql {
        " DROP FOREIGN KEY "
    } else {
        " DROP CONSTRAINT "
    });
    w.push_ident(name);
    w.finish().sql
}

/// `CONSTRAINT "name" FOREIGN KEY (..) REFERENCES "t" (..) ON DELETE .. ON UPDATE ..`.
pub fn foreign_key_clause(dialect: Dialect, fk: &ForeignKey) -> String {
    let mut w = SqlWriter::new(dialect);
    write_foreign_key(&mut w, fk);
    w.finish().sql
}

fn write_foreign_key(w: &mut SqlWriter, fk: &ForeignKey) {
    w.push("CONSTRAINT ");
    w.push_ident(&fk.name);
    w.push(" FOREIGN KEY (");
    write_idents(w, &fk.columns);
    w.push(") REFERENCES ");
    w.push_ident(&fk.referenced_table);
    w.push(" (");
    write_idents(w, &fk.referenced_columns);
    w.push(") ON DELETE ");
    w.push(fk.on_delete.sql());
    w.push(" ON UPDATE ");
    w.push(fk.on_update.sql());
}

/// `CREATE [UNIQUE] INDEX [CONCURRENTLY] "name" ON "table" [USING method]
/// (parts) [INCLUDE (..)] [WHERE predicate]`. `concurrently` is PostgreSQL's
/// build without a write lock (outside a transaction); other dialects ignore it.
/// Expression parts are parenthesised: PostgreSQL and MySQL take only a
/// function call bare, and SQLite reads a parenthesised expression the same.
pub fn create_index(dialect: Dialect, table: &str, index: &Index, concurrently: bool) -> String {
    let mut w = SqlWriter::new(dialect);
    w.push(if index.unique {
        "CREATE UNIQUE INDEX "
    } else {
        "CREATE INDEX "
    });
    if concurrently && dialect == Dialect::Postgres {
        w.push("CONCURRENTLY ");
    }
    w.push_ident(&index.name);
    w.push(" ON ");
    w.push_ident(table);
    if let Some(method) = &index.method {
        w.push(" USING ");
        w.push(method);
    }
    w.push(" (");
    write_index_parts(&mut w, &index.parts);
    w.push(")");
    if !index.include.is_empty() {
        w.push(" INCLUDE (");
        write_idents(&mut w, &index.include);
        w.push(")");
    }
    if let Some(predicate) = &index.predicate {
        w.push(" WHERE ");
        w.push(predicate);
    }
    w.finish().sql
}

/// `DROP INDEX [CONCURRENTLY] "name"` (MySQL: `DROP INDEX name ON table`).
pub fn drop_index(dialect: Dialect, table: &str, name: &str, concurrently: bool) -> String {
    let mut w = SqlWriter::new(dialect);
    w.push("DROP INDEX ");
    if concurrently && dialect == Dialect::Postgres {
        w.push("CONCURRENTLY ");
    }
    w.push_ident(name);
    if dialect == Dialect::MySql {
        w.push(" ON ");
        w.push_ident(table);
    }
    w.finish().sql
}

/// An index's keys: columns (`DESC` when descending) and `(expressions)`.
pub(super) fn write_index_parts(w: &mut SqlWriter, parts: &[IndexPart]) {
    w.push_list(parts, ", ", |w, part| match part {
        IndexPart::Column { name, descending } => {
            w.push_ident(name);
            if *descending {
                w.push(" DESC");
            }
        }
        IndexPart::Expression(sql) => {
            w.push("(");
            w.push(sql);
            w.push(")");
        }
    });
}

fn write_idents(w: &mut SqlWriter, names: &[String]) {
    w.push_list(names, ", ", |w, name| w.push_ident(name));
}

/// A SQL string literal for text from the model definition (enum labels).
fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
