//! The type-state create builder `{Model}Create<..>`.
//!
//! Each required field (not `Option`, no `default`, not `updated_at`, not the
//! `tenant` column) gets a type parameter that starts as a per-field marker
//! and becomes `__private::Set` when its setter is called. `exec` and `IntoCreate` demand
//! `Provided` of every parameter; only `Set` implements it, so a missing field
//! is a rustc error reading "required field not set: `UserCreate_email_is_required`".

use crate::model::{Model, RelationKind};
use crate::naming;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;

/// Required fields, each with its type parameter and missing-marker.
struct State {
    index: usize,
    param: Ident,
    marker: Ident,
}

fn states(model: &Model) -> Vec<State> {
    (model.fields.iter().enumerate())
        // The tenant is filled from the task's `strata::tenant::scope` at
        // run time, so a create may leave it out; its setter stays.
        .filter(|(_, f)| f.is_required() && !crate::tenant::is_tenant(model, f))
        .enumerate()
        .map(|(n, (index, field))| State {
            index,
            param: Ident::new(&format!("__S{n}"), Span::call_site()),
            marker: naming::missing_marker(model, field),
        })
        .collect()
}

/// `<A, B>`, or nothing for a model with no required field.
fn angle<T: quote::ToTokens>(items: &[T]) -> TokenStream {
    if items.is_empty() {
        TokenStream::new()
    } else {
        quote!(<#(#items),*>)
    }
}

/// The builder struct and markers: public items beside the model.
pub fn items(model: &Model) -> TokenStream {
    let (ident, vis) = (&model.ident, &model.vis);
    let builder = naming::create_builder(model);
    let states = states(model);
    let params: Vec<_> = states.iter().map(|s| &s.param).collect();
    let generics = angle(&params);
    // Spanned on the field so rustc's "the trait `Provided` is not implemented
    // for `UserCreate_email_is_required`" note points at `email` itself.
    let markers = states.iter().map(|s| {
        let marker = &s.marker;
        let vis = super::respan(vis, marker.span());
        quote_spanned! {marker.span()=>
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            #vis struct #marker;
        }
    });
    let doc = format!("Create builder for [`{ident}`], returned by `{ident}::create()`.");
    quote! {
        #[doc = #doc]
        #[must_use = "a create builder does nothing until `.exec(&db)` is awaited"]
        #vis struct #builder #generics {
            inner: ::strata::Create<#ident>,
            state: ::core::marker::PhantomData<(#(#params,)*)>,
        }
        #(#markers)*
    }
}

pub fn impls(model: &Model) -> TokenStream {
    let ident = &model.ident;
    let builder = naming::create_builder(model);
    let states = states(model);
    let params: Vec<_> = states.iter().map(|s| &s.param).collect();
    let generics = angle(&params);
    let setters = (model.fields.iter().enumerate())
        .filter(|(_, f)| !f.is_autoincrement())
        .map(|(index, field)| {
            let (name, ty) = (&field.ident, &field.ty);
            let position = super::index(index);
            let value_ty = super::value_for(ty);
            let set = quote! {
                self.inner.set(#position, ::strata::ValueFor::<#ty>::into_value_for(value));
            };
            match states.iter().position(|s| s.index == index) {
                // Only this field's parameter changes, to `Set`.
                Some(n) => {
                    let next = params.iter().enumerate().map(|(k, p)| {
                        if k == n {
                            quote!(::strata::__private::Set)
                        } else {
                            quote!(#p)
                        }
                    });
                    quote! {
                        pub fn #name(mut self, value: #value_ty) -> #builder<#(#next),*> {
                            #set
                            #builder { inner: self.inner, state: ::core::marker::PhantomData }
                        }
                    }
                }
                None => quote! {
                    pub fn #name(mut self, value: #value_ty) -> Self {
                        #set
                        self
                    }
                },
            }
        });
    let relation_setters = relation_setters(model, &states, &params, &builder);
    // The bounds sit on `exec` itself, not on the impl: rustc then reports the
    // unmet `Provided` bound (with its custom message) instead of "method not
    // found". The runtime's boxed future is returned as is: an `async fn` or
    // `impl Future` return type carries the same bounds, and rustc would
    // repeat the error at the call, the receiver and the `.await` (a concrete
    // type reports it once), and it would prove the write's future `Send`
    // again for each model. Each bound is spanned on its field, so "required
    // by this bound" lands there.
    let bounds: Vec<_> = (states.iter())
        .map(|s| {
            let param = &s.param;
            quote_spanned!(s.marker.span()=> #param: ::strata::__private::Provided)
        })
        .collect();
    let exec_bounds = if bounds.is_empty() {
        TokenStream::new()
    } else {
        quote!(where #(#bounds),*)
    };
    quote! {
        #[automatically_derived]
        impl #generics #builder #generics {
            #(#setters)*
            #(#relation_setters)*
            pub fn exec(
                self,
                db: &::strata::Db,
            ) -> ::strata::__private::BoxFuture<'_, ::strata::Result<#ident>> #exec_bounds {
                self.inner.exec(db)
            }
        }
        #[automatically_derived]
        impl<#(#bounds),*> ::strata::IntoCreate<#ident> for #builder #generics {
            fn into_create(self) -> ::strata::Create<#ident> {
                self.inner
            }
        }
        // So `explain` and logging take a complete create like any query.
        #[automatically_derived]
        impl<#(#bounds),*> ::strata::ToSql for #builder #generics {
            fn to_sql(&self, dialect: ::strata::Dialect) -> ::strata::Result<::strata::render::Rendered> {
                ::strata::ToSql::to_sql(&self.inner, dialect)
            }
        }
    }
}

