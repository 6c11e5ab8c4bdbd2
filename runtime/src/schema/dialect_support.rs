//! Which index features each database has. A model's index means the same on
//! every database it exists on, so a feature a database lacks is an error when
//! the schema is created there, unless the index is scoped away from that
//! database with `dialects(..)`: never a silently different index.
//!
//! | feature                         | PostgreSQL | SQLite | MySQL/MariaDB |
//! |---------------------------------|------------|--------|---------------|
//! | unique, composite, `desc` keys  | yes        | yes    | yes (MariaDB 10.8+ stores DESC) |
//! | `where` (partial index)         | yes        | yes    | no            |
//! | `expression` key parts          | yes        | yes    | no: MariaDB has no functional key parts (MySQL 8.0.13+ has) |
//! | `include` (covering columns)    | yes        | no     | no            |
//! | `using = hash/gin/gist/brin`    | yes        | no     | no: InnoDB accepts `USING HASH` but builds a b-tree |
//!
//! CHECK constraints exist on all three (MySQL 8.0.16+, MariaDB 10.2.1+).

use crate::error::{Error, Result};
use crate::render::Dialect;
use crate::schema::{IndexPartSchema, IndexSchema, ModelSchema};

/// The first index of `model` that exists on `dialect` but uses a feature
/// `dialect` lacks, as an [`Error::UnsupportedIndex`] naming model, index,
/// database and feature.
pub fn check_dialect(model: &ModelSchema, dialect: Dialect) -> Result<()> {
    for index in model.indexes.iter().filter(|i| i.exists_on(dialect)) {
        if let Some(feature) = missing_feature(index, dialect) {
            return Err(Error::UnsupportedIndex {
                model: model.name,
                index: index.name,
                dialect,
                feature,
            });
        }
    }
    Ok(())
}

/// The feature of `index` that `dialect` does not have, described for the error.
fn missing_feature(index: &IndexSchema, dialect: Dialect) -> Option<String> {
    if dialect == Dialect::Postgres {
        return None;
    }
    if let Some(method) = index.method {
        return Some(format!("the access method `{method}`"));
    }
    if !index.include.is_empty() {
        return Some("covering columns (`include`)".into());
    }
    if dialect == Dialect::Sqlite {
        return None;
    }
    if index.predicate.is_some() {
        return Some("a partial-index predicate (`where`)".into());
    }
    let expression = index.parts.iter().find_map(|part| match part {
        IndexPartSchema::Expression(sql) => Some(sql),
        IndexPartSchema::Column { .. } => None,
    });
    expression.map(|sql| format!("the expression key `{sql}`"))
}

/// The database's name as users know it, for messages.
pub fn dialect_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "PostgreSQL",
        Dialect::Sqlite => "SQLite",
        Dialect::MySql => "MySQL/MariaDB",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ColumnSchema, KeySchema, SqlType};

    const COLUMNS: &[ColumnSchema] = &[ColumnSchema {
        field: "email",
        name: "email",
        ty: SqlType::Text,
        nullable: false,
        default: None,
        updated_at: false,
        db_type: None,
    }];

    const PLAIN: IndexSchema = IndexSchema {
        name: "users_email_idx",
        parts: &[IndexPartSchema::Column {
            column: 0,
            descending: true,
        }],
        unique: false,
        method: None,
        include: &[],
        predicate: None,
        dialects: &[],
    };

    fn model(indexes: &'static [IndexSchema]) -> ModelSchema {
        ModelSchema {
            name: "User",
            table: "users",
            columns: COLUMNS,
            primary_key: KeySchema {
                name: "users_pkey",
                columns: &[0],
            },
            uniques: &[],
            foreign_keys: &[],
            indexes,
            checks: &[],
            relations: &[],
            version: None,
            soft_delete: None,
            tenant: None,
        }
    }

    fn refused_on(index: &'static [IndexSchema]) -> Vec<Dialect> {
        [Dialect::Postgres, Dialect::Sqlite, Dialect::MySql]
            .into_iter()
            .filter(|&d| check_dialect(&model(index), d).is_err())
            .collect()
    }

    #[test]
    fn each_feature_is_refused_where_it_is_missing() {
        use Dialect::*;
        assert_eq!(refused_on(&[PLAIN]), []);
        const GIN: &[IndexSchema] = &[IndexSchema {
            method: Some("gin"),
            ..PLAIN
        }];
        assert_eq!(refused_on(GIN), [Sqlite, MySql]);
        const COVERING: &[IndexSchema] = &[IndexSchema {
            include: &[0],
            ..PLAIN
        }];
        assert_eq!(refused_on(COVERING), [Sqlite, MySql]);
        const PARTIAL: &[IndexSchema] = &[IndexSchema {
            predicate: Some("email <> ''"),
            ..PLAIN
        }];
        assert_eq!(refused_on(PARTIAL), [MySql]);
        const EXPRESSION: &[IndexSchema] = &[IndexSchema {
            parts: &[IndexPartSchema::Expression("lower(email)")],
            ..PLAIN
        }];
        assert_eq!(refused_on(EXPRESSION), [MySql]);
    }

    #[test]
    fn an_index_scoped_away_from_a_dialect_is_not_checked_there() {
        const SCOPED: &[IndexSchema] = &[IndexSchema {
            method: Some("gin"),
            dialects: &[Dialect::Postgres],
            ..PLAIN
        }];
        assert_eq!(refused_on(SCOPED), []);
    }

    #[test]
    fn the_error_names_model_index_database_and_feature() {
        const EXPRESSION: &[IndexSchema] = &[IndexSchema {
            name: "users_email_lower_idx",
            parts: &[IndexPartSchema::Expression("lower(email)")],
            ..PLAIN
        }];
        let error = check_dialect(&model(EXPRESSION), Dialect::MySql).unwrap_err();
        let message = error.to_string();
        for part in [
            "User",
            "users_email_lower_idx",
            "MySQL/MariaDB",
            "lower(email)",
            "dialects(",
        ] {
            assert!(message.contains(part), "{message}");
        }
    }
}
