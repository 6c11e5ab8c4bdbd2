//! `#[strata(soft_delete = deleted_at)]` on a model: read (`soft_delete`)
//! and its rules (`check_soft_delete`). The named field is a nullable
//! timestamp that `delete` sets to the current time instead of removing the
//! row, and that every read requires to be NULL; so it must be a field of
//! this model, a nullable instant, and no part of what identifies the row.

use crate::diag::hint_at;
use crate::model::{Field, Model};
use crate::ty;
use darling::error::Accumulator;
use syn::ext::IdentExt;
use syn::{Ident, Meta};

pub const FORM: &str = "expected `#[strata(soft_delete = deleted_at)]` on the struct, naming a field of type `Option<chrono::DateTime<Utc>>` (or `Option<chrono::NaiveDateTime>`)";

const TYPE: &str = "declare the field as `Option<chrono::DateTime<Utc>>` (or `Option<chrono::NaiveDateTime>`): NULL while the row is live, the time of its deletion after";

/// The `soft_delete = field` value: the field's identifier, written bare
/// or as a string.
pub fn soft_delete(meta: &Meta, at: &str) -> darling::Result<Ident> {
    crate::meta::field_name(meta, at, FORM)
}

/// Rules about the model's `soft_delete` field; only run when every
/// attribute parsed.
pub fn check_soft_delete(model: &Model, errors: &mut Accumulator) {
    let Some(ident) = &model.soft_delete else {
        if let Some(span) = model.partial_uniques {
            errors.push(hint_at(
                span,
                format_args!("`partial_uniques` on {} needs `soft_delete`", model.describe()),
                "`partial_uniques` makes unique keys hold among live rows only: add `#[strata(soft_delete = deleted_at, partial_uniques)]` with a field `deleted_at: Option<chrono::DateTime<Utc>>`",
            ));
        }
        return;
    };
    let Some(field) = model.named_field(
        ident,
        "soft_delete",
        "add a field `deleted_at: Option<chrono::DateTime<Utc>>` and name it: `#[strata(soft_delete = deleted_at)]`",
        errors,
    ) else {
        return;
    };
    let at = field.describe(model);
    check_type(&at, field, ident, errors);
    check_not_managed_elsewhere(&at, field, errors);
    check_not_in_key(model, &at, field, errors);
}

/// Whether `ty` may hold the deletion time: `Option` of an instant or a
/// wall-clock time (a date alone would lose the order of deletions in a day).
pub fn fits(ty: &syn::Type) -> bool {
    ty::option_inner(ty).is_some_and(|inner| {
        ty::kind(inner) == ty::Kind::Time
            && matches!(
                ty::last_segment_name(inner).as_deref(),
                Some("DateTime" | "NaiveDateTime")
            )
    })
}

// NULL means live: the column must be nullable, and a time so that "now"
// can be written into it and rows can be listed in order of deletion.
fn check_type(at: &str, field: &Field, ident: &Ident, errors: &mut Accumulator) {
    if !fits(&field.ty) {
        errors.push(hint_at(
            ident.span(),
            format_args!(
                "`soft_delete` names {at}, of type `{}`, which is not a nullable timestamp",
                ty::display(&field.ty)
            ),
            TYPE,
        ));
    }
}

// strata writes this column only on delete and restore: a default would
// create rows already deleted (`now`), and `updated_at`/`version` are
// columns strata writes on every update.
fn check_not_managed_elsewhere(at: &str, field: &Field, errors: &mut Accumulator) {
    let managed = [
        ("id", field.id),
        ("updated_at", field.updated_at),
        ("version", field.version),
        ("default", field.default.as_ref().map(|d| d.span())),
    ];
    for (key, span) in managed {
        if let Some(span) = span {
            errors.push(hint_at(
                span,
                format_args!("{at} is the `soft_delete` field and cannot also have `{key}`"),
                "the soft-delete field is NULL when a row is created and written only by `delete` and `restore`: leave other attributes off it",
            ));
        }
    }
}

// A soft-deleted row keeps its keys; a key that included the deletion time
// would let a second live row share the first one's other key values.
fn check_not_in_key(model: &Model, at: &str, field: &Field, errors: &mut Accumulator) {
    if let Some(span) = field.unique {
        errors.push(hint_at(
            span,
            format_args!("{at} is the `soft_delete` field and cannot be `unique`"),
            "keys of a soft-deleted model are kept by its deleted rows; drop `unique` from the deletion time",
        ));
    }
    let specs = (model.composite_id.iter()).chain(&model.composite_uniques);
    for spec in specs {
        for key_field in &spec.fields {
            if key_field.unraw() == field.name {
                errors.push(hint_at(
                    key_field.span(),
                    format_args!("{at} is the `soft_delete` field and cannot be part of a key"),
                    "keys of a soft-deleted model are kept by its deleted rows; leave the deletion time out of `id(fields(..))` and `unique(fields(..))`",
                ));
            }
        }
    }
}
