//! `tenant = ..` and `row_level_security`: what reaches the schema and the
//! create builder. The misuse messages are ui tests (tests/ui/fail/tenant_*).

use super::errors;
use crate::derive_model_inner;
use proc_macro2::TokenStream;
use syn::parse_quote;

fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("expansion parses as a file");
    prettyplease::unparse(&file)
}

#[test]
fn tenant_column_reaches_the_schema_and_is_optional_in_create() {
    let tokens = derive_model_inner(parse_quote! {
        #[strata(tenant = tenant_id, row_level_security)]
        pub struct Project {
            #[strata(id, default = autoincrement)]
            id: i64,
            name: String,
            tenant_id: i64,
        }
    });
    assert_eq!(errors(&tokens), Vec::<String>::new());
    let code = pretty(tokens);
    let schema = "tenant: ::core::option::Option::Some(::strata::__private::TenantSchema {\n                column: 2,\n                row_level_security: true,";
    for expected in [
        schema,
        // Only `name` is required; the tenant keeps its setter.
        "pub struct ProjectCreate<__S0>",
        "ProjectCreate_name_is_required",
        "pub fn tenant_id(",
    ] {
        assert!(code.contains(expected), "missing {expected:?} in:\n{code}");
    }
    assert!(
        !code.contains("ProjectCreate_tenant_id_is_required"),
        "{code}"
    );
}

#[test]
fn string_form_and_separate_attributes() {
    let tokens = derive_model_inner(parse_quote! {
        #[strata(tenant = "org")]
        #[strata(row_level_security)]
        pub struct Doc {
            #[strata(id, default = uuid)]
            id: uuid::Uuid,
            org: uuid::Uuid,
        }
    });
    assert_eq!(errors(&tokens), Vec::<String>::new());
    let code = pretty(tokens);
    assert!(code.contains("pub struct DocCreate {"), "{code}");
    assert!(code.contains("row_level_security: true"), "{code}");
}

#[test]
fn without_tenant_the_schema_has_none() {
    let code = pretty(derive_model_inner(parse_quote! {
        pub struct Plain {
            #[strata(id, default = autoincrement)]
            id: i64,
            tenant_id: i64,
        }
    }));
    assert!(
        code.contains("tenant: ::core::option::Option::None"),
        "{code}"
    );
    assert!(code.contains("PlainCreate_tenant_id_is_required"), "{code}");
}
