//! The update builder `{Model}Update<Target>`: one setter per field, and an
//! `exec` whose result depends on the target (a unique key returns the row, a
//! filter returns the number of rows). `Target = ()` is the update half of an
//! upsert. Setters take `IntoAssign<T, How>`, whose `How` only separates plain
//! values from `strata::increment(..)` and friends; it is always inferred.

use crate::model::Model;
use crate::naming;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

pub fn items(model: &Model) -> TokenStream {
    let (ident, vis) = (&model.ident, &model.vis);
    let builder = naming::update_builder(model);
    let doc = format!(
        "Update builder for [`{ident}`], returned by `{ident}::update(..)`, `{ident}::update_many(..)` and `{ident}::changes()`."
    );
    quote! {
        #[doc = #doc]
        #[must_use = "an update builder does nothing until `.exec(&db)` is awaited"]
        #vis struct #builder<__Target> {
            inner: ::strata::Update<#ident, __Target>,
        }
    }
}

pub fn impls(model: &Model) -> TokenStream {
    let ident = &model.ident;
    let builder = naming::update_builder(model);
    // The version is strata's to write (bumped by every update): no setter.
    let setters = model
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.version.is_none());
    let setters = setters.map(|(index, field)| {
        let (name, ty) = (&field.ident, &field.ty);
        let index = super::index(index);
        // Spanned on the field's type, so a wrong value's "required by this
        // bound" note points at the field declaration.
        let assign_ty = quote_spanned!(ty.span()=> impl ::strata::IntoAssign<#ty, __How>);
        quote! {
            pub fn #name<__How>(mut self, value: #assign_ty) -> Self {
                self.inner.assign(#index, ::strata::IntoAssign::<#ty, __How>::into_assign(value));
                self
            }
        }
    });
    let versioned = versioned(model, &builder);
    quote! {
        #versioned
        #[automatically_derived]
        impl<__Target> #builder<__Target> {
            #(#setters)*

            /// The runtime update this builder wraps (e.g. to render its statement).
            pub fn into_inner(self) -> ::strata::Update<#ident, __Target> {
                self.inner
            }
        }
        // So `explain` and logging take it like any query.
        #[automatically_derived]
        impl<__Target> ::strata::ToSql for #builder<__Target>
        where
            ::strata::Update<#ident, __Target>: ::strata::ToSql,
        {
            fn to_sql(&self, dialect: ::strata::Dialect) -> ::strata::Result<::strata::render::Rendered> {
                ::strata::ToSql::to_sql(&self.inner, dialect)
            }
        }
        // So `.with(..)` (nested writes) and nested `update`s take it.
        #[automatically_derived]
        impl<__Target> ::strata::IntoUpdate<#ident, __Target> for #builder<__Target> {
            fn into_update(self) -> ::strata::Update<#ident, __Target> {
                self.inner
            }
        }
        // The runtime's boxed futures themselves, not an `async fn` (or an
        // `impl Future + Send`) around each: a library crate compiles its
        // non-generic functions whether called or not, and an `async` wrapper
        // was two state machines per model, each pulling the write path's
        // whole future into the crate; an opaque `+ Send` made rustc prove
        // each future `Send` again, per model.
        #[automatically_derived]
        impl #builder<::strata::UniqueKey<#ident>> {
            #[inline]
            pub fn exec(
                self,
                db: &::strata::Db,
            ) -> ::strata::__private::BoxFuture<'_, ::strata::Result<#ident>> {
                self.inner.exec(db)
            }
        }
        #[automatically_derived]
        impl #builder<::strata::Filter<#ident>> {
            #[inline]
            pub fn exec(
                self,
                db: &::strata::Db,
            ) -> ::strata::__private::BoxFuture<'_, ::strata::Result<u64>> {
                self.inner.exec(db)
            }
        }
    }
}

/// For a model with a `#[strata(version)]` field: `expect_version` on the
/// update by key and on `changes()` (an upsert's update), and
/// `row.checked_update()`. Other models get neither, so asking for a
/// version check where there is no version does not compile.
fn versioned(model: &Model, builder: &syn::Ident) -> TokenStream {
    let Some(field) = model.fields.iter().find(|f| f.version.is_some()) else {
        return TokenStream::new();
    };
    let ident = &model.ident;
    let ty = &field.ty;
    let expect = quote! {
        /// Applies the update only if the row is still at `version`, the
        /// version the caller read; otherwise nothing is written and the
        /// result is `strata::Error::Conflict`. Without it the update still
        /// bumps the version, but does not check it.
        pub fn expect_version(mut self, version: #ty) -> Self {
            self.inner.set_expected_version(::strata::__private::FieldType::to_value(&version));
            self
        }
    };
    let doc = format!(
        "An update of this row by its primary key, applied only if the row is still at the version it was read with (`{ident}::update(key).expect_version(row.{})`); otherwise `strata::Error::Conflict`.",
        field.name
    );
    quote! {
        #[automatically_derived]
        impl #builder<::strata::UniqueKey<#ident>> {
            #expect
        }
        #[automatically_derived]
        impl #builder<()> {
            #expect
        }
        #[automatically_derived]
        impl #ident {
            #[doc = #doc]
            pub fn checked_update(&self) -> #builder<::strata::UniqueKey<#ident>> {
                #builder { inner: ::strata::Update::of_row(self) }
            }
        }
    }
}

/// `update`, `update_many`, `changes` and `upsert`, inside the model's inherent impl.
pub fn entry_points(model: &Model) -> TokenStream {
    let ident = &model.ident;
    let builder = naming::update_builder(model);
    quote! {
        #[inline]
        pub fn update(key: ::strata::UniqueKey<#ident>) -> #builder<::strata::UniqueKey<#ident>> {
            #builder { inner: ::strata::Update::new(key) }
        }
        #[inline]
        pub fn update_many(filter: impl ::strata::IntoFilter<#ident>) -> #builder<::strata::Filter<#ident>> {
            #builder { inner: ::strata::Update::new(::strata::IntoFilter::into_filter(filter)) }
        }
        #[inline]
        pub fn changes() -> #builder<()> {
            #builder { inner: ::strata::Update::new(()) }
        }
        #[inline]
        pub fn upsert(
            key: ::strata::UniqueKey<#ident>,
            create: impl ::strata::IntoCreate<#ident>,
            update: #builder<()>,
        ) -> ::strata::Upsert<#ident> {
            ::strata::Upsert::new(key, ::strata::IntoCreate::into_create(create), update.inner)
        }
    }
}
