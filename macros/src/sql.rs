//! `sql!("..")`: a template of SQL text with `{..}` placeholders, expanded
//! into code that builds a `strata::Sql` part by part. Nothing in the template
//! is interpreted as SQL here; the macro only decides what each placeholder is:
//!
//! - `{User}`: a model (one CamelCase identifier): its quoted table.
//! - `{User::email}`: a column (a path ending `Type::field`, the field in
//!   lower case): `"users"."email"`, through the generated `User::email()`
//!   accessor, so a misspelt field or model fails to compile.
//! - `{User::email:bare}`: the column unqualified, `"email"`.
//! - anything else, `{since}`, `{user.id}`, `{Sql::join(..)}`: an expression,
//!   bound as a value or embedded when it is an `Sql` (`strata::SqlArg`).
//! - `{{` and `}}`: literal braces.
//!
//! Rust cannot point inside a string literal on stable, so every error and
//! every generated token carries the literal's span.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, LitStr, Path};

/// The macro's input: one string literal, optionally followed by a comma.
struct Input {
    template: LitStr,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let template: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "sql! takes one string literal: sql!(\"SELECT {User::id} FROM {User} WHERE {User::email} = {email}\")",
            )
        })?;
        if input.peek(syn::Token![,]) {
            input.parse::<syn::Token![,]>()?;
        }
        if !input.is_empty() {
            return Err(input.error(
                "sql! takes only the template: write values inside it as `{expr}`, not as extra arguments",
            ));
        }
        Ok(Input { template })
    }
}

/// One piece of a template.
#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Table(Path),
    Column {
        model: Path,
        field: syn::Ident,
        bare: bool,
    },
    Arg(Expr),
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: Input = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    let span = input.template.span();
    match parse_template(&input.template.value()) {
        Ok(pieces) => emit(&pieces, span),
        Err(message) => syn::Error::new(span, message).into_compile_error(),
    }
}

