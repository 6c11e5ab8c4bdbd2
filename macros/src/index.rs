//! Model-level `index(..)` declarations: their IR and how they are read
//! (`check.rs` reads CHECKs the same way). `validate_index.rs` holds the rules
//! between them and the model; `keys.rs` resolves them to columns and names
//! for `emit`.
//!
//! ```text
//! index(fields(published, published_at(desc)), name = "posts_feed_idx", unique,
//!       using = gin|gist|brin|hash|btree, include(title, views), where = "published",
//!       dialects(postgres, sqlite))
//! index(expression = "lower(email)", name = "users_email_lower_idx", unique)
//! ```
//!
//! An index has key parts from `fields(..)`, from `expression = ".."`, or both,
//! in the order written (`index(fields(org_id), expression = "lower(email)")`).

use crate::diag::{self, hint_at};
use darling::ast::NestedMeta;
use darling::util::SpannedValue;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Ident, Lit, Meta};

pub struct IndexSpec {
    /// The `index(..)` attribute, where errors about the whole index point.
    pub span: Span,
    pub name: Option<SpannedValue<String>>,
    pub parts: Vec<IndexPart>,
    pub unique: Option<Span>,
    pub method: Option<SpannedValue<IndexMethod>>,
    pub include: Vec<Ident>,
    pub predicate: Option<String>,
    /// Empty: every database.
    pub dialects: Vec<DialectName>,
}

