//! Names derived from Rust identifiers: default table/type names, constraint
//! names and the names of generated items.

use crate::model::{Field, Model};
use proc_macro2::Span;
use syn::Ident;

/// `BlogPost` -> `blog_post`, `HTTPRequest` -> `http_request`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            // A word starts at a lower->upper step, and at the last capital of an
            // acronym that is followed by a lowercase letter (`HTTPRequest`).
            let boundary = prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(char::is_uppercase) && next.is_some_and(|n| n.is_lowercase()));
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Constraint name in the PostgreSQL convention: `{table}_{col1}_{col2}_{suffix}`.
pub fn constraint(model: &Model, fields: &[usize], suffix: &str) -> String {
    let mut name = model.table.clone();
    for &i in fields {
        name.push('_');
        name.push_str(&model.fields[i].column);
    }
    name.push('_');
    name.push_str(suffix);
    name
}

/// `by_email`, `by_first_name_last_name`: the `UniqueKey` constructor of a key.
pub fn by_key(model: &Model, fields: &[usize]) -> Ident {
    let joined: Vec<&str> = fields
        .iter()
        .map(|&i| model.fields[i].name.as_str())
        .collect();
    Ident::new(&format!("by_{}", joined.join("_")), Span::call_site())
}

/// `find_by_email`: the `FindUnique` shortcut of a key.
pub fn find_by_key(model: &Model, fields: &[usize]) -> Ident {
    Ident::new(
        &format!("find_{}", by_key(model, fields)),
        Span::call_site(),
    )
}

/// The table of an implicit `many_to_many`: `_{name}` for a named relation,
/// else `_{A}To{B}` with the two model names sorted (Prisma's convention,
/// `_PostToTag`), so both sides arrive at the same table.
pub fn join_table(name: Option<&str>, a: &str, b: &str) -> String {
    match name {
        Some(name) => format!("_{name}"),
        None => format!("_{a}To{b}"),
    }
}

pub fn create_builder(model: &Model) -> Ident {
    Ident::new(&format!("{}Create", model.ident), model.ident.span())
}

pub fn update_builder(model: &Model) -> Ident {
    Ident::new(&format!("{}Update", model.ident), model.ident.span())
}

pub fn partial(model: &Model) -> Ident {
    Ident::new(&format!("{}Partial", model.ident), model.ident.span())
}

/// `{Model}Ref`: the field-less type relation fields are named by.
pub fn model_ref(model: &Model) -> Ident {
    Ident::new(&format!("{}Ref", model.ident), model.ident.span())
}

/// The type-state marker of a required field that is not set yet. rustc prints
/// it in "required field not set: `UserCreate_email_is_required`", so its name
/// carries the model and field; its span is the field's, so the note that
/// points at the marker's definition lands on the user's field.
pub fn missing_marker(model: &Model, field: &Field) -> Ident {
    Ident::new(
        &format!("{}Create_{}_is_required", model.ident, field.name),
        field.ident.span(),
    )
}

/// Inherent associated functions of a model besides the per-field and per-key
/// ones. A field of the same name would collide with them.
pub const MODEL_FNS: &[&str] = &[
    "find_many",
    "find_first",
    "find_unique",
    "count",
    "exists",
    "delete",
    "delete_many",
    "create",
    "create_many",
    "update",
    "update_many",
    "changes",
    "upsert",
];

/// Methods of the create/update builders besides the per-field setters.
pub const BUILDER_FNS: &[&str] = &["exec", "into_inner"];

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn snake_case_splits_words_and_acronyms() {
        assert_eq!(snake_case("User"), "user");
        assert_eq!(snake_case("BlogPost"), "blog_post");
        assert_eq!(snake_case("HTTPRequest"), "http_request");
        assert_eq!(snake_case("Oauth2Token"), "oauth2_token");
        assert_eq!(snake_case("already_snake"), "already_snake");
    }
}
