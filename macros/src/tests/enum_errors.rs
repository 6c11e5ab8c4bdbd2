use super::errors;
use crate::derive_enum_inner;
use syn::parse_quote;

#[test]
fn every_enum_error_is_reported() {
    let out = derive_enum_inner(parse_quote! {
        #[strata(nmae = "x")]
        enum Role<T> {
            User(T),
            #[strata(rename = "User")]
            Admin,
        }
    });
    let errors = errors(&out);
    // generics, unknown `nmae`, a variant with fields, and a duplicate label.
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert!(errors[0].contains("enum `Role` cannot have generic parameters"));
    assert!(errors.iter().any(|e| e.contains("Unknown field: `nmae`")));
    assert!(errors
        .iter()
        .any(|e| e.contains("variant `Role::User` has fields")));
}

#[test]
fn duplicate_labels_and_empty_enums() {
    let dup = errors(&derive_enum_inner(parse_quote! {
        enum Role { #[strata(rename = "ADMIN")] User, #[strata(rename = "ADMIN")] Admin }
    }));
    assert_eq!(dup.len(), 1, "{dup:#?}");
    assert!(
        dup[0].contains("variants `User` and `Admin` of enum `Role` both have the label \"ADMIN\"")
    );

    let empty = errors(&derive_enum_inner(parse_quote!(
        enum Never {}
    )));
    assert_eq!(empty.len(), 1);
    assert!(empty[0].contains("enum `Never` has no variants"));

    let on_struct = errors(&derive_enum_inner(parse_quote!(
        struct Role;
    )));
    assert!(on_struct[0].contains("not an enum"), "{on_struct:#?}");
}

#[test]
fn failed_enum_still_gets_a_stub() {
    let out = derive_enum_inner(parse_quote!(
        enum Role {
            User(i32),
        }
    ))
    .to_string();
    assert!(
        out.contains("impl :: strata :: __private :: DbEnum for Role"),
        "{out}"
    );
    assert!(out.contains("impl_enum_field"), "{out}");
}
