//! Code generation from the validated IR. Nothing here reports user errors:
//! by the time a model reaches these functions it is known to be well formed.
//!
//! Generated code reaches the runtime only through `::strata::...` (public
//! items) and `::strata::__private::...` (support items), and wraps whatever it
//! can in `const _: () = { ... };` so no helper names leak into the user's
//! module. The builder structs and their type-state markers must be nameable,
//! so they sit beside the model.

mod create;
mod db_enum;
mod partial;
mod queries;
mod relations;
mod schema;
mod soft_delete;
mod update;

use crate::enums::DbEnum;
use crate::model::Model;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput};

pub fn expand_model(input: &DeriveInput) -> TokenStream {
    match Model::from_input(input) {
        Ok(model) => model_tokens(&model),
        Err(errors) => {
            let mut tokens = errors.write_errors();
            tokens.extend(model_stub(input));
            tokens
        }
    }
}

pub fn expand_enum(input: &DeriveInput) -> TokenStream {
    match DbEnum::from_input(input) {
        Ok(db_enum) => db_enum::tokens(&db_enum),
        Err(errors) => {
            let mut tokens = errors.write_errors();
            tokens.extend(db_enum::stub(input));
            tokens
        }
    }
}

/// A column or key position as an unsuffixed literal (`3`, not `3usize`),
/// which reads better in expanded code.
fn index(i: usize) -> proc_macro2::Literal {
    proc_macro2::Literal::usize_unsuffixed(i)
}

/// Positions as `[a, b]` array elements.
fn indices(fields: &[usize]) -> impl Iterator<Item = proc_macro2::Literal> + '_ {
    fields.iter().map(|&i| index(i))
}

/// `impl ValueFor<T>` spanned on the field's type `T`, so a wrong argument's
/// "required by this bound" note points at the field declaration.
fn value_for(ty: &syn::Type) -> TokenStream {
    quote::quote_spanned!(syn::spanned::Spanned::span(ty)=> impl ::strata::ValueFor<#ty>)
}

/// `tokens` with every span replaced by `span`, so an item built from them is
/// reported at one user token rather than across the whole derive input.
fn respan(tokens: &impl quote::ToTokens, span: proc_macro2::Span) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    (tokens.to_token_stream().into_iter())
        .map(|mut tree| {
            if let TokenTree::Group(group) = &tree {
                let mut inner = Group::new(group.delimiter(), respan(&group.stream(), span));
                inner.set_span(span);
                tree = TokenTree::Group(inner);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

fn model_tokens(model: &Model) -> TokenStream {
    let items = [
        create::items(model),
        update::items(model),
        partial::items(model),
    ];
    let impls = [
        schema::impl_model(model),
        queries::impl_from_row(model),
        queries::inherent(model),
        create::impls(model),
        update::impls(model),
        partial::impls(model),
        schema::reference_checks(model),
    ];
    // Unnamed consts of their own, each evaluated (and failing) separately.
    let relation_checks = relations::checks(model);
    quote! {
        #(#items)*
        const _: () = {
            #(#impls)*
        };
        #relation_checks
    }
}

/// The column accessors of a failed model (every field without a relation
/// type), so another model's `belongs_to(.., references(id))`, which names
/// `User::id()`, does not add an error of its own. `Column::new` has no
/// bounds, so a field of an unsupported type adds none either.
fn stub_columns(input: &DeriveInput) -> TokenStream {
    let Data::Struct(data) = &input.data else {
        return TokenStream::new();
    };
    let ident = &input.ident;
    let columns = (data.fields.iter())
        .filter(|f| crate::ty::holder(&f.ty).is_none())
        .filter_map(|f| Some((f.ident.as_ref()?, &f.ty)))
        .enumerate()
        .map(|(i, (name, ty))| {
            let i = index(i);
            quote! {
                pub const fn #name() -> ::strata::Column<#ident, #ty> {
                    ::strata::Column::new(#i)
                }
            }
        });
    quote! {
        #[allow(dead_code)]
        impl #ident {
            #(#columns)*
        }
    }
}

/// `tokens` with every `Self` replaced by the model's name (keeping the
/// span): for code outside the model's impls.
/// `ty`'s schema as a `fn() -> &'static ModelSchema` for a descriptor: a
/// named function, not a closure. Each model's schema points at the next
/// model's this way, and the compiler instantiates a closure's fn-pointer
/// shim under one shared name, so a chain of 200 related models reached
/// the recursion limit; named functions are counted apart.
fn schema_fn(ty: &impl quote::ToTokens) -> TokenStream {
    quote!({
        fn schema() -> &'static ::strata::__private::ModelSchema {
            <#ty as ::strata::Model>::SCHEMA
        }
        schema
    })
}

fn resolve_self(model: &Model, tokens: &impl quote::ToTokens) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    (tokens.to_token_stream().into_iter())
        .map(|tree| match tree {
            TokenTree::Ident(ident) if ident == "Self" => {
                TokenTree::Ident(syn::Ident::new(&model.ident.to_string(), ident.span()))
            }
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), resolve_self(model, &group.stream()));
                inner.set_span(group.span());
                TokenTree::Group(inner)
            }
            other => other,
        })
        .collect()
}

/// What a model that failed to validate still gets: `Model`, `FromRow` and
/// `PartialModel` impls with an empty schema, so code that merely names it as
/// a model (a `references(model = User, ..)` or a `HasMany<User>` elsewhere,
/// a `Vec<User>` query result) compiles and the derive's own errors are the
/// only ones reported.
fn model_stub(input: &DeriveInput) -> TokenStream {
    if !input.generics.params.is_empty() || !matches!(input.data, Data::Struct(_)) {
        return TokenStream::new();
    }
    let ident = &input.ident;
    let name = ident.to_string();
    let columns = stub_columns(input);
    quote! {
        const _: () = {
            #columns
            #[automatically_derived]
            impl ::strata::Model for #ident {
                const SCHEMA: &'static ::strata::__private::ModelSchema = &::strata::__private::ModelSchema {
                    name: #name,
                    table: "",
                    columns: &[],
                    primary_key: ::strata::__private::KeySchema { name: "", columns: &[] },
                    uniques: &[],
                    foreign_keys: &[],
                    indexes: &[],
                    checks: &[],
                    relations: &[],
                    version: ::core::option::Option::None,
                    soft_delete: ::core::option::Option::None,
                    tenant: ::core::option::Option::None,
                };
                fn column_value(&self, _: usize) -> ::core::option::Option<::strata::Value> {
                    ::core::option::Option::None
                }
            }
            #[automatically_derived]
            impl ::strata::__private::FromRow for #ident {
                fn from_row(
                    _: ::strata::__private::Row<'_>,
                    _: &mut usize,
                ) -> ::core::result::Result<Self, ::strata::__private::sqlx::Error> {
                    ::core::unreachable!("`#[derive(Model)]` on `{}` failed to compile", #name)
                }
            }
            // Relation fields elsewhere are named by this (`HasMany<#ident>`).
            pub struct StubPartial;
            pub struct StubRef;
            #[automatically_derived]
            impl ::strata::ModelRef for StubRef {
                type Model = #ident;
            }
            #[automatically_derived]
            impl ::strata::PartialModel for #ident {
                type Partial = StubPartial;
                type Ref = StubRef;
                fn decode_partial(
                    _: ::strata::__private::Row<'_>,
                    _: &[bool],
                ) -> ::core::result::Result<StubPartial, ::strata::__private::sqlx::Error> {
                    ::core::unreachable!("`#[derive(Model)]` on `{}` failed to compile", #name)
                }
            }
        };
    }
}
