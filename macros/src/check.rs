//! `check = ".."` and `check(name = "..", expr = "..")`, on a field or the
//! model: a table CHECK constraint whose condition is raw SQL written by the
//! schema author.

use crate::diag::{self, hint_at};
use crate::index::sql_text;
use darling::ast::NestedMeta;
use darling::util::SpannedValue;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::Meta;

/// `check = ".."` or `check(name = "..", expr = "..")`.
pub struct CheckSpec {
    pub span: Span,
    pub name: Option<SpannedValue<String>>,
    pub expr: String,
}

/// Reads a field's or the model's `check = ".."` / `check(name = "..", expr = "..")`.
pub fn check(meta: &Meta, at: &str) -> darling::Result<CheckSpec> {
    let option = format!("`check` on {at}");
    let mut spec = CheckSpec {
        span: meta.span(),
        name: None,
        expr: String::new(),
    };
    match meta {
        Meta::NameValue(_) => spec.expr = sql_text(meta, &option, diag::CHECK)?.into_inner(),
        Meta::Path(_) => {
            return Err(hint_at(
                meta.span(),
                format_args!("{option} needs a condition"),
                diag::CHECK,
            ))
        }
        Meta::List(list) => {
            let mut errors = darling::Error::accumulator();
            let mut expr = None;
            for item in NestedMeta::parse_meta_list(list.tokens.clone())? {
                match &item {
                    NestedMeta::Meta(item @ Meta::NameValue(nv)) if nv.path.is_ident("name") => {
                        spec.name = errors.handle(sql_text(item, &option, diag::CHECK));
                    }
                    NestedMeta::Meta(item @ Meta::NameValue(nv)) if nv.path.is_ident("expr") => {
                        expr = errors.handle(sql_text(item, &option, diag::CHECK));
                    }
                    other => errors.push(hint_at(
                        other.span(),
                        format_args!("unexpected item in {option}; it takes `name = \"..\"` and `expr = \"..\"`"),
                        diag::CHECK,
                    )),
                }
            }
            errors.finish()?;
            match expr {
                Some(expr) => spec.expr = expr.into_inner(),
                None => {
                    return Err(hint_at(
                        meta.span(),
                        format_args!(
                            "{option} needs `expr = \"..\"`, the condition rows must satisfy"
                        ),
                        diag::CHECK,
                    ))
                }
            }
        }
    }
    Ok(spec)
}
