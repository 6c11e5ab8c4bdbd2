//! The models as a Mermaid entity-relationship diagram (`strata erd`).
//!
//! ```ignore
//! let text = strata::migrate::erd::mermaid(&BlogSchema::schemas());
//! ```
//!
//! Each table is an entity listing its columns (a dialect-neutral type, the
//! column name, `PK`/`FK`/`UK` markers, and `"nullable"` for a column that
//! may be NULL). Each foreign key is a relationship from the referenced table
//! to the table holding it, which covers every relation kind:
//!
//! | relation | line |
//! |---|---|
//! | `belongs_to` + `has_many` | `users \|\|--o{ posts : author` |
//! | `belongs_to` + `has_one` (a unique foreign key) | `users \|\|--o\| profiles : user` |
//! | optional `belongs_to` (a nullable foreign key) | `categories \|o--o{ posts : category` |
//! | `many_to_many` | two lines, one from each side to the join table |
//!
//! The join table of a `many_to_many` without `through` (`_PostToTag`) is
//! drawn too, though it is no model of its own. Lines are labelled with the
//! `belongs_to` or `many_to_many` field that uses the key.
//!
//! Entities are in table order and relationships in (table, key) order, so
//! the text changes only when the models do. Mermaid reads a bare entity
//! name only if it starts with a letter and holds letters, digits, `_` and
//! `-`; other names (`_PostToTag`) are quoted. Attribute names cannot be
//! quoted, so other characters in a column name become `_`.

use crate::schema::{ForeignKeySchema, ModelSchema, RelationKind, SqlType};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The `erDiagram` text for `models` and the join tables of their
/// many-to-many relations.
pub fn mermaid(models: &[&'static ModelSchema]) -> String {
    let tables = with_join_tables(models);
    let mut out = String::from("erDiagram\n");
    for model in tables.values() {
        entity(&mut out, model);
    }
    for model in tables.values() {
        for foreign_key in model.foreign_keys {
            relationship(&mut out, model, foreign_key);
        }
    }
    out
}

/// The models by table name, with each generated join table added once.
fn with_join_tables(
    models: &[&'static ModelSchema],
) -> BTreeMap<&'static str, &'static ModelSchema> {
    (super::from_models::with_join_tables(models).into_iter())
        .map(|model| (model.table, model))
        .collect()
}

fn entity(out: &mut String, model: &ModelSchema) {
    let _ = writeln!(out, "    {} {{", entity_name(model.table));
    for (index, column) in model.columns.iter().enumerate() {
        let _ = write!(
            out,
            "        {} {}",
            type_name(column.ty),
            attribute_name(column.name)
        );
        let markers = markers(model, index);
        if !markers.is_empty() {
            let _ = write!(out, " {}", markers.join(", "));
        }
        if column.nullable {
            out.push_str(" \"nullable\"");
        }
        out.push('\n');
    }
    out.push_str("    }\n");
}

/// `PK`, `FK`, `UK` for the keys column `index` takes part in.
fn markers(model: &ModelSchema, index: usize) -> Vec<&'static str> {
    let mut markers = Vec::new();
    if model.primary_key.columns.contains(&index) {
        markers.push("PK");
    }
    if model
        .foreign_keys
        .iter()
        .any(|f| f.columns.contains(&index))
    {
        markers.push("FK");
    }
    if model.uniques.iter().any(|u| u.columns.contains(&index)) {
        markers.push("UK");
    }
    markers
}

/// `parent ||--o{ child : label`. The parent side is optional when the key
/// may be NULL; the child side is "at most one" when the key is unique.
fn relationship(out: &mut String, child: &ModelSchema, foreign_key: &ForeignKeySchema) {
    let parent = (foreign_key.target)();
    let nullable =
        (foreign_key.columns.iter()).any(|i| child.columns.get(*i).is_some_and(|c| c.nullable));
    let unique = child
        .keys()
        .any(|key| same_columns(key.columns, foreign_key.columns));
    let parent_side = if nullable { "|o" } else { "||" };
    let child_side = if unique { "o|" } else { "o{" };
    let _ = writeln!(
        out,
        "    {} {parent_side}--{child_side} {} : {}",
        entity_name(parent.table),
        entity_name(child.table),
        label(child, parent, foreign_key)
    );
}

fn same_columns(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().all(|i| b.contains(i))
}

/// The field that uses the key: the child's `belongs_to`, or the parent's
/// `many_to_many` through the child (a join table); else the key's columns.
fn label(child: &ModelSchema, parent: &ModelSchema, foreign_key: &ForeignKeySchema) -> String {
    let belongs_to = (child.relations.iter())
        .find(|r| r.kind == RelationKind::BelongsTo && same_columns(r.fields, foreign_key.columns));
    if let Some(relation) = belongs_to {
        return quoted(relation.field);
    }
    let mut through: Vec<&str> = (parent.relations.iter())
        .filter(|r| r.kind == RelationKind::ManyToMany)
        .filter(|r| r.join.is_some_and(|join| join().table == child.table))
        .map(|r| r.field)
        .collect();
    through.sort_unstable();
    // A many-to-many of a model with itself has two fields on one join
    // table; the generated table's column `A` is read by the field whose
    // name sorts first, `B` by the other.
    let position = (child.foreign_keys.iter())
        .filter(|f| (f.target)().table == parent.table)
        .position(|f| f.name == foreign_key.name);
    match (through.len(), position) {
        (1, _) => quoted(through[0]),
        (2, Some(i)) if i < 2 => quoted(through[i]),
        _ => {
            let columns: Vec<&str> = (foreign_key.columns.iter())
                .filter_map(|i| child.columns.get(*i).map(|c| c.name))
                .collect();
            quoted(&columns.join(", "))
        }
    }
}

/// A relationship label: always quoted, with the characters Mermaid's
/// quoted strings cannot hold replaced.
fn quoted(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c == '"' { '\'' } else { c })
        .collect();
    format!("\"{clean}\"")
}

