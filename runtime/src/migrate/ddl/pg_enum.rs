//! PostgreSQL enum types changed in place: labels added where the model
//! declares them, or the type swapped for a new one when a label goes
//! (PostgreSQL cannot drop a label).

use super::common::allow;
use super::create::{create_enum, drop_enum};
use super::postgres::alter;
use crate::migrate::diff::EnumColumn;
use crate::migrate::schema::EnumType;
use crate::render::{Dialect, SqlWriter};

const PG: Dialect = Dialect::Postgres;

pub(super) fn add_enum_values(from: &EnumType, to: &EnumType) -> Vec<String> {
    let mut statements = Vec::new();
    for (i, value) in to.values.iter().enumerate() {
        if from.values.contains(value) {
            continue;
        }
        let before = (to.values.iter().skip(i + 1)).find(|v| from.values.contains(v));
        let mut w = SqlWriter::new(PG);
        w.push("ALTER TYPE ");
        w.push_ident(&to.name);
        w.push(" ADD VALUE ");
        w.push(&literal(value));
        // The position stated even when appending, so the order the model
        // declares is the one written (squawk's require-enum-value-ordering).
        match (before, i.checked_sub(1).and_then(|p| to.values.get(p))) {
            (Some(before), _) => {
                w.push(" BEFORE ");
                w.push(&literal(before));
            }
            (None, Some(after)) => {
                w.push(" AFTER ");
                w.push(&literal(after));
            }
            (None, None) => {}
        }
        statements.push(w.finish().sql);
    }
    statements
}

/// A label removed or moved: PostgreSQL cannot drop one, so a new type
/// replaces the old and each column is converted through text (a row still
/// holding a removed label makes the conversion fail, and the migration
/// with it).
pub(super) fn replace_enum(from: &EnumType, to: &EnumType, columns: &[EnumColumn]) -> Vec<String> {
    let old_name = format!("{}_strata_old", from.name);
    let mut statements = Vec::new();
    let mut rename = SqlWriter::new(PG);
    rename.push("ALTER TYPE ");
    rename.push_ident(&from.name);
    rename.push(" RENAME TO ");
    rename.push_ident(&old_name);
    statements.push(allow(
        &["renaming-object"],
        "the enum type is replaced by one without the removed labels; each column using it is converted, rewriting its table under an ACCESS EXCLUSIVE lock",
        rename.finish().sql,
    ));
    statements.push(create_enum(PG, to));
    for c in columns {
        let column = |w: &mut SqlWriter| {
            w.push("ALTER COLUMN ");
            w.push_ident(&c.column);
        };
        if c.default_before.is_some() {
            statements.push(allow(
                &["ban-drop-default"],
                "the default is set again, of the new type, right after",
                alter(&c.table, |w| {
                    column(w);
                    w.push(" DROP DEFAULT");
                }),
            ));
        }
        statements.push(allow(
            &["changing-column-type"],
            "converts the column to the replacing enum type",
            alter(&c.table, |w| {
                column(w);
                w.push(" TYPE ");
                w.push_ident(&to.name);
                w.push(" USING ");
                w.push_ident(&c.column);
                w.push("::text::");
                w.push_ident(&to.name);
            }),
        ));
        if let Some(default) = &c.default_after {
            statements.push(alter(&c.table, |w| {
                column(w);
                w.push(" SET DEFAULT ");
                w.push(default);
            }));
        }
    }
    statements.push(allow(
        &["ban-drop-type"],
        "the replaced type, which no column uses any more",
        drop_enum(PG, &old_name),
    ));
    statements
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
