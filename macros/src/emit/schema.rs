//! `impl Model` with the `ModelSchema` constant, and the compile-time checks
//! of `references(..)` (a field's or a `belongs_to`'s).

use crate::index::{DialectName, IndexMethod};
use crate::keys::{ForeignKey, Index, IndexKey, Key, Target};
use crate::model::{DefaultSpec, Field, FkAction, Model};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

pub fn impl_model(model: &Model) -> TokenStream {
    let ident = &model.ident;
    let name = ident.to_string();
    let table = &model.table;
    let columns = model.fields.iter().map(column);
    let pk = model.primary_key();
    let primary_key = key(&pk);
    // `FieldType::key_order` of each key field in turn: how the batched
    // include sorts a parent's rows in the client.
    let key_order = pk.fields.iter().map(|&i| {
        let name = &model.fields[i].ident;
        quote!(::strata::__private::FieldType::key_order(&self.#name, &other.#name))
    });
    let uniques = model.uniques().iter().map(key).collect::<Vec<_>>();
    let indexes = model.indexes().iter().map(index_schema).collect::<Vec<_>>();
    let checks = model.checks().into_iter().map(|check| {
        let (name, expression) = (&check.name, &check.spec.expr);
        quote!(::strata::__private::CheckSchema { name: #name, expression: #expression })
    });
    let values = model.fields.iter().enumerate().map(|(i, f)| {
        let (position, name, ty) = (super::index(i), &f.ident, &f.ty);
        quote!(#position => ::core::option::Option::Some(<#ty as ::strata::__private::FieldType>::to_value(&self.#name)))
    });
    let relations = super::relations::schemas(model);
    let version = match model.fields.iter().position(|f| f.version.is_some()) {
        Some(i) => {
            let i = super::index(i);
            quote!(::core::option::Option::Some(#i))
        }
        None => quote!(::core::option::Option::None),
    };
    let soft_delete = match model
        .soft_delete
        .as_ref()
        .and_then(|f| model.field_index(f))
    {
        Some(i) => {
            let i = super::index(i);
            let partial = model.partial_uniques.is_some();
            quote!(::core::option::Option::Some(::strata::__private::SoftDeleteSchema {
                column: #i,
                partial_uniques: #partial,
            }))
        }
        None => quote!(::core::option::Option::None),
    };
    let tenant = match model.tenant.as_ref().and_then(|f| model.field_index(f)) {
        Some(i) => {
            let i = super::index(i);
            let rls = model.row_level_security.is_some();
            quote!(::core::option::Option::Some(::strata::__private::TenantSchema {
                column: #i,
                row_level_security: #rls,
            }))
        }
        None => quote!(::core::option::Option::None),
    };
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
                checks: &[#(#checks),*],
                relations: &[#(#relations),*],
                version: #version,
                soft_delete: #soft_delete,
                tenant: #tenant,
            };
            fn column_value(&self, index: usize) -> ::core::option::Option<::strata::Value> {
                match index {
                    #(#values,)*
                    _ => ::core::option::Option::None,
                }
            }
            fn key_order(&self, other: &Self) -> ::core::cmp::Ordering {
                ::core::cmp::Ordering::Equal #(.then_with(|| #key_order))*
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

fn index_schema(index: &Index<'_>) -> TokenStream {
    let name = &index.name;
    let parts = index.parts.iter().map(|part| match part {
        IndexKey::Column { column, descending } => {
            let column = super::index(*column);
            quote!(::strata::__private::IndexPartSchema::Column { column: #column, descending: #descending })
        }
        IndexKey::Expression(sql) => quote!(::strata::__private::IndexPartSchema::Expression(#sql)),
    });
    let include = super::indices(&index.include);
    let spec = index.spec;
    let unique = spec.is_some_and(|s| s.unique.is_some());
    let method = match spec.and_then(|s| s.method.as_deref()) {
        None | Some(IndexMethod::Btree) => quote!(::core::option::Option::None),
        Some(method) => {
            let keyword = method.keyword();
            quote!(::core::option::Option::Some(#keyword))
        }
    };
    let predicate = match spec.and_then(|s| s.predicate.as_ref()) {
        Some(sql) => quote!(::core::option::Option::Some(#sql)),
        None => quote!(::core::option::Option::None),
    };
    let dialects = spec
        .map_or(&[][..], |s| &s.dialects)
        .iter()
        .map(|d| match d {
            DialectName::Postgres => quote!(::strata::__private::Dialect::Postgres),
            DialectName::Sqlite => quote!(::strata::__private::Dialect::Sqlite),
            DialectName::MySql => quote!(::strata::__private::Dialect::MySql),
        });
    quote! {
        ::strata::__private::IndexSchema {
            name: #name,
            parts: &[#(#parts),*],
            unique: #unique,
            method: #method,
            include: &[#(#include),*],
            predicate: #predicate,
            dialects: &[#(#dialects),*],
        }
    }
}

fn key(key: &Key) -> TokenStream {
    let (name, columns) = (&key.name, super::indices(&key.fields));
    quote!(::strata::__private::KeySchema { name: #name, columns: &[#(#columns),*] })
}

fn foreign_key(model: &Model, fk: &ForeignKey<'_>) -> TokenStream {
    let name = &fk.name;
    let columns = super::indices(&fk.columns);
    let target_schema = super::schema_fn(&target_model(model, &fk.target));
    let target_fields = fk.target_fields.iter().map(|f| f.unraw().to_string());
    let (on_delete, on_update) = (action(fk.on_delete), action(fk.on_update));
    quote! {
        ::strata::__private::ForeignKeySchema {
            name: #name,
            columns: &[#(#columns),*],
            target: #target_schema,
            target_fields: &[#(#target_fields),*],
            on_delete: ::strata::__private::ReferentialAction::#on_delete,
            on_update: ::strata::__private::ReferentialAction::#on_update,
        }
    }
}

/// The referenced model's path or type, with `Self` spelled as the model:
/// generated code cannot say `Self` outside the model's impls.
pub fn target_model(model: &Model, target: &Target<'_>) -> TokenStream {
    match target {
        Target::Path(path) => super::resolve_self(model, path),
        Target::Type(ty) => super::resolve_self(model, ty),
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

/// `references(model = User, field = id)` and `belongs_to(.., references(id))`
/// name fields the macro cannot see. Naming the target's generated accessor
/// makes rustc check they exist, with the error on the user's `id` token; a
/// `belongs_to` also checks each foreign key field's type against the field
/// it references (`same_key`).
pub fn reference_checks(model: &Model) -> TokenStream {
    let ident = &model.ident;
    let checks: Vec<TokenStream> = (model.foreign_keys().into_iter())
        .flat_map(|fk| {
            let target = target_model(model, &fk.target);
            let pairs = fk.columns.iter().zip(&fk.target_fields);
            let checks: Vec<TokenStream> = match fk.target {
                // `<T>::f` rather than `T::f`: an unknown `T` then fails with
                // the same "cannot find type" as the schema's `<T as Model>`, once.
                Target::Path(_) => pairs
                    .map(|(_, field)| quote!(let _ = <#target>::#field;))
                    .collect(),
                Target::Type(_) => pairs
                    .map(|(&column, field)| {
                        let own = &model.fields[column].ident;
                        let fk = quote_spanned!(own.span()=> #ident::#own());
                        let key = quote_spanned!(field.span()=> <#target>::#field());
                        quote_spanned!(field.span()=> ::strata::__private::same_key(#key, #fk);)
                    })
                    .collect(),
            };
            checks
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
