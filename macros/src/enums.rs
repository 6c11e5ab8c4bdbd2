//! The validated IR of a `#[derive(Enum)]` type, with its rules (few enough to
//! live beside it rather than in `validate.rs`).

use crate::attr::{EnumReceiver, VariantReceiver};
use crate::diag::{self, hint_at};
use crate::{naming, validate};
use darling::util::SpannedValue;
use darling::{FromDeriveInput, FromVariant};
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident};

pub struct DbEnum {
    pub ident: Ident,
    pub db_name: String,
    pub variants: Vec<Variant>,
}

pub struct Variant {
    pub ident: Ident,
    /// The database label; also checked for duplicates.
    pub label: SpannedValue<String>,
}

impl DbEnum {
    pub fn from_input(input: &DeriveInput) -> darling::Result<DbEnum> {
        let mut errors = darling::Error::accumulator();
        let name = &input.ident;
        validate::check_no_generics(input, "enum", &mut errors);
        let receiver = errors.handle(EnumReceiver::from_derive_input(input));
        let mut variants = Vec::new();
        match &input.data {
            Data::Enum(data) => {
                // A column holds one label, so each variant is a plain name.
                for variant in &data.variants {
                    if !matches!(variant.fields, Fields::Unit) {
                        errors.push(hint_at(
                            variant.fields.span(),
                            format_args!("variant `{name}::{}` has fields", variant.ident),
                            diag::ENUM_SHAPE,
                        ));
                    }
                    variants.extend(errors.handle(VariantReceiver::from_variant(variant)));
                }
                // A database enum type needs at least one label, and `label()`
                // could not be written for a type with no values.
                if data.variants.is_empty() {
                    errors.push(hint_at(
                        name.span(),
                        format_args!("enum `{name}` has no variants"),
                        diag::ENUM_SHAPE,
                    ));
                }
            }
            _ => errors.push(hint_at(
                name.span(),
                format_args!("`#[derive(Enum)]` on `{name}`, which is not an enum; for a table use `#[derive(strata::Model)]`"),
                diag::ENUM_SHAPE,
            )),
        }
        let db_enum = DbEnum {
            db_name: (receiver.and_then(|r| r.name))
                .map(SpannedValue::into_inner)
                .unwrap_or_else(|| naming::snake_case(&name.to_string())),
            variants: (variants.into_iter())
                .map(|v| Variant {
                    label: (v.rename)
                        .unwrap_or_else(|| SpannedValue::new(v.ident.to_string(), v.ident.span())),
                    ident: v.ident,
                })
                .collect(),
            ident: name.clone(),
        };
        check_distinct_labels(&db_enum, &mut errors);
        errors.finish_with(db_enum)
    }
}

// Labels identify variants in the database, so no two may be equal.
fn check_distinct_labels(db_enum: &DbEnum, errors: &mut darling::error::Accumulator) {
    let mut seen: HashMap<&str, &Ident> = HashMap::new();
    for variant in &db_enum.variants {
        if let Some(first) = seen.insert(variant.label.as_str(), &variant.ident) {
            errors.push(hint_at(
                variant.label.span(),
                format_args!(
                    "variants `{}` and `{}` of enum `{}` both have the label \"{}\"",
                    first, variant.ident, db_enum.ident, *variant.label
                ),
                "give one of them another `#[strata(rename = \"...\")]`",
            ));
        }
    }
}