/// A bare name if Mermaid's entity rule (`[A-Za-z][A-Za-z0-9_-]*`) reads it,
/// else quoted, with the characters a quoted entity name cannot hold
/// (`"`, `%`, `\`, control characters) replaced by `_`.
fn entity_name(table: &str) -> String {
    let mut chars = table.chars();
    let bare = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        return table.to_owned();
    }
    let clean: String = (table.chars())
        .map(|c| match c {
            '"' | '%' | '\\' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    format!("\"{clean}\"")
}

/// A column name as Mermaid's attribute rule (`[A-Za-z_][A-Za-z0-9_-]*`)
/// reads it: other characters become `_`.
fn attribute_name(column: &str) -> String {
    let mut name: String = (column.chars())
        .map(
            |c| match c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                true => c,
                false => '_',
            },
        )
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        name.insert(0, '_');
    }
    name
}

fn type_name(ty: SqlType) -> String {
    let name = match ty {
        SqlType::SmallInt => "smallint",
        SqlType::Int => "int",
        SqlType::BigInt => "bigint",
        SqlType::Real => "real",
        SqlType::Double => "double",
        SqlType::Bool => "bool",
        SqlType::Text => "text",
        SqlType::Bytes => "bytes",
        SqlType::Json => "json",
        SqlType::Uuid => "uuid",
        SqlType::Timestamptz => "timestamptz",
        SqlType::Timestamp => "timestamp",
        SqlType::Date => "date",
        SqlType::Decimal => "decimal",
        SqlType::Enum(schema) => return attribute_name(schema.db_name),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_mermaid_cannot_read_bare_are_quoted_or_cleaned() {
        assert_eq!(entity_name("users"), "users");
        assert_eq!(entity_name("post-tags_2"), "post-tags_2");
        assert_eq!(entity_name("_PostToTag"), "\"_PostToTag\"");
        assert_eq!(entity_name("my table"), "\"my table\"");
        assert_eq!(entity_name("100%\"x\""), "\"100__x_\"");
        assert_eq!(attribute_name("is admin"), "is_admin");
        assert_eq!(attribute_name("2fa"), "_2fa");
        assert_eq!(attribute_name("A"), "A");
        assert_eq!(quoted("say \"hi\""), "\"say 'hi'\"");
    }
}
