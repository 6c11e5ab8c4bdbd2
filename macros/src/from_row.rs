//! `#[derive(FromRow)]`: a user struct read from a query's row, the fields
//! decoded in declaration order by position (each through its own
//! `FromRow`, so a field may be any field type or another `FromRow` type).
//!
//! Raw SQL reads as if by name, so before decoding a named field the code
//! checks that the column at its position is named as the field: a query
//! that selects columns in another order, or names one differently, is an
//! error naming the struct, the field and the column, not a silent swap of
//! two same-typed values. The check runs for every row, not once per query
//! (`FromRow` has no per-query hook): one comparison of short strings per
//! field, next to the decoding itself. A field marked `#[strata(flatten)]` is a nested
//! `FromRow` type spanning several columns, checked by its own derive. Tuple
//! structs have no names and are read by position only.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    match expand_checked(input) {
        Ok(tokens) => tokens,
        Err(error) => error.into_compile_error(),
    }
}

fn expand_checked(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "#[derive(FromRow)] reads a struct (named fields, or a tuple struct); an enum or union has no row shape",
        ));
    };
    let ident = &input.ident;
    let type_name = ident.to_string();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut reads = Vec::new();
    let mut names = Vec::new();
    for (i, field) in data.fields.iter().enumerate() {
        let flatten = is_flatten(field)?;
        let ty = &field.ty;
        let var = quote::format_ident!("__field{i}");
        let check = match &field.ident {
            Some(name) if !flatten => {
                let column = name.to_string();
                let column = column.trim_start_matches("r#");
                quote! {
                    ::strata::raw::check_column_name(row, *index, #type_name, #column)?;
                }
            }
            _ => quote!(),
        };
        reads.push(quote_spanned! {ty.span()=>
            #check
            let #var = <#ty as ::strata::__private::FromRow>::from_row(row, index)?;
        });
        names.push((field.ident.clone(), var));
    }
    let construct = match &data.fields {
        Fields::Named(_) => {
            let pairs = names.iter().map(|(name, var)| quote!(#name: #var));
            quote!(Self { #(#pairs),* })
        }
        Fields::Unnamed(_) => {
            let vars = names.iter().map(|(_, var)| var);
            quote!(Self(#(#vars),*))
        }
        Fields::Unit => quote!(Self),
    };
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics ::strata::__private::FromRow for #ident #ty_generics #where_clause {
            fn from_row(
                row: ::strata::__private::Row<'_>,
                index: &mut usize,
            ) -> ::core::result::Result<Self, ::strata::__private::sqlx::Error> {
                #(#reads)*
                ::core::result::Result::Ok(#construct)
            }
        }
    })
}

/// `#[strata(flatten)]` on a field; any other `strata` option is an error.
fn is_flatten(field: &syn::Field) -> syn::Result<bool> {
    let mut flatten = false;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("strata")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("flatten") {
                flatten = true;
                Ok(())
            } else {
                Err(meta.error(
                    "unknown FromRow field option; the one option is `#[strata(flatten)]`, for a nested FromRow type",
                ))
            }
        })?;
    }
    Ok(flatten)
}
