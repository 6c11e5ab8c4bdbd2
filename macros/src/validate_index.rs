//! Rules for `index(..)` and `check` declarations, run with the model-wide
//! rules in `validate.rs` (once every attribute parsed). Which database has
//! which index feature is not checked here: the runtime refuses an index on a
//! database that lacks one of its features when the schema is created there
//! (`schema::dialect_support`), so a model may declare a PostgreSQL-only index
//! and still be used on SQLite with `dialects(postgres)`.

use crate::diag::{error_at, hint_at};
use crate::index::{IndexMethod, IndexPart, IndexSpec};
use crate::keys::IndexKey;
use crate::model::Model;
use crate::validate::check_key_fields_exist;
use darling::error::Accumulator;
use proc_macro2::Span;
use std::collections::BTreeMap;

pub fn check_indexes_and_checks(model: &Model, errors: &mut Accumulator) {
    for spec in &model.composite_indexes {
        check_key_fields_exist(model, &spec.field_idents(), errors);
        check_key_fields_exist(model, &spec.include.iter().collect::<Vec<_>>(), errors);
        check_expression_index_named(model, spec, errors);
        check_method_options(model, spec, errors);
    }
    check_distinct_index_names(model, errors);
    check_distinct_check_names(model, errors);
}

// A generated name is made of column names; an expression has none that would
// stay stable, so an index with an expression key is named by its author.
fn check_expression_index_named(model: &Model, spec: &IndexSpec, errors: &mut Accumulator) {
    if spec.has_expression() && spec.name.is_none() {
        errors.push(hint_at(
            spec.span,
            format_args!(
                "the expression index on {} needs a `name`",
                model.describe()
            ),
            &format!(
                "add `name = \"{}\"` (any name unique in the database): strata names indexes after their columns, and an expression has none",
                suggested_name(model, spec)
            ),
        ));
    }
}

/// `users_lower_email_idx` for `lower(email)` on `users`: the words of the
/// key parts joined the way generated names are.
fn suggested_name(model: &Model, spec: &IndexSpec) -> String {
    let mut name = model.table.clone();
    for part in &spec.parts {
        let text = match part {
            IndexPart::Field { ident, .. } => ident.to_string(),
            IndexPart::Expression(sql) => sql.to_lowercase(),
        };
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            name.push('_');
            name.push_str(word);
        }
    }
    name + "_idx"
}

// PostgreSQL gives only b-tree indexes uniqueness and sort order, and covering
// columns only to b-tree and GiST; another combination could not be created.
fn check_method_options(model: &Model, spec: &IndexSpec, errors: &mut Accumulator) {
    let Some(method) = &spec.method else { return };
    let keyword = method.keyword();
    let at = format!("`using = {keyword}` on an index of {}", model.describe());
    if **method == IndexMethod::Btree {
        return;
    }
    if let Some(unique) = spec.unique {
        errors.push(hint_at(
            unique,
            format_args!("`unique` with {at}: only b-tree indexes can be unique"),
            "remove `using` for a unique b-tree index, or remove `unique`",
        ));
    }
    if spec.has_descending() {
        errors.push(hint_at(
            method.span(),
            format_args!("{at} with a descending key: only b-tree keys have a sort order"),
            "remove `(desc)`, or remove `using` for a b-tree index",
        ));
    }
    if !spec.include.is_empty() && **method != IndexMethod::Gist {
        errors.push(hint_at(
            method.span(),
            format_args!(
                "{at} with `include(..)`: only b-tree and GiST indexes have covering columns"
            ),
            "remove `include(..)`, or use `using = gist` or a b-tree index",
        ));
    }
}

// Index names share one namespace with unique and primary key constraints
// (PostgreSQL creates an index of the constraint's name), so every name is
// used once; two indexes on the same columns would also share a generated name.
fn check_distinct_index_names(model: &Model, errors: &mut Accumulator) {
    let mut taken: BTreeMap<String, &str> = model
        .unique_keys()
        .into_iter()
        .map(|key| (key.name, "a key constraint"))
        .collect();
    for index in model.indexes() {
        let span = match (index.spec, index.parts.first()) {
            (Some(spec), _) => spec.name.as_ref().map_or(spec.span, |n| n.span()),
            (None, Some(IndexKey::Column { column, .. })) => {
                model.fields[*column].index.unwrap_or(Span::call_site())
            }
            (None, _) => Span::call_site(),
        };
        match taken.get(index.name.as_str()) {
            Some(owner) => errors.push(hint_at(
                span,
                format_args!(
                    "{} declares the index name `{}` twice (also used by {owner})",
                    model.describe(),
                    index.name
                ),
                "give one of them another `name = \"..\"`, or remove the repeated index",
            )),
            None => {
                taken.insert(index.name, "another index");
            }
        }
    }
}

// Constraint names are unique per table (per database on MySQL: they start
// with the table name, so one table's are enough).
fn check_distinct_check_names(model: &Model, errors: &mut Accumulator) {
    let mut taken = Vec::new();
    for check in model.checks() {
        if taken.contains(&check.name) {
            let span = (check.spec.name.as_ref()).map_or(check.spec.span, |n| n.span());
            errors.push(error_at(
                span,
                format_args!(
                    "{} declares the check constraint `{}` twice",
                    model.describe(),
                    check.name
                ),
            ));
        } else {
            taken.push(check.name);
        }
    }
}
