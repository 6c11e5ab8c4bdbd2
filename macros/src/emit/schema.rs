//! `impl Model` with the `ModelSchema` constant, and the compile-time checks
//! of `references(..)`.

use crate::keys::{ForeignKey, Key};
use crate::model::{DefaultSpec, Field, FkAction, Model};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

pub fn impl_model(model: &Model) -> TokenStream {
    let ident = &model.ident;
    let name = ident.to_string();
    let table = &model.table;
    let columns = model.fields.iter().map(column);
    let primary_key = key(&model.primary_key());
    let uniques = model.uniques().iter().map(key).collect::<Vec<_>>();
    let indexes = model.indexes();
    let indexes = indexes.iter().map(|k| {
        let (name, columns) = (&k.name, super::indices(&k.fields));
        quote!(::strata::__private::IndexSchema { name: #name, columns: &[#(#columns),*] })
    });
    let values = model.fields.iter().enumerate().map(|(i, f)| {
        let (position, name, ty) = (super::index(i), &f.ident, &f.ty);
        quote!(#position => ::core::option::Option::Some(<#ty as ::strata::__private::FieldType>::to_value(&self.#name)))
    });
    let foreign_keys = model
        .foreign_keys()
        .into_iter()
        .map(|fk| foreign_key(model, &fk));
    quote! {
        #[automatically_derived]
        impl ::strata::Model for #ident {
            const SCHEMA: &'static ::strata::__private::ModelSchema = &::strata::__private::ModelSchema {
                name: #name,
                table: #table,
                columns: &[#(#columns),*],
                primary_key: #primary_key,
                uniques: &[#(#uniques),*],
                foreign_keys: &[#(#foreign_keys),*],
                indexes: &[#(#indexes),*],
                relations: &[],
            };
            fn column_value(&self, index: usize) -> ::core::option::Option<::strata::Value> {
                match index {
                    #(#values,)*
                    _ => ::core::option::Option::None,
                }
            }
        }
    }
}

fn column(field: &Field) -> TokenStream {
    let name = &field.name;
    let column = &*field.column;
    // Spanned on the field's type, so an unsupported type is reported there by
    // `FieldType`'s `on_unimplemented` message.
    let ty = &field.ty;
    let field_type = quote_spanned!(ty.span()=> <#ty as ::strata::__private::FieldType>);
    let default = match field.default.as_deref() {
        None => quote!(::core::option::Option::None),
        Some(spec) => {
            let value = default_value(spec);
            quote!(::core::option::Option::Some(::strata::__private::DefaultValue::#value))
        }
    };
    let updated_at = field.updated_at.is_some();
    let db_type = match &field.db_type {
        Some(db_type) => quote!(::core::option::Option::Some(#db_type)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::strata::__private::ColumnSchema {
            field: #name,
            name: #column,
            ty: #field_type::SQL_TYPE,
            nullable: #field_type::NULLABLE,
            default: #default,
            updated_at: #updated_at,
            db_type: #db_type,
        }
    }
}

fn default_value(spec: &DefaultSpec) -> TokenStream {
    match spec {
        DefaultSpec::Autoincrement => quote!(Autoincrement),
        DefaultSpec::Uuid => quote!(Uuid),
        DefaultSpec::Cuid => quote!(Cuid),
        DefaultSpec::Now => quote!(Now),
        DefaultSpec::Literal { sql, .. } => quote!(Literal(#sql)),
        DefaultSpec::Sql(sql) => quote!(Sql(#sql)),
    }
}

fn key(key: &Key) -> TokenStream {
    let (name, columns) = (&key.name, super::indices(&key.fields));
    quote!(::strata::__private::KeySchema { name: #name, columns: &[#(#columns),*] })
}

fn foreign_key(model: &Model, fk: &ForeignKey<'_>) -> TokenStream {
    let name = &fk.name;
    let column = super::index(fk.field);
    let target = target_model(model, fk);
    let target_field = fk.reference.field.to_string();
    let (on_delete, on_update) = (action(fk.on_delete), action(fk.on_update));
    quote! {
        ::strata::__private::ForeignKeySchema {
            name: #name,
            columns: &[#column],
            target: || <#target as ::strata::Model>::SCHEMA,
            target_fields: &[#target_field],
            on_delete: ::strata::__private::ReferentialAction::#on_delete,
            on_update: ::strata::__private::ReferentialAction::#on_update,
        }
    }
}

/// The referenced model's path; `Self` means the model itself, which the
/// generated code cannot spell as `Self` outside its impls.
fn target_model(model: &Model, fk: &ForeignKey<'_>) -> TokenStream {
    let path = &fk.reference.model;
    if path.is_ident("Self") {
        let ident = syn::Ident::new(&model.ident.to_string(), path.span());
        ident.into_token_stream()
    } else {
        path.into_token_stream()
    }
}

fn action(action: FkAction) -> TokenStream {
    match action {
        FkAction::NoAction => quote!(NoAction),
        FkAction::Restrict => quote!(Restrict),
        FkAction::Cascade => quote!(Cascade),
        FkAction::SetNull => quote!(SetNull),
        FkAction::SetDefault => quote!(SetDefault),
    }
}

/// `references(model = User, field = id)` names a field the macro cannot see.
/// Naming the target's generated accessor makes rustc check it exists, and the
/// error lands on the user's `id` token.
pub fn reference_checks(model: &Model) -> TokenStream {
    let checks: Vec<TokenStream> = (model.foreign_keys().into_iter())
        .map(|fk| {
            let target = target_model(model, &fk);
            let field = &fk.reference.field;
            // `<T>::f` rather than `T::f`: an unknown `T` then fails with the
            // same "cannot find type" as the schema's `<T as Model>`, once.
            quote!(let _ = <#target>::#field;)
        })
        .collect();
    if checks.is_empty() {
        return TokenStream::new();
    }
    quote! {
        const _: () = {
            #(#checks)*
        };
    }
}
