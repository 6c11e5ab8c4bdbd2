//! The shape and size of successful expansions, read through prettyplease.

use crate::{derive_enum_inner, derive_model_inner};
use proc_macro2::TokenStream;
use syn::parse_quote;

fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("expansion parses as a file");
    prettyplease::unparse(&file)
}

/// A ten-field model using most attributes: the size users pay per model.
fn ten_fields() -> TokenStream {
    parse_quote! {
        #[strata(table = "users", unique(fields(first_name, last_name)), index(fields(team_id, created_at)))]
        pub struct User {
            #[strata(id, default = autoincrement)]
            pub id: i64,
            #[strata(unique)]
            pub email: String,
            pub first_name: String,
            pub last_name: String,
            #[strata(column = "display_name", db_type = "varchar(255)")]
            pub nickname: Option<String>,
            #[strata(default = 0)]
            pub score: i32,
            #[strata(default = true)]
            pub active: bool,
            #[strata(references(model = Team, field = id), on_delete = set_null)]
            pub team_id: Option<i64>,
            #[strata(default = now)]
            pub created_at: chrono::DateTime<chrono::Utc>,
            #[strata(updated_at)]
            pub updated_at: chrono::DateTime<chrono::Utc>,
        }
    }
}

#[test]
fn ten_field_model_expansion() {
    let code = pretty(derive_model_inner(ten_fields()));
    assert!(!code.contains("compile_error"), "{code}");
    for expected in [
        "pub struct UserCreate<__S0, __S1, __S2>",
        "pub struct UserCreate_email_is_required;",
        "pub struct UserUpdate<__Target>",
        "table: \"users\"",
        "name: \"users_pkey\"",
        "name: \"users_email_key\"",
        "name: \"users_first_name_last_name_key\"",
        "name: \"users_team_id_created_at_idx\"",
        "name: \"users_team_id_fkey\"",
        "name: \"display_name\"",
        "db_type: ::core::option::Option::Some(\"varchar(255)\")",
        "::strata::__private::DefaultValue::Literal(\"TRUE\")",
        "pub fn by_first_name_last_name(",
        "columns: &[2, 3]",
        "::strata::Column::new(9)",
        "pub fn find_by_email(",
        "fn schema() -> &'static ::strata::__private::ModelSchema {\n",
        "<Team as ::strata::Model>::SCHEMA\n",
        "let _ = <Team>::id;",
    ] {
        assert!(code.contains(expected), "missing {expected:?} in:\n{code}");
    }
    // Autoincrement keys are never set by hand.
    assert!(
        !code.contains("pub fn id(mut self, value: impl ::strata::ValueFor"),
        "{code}"
    );
    if std::env::var_os("STRATA_PRINT_EXPANSION").is_some() {
        println!("{code}");
    }
    println!("ten-field model expansion: {} lines", code.lines().count());
}

#[test]
fn defaults_and_names() {
    let code = pretty(derive_model_inner(parse_quote! {
        struct BlogPost {
            #[strata(id, default = uuid)]
            id: uuid::Uuid,
            #[strata(default = "it's")]
            title: String,
            #[strata(default = -1.5)]
            ratio: f64,
            #[strata(default(sql = "gen_random_uuid()"))]
            token: Option<String>,
            r#type: String,
            #[strata(references(model = Self, field = id))]
            parent: Option<uuid::Uuid>,
        }
    }));
    assert!(!code.contains("compile_error"), "{code}");
    for expected in [
        "table: \"blog_post\"",
        "Literal(\"'it''s'\")",
        "Literal(\"-1.5\")",
        "Sql(\"gen_random_uuid()\")",
        "field: \"type\"",
        "pub const fn r#type()",
        // Only `type` is required: the rest are Option or defaulted.
        "struct BlogPostCreate<__S0>",
        "BlogPostCreate_type_is_required",
        "<BlogPost as ::strata::Model>::SCHEMA",
        // Visibility follows the model's.
        "\nstruct BlogPostUpdate<__Target>",
    ] {
        assert!(code.contains(expected), "missing {expected:?} in:\n{code}");
    }
}

#[test]
fn model_without_required_fields_has_a_plain_builder() {
    let code = pretty(derive_model_inner(parse_quote! {
        pub struct Counter {
            #[strata(id, default = autoincrement)]
            id: i32,
            note: Option<String>,
        }
    }));
    assert!(code.contains("pub struct CounterCreate {"), "{code}");
    assert!(code.contains("fn create() -> CounterCreate {"), "{code}");
}

#[test]
fn enum_expansion() {
    let code = pretty(derive_enum_inner(parse_quote! {
        #[strata(name = "user_role")]
        pub enum Role {
            #[strata(rename = "USER")]
            User,
            Admin,
        }
    }));
    for expected in [
        "rust_name: \"Role\"",
        "db_name: \"user_role\"",
        "variants: &[\"USER\", \"Admin\"]",
        "Self::User => \"USER\"",
        "\"Admin\" => ::core::option::Option::Some(Self::Admin)",
        "::strata::__private::impl_enum_field!(Role);",
    ] {
        assert!(code.contains(expected), "missing {expected:?} in:\n{code}");
    }
    let default_name = pretty(derive_enum_inner(parse_quote!(
        enum PostStatus {
            Draft,
        }
    )));
    assert!(
        default_name.contains("db_name: \"post_status\""),
        "{default_name}"
    );
}
