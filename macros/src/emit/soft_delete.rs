//! `restore(key)` and `restore_many()` for a `#[strata(soft_delete = ..)]`
//! model; a model without soft delete gets neither, so restoring it does
//! not compile.

use crate::model::Model;
use proc_macro2::TokenStream;
use quote::quote;

pub fn entry_points(model: &Model) -> TokenStream {
    if model.soft_delete.is_none() {
        return TokenStream::new();
    }
    let ident = &model.ident;
    quote! {
        /// Makes the soft-deleted row with this key live again and returns
        /// it; `strata::Error::NotFound` if no deleted row has the key.
        #[inline]
        pub fn restore(key: ::strata::UniqueKey<#ident>) -> ::strata::soft_delete::Restore<#ident> {
            ::strata::soft_delete::Restore::new(key)
        }
        /// Makes the soft-deleted rows matching a filter live again;
        /// returns how many.
        #[inline]
        pub fn restore_many() -> ::strata::soft_delete::RestoreMany<#ident> {
            ::strata::soft_delete::RestoreMany::new()
        }
    }
}
