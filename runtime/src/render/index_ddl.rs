//! `CREATE INDEX` for every index kind a model declares: unique, partial
//! (`WHERE`), covering (`INCLUDE`), with an access method (`USING`), descending
//! keys and expression keys. Which database has which of these is
//! `schema::dialect_support`'s to say; this only writes the statement.

use super::{Dialect, SqlWriter};
use crate::schema::{IndexPartSchema, IndexSchema, ModelSchema};

/// `CREATE [UNIQUE] INDEX "name" ON "table" [USING method] (parts)
/// [INCLUDE (..)] [WHERE predicate]`. Expressions and the predicate are raw
/// SQL from the model definition, written as they are.
pub(crate) fn create_index(model: &ModelSchema, index: &IndexSchema, dialect: Dialect) -> String {
    let mut w = SqlWriter::new(dialect);
    w.push(if index.unique {
        "CREATE UNIQUE INDEX "
    } else {
        "CREATE INDEX "
    });
    w.push_ident(index.name);
    w.push(" ON ");
    w.push_ident(model.table);
    if let Some(method) = index.method {
        w.push(" USING ");
        w.push(method);
    }
    w.push(" (");
    w.push_list(index.parts, ", ", |w, part| match part {
        IndexPartSchema::Column { column, descending } => {
            w.push_ident(model.column(*column).name);
            if *descending {
                w.push(" DESC");
            }
        }
        // Parenthesised: PostgreSQL and MySQL take only a function call bare,
        // and SQLite reads a parenthesised expression the same.
        IndexPartSchema::Expression(sql) => {
            w.push("(");
            w.push(sql);
            w.push(")");
        }
    });
    w.push(")");
    if !index.include.is_empty() {
        w.push(" INCLUDE (");
        w.push_list(index.include, ", ", |w, &i| {
            w.push_ident(model.column(i).name)
        });
        w.push(")");
    }
    if let Some(predicate) = index.predicate {
        w.push(" WHERE ");
        w.push(predicate);
    }
    w.finish().sql
}