pub enum IndexPart {
    Field { ident: Ident, descending: bool },
    Expression(SpannedValue<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexMethod {
    Btree,
    Hash,
    Gin,
    Gist,
    Brin,
}

impl IndexMethod {
    const ALL: [(&'static str, IndexMethod); 5] = [
        ("btree", IndexMethod::Btree),
        ("hash", IndexMethod::Hash),
        ("gin", IndexMethod::Gin),
        ("gist", IndexMethod::Gist),
        ("brin", IndexMethod::Brin),
    ];

    pub fn keyword(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("btree", |(k, _)| k)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialectName {
    Postgres,
    Sqlite,
    MySql,
}

const DIALECTS: [(&str, DialectName); 3] = [
    ("postgres", DialectName::Postgres),
    ("sqlite", DialectName::Sqlite),
    ("mysql", DialectName::MySql),
];

impl IndexSpec {
    /// Whether any key part is an expression.
    pub fn has_expression(&self) -> bool {
        (self.parts.iter()).any(|p| matches!(p, IndexPart::Expression(_)))
    }

    pub fn has_descending(&self) -> bool {
        (self.parts.iter()).any(|p| {
            matches!(
                p,
                IndexPart::Field {
                    descending: true,
                    ..
                }
            )
        })
    }

    pub fn field_idents(&self) -> Vec<&Ident> {
        (self.parts.iter())
            .filter_map(|p| match p {
                IndexPart::Field { ident, .. } => Some(ident),
                IndexPart::Expression(_) => None,
            })
            .collect()
    }
}

/// Reads one container `index(..)` attribute.
pub fn index(meta: &Meta, at: &str) -> darling::Result<IndexSpec> {
    let Meta::List(list) = meta else {
        return Err(hint_at(
            meta.span(),
            format_args!("`index` on {at} needs its key fields or expression"),
            diag::INDEX,
        ));
    };
    let mut spec = IndexSpec {
        span: meta.span(),
        name: None,
        parts: Vec::new(),
        unique: None,
        method: None,
        include: Vec::new(),
        predicate: None,
        dialects: Vec::new(),
    };
    let mut errors = darling::Error::accumulator();
    let mut seen: Vec<String> = Vec::new();
    for item in NestedMeta::parse_meta_list(list.tokens.clone())? {
        let NestedMeta::Meta(item) = item else {
            errors.push(hint_at(
                item.span(),
                format_args!("unexpected literal in `index(..)` on {at}"),
                diag::INDEX,
            ));
            continue;
        };
        let key = key_of(&item);
        if seen.contains(&key) {
            errors.push(diag::error_at(
                item.span(),
                format_args!("`{key}` is given twice in `index(..)` on {at}"),
            ));
            continue;
        }
        seen.push(key.clone());
        let option = format!("`{key}` in `index(..)` on {at}");
        match (key.as_str(), &item) {
            ("fields", Meta::List(_)) => {
                if let Some(parts) = errors.handle(key_fields(&item, &option)) {
                    spec.parts.extend(parts);
                }
            }
            ("expression", Meta::NameValue(_)) => {
                if let Some(sql) = errors.handle(sql_text(&item, &option, diag::INDEX)) {
                    spec.parts.push(IndexPart::Expression(sql));
                }
            }
            ("name", Meta::NameValue(_)) => spec.name = errors.handle(sql_text(&item, &option, diag::INDEX)),
            ("unique", Meta::Path(path)) => spec.unique = Some(path.span()),
            ("using", Meta::NameValue(_)) => spec.method = errors.handle(method(&item, &option)),
            ("include", Meta::List(_)) => {
                spec.include = errors.handle(idents(&item, &option)).unwrap_or_default();
            }
            ("where", Meta::NameValue(_)) => {
                spec.predicate = errors
                    .handle(sql_text(&item, &option, diag::INDEX))
                    .map(SpannedValue::into_inner);
            }
            ("dialects", Meta::List(_)) => {
                spec.dialects = errors.handle(dialects(&item, &option)).unwrap_or_default();
            }
            ("desc" | "asc", _) => errors.push(hint_at(
                item.span(),
                format_args!("{option}: a sort order belongs to one field"),
                "write it after the field inside `fields(..)`: `fields(published, published_at(desc))`",
            )),
            (
                "fields" | "expression" | "name" | "unique" | "using" | "include" | "where"
                | "dialects",
                _,
            ) => errors.push(hint_at(
                item.span(),
                format_args!("{option} is not written this way"),
                diag::INDEX,
            )),
            _ => errors.push(hint_at(
                item.span(),
                format_args!("unknown option `{key}` in `index(..)` on {at}; it takes `fields`, `expression`, `name`, `unique`, `using`, `include`, `where` and `dialects`"),
                diag::INDEX,
            )),
        }
    }
    let parts_written = seen.iter().any(|k| k == "fields" || k == "expression");
    if !parts_written {
        errors.push(hint_at(
            meta.span(),
            format_args!("`index(..)` on {at} has neither `fields(..)` nor `expression = \"..\"`: it indexes nothing"),
            diag::INDEX,
        ));
    }
    errors.finish_with(spec)
}

fn key_of(meta: &Meta) -> String {
    meta.path()
        .get_ident()
        .map_or_else(String::new, ToString::to_string)
}

/// A non-empty string value: raw SQL (an expression, a predicate, a condition)
/// or a name. `option` names the setting for the error, `hint` its expected form.
pub fn sql_text(meta: &Meta, option: &str, hint: &str) -> darling::Result<SpannedValue<String>> {
    let value = match meta {
        Meta::NameValue(nv) => &nv.value,
        _ => {
            return Err(hint_at(
                meta.span(),
                format_args!("{option} takes a string"),
                hint,
            ))
        }
    };
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) if s.value().trim().is_empty() => {
            Err(hint_at(s.span(), format_args!("{option} is empty"), hint))
        }
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(SpannedValue::new(s.value(), s.span())),
        other => Err(hint_at(
            other.span(),
            format_args!("{option} takes a string"),
            hint,
        )),
    }
}

/// `fields(a, b(desc), c(asc))`.
fn key_fields(meta: &Meta, option: &str) -> darling::Result<Vec<IndexPart>> {
    let mut errors = darling::Error::accumulator();
    let mut parts = Vec::new();
    let items = list_items(meta, option)?;
    for item in items {
        match &item {
            NestedMeta::Meta(Meta::Path(path)) if path.get_ident().is_some() => {
                parts.extend(path.get_ident().map(|ident| IndexPart::Field {
                    ident: ident.clone(),
                    descending: false,
                }));
            }
            NestedMeta::Meta(Meta::List(field)) if field.path.get_ident().is_some() => {
                let order = NestedMeta::parse_meta_list(field.tokens.clone())?;
                let descending = match order.as_slice() {
                    [NestedMeta::Meta(Meta::Path(p))] if p.is_ident("desc") => Some(true),
                    [NestedMeta::Meta(Meta::Path(p))] if p.is_ident("asc") => Some(false),
                    _ => None,
                };
                match (descending, field.path.get_ident()) {
                    (Some(descending), Some(ident)) => parts.push(IndexPart::Field {
                        ident: ident.clone(),
                        descending,
                    }),
                    _ => errors.push(hint_at(
                        field.tokens.span(),
                        format_args!("unknown sort order in {option}: a field takes `desc` or `asc`"),
                        "write `fields(published, published_at(desc))`",
                    )),
                }
            }
            other => errors.push(hint_at(
                other.span(),
                format_args!("{option} takes field names, each optionally with `(desc)`"),
                "write `fields(published, published_at(desc))`; index an expression with `expression = \"lower(email)\"`",
            )),
        }
    }
    errors.finish_with(parts)
}

fn list_items(meta: &Meta, option: &str) -> darling::Result<Vec<NestedMeta>> {
    let Meta::List(list) = meta else {
        unreachable!("matched as a list")
    };
    let items = NestedMeta::parse_meta_list(list.tokens.clone())?;
    if items.is_empty() {
        return Err(hint_at(
            meta.span(),
            format_args!("{option} is empty"),
            diag::INDEX,
        ));
    }
    Ok(items)
}

/// `include(a, b)`: field names.
fn idents(meta: &Meta, option: &str) -> darling::Result<Vec<Ident>> {
    let mut errors = darling::Error::accumulator();
    let mut idents = Vec::new();
    for item in list_items(meta, option)? {
        match &item {
            NestedMeta::Meta(Meta::Path(path)) if path.get_ident().is_some() => {
                idents.extend(path.get_ident().cloned());
            }
            other => errors.push(hint_at(
                other.span(),
                format_args!("{option} takes field names"),
                "write `include(title, views)`",
            )),
        }
    }
    errors.finish_with(idents)
}

/// `using = gin` (or `using = "gin"`).
fn method(meta: &Meta, option: &str) -> darling::Result<SpannedValue<IndexMethod>> {
    let Meta::NameValue(nv) = meta else {
        unreachable!("matched as name = value")
    };
    let name = match &nv.value {
        Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.value()),
        _ => None,
    };
    let found = IndexMethod::ALL
        .iter()
        .find(|(k, _)| Some(*k) == name.as_deref());
    match found {
        Some((_, method)) => Ok(SpannedValue::new(*method, nv.value.span())),
        None => Err(hint_at(
            nv.value.span(),
            format_args!(
                "unknown access method{} in {option}",
                name.map(|n| format!(" `{n}`")).unwrap_or_default()
            ),
            "the methods are `btree` (the default), `hash`, `gin`, `gist` and `brin`; all but `btree` exist only on PostgreSQL",
        )),
    }
}

/// `dialects(postgres, sqlite, mysql)`.
fn dialects(meta: &Meta, option: &str) -> darling::Result<Vec<DialectName>> {
    let mut errors = darling::Error::accumulator();
    let mut found = Vec::new();
    for item in list_items(meta, option)? {
        let name = match &item {
            NestedMeta::Meta(Meta::Path(p)) => p.get_ident().map(ToString::to_string),
            _ => None,
        };
        match DIALECTS.iter().find(|(k, _)| Some(*k) == name.as_deref()) {
            Some((_, dialect)) if !found.contains(dialect) => found.push(*dialect),
            Some((k, _)) => errors.push(diag::error_at(
                item.span(),
                format_args!("`{k}` is listed twice in {option}"),
            )),
            None => errors.push(hint_at(
                item.span(),
                format_args!("unknown database in {option}"),
                "the databases are `postgres`, `sqlite` and `mysql` (MySQL and MariaDB)",
            )),
        }
    }
    errors.finish_with(found)
}
