//! `DbEnum` for a `#[derive(Enum)]` type, plus the runtime's `impl_enum_field!`
//! which turns it into a `FieldType` (for `T` and `Option<T>`).

use crate::enums::DbEnum;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput};

pub fn tokens(db_enum: &DbEnum) -> TokenStream {
    let ident = &db_enum.ident;
    let rust_name = ident.to_string();
    let db_name = &db_enum.db_name;
    let variants: Vec<_> = db_enum.variants.iter().map(|v| &v.ident).collect();
    let labels: Vec<_> = db_enum.variants.iter().map(|v| v.label.as_str()).collect();
    quote! {
        const _: () = {
            #[automatically_derived]
            impl ::strata::__private::DbEnum for #ident {
                const SCHEMA: &'static ::strata::__private::EnumSchema = &::strata::__private::EnumSchema {
                    rust_name: #rust_name,
                    db_name: #db_name,
                    variants: &[#(#labels),*],
                };
                fn label(&self) -> &'static str {
                    match self {
                        #(Self::#variants => #labels,)*
                    }
                }
                fn from_label(label: &str) -> ::core::option::Option<Self> {
                    match label {
                        #(#labels => ::core::option::Option::Some(Self::#variants),)*
                        _ => ::core::option::Option::None,
                    }
                }
            }
            ::strata::__private::impl_enum_field!(#ident);
        };
    }
}

/// For an enum that failed validation: a `DbEnum` with no labels, so models
/// with a field of this type do not add "cannot be stored" errors of their own.
pub fn stub(input: &DeriveInput) -> TokenStream {
    if !input.generics.params.is_empty() || !matches!(input.data, Data::Enum(_)) {
        return TokenStream::new();
    }
    let ident = &input.ident;
    let rust_name = ident.to_string();
    quote! {
        const _: () = {
            #[automatically_derived]
            impl ::strata::__private::DbEnum for #ident {
                const SCHEMA: &'static ::strata::__private::EnumSchema = &::strata::__private::EnumSchema {
                    rust_name: #rust_name,
                    db_name: "",
                    variants: &[],
                };
                fn label(&self) -> &'static str {
                    ::core::unreachable!("`#[derive(Enum)]` on `{}` failed to compile", #rust_name)
                }
                fn from_label(_: &str) -> ::core::option::Option<Self> {
                    ::core::option::Option::None
                }
            }
            ::strata::__private::impl_enum_field!(#ident);
        };
    }
}
