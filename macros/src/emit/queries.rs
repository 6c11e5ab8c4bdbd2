//! `FromRow` and the model's inherent associated functions: column and
//! relation accessors, unique-key constructors and the query entry points.

use super::{create, update};
use crate::model::Model;
use crate::naming;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

pub fn impl_from_row(model: &Model) -> TokenStream {
    let ident = &model.ident;
    // Columns are selected in declaration order, so each field decodes from
    // the next position.
    // Decoding goes through `FieldType` (not the blanket `FromRow`) so an
    // unsupported type yields the same error as the schema's
    // `<T as FieldType>::SQL_TYPE`, which rustc then reports once.
    let fields = model.fields.iter().map(|f| {
        let (name, ty) = (&f.ident, &f.ty);
        let field_type = quote_spanned!(ty.span()=> <#ty as ::strata::__private::FieldType>);
        quote! {
            #name: {
                let value = #field_type::decode(row, *index)?;
                *index += 1;
                value
            }
        }
    });
    // Relation fields start not loaded; only an include fills them.
    let relations = super::relations::not_loaded(model);
    quote! {
        #[automatically_derived]
        impl ::strata::__private::FromRow for #ident {
            fn from_row(
                row: ::strata::__private::Row<'_>,
                index: &mut usize,
            ) -> ::core::result::Result<Self, ::strata::__private::sqlx::Error> {
                ::core::result::Result::Ok(Self { #(#fields,)* #(#relations,)* })
            }
        }
    }
}

pub fn inherent(model: &Model) -> TokenStream {
    let ident = &model.ident;
    let columns = model.fields.iter().enumerate().map(|(i, f)| {
        let (name, ty) = (&f.ident, &f.ty);
        let i = super::index(i);
        // Spanned on the type: `Column::new` needs `T: FieldType`, and that
        // error belongs on the field, next to the schema's.
        let new = quote_spanned!(ty.span()=> ::strata::Column::new(#i));
        quote! {
            pub const fn #name() -> ::strata::Column<#ident, #ty> {
                #new
            }
        }
    });
    let keys = unique_keys(model);
    let relations = super::relations::accessors(model);
    let create = create::entry_points(model);
    let update = update::entry_points(model);
    let restore = super::soft_delete::entry_points(model);
    quote! {
        #[automatically_derived]
        impl #ident {
            #(#columns)*
            #relations
            #keys
            #[inline]
            pub fn find_many() -> ::strata::FindMany<#ident> {
                ::strata::FindMany::new()
            }
            #[inline]
            pub fn find_first() -> ::strata::FindFirst<#ident> {
                ::strata::FindFirst::new()
            }
            #[inline]
            pub fn find_unique(key: ::strata::UniqueKey<#ident>) -> ::strata::FindUnique<#ident> {
                ::strata::FindUnique::new(key)
            }
            #[inline]
            pub fn count() -> ::strata::Count<#ident> {
                ::strata::Count::new()
            }
            #[inline]
            pub fn exists() -> ::strata::Exists<#ident> {
                ::strata::Exists::new()
            }
            #[inline]
            pub fn aggregate<A: ::strata::AggregateSelection>(
                aggregates: A,
            ) -> ::strata::Aggregate<#ident, A> {
                ::strata::Aggregate::new(aggregates)
            }
            #[inline]
            pub fn group_by<K: ::strata::query::GroupKeys<#ident>>(
                keys: K,
            ) -> ::strata::GroupBy<#ident, K> {
                ::strata::GroupBy::new(keys)
            }
            #[inline]
            pub fn delete(key: ::strata::UniqueKey<#ident>) -> ::strata::Delete<#ident> {
                ::strata::Delete::new(key)
            }
            #[inline]
            pub fn delete_many() -> ::strata::DeleteMany<#ident> {
                ::strata::DeleteMany::new()
            }
            #create
            #update
            #restore
        }
    }
}

/// `by_email(..)` and `find_by_email(..)` for each unique key; the key's
/// position in `Model::unique_keys` is the index the runtime looks it up by.
fn unique_keys(model: &Model) -> TokenStream {
    let ident = &model.ident;
    let keys = model
        .unique_keys()
        .into_iter()
        .enumerate()
        .map(|(index, key)| {
            let by = naming::by_key(model, &key.fields);
            let index = super::index(index);
            let find_by = naming::find_by_key(model, &key.fields);
            let fields = key.fields.iter().map(|&i| &model.fields[i]);
            let params: Vec<_> = fields.clone().map(|f| &f.ident).collect();
            let types: Vec<_> = fields.map(|f| &f.ty).collect();
            let value_tys: Vec<_> = types.iter().map(|ty| super::value_for(ty)).collect();
            let values = types
                .iter()
                .zip(&params)
                .map(|(ty, param)| quote!(::strata::ValueFor::<#ty>::into_value_for(#param)));
            quote! {
                #[allow(clippy::too_many_arguments)]
                #[inline]
                pub fn #by(#(#params: #value_tys),*) -> ::strata::UniqueKey<#ident> {
                    ::strata::UniqueKey::new(#index, ::std::vec![#(#values),*])
                }
                #[allow(clippy::too_many_arguments)]
                #[inline]
                pub fn #find_by(#(#params: #value_tys),*) -> ::strata::FindUnique<#ident> {
                    ::strata::FindUnique::new(Self::#by(#(#params),*))
                }
            }
        });
    quote!(#(#keys)*)
}