/// Per `belongs_to`, a method named after the relation that takes a nested
/// write providing the foreign key (`Post::create().author(Post::author()
/// .connect(User::by_id(..)))`), so the key's own setter is not needed: it
/// marks the key's required fields as set.
fn relation_setters(
    model: &Model,
    states: &[State],
    params: &[&Ident],
    builder: &Ident,
) -> Vec<TokenStream> {
    let ident = &model.ident;
    (model.relations.iter().enumerate())
        .filter_map(|(position, relation)| {
            let spec = relation.spec.as_ref()?;
            if spec.kind != RelationKind::BelongsTo {
                return None;
            }
            let keys: Vec<usize> = (spec.fields.iter())
                .filter_map(|f| model.field_index(f))
                .collect();
            let next = params.iter().zip(states).map(|(p, state)| {
                if keys.contains(&state.index) {
                    quote!(::strata::__private::Set)
                } else {
                    quote!(#p)
                }
            });
            let (name, index) = (&relation.ident, super::index(position));
            let doc = format!(
                "Sets the foreign key of `{name}` from a nested write on it: `{ident}::{name}().connect(..)`, `.create(..)` or `.connect_or_create(..)`, run first in the same transaction.",
                name = relation.name,
            );
            Some(quote! {
                #[doc = #doc]
                pub fn #name(mut self, write: ::strata::relation::Nested<#ident>) -> #builder<#(#next),*> {
                    self.inner.set_by_relation(
                        &<#ident as ::strata::Model>::SCHEMA.relations[#index],
                        write,
                    );
                    #builder { inner: self.inner, state: ::core::marker::PhantomData }
                }
            })
        })
        .collect()
}

/// `User::create()` and `User::create_many(..)`, inside the model's inherent impl.
pub fn entry_points(model: &Model) -> TokenStream {
    let ident = &model.ident;
    let builder = naming::create_builder(model);
    let markers: Vec<_> = states(model).into_iter().map(|s| s.marker).collect();
    let start = angle(&markers);
    quote! {
        #[inline]
        pub fn create() -> #builder #start {
            #builder { inner: ::strata::Create::new(), state: ::core::marker::PhantomData }
        }
        #[inline]
        pub fn create_many<__I, __C>(rows: __I) -> ::strata::CreateMany<#ident>
        where
            __I: ::core::iter::IntoIterator<Item = __C>,
            __C: ::strata::IntoCreate<#ident>,
        {
            ::strata::CreateMany::new(
                ::core::iter::Iterator::collect(
                    ::core::iter::Iterator::map(
                        ::core::iter::IntoIterator::into_iter(rows),
                        ::strata::IntoCreate::into_create,
                    ),
                ),
            )
        }
    }
}
