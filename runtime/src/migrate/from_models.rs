//! The schema a set of models asks for on one dialect, as a [`DbSchema`]:
//! what `push_schema` and a migration create, and what introspection of the
//! created database reads back.

use super::normalize;
use super::schema::{
    Check, Column, DbSchema, EnumType, ForeignKey, Index, IndexPart, PrimaryKey, Table,
    TenantPolicy, Unique,
};
use crate::error::{Error, Result};
use crate::render::Dialect;
use crate::schema::dialect_support::check_dialect;
use crate::schema::{
    ColumnSchema, DefaultValue, ForeignKeySchema, IndexPartSchema, IndexSchema, ModelSchema,
    SqlType,
};

/// Every table of `models` and of their implicit `many_to_many` join tables,
/// with PostgreSQL's enum types, sorted ([`DbSchema::sort`]). Errors name the
/// model and field (or index) that `dialect` cannot store.
pub fn db_schema(models: &[&'static ModelSchema], dialect: Dialect) -> Result<DbSchema> {
    let models = with_join_tables(models);
    let mut schema = DbSchema::default();
    for model in &models {
        check_dialect(model, dialect)?;
        schema.tables.push(table(model, dialect)?);
        if dialect == Dialect::Postgres {
            for column in model.columns {
                if let SqlType::Enum(e) = column.ty {
                    if column.db_type.is_none() && schema.enum_type(e.db_name).is_none() {
                        schema.enums.push(EnumType {
                            name: e.db_name.into(),
                            values: e.variants.iter().map(|v| (*v).into()).collect(),
                        });
                    }
                }
            }
        }
    }
    schema.sort();
    Ok(schema)
}

/// `models` and the generated join tables of their implicit `many_to_many`
/// relations (`_follows`), each once: both sides of a relation declare it.
pub fn with_join_tables(models: &[&'static ModelSchema]) -> Vec<&'static ModelSchema> {
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

fn table(model: &'static ModelSchema, dialect: Dialect) -> Result<Table> {
    let name = |i: usize| -> Result<String> {
        let column = model.columns.get(i).ok_or(Error::Unsupported {
            model: model.name,
            field: "?",
            dialect,
            reason: "a key or index names a column the model does not have",
        })?;
        Ok(column.name.to_owned())
    };
    let names = |columns: &[usize]| columns.iter().map(|&i| name(i)).collect::<Result<Vec<_>>>();
    let columns = (model.columns.iter().enumerate())
        .map(|(i, c)| column(model, i, c, dialect))
        .collect::<Result<Vec<_>>>()?;
    let primary_key = Some(PrimaryKey {
        name: (dialect == Dialect::Postgres).then(|| model.primary_key.name.to_owned()),
        columns: names(model.primary_key.columns)?,
    });
    let mut uniques = Vec::new();
    let mut indexes = Vec::new();
    for key in model.uniques {
        match crate::soft_delete::ddl::live_unique(model, key, dialect, &names)? {
            Some(index) => indexes.push(index),
            None => uniques.push(Unique {
                name: key.name.into(),
                columns: names(key.columns)?,
            }),
        }
    }
    let foreign_keys = (model.foreign_keys.iter())
        .map(|fk| foreign_key(model, fk, dialect))
        .collect::<Result<Vec<_>>>()?;
    for index in model.indexes.iter().filter(|i| i.exists_on(dialect)) {
        let index = self::index(index, &name)?;
        // MySQL keeps no difference between a UNIQUE constraint and a unique
        // index on plain columns: both are unique keys.
        match as_unique(&index) {
            Some(unique) if dialect == Dialect::MySql => uniques.push(unique),
            _ => indexes.push(index),
        }
    }
    let mut checks: Vec<Check> = (model.checks.iter())
        .map(|c| Check {
            name: c.name.into(),
            expression: c.expression.into(),
        })
        .collect();
    if dialect == Dialect::Sqlite {
        checks.extend(
            model
                .columns
                .iter()
                .filter_map(|c| enum_check(model.table, c)),
        );
    }
    let row_level_security = tenant_policy(model, &columns, dialect)?;
    Ok(Table {
        name: model.table.into(),
        columns,
        primary_key,
        uniques,
        foreign_keys,
        indexes,
        checks,
        row_level_security,
    })
}

/// The row-level security policy of a `row_level_security` tenant model, on
/// PostgreSQL only: SQLite and MySQL have none (strata's tenant filter still
/// scopes every statement there).
fn tenant_policy(
    model: &ModelSchema,
    columns: &[Column],
    dialect: Dialect,
) -> Result<Option<Box<TenantPolicy>>> {
    let Some(tenant) = model.tenant.filter(|t| t.row_level_security) else {
        return Ok(None);
    };
    if dialect != Dialect::Postgres {
        return Ok(None);
    }
    let column = columns.get(tenant.column).ok_or(Error::Unsupported {
        model: model.name,
        field: "?",
        dialect,
        reason: "the tenant names a column the model does not have",
    })?;
    Ok(Some(Box::new(TenantPolicy {
        name: TenantPolicy::name_for(model.table),
        column: column.name.clone(),
        ty: column.ty.clone(),
    })))
}

/// A unique index that is only a list of ascending columns, as a `Unique`.
pub(crate) fn as_unique(index: &Index) -> Option<Unique> {
    let plain = index.unique
        && index.method.is_none()
        && index.include.is_empty()
        && index.predicate.is_none();
    let columns = (index.parts.iter())
        .map(|part| match part {
            IndexPart::Column {
                name,
                descending: false,
            } => Some(name.clone()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    plain.then(|| Unique {
        name: index.name.clone(),
        columns,
    })
}

/// SQLite has no enum type: the column is text with a CHECK on its labels.
fn enum_check(table: &str, column: &ColumnSchema) -> Option<Check> {
    let SqlType::Enum(schema) = column.ty else {
        return None;
    };
    if column.db_type.is_some() {
        return None;
    }
    let labels: Vec<String> = schema.variants.iter().map(|v| string_literal(v)).collect();
    Some(Check {
        name: format!("{table}_{}_enum_check", column.name),
        expression: format!(
            "\"{}\" IN ({})",
            column.name.replace('"', "\"\""),
            labels.join(", ")
        ),
    })
}

/// A SQL string literal for text from the model definition (enum labels),
/// never from user data.
pub(crate) fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn column(
    model: &ModelSchema,
    index: usize,
    column: &ColumnSchema,
    dialect: Dialect,
) -> Result<Column> {
    let unsupported = |reason| Error::Unsupported {
        model: model.name,
        field: column.field,
        dialect,
        reason,
    };
    let ty = match column.db_type {
        Some(spelling) => normalize::column_type(dialect, spelling),
        None => sql_type(column.ty, dialect, model.is_keyed(index)).map_err(unsupported)?,
    };
    let generated = column.default == Some(DefaultValue::Autoincrement);
    if generated && dialect == Dialect::Sqlite && model.primary_key.columns != [index] {
        return Err(unsupported(
            "autoincrement on SQLite needs the field to be the whole primary key",
        ));
    }
    let default = match column.default {
        Some(DefaultValue::Literal(sql)) => Some(sql.to_owned()),
        // SQLite and MySQL take an expression default only in parentheses,
        // and PostgreSQL takes any expression in them.
        Some(DefaultValue::Sql(sql)) => Some(format!("({sql})")),
        Some(DefaultValue::Now) => Some(now_default(column.ty, dialect).to_owned()),
        Some(DefaultValue::Autoincrement | DefaultValue::Uuid | DefaultValue::Cuid) | None => None,
    };
    Ok(Column {
        name: column.name.into(),
        ty,
        nullable: column.nullable,
        default,
        generated,
    })
}

/// The DDL default of a `default = now` column.
fn now_default(ty: SqlType, dialect: Dialect) -> &'static str {
    match (ty, dialect) {
        (SqlType::Date, _) => "CURRENT_DATE",
        (_, Dialect::Postgres) => "CURRENT_TIMESTAMP",
        (_, Dialect::MySql) => "CURRENT_TIMESTAMP(6)",
        // The same text shape strata writes, so stored instants compare as text.
        (_, Dialect::Sqlite) => "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
    }
}

/// The canonical column type for `ty` on `dialect` (see
/// [`normalize::column_type`]). `keyed` columns on MySQL need a bounded
/// length. The error says why the type cannot be stored.
pub fn sql_type(ty: SqlType, dialect: Dialect, keyed: bool) -> Result<String, &'static str> {
    use Dialect::*;
    let spelling = match (ty, dialect) {
        (SqlType::SmallInt, Postgres | MySql) => "smallint",
        (SqlType::Int, Postgres) => "integer",
        (SqlType::Int, MySql) => "int",
        (SqlType::BigInt, Postgres | MySql) => "bigint",
        (SqlType::SmallInt | SqlType::Int | SqlType::BigInt, Sqlite) => "integer",
        (SqlType::Real, Postgres | Sqlite) => "real",
        (SqlType::Real, MySql) => "float",
        (SqlType::Double, Postgres) => "double precision",
        (SqlType::Double, Sqlite) => "real",
        (SqlType::Double, MySql) => "double",
        (SqlType::Bool, _) => "boolean",
        (SqlType::Text, Postgres | Sqlite) => "text",
        (SqlType::Text, MySql) if keyed => "varchar(255)",
        (SqlType::Text, MySql) => "longtext",
        (SqlType::Bytes, Postgres) => "bytea",
        (SqlType::Bytes, Sqlite) => "blob",
        (SqlType::Bytes, MySql) if keyed => "varbinary(255)",
        (SqlType::Bytes, MySql) => "longblob",
        (SqlType::Json, Postgres) => "jsonb",
        (SqlType::Json, Sqlite) => "text",
        (SqlType::Json, MySql) => "json",
        (SqlType::Uuid, Postgres) => "uuid",
        (SqlType::Uuid, Sqlite) => "text",
        (SqlType::Uuid, MySql) => "char(36)",
        (SqlType::Timestamptz, Postgres) => "timestamptz",
        (SqlType::Timestamp, Postgres) => "timestamp",
        (SqlType::Timestamptz | SqlType::Timestamp, Sqlite) => "text",
        (SqlType::Timestamptz | SqlType::Timestamp, MySql) => "datetime(6)",
        (SqlType::Date, Postgres) => "date",
        (SqlType::Date, Sqlite) => "text",
        (SqlType::Date, MySql) => "date",
        (SqlType::Decimal, Postgres) => "numeric",
        (SqlType::Decimal, MySql) => "decimal(65,30)",
        (SqlType::Decimal, Sqlite) => {
            return Err("Decimal cannot be stored exactly (SQLite has no decimal type; use f64 or a String, or a db_type override)")
        }
        (SqlType::Enum(schema), Postgres) => return Ok(schema.db_name.to_owned()),
        (SqlType::Enum(_), Sqlite) => "text",
        (SqlType::Enum(schema), MySql) => {
            let labels: Vec<String> = schema.variants.iter().map(|v| string_literal(v)).collect();
            return Ok(format!("enum({})", labels.join(",")));
        }
    };
    Ok(spelling.to_owned())
}

fn foreign_key(model: &ModelSchema, fk: &ForeignKeySchema, dialect: Dialect) -> Result<ForeignKey> {
    let target = (fk.target)();
    let field = |i: usize| model.columns.get(i).map_or("?", |c| c.field);
    let first_field = fk.columns.first().map_or("?", |&i| field(i));
    let columns = (fk.columns.iter())
        .map(|&i| model.columns.get(i).map(|c| c.name.to_owned()))
        .collect::<Option<Vec<_>>>();
    let referenced = (fk.target_fields.iter())
        .map(|f| {
            target
                .columns
                .iter()
                .find(|c| c.field == *f)
                .map(|c| c.name.to_owned())
        })
        .collect::<Option<Vec<_>>>();
    match (columns, referenced) {
        (Some(columns), Some(referenced_columns)) => Ok(ForeignKey {
            name: fk.name.into(),
            columns,
            referenced_table: target.table.into(),
            referenced_columns,
            on_delete: fk.on_delete.into(),
            on_update: fk.on_update.into(),
        }),
        _ => Err(Error::Unsupported {
            model: model.name,
            field: first_field,
            dialect,
            reason: "the foreign key references a field the target model does not have",
        }),
    }
}

fn index(index: &IndexSchema, name: &dyn Fn(usize) -> Result<String>) -> Result<Index> {
    let parts = (index.parts.iter())
        .map(|part| {
            Ok(match part {
                IndexPartSchema::Column { column, descending } => IndexPart::Column {
                    name: name(*column)?,
                    descending: *descending,
                },
                IndexPartSchema::Expression(sql) => IndexPart::Expression((*sql).into()),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Index {
        name: index.name.into(),
        parts,
        unique: index.unique,
        method: index.method.map(str::to_owned),
        include: index
            .include
            .iter()
            .map(|&i| name(i))
            .collect::<Result<_>>()?,
        predicate: index.predicate.map(str::to_owned),
    })
}
