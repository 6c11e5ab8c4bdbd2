//! Syntactic classification of field types.
//!
//! A proc macro sees tokens, not resolved types, so this only recognises the
//! spellings users actually write (`i64`, `String`, `chrono::DateTime<Utc>`, ...).
//! Anything else is `Kind::Other`, and the checks that use this module stay
//! silent for it: rustc enforces the real rules through the runtime's
//! `FieldType` bound, which names every supported type.

use crate::model::Holder;
use syn::{GenericArgument, PathArguments, Type, TypePath};

/// What a type is, as far as the default/`updated_at` rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `i16`, `i32`, `i64`: the types a database can autoincrement.
    KeyInt,
    /// Any other primitive integer; only literal defaults care about these.
    OtherInt,
    Float,
    Bool,
    String,
    Uuid,
    /// `DateTime<Utc>`, `NaiveDateTime`, `NaiveDate`.
    Time,
    Other,
}

impl Kind {
    /// Whether the type is a primitive whose literal form is obvious, so a
    /// literal default of the wrong kind is certainly a mistake.
    pub fn is_primitive(self) -> bool {
        matches!(
            self,
            Kind::KeyInt | Kind::OtherInt | Kind::Float | Kind::Bool | Kind::String
        )
    }
}

/// `T` for `Option<T>` (also spelled `std::option::Option<T>`), else `None`.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let (name, args) = last_segment(ty)?;
    if name != "Option" {
        return None;
    }
    match args.as_slice() {
        [inner] => Some(inner),
        _ => None,
    }
}

/// A relation holder type (`HasMany<T>`, `strata::BelongsTo<Option<T>>`, ...)
/// and its type argument, if it has exactly one.
pub fn holder(ty: &Type) -> Option<(Holder, Option<&Type>)> {
    let (name, args) = last_segment(ty)?;
    let holder = Holder::from_name(&name)?;
    match args.as_slice() {
        [arg] => Some((holder, Some(*arg))),
        _ => Some((holder, None)),
    }
}

/// The last path segment's name (`User` for `crate::blog::User`).
pub fn last_segment_name(ty: &Type) -> Option<String> {
    last_segment(ty).map(|(name, _)| name)
}

/// Classifies `ty` itself; callers decide whether to look through `Option`.
pub fn kind(ty: &Type) -> Kind {
    let Some((name, args)) = last_segment(ty) else {
        return Kind::Other;
    };
    match (name.as_str(), args.as_slice()) {
        ("i16" | "i32" | "i64", []) => Kind::KeyInt,
        ("i8" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128" | "usize", []) => {
            Kind::OtherInt
        }
        ("f32" | "f64", []) => Kind::Float,
        ("bool", []) => Kind::Bool,
        ("String", []) => Kind::String,
        ("Uuid", []) => Kind::Uuid,
        ("NaiveDateTime" | "NaiveDate", []) => Kind::Time,
        ("DateTime", [tz]) if last_segment(tz).is_some_and(|(tz, _)| tz == "Utc") => Kind::Time,
        _ => Kind::Other,
    }
}

/// Classifies `ty`, looking through one `Option`.
pub fn kind_through_option(ty: &Type) -> Kind {
    kind(option_inner(ty).unwrap_or(ty))
}

/// `ty` as users write it (`Option<i64>`, not `Option < i64 >`), for messages.
pub fn display(ty: &Type) -> String {
    let raw = quote::ToTokens::to_token_stream(ty).to_string();
    [
        (" :: ", "::"),
        (":: ", "::"),
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
    ]
    .iter()
    .fold(raw, |s, (from, to)| s.replace(from, to))
}

/// The last path segment's name and its type arguments, if `ty` is a plain path.
fn last_segment(ty: &Type) -> Option<(String, Vec<&Type>)> {
    let ty = match ty {
        Type::Group(group) => return last_segment(&group.elem),
        Type::Paren(paren) => return last_segment(&paren.elem),
        Type::Path(TypePath {
            qself: None, path, ..
        }) => path,
        _ => return None,
    };
    let segment = ty.segments.last()?;
    let args = match &segment.arguments {
        PathArguments::None => Vec::new(),
        PathArguments::AngleBracketed(angle) => angle
            .args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty),
                _ => None,
            })
            .collect(),
        PathArguments::Parenthesized(_) => return None,
    };
    Some((segment.ident.to_string(), args))
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn recognises_common_spellings() {
        assert_eq!(kind(&parse_quote!(i64)), Kind::KeyInt);
        assert_eq!(kind(&parse_quote!(u8)), Kind::OtherInt);
        assert_eq!(kind(&parse_quote!(::std::string::String)), Kind::String);
        assert_eq!(kind(&parse_quote!(uuid::Uuid)), Kind::Uuid);
        assert_eq!(
            kind(&parse_quote!(chrono::DateTime<chrono::Utc>)),
            Kind::Time
        );
        assert_eq!(kind(&parse_quote!(DateTime<Local>)), Kind::Other);
        assert_eq!(kind(&parse_quote!(Option<i64>)), Kind::Other);
        assert_eq!(
            kind_through_option(&parse_quote!(Option<i64>)),
            Kind::KeyInt
        );
        assert!(option_inner(&parse_quote!(std::option::Option<String>)).is_some());
        assert!(option_inner(&parse_quote!(Vec<String>)).is_none());
        assert_eq!(
            display(&parse_quote!(Option<chrono::DateTime<Utc>>)),
            "Option<chrono::DateTime<Utc>>"
        );
    }
}
