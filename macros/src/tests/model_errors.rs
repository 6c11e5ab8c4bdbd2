//! Each rule, and that one expansion reports all of them at once.

use super::errors;
use crate::derive_model_inner;
use proc_macro2::TokenStream;
use syn::parse_quote;

fn one_error(input: TokenStream) -> String {
    let found = errors(&derive_model_inner(input));
    assert_eq!(found.len(), 1, "{found:#?}");
    found.into_iter().next().expect("one error")
}

#[test]
fn all_errors_are_accumulated() {
    let out = derive_model_inner(parse_quote! {
        #[strata(unique(fields(email, nope)))]
        struct User {
            #[strata(default = autoincrement)]
            name: String,
            #[strata(colum = "x")]
            email: String,
            #[strata(default = uuid)]
            token: String,
            #[strata(updated_at, default = now)]
            touched: String,
            #[strata(on_delete = cascade)]
            team_id: i64,
        }
    });
    let found = errors(&out);
    // Field-level rules run even though `colum` failed to parse; model-wide
    // rules (missing id, `nope`) wait for a clean parse so they cannot misfire.
    assert_eq!(found.len(), 7, "{found:#?}");
    assert!(found
        .iter()
        .any(|e| e.contains("Unknown field: `colum`. Did you mean `column`?")));
}

#[test]
fn model_wide_errors_are_accumulated() {
    let found = errors(&derive_model_inner(parse_quote! {
        #[strata(unique(fields(email, nope)), index(fields(missing)))]
        struct User {
            name: String,
            #[strata(column = "name")]
            email: String,
            count: i64,
        }
    }));
    // no primary key, `nope`, `missing`, duplicate column, `count` clash
    assert_eq!(found.len(), 5, "{found:#?}");
}

#[test]
fn missing_primary_key_names_the_model_and_the_fix() {
    let e = one_error(parse_quote!(
        struct User {
            email: String,
        }
    ));
    assert!(e.starts_with("model `User` has no primary key"), "{e}");
    assert!(e.contains("help: mark one field `#[strata(id)]`"), "{e}");
}

