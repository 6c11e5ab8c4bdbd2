//! Rules of `#[strata(version)]`, the optimistic-locking counter: strata adds
//! one to it on every update and upsert and compares it with the version the
//! caller read, so it must be a plain integer that nothing else writes.

use crate::diag::{error_at, hint_at};
use crate::model::{DefaultSpec, Field, LitKind, Model};
use crate::ty;
use darling::error::Accumulator;
use syn::ext::IdentExt;
use syn::Type;

const VERSION_TYPE: &str = "declare the version as `i64` (or `i32`), e.g. `#[strata(version)] version: i64`; strata starts it at 1 and adds 1 on every update";

/// Whether `ty` may hold a version: `i32` or `i64`, not optional (a NULL
/// version would never equal the version a caller read).
pub fn fits_version(ty: &Type) -> bool {
    matches!(ty::last_segment_name(ty).as_deref(), Some("i32" | "i64"))
        && ty::kind(ty) == ty::Kind::KeyInt
}

/// Rules about one `version` field.
pub fn check_version_field(model: &Model, field: &Field, errors: &mut Accumulator) {
    let Some(span) = field.version else { return };
    let at = field.describe(model);
    check_version_type(&at, field, span, errors);
    check_version_not_managed_elsewhere(&at, field, errors);
    check_version_default(&at, field, errors);
}

/// Rules about the model's version fields together.
pub fn check_model_version(model: &Model, errors: &mut Accumulator) {
    check_one_version(model, errors);
    check_version_not_in_composite_id(model, errors);
}

// The counter is compared and incremented in SQL: an integer column, never
// NULL. Anything else could not be bumped by `+ 1`.
fn check_version_type(at: &str, field: &Field, span: proc_macro2::Span, errors: &mut Accumulator) {
    if !fits_version(&field.ty) {
        errors.push(hint_at(
            span,
            format_args!(
                "`version` on {at} needs type `i64` or `i32`, found `{}`",
                ty::display(&field.ty)
            ),
            VERSION_TYPE,
        ));
    }
}

// A version is written by strata alone. A primary key cannot change on every
// update without breaking every reference to the row, and `updated_at` is
// already a time strata writes.
fn check_version_not_managed_elsewhere(at: &str, field: &Field, errors: &mut Accumulator) {
    for (key, other) in [("id", field.id), ("updated_at", field.updated_at)] {
        if let Some(span) = other {
            errors.push(hint_at(
                span,
                format_args!("{at} has both `version` and `{key}`"),
                "a version is a separate integer field that strata bumps on every update: declare it on its own field, e.g. `#[strata(version)] version: i64`",
            ));
        }
    }
}

// The version's starting value may be chosen with an integer literal; a
// generated or SQL default would not be a number strata can count from.
fn check_version_default(at: &str, field: &Field, errors: &mut Accumulator) {
    let Some(default) = &field.default else {
        return;
    };
    let fits = matches!(
        &**default,
        DefaultSpec::Literal {
            kind: LitKind::Int,
            ..
        }
    );
    if !fits {
        errors.push(hint_at(
            default.span(),
            format_args!("`version` on {at} needs an integer default"),
            "leave `default` out (the version starts at 1) or give the first version as an integer, e.g. `#[strata(version, default = 0)]`",
        ));
    }
}

// One counter per row: two would each be bumped and compared, and a caller
// could only name one of them.
fn check_one_version(model: &Model, errors: &mut Accumulator) {
    let mut versions = model.fields.iter().filter(|f| f.version.is_some());
    let Some(first) = versions.next() else { return };
    for other in versions {
        if let Some(span) = other.version {
            errors.push(hint_at(
                span,
                format_args!(
                    "{} has a second `version` field, `{}`",
                    model.describe(),
                    other.name
                ),
                &format!(
                    "a model has one version; keep `#[strata(version)]` on `{}` only",
                    first.name
                ),
            ));
        }
    }
}

// As with a field-level `id`: a key that changes on every update.
fn check_version_not_in_composite_id(model: &Model, errors: &mut Accumulator) {
    let Some(id) = &model.composite_id else {
        return;
    };
    for ident in &id.fields {
        let name = ident.unraw().to_string();
        if model
            .fields
            .iter()
            .any(|f| f.name == name && f.version.is_some())
        {
            errors.push(error_at(
                ident.span(),
                format_args!(
                    "{}: the version field `{name}` cannot be part of the primary key, which must not change on update",
                    model.describe()
                ),
            ));
        }
    }
}
