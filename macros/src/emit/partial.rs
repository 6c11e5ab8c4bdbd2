//! `{Model}Partial` and its `PartialModel` impl: what `find_many().omit(..)`
//! returns, every field an `Option` that is `None` when the column was not read.

use crate::model::Model;
use crate::naming;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

pub fn items(model: &Model) -> TokenStream {
    let vis = &model.vis;
    let partial = naming::partial(model);
    let doc = format!(
        "`{}` with some fields left unread (`find_many().omit(..)`): each field is `None` when its column was omitted.",
        model.ident
    );
    let fields = model.fields.iter().map(|f| {
        let (name, ty) = (&f.ident, &f.ty);
        quote! { pub #name: ::core::option::Option<#ty> }
    });
    quote! {
        #[doc = #doc]
        #vis struct #partial {
            #(#fields,)*
        }
    }
}

pub fn impls(model: &Model) -> TokenStream {
    let ident = &model.ident;
    let partial = naming::partial(model);
    let fields = model.fields.iter().enumerate().map(|(i, f)| {
        let (name, ty) = (&f.ident, &f.ty);
        let position = super::index(i);
        // Spanned on the type: an unsupported type's `FieldType` error from
        // `decode_if` then sits on the field with the schema's, not on the derive.
        let decode = quote_spanned!(ty.span()=> ::strata::__private::decode_if::<#ty>);
        quote! {
            #name: #decode(row, &mut index, selected[#position])?
        }
    });
    quote! {
        #[automatically_derived]
        impl ::strata::PartialModel for #ident {
            type Partial = #partial;
            fn decode_partial(
                row: ::strata::__private::Row<'_>,
                selected: &[bool],
            ) -> ::core::result::Result<#partial, ::strata::__private::sqlx::Error> {
                let mut index = 0usize;
                ::core::result::Result::Ok(#partial { #(#fields,)* })
            }
        }
    }
}