/// Splits the template into text and placeholders; the error message names
/// the placeholder or brace at fault.
fn parse_template(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = template.char_indices().peekable();
    while let Some((at, ch)) = chars.next() {
        match ch {
            '{' if chars.peek().map(|&(_, c)| c) == Some('{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek().map(|&(_, c)| c) == Some('}') => {
                chars.next();
                text.push('}');
            }
            '}' => {
                return Err(format!(
                    "sql! template: unmatched `}}` at byte {at}; write `}}}}` for a literal brace"
                ))
            }
            '{' => {
                let rest = &template[at + 1..];
                let Some(end) = rest
                    .find(['{', '}'])
                    .filter(|&i| rest[i..].starts_with('}'))
                else {
                    return Err(format!(
                        "sql! template: unclosed `{{` at byte {at}; close the placeholder with `}}`, or write `{{{{` for a literal brace (a placeholder cannot contain braces: bind such an expression to a variable first)"
                    ));
                };
                let content = &rest[..end];
                for _ in 0..content.chars().count() + 1 {
                    chars.next();
                }
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(placeholder(content)?);
            }
            _ => text.push(ch),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// What one `{content}` is: a model, a column or an expression.
fn placeholder(content: &str) -> Result<Piece, String> {
    let trimmed = content.trim();
    if trimmed.is_empty() {
        return Err(
            "sql! template: empty placeholder `{}`; write `{User}`, `{User::field}` or `{value}`, or `{{}}` for literal braces"
                .to_owned(),
        );
    }
    let (body, modifier) = split_modifier(trimmed);
    let expr: Expr = syn::parse_str(body)
        .map_err(|e| format!("sql! template: `{{{trimmed}}}` is not a Rust expression: {e}"))?;
    let piece = match &expr {
        Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => classify_path(&p.path),
        _ => None,
    };
    match (piece, modifier) {
        (Some(Piece::Column { model, field, .. }), Some("bare")) => Ok(Piece::Column {
            model,
            field,
            bare: true,
        }),
        (Some(piece), None) => Ok(piece),
        (None, None) => Ok(Piece::Arg(expr)),
        (_, Some(other)) => Err(format!(
            "sql! template: unknown modifier `:{other}` in `{{{trimmed}}}`; the one modifier is `:bare`, on a column (`{{User::email:bare}}` renders `\"email\"` instead of `\"users\".\"email\"`)"
        )),
    }
}

/// `User::email:bare` -> (`User::email`, `bare`); a `::` is never a modifier.
fn split_modifier(content: &str) -> (&str, Option<&str>) {
    if let Some((body, modifier)) = content.rsplit_once(':') {
        let is_ident = !modifier.is_empty()
            && modifier
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !modifier.starts_with(|c: char| c.is_ascii_digit());
        if is_ident && !body.ends_with(':') && !body.is_empty() {
            return (body.trim_end(), Some(modifier));
        }
    }
    (content, None)
}

/// `User` is a model, `User::email` (or `models::User::email`) a column;
/// other paths (`since`, `Role::Admin`, `MAX`) are values.
fn classify_path(path: &Path) -> Option<Piece> {
    let segments: Vec<_> = path.segments.iter().collect();
    if segments.iter().any(|s| !s.arguments.is_none()) {
        return None;
    }
    let last = segments.last()?;
    let name = last.ident.to_string();
    if segments.len() == 1 && path.leading_colon.is_none() && is_type_name(&name) {
        return Some(Piece::Table(path.clone()));
    }
    let model = segments.len().checked_sub(2).map(|i| &segments[i])?;
    if is_type_name(&model.ident.to_string()) && starts_lowercase(&name) {
        let mut model_path = path.clone();
        model_path.segments.pop();
        model_path.segments.pop_punct();
        return Some(Piece::Column {
            model: model_path,
            field: last.ident.clone(),
            bare: false,
        });
    }
    None
}

/// CamelCase: an upper-case first letter and a lower-case letter somewhere
/// (`MAX_LEN` is a constant, not a model).
fn is_type_name(name: &str) -> bool {
    let name = name.trim_start_matches("r#");
    name.starts_with(|c: char| c.is_uppercase()) && name.chars().any(|c| c.is_lowercase())
}

fn starts_lowercase(name: &str) -> bool {
    name.trim_start_matches("r#")
        .starts_with(|c: char| c.is_lowercase() || c == '_')
}

/// Model and column paths resolve with `macro_rules` hygiene (items at the
/// call site) but sit at the literal: an error there points at the literal
/// without rustc proposing to replace the whole literal by a fix. The rest,
/// `{expr}` arguments included, keeps the user's hygiene at the literal, so
/// their variables resolve and a type error points at the template.
fn emit(pieces: &[Piece], span: Span) -> TokenStream {
    let generated = Span::mixed_site().located_at(span);
    let steps = pieces.iter().map(|piece| match piece {
        Piece::Text(text) => {
            let text = LitStr::new(text, span);
            respan(quote!(__strata_sql.push_text(#text);), span)
        }
        Piece::Table(model) => push_fragment(
            respan(quote!(::strata::Sql::table::<#model>()), generated),
            span,
        ),
        Piece::Column { model, field, bare } => {
            let constructor = if *bare {
                quote!(bare_column)
            } else {
                quote!(column)
            };
            push_fragment(
                respan(
                    quote!(::strata::Sql::#constructor(#model::#field())),
                    generated,
                ),
                span,
            )
        }
        Piece::Arg(expr) => respan(
            quote!(::strata::SqlArg::push_arg(&(#expr), &mut __strata_sql);),
            span,
        ),
    });
    let start = respan(quote!(let mut __strata_sql = ::strata::Sql::empty();), span);
    let end = respan(quote!(__strata_sql), span);
    let mut block = Group::new(Delimiter::Brace, quote!(#start #(#steps)* #end));
    block.set_span(span);
    TokenTree::Group(block).into()
}

/// `__strata_sql.push_sql(fragment);` at the literal, leaving the spans
/// `fragment` already has.
fn push_fragment(fragment: TokenStream, span: Span) -> TokenStream {
    let target = respan(quote!(__strata_sql.push_sql), span);
    let mut args = Group::new(Delimiter::Parenthesis, fragment);
    args.set_span(span);
    let end = respan(quote!(;), span);
    quote!(#target #args #end)
}

/// Gives every token the template's span, so errors in generated code (a
/// misspelt column, an unbindable value) point at the literal.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                TokenTree::Group(inner)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(template: &str) -> Vec<String> {
        parse_template(template)
            .unwrap()
            .into_iter()
            .map(|piece| match piece {
                Piece::Text(t) => format!("text {t:?}"),
                Piece::Table(p) => format!("table {}", quote!(#p)),
                Piece::Column { model, field, bare } => {
                    format!(
                        "column {}::{field}{}",
                        quote!(#model),
                        if bare { " bare" } else { "" }
                    )
                }
                Piece::Arg(e) => format!("arg {}", quote!(#e)),
            })
            .collect()
    }

    #[test]
    fn splits_text_models_columns_and_values() {
        assert_eq!(
            kinds("SELECT {User::id}, {u.email} FROM {User} WHERE {models::User::email:bare} = {email} AND x = {Role::Admin} {{}}"),
            [
                "text \"SELECT \"",
                "column User::id",
                "text \", \"",
                "arg u . email",
                "text \" FROM \"",
                "table User",
                "text \" WHERE \"",
                "column models :: User::email bare",
                "text \" = \"",
                "arg email",
                "text \" AND x = \"",
                "arg Role :: Admin",
                "text \" {}\"",
            ]
        );
    }

    #[test]
    fn constants_and_calls_are_values() {
        assert_eq!(
            kinds("{MAX_LEN}{Sql::empty()}"),
            ["arg MAX_LEN", "arg Sql :: empty ()"]
        );
    }

    #[test]
    fn malformed_templates_say_what_is_wrong() {
        let error = |t: &str| parse_template(t).unwrap_err();
        assert!(error("SELECT {User::id FROM x").contains("unclosed `{`"));
        assert!(error("SELECT {a {b}}").contains("unclosed `{`"));
        assert!(error("SELECT {}").contains("empty placeholder"));
        assert!(error("SELECT { }").contains("empty placeholder"));
        assert!(error("SELECT a }").contains("unmatched `}`"));
        assert!(error("{User::email:raw}").contains("unknown modifier `:raw`"));
        assert!(error("{x:bare}").contains("unknown modifier"));
        assert!(error("{1 +}").contains("not a Rust expression"));
    }
}
