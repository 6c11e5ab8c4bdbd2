//! Comparing two schema descriptions the way the diff does: types through
//! [`column_type`], expressions through [`expression`], everything else by
//! value, every difference listed.

use super::{column_type, expression};
use crate::migrate::schema::{Column, DbSchema, Index, IndexPart, Table};
use crate::render::Dialect;

/// `Ok` if `left` and `right` describe the same schema on `dialect`; else
/// every difference, one line each, naming the table and object.
pub fn same_schema(dialect: Dialect, left: &DbSchema, right: &DbSchema) -> Result<(), Vec<String>> {
    let mut differences = Vec::new();
    let mut report = |what: String| differences.push(what);
    for name in names(&left.enums, &right.enums, |e| &e.name) {
        match (left.enum_type(name), right.enum_type(name)) {
            (Some(l), Some(r)) if l.values != r.values => {
                report(format!("enum {name}: {:?} vs {:?}", l.values, r.values))
            }
            (Some(_), None) => report(format!("enum {name}: only on the left")),
            (None, Some(_)) => report(format!("enum {name}: only on the right")),
            _ => {}
        }
    }
    for name in names(&left.tables, &right.tables, |t| &t.name) {
        match (left.table(name), right.table(name)) {
            (Some(l), Some(r)) => compare_tables(dialect, l, r, &mut report),
            (Some(_), None) => report(format!("table {name}: only on the left")),
            (None, Some(_)) => report(format!("table {name}: only on the right")),
            (None, None) => {}
        }
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(differences)
    }
}

fn names<'a, T>(left: &'a [T], right: &'a [T], name: impl Fn(&T) -> &String) -> Vec<&'a str> {
    let mut all: Vec<&str> = left.iter().chain(right).map(|x| name(x).as_str()).collect();
    all.sort_unstable();
    all.dedup();
    all
}

fn compare_tables(dialect: Dialect, l: &Table, r: &Table, report: &mut impl FnMut(String)) {
    let t = &l.name;
    let column_names = |table: &Table| {
        table
            .columns
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    if column_names(l) != column_names(r) {
        report(format!(
            "table {t}: columns {:?} vs {:?}",
            column_names(l),
            column_names(r)
        ));
    }
    for left in &l.columns {
        if let Some(right) = r.column(&left.name) {
            compare_columns(dialect, t, left, right, report);
        }
    }
    if l.primary_key.as_ref().map(|k| &k.columns) != r.primary_key.as_ref().map(|k| &k.columns) {
        report(format!(
            "table {t}: primary key {:?} vs {:?}",
            l.primary_key, r.primary_key
        ));
    }
    if dialect == Dialect::Postgres
        && l.primary_key.as_ref().map(|k| &k.name) != r.primary_key.as_ref().map(|k| &k.name)
    {
        report(format!(
            "table {t}: primary key name {:?} vs {:?}",
            l.primary_key, r.primary_key
        ));
    }
    if l.uniques != r.uniques {
        report(format!(
            "table {t}: uniques {:?} vs {:?}",
            l.uniques, r.uniques
        ));
    }
    if l.foreign_keys != r.foreign_keys {
        report(format!(
            "table {t}: foreign keys {:?} vs {:?}",
            l.foreign_keys, r.foreign_keys
        ));
    }
    let indexes = |table: &Table| {
        table
            .indexes
            .iter()
            .map(|i| canonical_index(dialect, i))
            .collect::<Vec<_>>()
    };
    if indexes(l) != indexes(r) {
        report(format!(
            "table {t}: indexes {:?} vs {:?}",
            l.indexes, r.indexes
        ));
    }
    let checks = |table: &Table| {
        (table.checks.iter())
            .map(|c| (c.name.clone(), expression(dialect, &c.expression)))
            .collect::<Vec<_>>()
    };
    if checks(l) != checks(r) {
        report(format!(
            "table {t}: checks {:?} vs {:?}",
            checks(l),
            checks(r)
        ));
    }
    let policy = |table: &Table| {
        (table.row_level_security.as_ref()).map(|p| {
            (
                p.name.clone(),
                p.column.clone(),
                column_type(dialect, &p.ty),
            )
        })
    };
    if policy(l) != policy(r) {
        report(format!(
            "table {t}: row-level security {:?} vs {:?}",
            l.row_level_security, r.row_level_security
        ));
    }
}

fn compare_columns(
    dialect: Dialect,
    t: &str,
    l: &Column,
    r: &Column,
    report: &mut impl FnMut(String),
) {
    let c = &l.name;
    if column_type(dialect, &l.ty) != column_type(dialect, &r.ty) {
        report(format!("column {t}.{c}: type {:?} vs {:?}", l.ty, r.ty));
    }
    if l.nullable != r.nullable {
        report(format!(
            "column {t}.{c}: nullable {} vs {}",
            l.nullable, r.nullable
        ));
    }
    let default = |col: &Column| col.default.as_deref().map(|d| expression(dialect, d));
    if default(l) != default(r) {
        report(format!(
            "column {t}.{c}: default {:?} vs {:?}",
            l.default, r.default
        ));
    }
    if l.generated != r.generated {
        report(format!(
            "column {t}.{c}: generated {} vs {}",
            l.generated, r.generated
        ));
    }
}

/// The index with its expressions normalised.
fn canonical_index(dialect: Dialect, index: &Index) -> Index {
    let mut index = index.clone();
    for part in &mut index.parts {
        if let IndexPart::Expression(text) = part {
            *text = expression(dialect, text);
        }
    }
    index.predicate = index.predicate.map(|p| expression(dialect, &p));
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::schema::{Check, PrimaryKey};

    fn table(ty: &str, default: &str, check: &str, descending: bool) -> DbSchema {
        DbSchema {
            enums: Vec::new(),
            tables: vec![Table {
                name: "posts".into(),
                columns: vec![Column {
                    name: "views".into(),
                    ty: ty.into(),
                    nullable: false,
                    default: Some(default.into()),
                    generated: false,
                }],
                primary_key: Some(PrimaryKey {
                    name: Some("posts_pkey".into()),
                    columns: vec!["views".into()],
                }),
                uniques: Vec::new(),
                foreign_keys: Vec::new(),
                indexes: vec![Index {
                    name: "posts_views_idx".into(),
                    parts: vec![IndexPart::Column {
                        name: "views".into(),
                        descending,
                    }],
                    unique: false,
                    method: None,
                    include: Vec::new(),
                    predicate: None,
                }],
                checks: vec![Check {
                    name: "posts_views_check".into(),
                    expression: check.into(),
                }],
                row_level_security: None,
            }],
        }
    }

    #[test]
    fn equal_through_normalisation() {
        let models = table("integer", "0", "views >= 0", false);
        let database = table("int4", "'0'::integer", "((views >= 0))", false);
        assert_eq!(same_schema(Dialect::Postgres, &models, &database), Ok(()));
    }

    #[test]
    fn every_difference_is_listed() {
        let models = table("integer", "0", "views >= 0", false);
        let database = table("bigint", "1", "views > 0", true);
        let differences = same_schema(Dialect::Postgres, &models, &database).unwrap_err();
        assert_eq!(differences.len(), 4, "{differences:#?}");
        for (difference, expected) in differences.iter().zip([
            "column posts.views: type",
            "column posts.views: default",
            "table posts: indexes",
            "table posts: checks",
        ]) {
            assert!(difference.starts_with(expected), "{difference}");
        }
        let mut missing = models.clone();
        missing.tables.clear();
        let differences = same_schema(Dialect::Postgres, &missing, &models).unwrap_err();
        assert_eq!(differences, ["table posts: only on the right"]);
    }
}