#[test]
fn primary_key_conflicts() {
    let both = one_error(parse_quote! {
        #[strata(id(fields(a, b)))]
        struct Pair { #[strata(id)] a: i64, b: i64 }
    });
    assert!(
        both.contains("has both `id(fields(..))` and `#[strata(id)]` on field `a`"),
        "{both}"
    );

    let two = one_error(parse_quote!(
        struct Pair {
            #[strata(id)]
            a: i64,
            #[strata(id)]
            b: i64,
        }
    ));
    assert!(two.contains("more than one field `#[strata(id)]`"), "{two}");

    let optional = one_error(parse_quote!(
        struct T {
            #[strata(id)]
            a: Option<i64>,
        }
    ));
    assert!(
        optional.contains("primary key field `a` of model `T` is an `Option`"),
        "{optional}"
    );

    let composite = one_error(parse_quote! {
        #[strata(id(fields(a, b)))]
        struct T { a: i64, b: Option<i64> }
    });
    assert!(
        composite.contains("field `b` of model `T` is an `Option`"),
        "{composite}"
    );
}

#[test]
fn key_fields_must_exist() {
    let e = one_error(parse_quote! {
        #[strata(unique(fields(email, emial)))]
        struct User { #[strata(id)] id: i64, email: String }
    });
    assert!(e.starts_with("model `User` has no field `emial`"), "{e}");
    assert!(e.contains("the fields are: id, email"), "{e}");
}

#[test]
fn malformed_key_lists() {
    let word = one_error(parse_quote! {
        #[strata(unique)]
        struct User { #[strata(id)] id: i64 }
    });
    assert!(
        word.contains("`unique` on model `User` needs a list of fields"),
        "{word}"
    );
    assert!(
        word.contains("help: expected `#[strata(id(fields(a, b)))]`"),
        "{word}"
    );
}

#[test]
fn generated_defaults_must_fit_the_type() {
    let cases: [(TokenStream, &str, &str); 6] = [
        (
            parse_quote!(struct U { #[strata(id, default = autoincrement)] id: String }),
            "`default = autoincrement` on field `id` of model `U` needs a non-optional integer type",
            "help: make the field `i64`",
        ),
        (
            parse_quote!(struct U { #[strata(id, default = uuid)] id: String }),
            "`default = uuid` on field `id` of model `U` needs type `uuid::Uuid`, found `String`",
            "help: make the field `uuid::Uuid`",
        ),
        (
            parse_quote!(struct U { #[strata(id, default = cuid)] id: i64 }),
            "`default = cuid` on field `id` of model `U` needs type `String`",
            "help: make the field `String`",
        ),
        (
            parse_quote!(struct U { #[strata(id)] id: i64, #[strata(default = now)] at: i64 }),
            "`default = now` on field `at` of model `U` needs a time type",
            "help: make the field `chrono::DateTime<Utc>`",
        ),
        (
            parse_quote!(struct U { #[strata(id)] id: i64, #[strata(default = "x")] n: Option<i32> }),
            "a string default on field `n` of model `U`, which has type `Option<i32>`",
            "help: write the default as an integer, e.g. `#[strata(default = 0)]`",
        ),
        (
            parse_quote!(struct U { #[strata(id)] id: i64, #[strata(default = 1.5)] n: i64 }),
            "a float default on field `n` of model `U`",
            "help: write the default as an integer",
        ),
    ];
    for (input, expected, help) in cases {
        let e = one_error(input);
        assert!(e.contains(expected), "expected {expected:?} in {e}");
        assert!(e.contains(help), "expected {help:?} in {e}");
    }
}

#[test]
fn literal_defaults_are_not_checked_on_unknown_types() {
    let out = derive_model_inner(parse_quote! {
        struct U {
            #[strata(id)] id: i64,
            #[strata(default = "ADMIN")] role: Role,
            #[strata(default = 3)] ratio: f32,
            #[strata(default = now)] at: Option<chrono::NaiveDate>,
        }
    });
    assert!(errors(&out).is_empty(), "{out}");
}

#[test]
fn malformed_defaults() {
    let unknown = one_error(parse_quote!(
        struct U {
            #[strata(id, default = nw)]
            id: i64,
        }
    ));
    assert!(
        unknown.starts_with("unknown default `nw` on field `id` of model `U`"),
        "{unknown}"
    );
    let bare = one_error(parse_quote!(
        struct U {
            #[strata(id, default)]
            id: i64,
        }
    ));
    assert!(
        bare.contains("`default` on field `id` of model `U` needs a value"),
        "{bare}"
    );
    let call = one_error(parse_quote!(
        struct U {
            #[strata(id, default = String::new())]
            id: String,
        }
    ));
    assert!(call.contains("unsupported default value"), "{call}");
}

#[test]
fn autoincrement_only_on_the_single_primary_key() {
    let e = one_error(parse_quote! {
        struct U { #[strata(id)] id: i64, #[strata(default = autoincrement)] seq: i64 }
    });
    assert!(e.contains("which is not the primary key"), "{e}");
}

#[test]
fn updated_at_rules() {
    let ty = one_error(parse_quote!(
        struct U {
            #[strata(id)]
            id: i64,
            #[strata(updated_at)]
            at: String,
        }
    ));
    assert!(
        ty.contains("`updated_at` on field `at` of model `U` needs a time type, found `String`"),
        "{ty}"
    );
    let default = one_error(parse_quote! {
        struct U { #[strata(id)] id: i64, #[strata(updated_at, default = now)] at: chrono::NaiveDateTime }
    });
    assert!(
        default.contains("has both `updated_at` and `default`"),
        "{default}"
    );
}

#[test]
fn reference_rules() {
    let orphan = one_error(parse_quote! {
        struct P { #[strata(id)] id: i64, #[strata(on_delete = cascade)] author_id: i64 }
    });
    assert!(
        orphan.contains(
            "`on_delete` on field `author_id` of model `P`, which has no `references(..)`"
        ),
        "{orphan}"
    );
    let set_null = one_error(parse_quote! {
        struct P {
            #[strata(id)] id: i64,
            #[strata(references(model = User, field = id), on_delete = set_null)] author_id: i64,
        }
    });
    assert!(set_null.contains(
        "`on_delete = set_null` on field `author_id` of model `P`, which is not an `Option`"
    ));
    let action = one_error(parse_quote! {
        struct P { #[strata(id)] id: i64, #[strata(references(model = User, field = id), on_update = cascde)] a: i64 }
    });
    assert!(
        action.contains("unknown action `cascde` for `on_update`"),
        "{action}"
    );
    let missing = one_error(parse_quote! {
        struct P { #[strata(id)] id: i64, #[strata(references(model = User))] a: i64 }
    });
    assert!(
        missing.contains("missing `field = ..` in `references`"),
        "{missing}"
    );
}

#[test]
fn shape_rules() {
    let tuple = one_error(parse_quote!(
        struct U(i64);
    ));
    assert!(tuple.contains("model `U` is a tuple struct"), "{tuple}");
    let on_enum = one_error(parse_quote!(
        enum Role {
            A,
        }
    ));
    assert!(
        on_enum.contains("use `#[derive(strata::Enum)]`"),
        "{on_enum}"
    );
    let generic = one_error(parse_quote!(
        struct U<T> {
            #[strata(id)]
            id: i64,
            t: T,
        }
    ));
    assert!(
        generic.contains("model `U` cannot have generic parameters"),
        "{generic}"
    );
}

#[test]
fn name_clashes() {
    let duplicate_column = one_error(parse_quote! {
        struct U { #[strata(id)] id: i64, #[strata(column = "id")] other: i64 }
    });
    assert!(duplicate_column.contains("maps to column `id`, already used by field `id`"));
    let clash = one_error(parse_quote!(
        struct U {
            #[strata(id)]
            id: i64,
            exec: bool,
        }
    ));
    assert!(
        clash.contains("clashes with the generated the builders' `.exec()`")
            || clash.contains("clashes"),
        "{clash}"
    );
    let by = one_error(parse_quote!(
        struct U {
            #[strata(id)]
            id: i64,
            by_id: i64,
        }
    ));
    assert!(
        by.contains("clashes with the generated `U::by_id()`"),
        "{by}"
    );
    let twice = one_error(parse_quote!(
        struct U {
            #[strata(id, unique)]
            id: i64,
        }
    ));
    assert!(
        twice.contains("declares the same unique key twice"),
        "{twice}"
    );
}

#[test]
fn failed_model_gets_only_a_stub() {
    let out = derive_model_inner(parse_quote!(
        struct User {
            email: String,
        }
    ))
    .to_string();
    assert!(out.contains("impl :: strata :: Model for User"), "{out}");
    assert!(!out.contains("UserCreate"), "{out}");
}

#[test]
fn container_attributes_may_be_split() {
    let ok = derive_model_inner(parse_quote! {
        #[strata(table = "people")]
        #[strata(unique(fields(first, last)))]
        #[strata(unique(fields(email)), index(fields(last)))]
        struct Person { #[strata(id)] id: i64, first: String, last: String, email: String }
    });
    assert!(errors(&ok).is_empty(), "{ok}");
    let text = ok.to_string();
    assert!(text.contains("\"people_first_last_key\"") && text.contains("\"people_email_key\""));

    let twice = one_error(parse_quote! {
        #[strata(table = "a")]
        #[strata(table = "b")]
        struct Person { #[strata(id)] id: i64 }
    });
    assert!(twice.contains("Duplicate field `table`"), "{twice}");
}

#[test]
fn field_errors_survive_a_broken_container_attribute() {
    let found = errors(&derive_model_inner(parse_quote! {
        #[strata(tabel = "users")]
        struct User { #[strata(id, default = uuid)] id: i64 }
    }));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].contains("Unknown field: `tabel`. Did you mean `table`?"));
    assert!(found[1].contains("`default = uuid` on field `id` of model `User`"));
}
