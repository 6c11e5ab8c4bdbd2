//! `#[strata(tenant = tenant_id)]` and `#[strata(tenant = tenant_id,
//! row_level_security)]` on a model: read (`tenant`) and its rules
//! (`check_tenant`). The named field holds the row's tenant: strata filters
//! every statement on the model by the tenant of the task's
//! `strata::tenant::scope(id, ..)` and writes that id into every row it
//! creates. So it must be a field of this model, never NULL, of a type a
//! tenant id is written in, and written by nothing else.

use crate::diag::hint_at;
use crate::model::{Field, Model};
use crate::ty;
use darling::error::Accumulator;
use syn::ext::IdentExt;
use syn::{Ident, Meta};

pub const FORM: &str = "expected `#[strata(tenant = tenant_id)]` on the struct (with `row_level_security` for PostgreSQL policies too), naming a field of type `i64` (or `i32`/`i16`), `String` or `uuid::Uuid`";

const TYPE: &str = "declare the field as `i64` (or `i32`/`i16`), `String` or `uuid::Uuid`, the type of the id given to `strata::tenant::scope(id, ..)`";

/// The `tenant = field` value: the field's identifier, written bare or as a
/// string.
pub fn tenant(meta: &Meta, at: &str) -> darling::Result<Ident> {
    crate::meta::field_name(meta, at, FORM)
}

/// Whether `field` is the model's tenant column.
pub fn is_tenant(model: &Model, field: &Field) -> bool {
    (model.tenant.as_ref()).is_some_and(|ident| ident.unraw() == field.name)
}

/// Rules about the model's `tenant` field and `row_level_security`; only run
/// when every attribute parsed.
pub fn check_tenant(model: &Model, errors: &mut Accumulator) {
    let Some(ident) = &model.tenant else {
        if let Some(span) = model.row_level_security {
            errors.push(hint_at(
                span,
                format_args!("`row_level_security` on {} needs `tenant`", model.describe()),
                "the PostgreSQL policy compares the tenant column with the scope's tenant: name it, `#[strata(tenant = tenant_id, row_level_security)]`, with a field `tenant_id: i64`",
            ));
        }
        return;
    };
    let Some(field) = model.named_field(
        ident,
        "tenant",
        "add a field holding the row's tenant, e.g. `tenant_id: i64`, and name it: `#[strata(tenant = tenant_id)]`",
        errors,
    ) else {
        return;
    };
    let at = field.describe(model);
    // A column that is also another managed column gets that error alone:
    // its type or synthesised default would otherwise be reported as well.
    if check_not_managed_elsewhere(model, &at, field, ident, errors) {
        check_type(&at, field, ident, errors);
        check_no_default(&at, field, errors);
    }
}

// The tenant of a row is compared with `=` to the scope's id and bound as a
// value of the column's type: a key-like scalar, and never NULL (a row of no
// tenant would be visible to none, or to all if a filter were forgotten).
fn check_type(at: &str, field: &Field, ident: &Ident, errors: &mut Accumulator) {
    if ty::option_inner(&field.ty).is_some() {
        errors.push(hint_at(
            ident.span(),
            format_args!(
                "`tenant` names {at}, of type `{}`, which is nullable",
                ty::display(&field.ty)
            ),
            "every row belongs to a tenant: declare the field without `Option`, e.g. `tenant_id: i64`",
        ));
        return;
    }
    if !matches!(
        ty::kind(&field.ty),
        ty::Kind::KeyInt | ty::Kind::String | ty::Kind::Uuid
    ) {
        errors.push(hint_at(
            ident.span(),
            format_args!(
                "`tenant` names {at}, of type `{}`, which cannot hold a tenant id",
                ty::display(&field.ty)
            ),
            TYPE,
        ));
    }
}

// strata writes the tenant column from the scope on every create; a default
// would put rows under a fixed tenant whenever a create runs unscoped.
fn check_no_default(at: &str, field: &Field, errors: &mut Accumulator) {
    if let Some(default) = &field.default {
        errors.push(hint_at(
            default.span(),
            format_args!("{at} is the `tenant` field and cannot have `default`"),
            "strata sets the tenant from `strata::tenant::scope(id, ..)` on every create: remove `default`",
        ));
    }
}

// A row's tenant never changes: not the version strata bumps on every
// update, not the deletion time soft delete writes. Returns whether the
// field is the tenant alone.
fn check_not_managed_elsewhere(
    model: &Model,
    at: &str,
    field: &Field,
    ident: &Ident,
    errors: &mut Accumulator,
) -> bool {
    let mut alone = true;
    if let Some(span) = field.version {
        errors.push(hint_at(
            span,
            format_args!("{at} is the `tenant` field and cannot also be the `version`"),
            "a version changes on every update and a row's tenant never does: keep `#[strata(version)]` on a separate integer field",
        ));
        alone = false;
    }
    if model
        .soft_delete
        .as_ref()
        .is_some_and(|d| d.unraw() == field.name)
    {
        errors.push(hint_at(
            ident.span(),
            format_args!("{at} is both the `tenant` and the `soft_delete` field"),
            "the tenant column holds the row's tenant for its whole life: give soft delete a field of its own, `deleted_at: Option<chrono::DateTime<Utc>>`",
        ));
        alone = false;
    }
    alone
}
