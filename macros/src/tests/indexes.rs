//! Index kinds and CHECK constraints: what the descriptor gets, and each rule.

use super::errors;
use crate::derive_model_inner;
use proc_macro2::TokenStream;
use syn::parse_quote;

fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("expansion parses as a file");
    prettyplease::unparse(&file)
}

/// A `Post` with the given container attributes over a few fields.
fn post(attrs: TokenStream) -> TokenStream {
    parse_quote! {
        #[strata(table = "posts")]
        #attrs
        struct Post {
            #[strata(id)]
            id: i64,
            title: String,
            email: String,
            #[strata(check = "views >= 0")]
            views: i64,
            published: bool,
            published_at: Option<i64>,
            #[strata(has_many)]
            comments: strata::HasMany<Comment>,
        }
    }
}

fn post_errors(attrs: TokenStream) -> Vec<String> {
    errors(&derive_model_inner(post(attrs)))
}

fn one_error(attrs: TokenStream) -> String {
    let found = post_errors(attrs);
    assert_eq!(found.len(), 1, "{found:#?}");
    found.into_iter().next().expect("one error")
}

#[test]
fn every_option_reaches_the_descriptor() {
    let code = pretty(derive_model_inner(post(quote::quote! {
        #[strata(index(fields(published, published_at(desc)), name = "posts_feed_idx", unique,
            include(title, views), where = "published", dialects(postgres, sqlite)))]
        #[strata(index(expression = "lower(email)", name = "posts_email_lower_idx", unique))]
        #[strata(index(fields(title), using = gin, dialects(postgres)))]
        #[strata(index(fields(views(asc), published_at)))]
        #[strata(check = "published_at IS NULL OR published")]
        #[strata(check(name = "posts_title_check", expr = "title <> ''"))]
        #[strata(check = "views < 1000000")]
    })));
    assert!(!code.contains("compile_error"), "{code}");
    let compact: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        r#"name: "posts_feed_idx", parts: &[ ::strata::__private::IndexPartSchema::Column { column: 4, descending: false, }, ::strata::__private::IndexPartSchema::Column { column: 5, descending: true, }, ], unique: true, method: ::core::option::Option::None, include: &[1, 3], predicate: ::core::option::Option::Some("published"), dialects: &[ ::strata::__private::Dialect::Postgres, ::strata::__private::Dialect::Sqlite, ],"#,
        r#"name: "posts_email_lower_idx", parts: &[ ::strata::__private::IndexPartSchema::Expression("lower(email)"), ], unique: true,"#,
        r#"name: "posts_title_idx", parts: &[ ::strata::__private::IndexPartSchema::Column { column: 1, descending: false, }, ], unique: false, method: ::core::option::Option::Some("gin"),"#,
        // Generated names follow the columns, sort order or not.
        r#"name: "posts_views_published_at_idx""#,
        // Field-level checks first, then the model's: unnamed ones numbered.
        r#"checks: &[ ::strata::__private::CheckSchema { name: "posts_views_check", expression: "views >= 0", }, ::strata::__private::CheckSchema { name: "posts_check", expression: "published_at IS NULL OR published", }, ::strata::__private::CheckSchema { name: "posts_title_check", expression: "title <> ''", }, ::strata::__private::CheckSchema { name: "posts_check1", expression: "views < 1000000", }, ]"#,
    ] {
        assert!(
            compact.contains(expected),
            "missing {expected:?} in:\n{compact}"
        );
    }
}

#[test]
fn parse_errors_name_the_option_and_the_form() {
    let e = one_error(quote::quote!(#[strata(index(fields(title), sorted))]));
    assert!(
        e.starts_with("unknown option `sorted` in `index(..)` on model `Post`"),
        "{e}"
    );
    assert!(
        e.contains("\nhelp: expected `#[strata(index(fields("),
        "{e}"
    );

    let e = one_error(quote::quote!(#[strata(index(fields(title), desc))]));
    assert!(
        e.contains("`desc` in `index(..)` on model `Post`: a sort order belongs to one field"),
        "{e}"
    );
    assert!(e.contains("fields(published, published_at(desc))"), "{e}");

    let e = one_error(quote::quote!(#[strata(index(fields(title(down))))]));
    assert!(e.contains("unknown sort order"), "{e}");

    let e = one_error(quote::quote!(#[strata(index(name = "x", unique))]));
    assert!(
        e.contains("has neither `fields(..)` nor `expression"),
        "{e}"
    );

    let e = one_error(quote::quote!(#[strata(index(fields(title), using = bitmap))]));
    assert!(e.starts_with("unknown access method `bitmap`"), "{e}");
    assert!(
        e.contains("`btree` (the default), `hash`, `gin`, `gist` and `brin`"),
        "{e}"
    );

    let e = one_error(quote::quote!(#[strata(index(fields(title), dialects(oracle)))]));
    assert!(
        e.starts_with("unknown database in `dialects` in `index(..)`"),
        "{e}"
    );

    let e = one_error(quote::quote!(#[strata(index(fields(title), unique, unique))]));
    assert!(e.contains("`unique` is given twice"), "{e}");

    let e = one_error(quote::quote!(#[strata(check = "  ")]));
    assert!(e.starts_with("`check` on model `Post` is empty"), "{e}");
    assert!(
        e.contains("help: expected `#[strata(check = \"views >= 0\")]`"),
        "{e}"
    );

    let e = one_error(quote::quote!(#[strata(check(name = "c"))]));
    assert!(e.contains("needs `expr = \"..\"`"), "{e}");
}

#[test]
fn model_rules() {
    let e = one_error(quote::quote!(#[strata(index(expression = "lower(email)"))]));
    assert!(
        e.starts_with("the expression index on model `Post` needs a `name`"),
        "{e}"
    );
    assert!(e.contains("add `name = \"posts_lower_email_idx\"`"), "{e}");

    let e = one_error(quote::quote!(#[strata(index(fields(title), include(nope)))]));
    assert!(e.starts_with("model `Post` has no field `nope`"), "{e}");

    let e = one_error(quote::quote!(#[strata(index(fields(comments)))]));
    assert!(e.contains("is a relation, not a column"), "{e}");

    let e = one_error(quote::quote!(#[strata(index(fields(title), using = gin, unique))]));
    assert!(e.contains("only b-tree indexes can be unique"), "{e}");

    let e = one_error(quote::quote!(#[strata(index(fields(title(desc)), using = brin))]));
    assert!(e.contains("only b-tree keys have a sort order"), "{e}");

    let e = one_error(quote::quote!(#[strata(index(fields(title), using = gin, include(views)))]));
    assert!(
        e.contains("only b-tree and GiST indexes have covering columns"),
        "{e}"
    );

    let e = one_error(quote::quote!(
        #[strata(index(fields(title), name = "feed"), index(fields(views), name = "feed"))]
    ));
    assert!(
        e.starts_with("model `Post` declares the index name `feed` twice"),
        "{e}"
    );

    // Two indexes on the same columns would get the same generated name.
    let e = one_error(
        quote::quote!(#[strata(index(fields(title)), index(fields(title), where = "published"))]),
    );
    assert!(e.contains("the index name `posts_title_idx` twice"), "{e}");

    let e =
        one_error(quote::quote!(#[strata(check(name = "posts_views_check", expr = "views < 10"))]));
    assert!(
        e.starts_with("model `Post` declares the check constraint `posts_views_check` twice"),
        "{e}"
    );
}
