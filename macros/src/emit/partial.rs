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
    let model_ref = naming::model_ref(model);
    let ref_doc = format!(
        "`{0}` without its fields, which relation fields name it by (`HasMany<{0}>` is `HasManySlot<{1}>`): changing a field of `{0}` then leaves the types of the models related to it unchanged.",
        model.ident, model_ref
    );
    quote! {
        #[doc = #doc]
        #vis struct #partial {
            #(#fields,)*
        }
        #[doc = #ref_doc]
        #vis struct #model_ref;
    }
}

pub fn impls(model: &Model) -> TokenStream {
    let ident = &model.ident;
    let partial = naming::partial(model);
    let model_ref = naming::model_ref(model);
    let fields = model.fields.iter().enumerate().map(|(i, f)| {
        let (name, ty) = (&f.ident, &f.ty);
        let position = super::index(i);
        // Decoded through `<T as FieldType>` spanned on the type, exactly as in
        // `FromRow`, so an unsupported type is one error on the field rather
        // than one more per helper that bounds `T: FieldType`.
        let field_type = quote_spanned!(ty.span()=> <#ty as ::strata::__private::FieldType>);
        quote! {
            #name: if selected[#position] {
                let value = #field_type::decode(row, index)?;
                index += 1;
                ::core::option::Option::Some(value)
            } else {
                ::core::option::Option::None
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl ::strata::ModelRef for #model_ref {
            type Model = #ident;
        }
        #[automatically_derived]
        impl ::strata::PartialModel for #ident {
            type Partial = #partial;
            type Ref = #model_ref;
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
