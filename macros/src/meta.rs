//! Reads the attribute values that have a grammar of their own. `at` names the
//! model or field ("field `email` of model `User`") for the error messages.

use crate::diag::{self, hint_at};
use crate::model::{
    DefaultSpec, FkAction, KeySpec, LitKind, Reference, RelationKind, RelationSpec,
};
use darling::ast::NestedMeta;
use darling::util::SpannedValue;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprUnary, Lit, Meta, UnOp};

/// `id(fields(a, b))`, `unique(fields(a, b))`, `index(fields(a, b))`.
pub fn key_spec(meta: &Meta, at: &str) -> darling::Result<KeySpec> {
    let key = meta
        .path()
        .get_ident()
        .map_or_else(String::new, ToString::to_string);
    let bad = || {
        hint_at(
            meta.span(),
            format_args!("`{key}` on {at} needs a list of fields"),
            diag::KEY_FIELDS,
        )
    };
    let Meta::List(list) = meta else {
        return Err(bad());
    };
    let items = NestedMeta::parse_meta_list(list.tokens.clone())?;
    let [NestedMeta::Meta(Meta::List(fields))] = items.as_slice() else {
        return Err(bad());
    };
    if !fields.path.is_ident("fields") {
        return Err(bad());
    }
    let mut errors = darling::Error::accumulator();
    let mut idents = Vec::new();
    let items = NestedMeta::parse_meta_list(fields.tokens.clone())?;
    if items.is_empty() {
        return Err(bad());
    }
    for item in items {
        match item {
            NestedMeta::Meta(Meta::Path(path)) if path.get_ident().is_some() => {
                idents.extend(path.get_ident().cloned());
            }
            other => errors.push(hint_at(
                other.span(),
                format_args!("`{key}(fields(..))` on {at} takes field names"),
                diag::KEY_FIELDS,
            )),
        }
    }
    errors.finish_with(KeySpec {
        span: meta.span(),
        fields: idents,
    })
}

/// `default = now`, `default = "draft"`, `default = -1`, `default(sql = "...")`.
pub fn default(meta: &Meta, at: &str) -> darling::Result<SpannedValue<DefaultSpec>> {
    let spec = match meta {
        Meta::Path(_) => Err(hint_at(
            meta.span(),
            format_args!("`default` on {at} needs a value"),
            diag::DEFAULT,
        )),
        Meta::NameValue(nv) => default_expr(&nv.value, at),
        Meta::List(list) => {
            let items = NestedMeta::parse_meta_list(list.tokens.clone())?;
            match items.as_slice() {
                [NestedMeta::Meta(Meta::NameValue(nv))] if nv.path.is_ident("sql") => {
                    match &nv.value {
                        Expr::Lit(ExprLit {
                            lit: Lit::Str(s), ..
                        }) => Ok(DefaultSpec::Sql(s.value())),
                        other => Err(hint_at(
                            other.span(),
                            format_args!("`default(sql = ..)` on {at} takes a string"),
                            diag::DEFAULT,
                        )),
                    }
                }
                _ => Err(hint_at(
                    meta.span(),
                    format_args!("unsupported `default(..)` on {at}"),
                    diag::DEFAULT,
                )),
            }
        }
    }?;
    Ok(SpannedValue::new(spec, value_span(meta)))
}

fn default_expr(expr: &Expr, at: &str) -> darling::Result<DefaultSpec> {
    let unsupported = || {
        hint_at(
            expr.span(),
            format_args!("unsupported default value on {at}"),
            diag::DEFAULT,
        )
    };
    match expr {
        Expr::Group(group) => default_expr(&group.expr, at),
        Expr::Path(path) => match path.path.get_ident().map(ToString::to_string).as_deref() {
            Some("autoincrement") => Ok(DefaultSpec::Autoincrement),
            Some("uuid") => Ok(DefaultSpec::Uuid),
            Some("cuid") => Ok(DefaultSpec::Cuid),
            Some("now") => Ok(DefaultSpec::Now),
            Some(other) => Err(hint_at(
                expr.span(),
                format_args!("unknown default `{other}` on {at}"),
                diag::DEFAULT,
            )),
            None => Err(unsupported()),
        },
        Expr::Lit(ExprLit { lit, .. }) => literal(lit, false).ok_or_else(unsupported),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            Expr::Lit(ExprLit { lit, .. }) => literal(lit, true).ok_or_else(unsupported),
            _ => Err(unsupported()),
        },
        _ => Err(unsupported()),
    }
}

/// Renders a literal as SQL text: strings single-quoted with `'` doubled,
/// booleans as `TRUE`/`FALSE`, numbers in base 10 without `_` or suffix.
fn literal(lit: &Lit, negative: bool) -> Option<DefaultSpec> {
    let sign = if negative { "-" } else { "" };
    let (kind, sql) = match lit {
        Lit::Str(s) if !negative => (LitKind::Str, format!("'{}'", s.value().replace('\'', "''"))),
        Lit::Bool(b) if !negative => (LitKind::Bool, if b.value { "TRUE" } else { "FALSE" }.into()),
        Lit::Int(i) => (LitKind::Int, format!("{sign}{}", i.base10_digits())),
        Lit::Float(f) => (LitKind::Float, format!("{sign}{}", f.base10_digits())),
        _ => return None,
    };
    Some(DefaultSpec::Literal { kind, sql })
}

/// `references(model = User, field = id)`.
pub fn references(meta: &Meta, at: &str) -> darling::Result<Reference> {
    let bad = |span: proc_macro2::Span, what: &str| {
        hint_at(
            span,
            format_args!("{what} in `references` on {at}"),
            diag::REFERENCES,
        )
    };
    let Meta::List(list) = meta else {
        return Err(bad(meta.span(), "missing `model` and `field`"));
    };
    let mut errors = darling::Error::accumulator();
    let (mut model, mut field) = (None, None);
    for item in NestedMeta::parse_meta_list(list.tokens.clone())? {
        let NestedMeta::Meta(Meta::NameValue(nv)) = &item else {
            errors.push(bad(item.span(), "expected `model = ..` or `field = ..`"));
            continue;
        };
        let Expr::Path(value) = &nv.value else {
            errors.push(bad(nv.value.span(), "expected a name, not an expression,"));
            continue;
        };
        match nv.path.get_ident().map(ToString::to_string).as_deref() {
            Some("model") => model = Some(value.path.clone()),
            Some("field") => match value.path.get_ident() {
                Some(ident) => field = Some(ident.clone()),
                None => errors.push(bad(value.span(), "expected a field name")),
            },
            _ => errors.push(
                darling::Error::unknown_field_path_with_alts(&nv.path, &["model", "field"])
                    .with_span(&nv.path),
            ),
        }
    }
    errors.finish()?;
    match (model, field) {
        (Some(model), Some(field)) => Ok(Reference { model, field }),
        (None, _) => Err(bad(meta.span(), "missing `model = ..`")),
        (_, None) => Err(bad(meta.span(), "missing `field = ..`")),
    }
}

/// `belongs_to(fields(a), references(id), name = "..", on_delete = ..)`,
/// `has_one`, `has_many`, `many_to_many(through = Join, name = "..")`, each
/// with only the options its kind takes.
pub fn relation(meta: &Meta, kind: RelationKind, at: &str) -> darling::Result<RelationSpec> {
    let keyword = kind.keyword();
    let hint = diag::relation(kind);
    let mut spec = RelationSpec {
        kind,
        span: meta.path().span(),
        name: None,
        fields: Vec::new(),
        references: Vec::new(),
        through: None,
        on_delete: None,
        on_update: None,
    };
    let items = match meta {
        Meta::Path(_) => Vec::new(),
        Meta::NameValue(nv) => {
            return Err(hint_at(
                nv.value.span(),
                format_args!("`{keyword} = ..` on {at}"),
                hint,
            ))
        }
        Meta::List(list) => NestedMeta::parse_meta_list(list.tokens.clone())?,
    };
    let mut errors = darling::Error::accumulator();
    let (mut fields, mut references) = (None, None);
    // Written at all, even if unreadable (that error is already reported).
    let (mut has_fields, mut has_references) = (false, false);
    for item in items {
        let NestedMeta::Meta(item) = item else {
            errors.push(hint_at(
                item.span(),
                format_args!("unexpected literal in `{keyword}(..)` on {at}"),
                hint,
            ));
            continue;
        };
        let key = item
            .path()
            .get_ident()
            .map_or_else(String::new, ToString::to_string);
        match (key.as_str(), &item, kind) {
            ("name", Meta::NameValue(nv), _) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) if !s.value().is_empty() => {
                    spec.name = Some(SpannedValue::new(s.value(), s.span()));
                }
                other => errors.push(hint_at(
                    other.span(),
                    format_args!("`name` in `{keyword}(..)` on {at} takes a non-empty string"),
                    "write `name = \"authored\"`, the same on both sides of the relation",
                )),
            },
            ("fields", Meta::List(_), RelationKind::BelongsTo) => {
                has_fields = true;
                fields = errors.handle(ident_list(&item, keyword, at));
            }
            ("references", Meta::List(_), RelationKind::BelongsTo) => {
                has_references = true;
                references = errors.handle(ident_list(&item, keyword, at));
            }
            ("on_delete", Meta::NameValue(_), RelationKind::BelongsTo) => {
                spec.on_delete = errors.handle(action(&item, at));
            }
            ("on_update", Meta::NameValue(_), RelationKind::BelongsTo) => {
                spec.on_update = errors.handle(action(&item, at));
            }
            ("through", Meta::NameValue(nv), RelationKind::ManyToMany) => match &nv.value {
                Expr::Path(path) => spec.through = Some(path.path.clone()),
                other => errors.push(hint_at(
                    other.span(),
                    format_args!("`through` in `many_to_many(..)` on {at} takes a model"),
                    diag::MANY_TO_MANY,
                )),
            },
            ("through", _, _) => errors.push(hint_at(
                item.span(),
                format_args!("`through` in `{keyword}(..)` on {at}: only `many_to_many` goes through a join model"),
                "declare the field `ManyToMany<Tag>` with `#[strata(many_to_many(through = PostTag))]`",
            )),
            ("fields" | "references" | "on_delete" | "on_update", _, kind)
                if kind != RelationKind::BelongsTo =>
            {
                errors.push(hint_at(
                    item.span(),
                    format_args!("`{key}` in `{keyword}(..)` on {at}: only `belongs_to` declares a foreign key"),
                    "put `belongs_to(fields(..), references(..))` and its actions on the `BelongsTo` field of the other model; this side finds it by model (and `name`)",
                ));
            }
            _ => {
                let mut alts = vec!["name"];
                match kind {
                    RelationKind::BelongsTo => {
                        alts.extend(["fields", "references", "on_delete", "on_update"])
                    }
                    RelationKind::ManyToMany => alts.push("through"),
                    _ => {}
                }
                errors.push(hint_at(
                    item.span(),
                    format_args!("unexpected `{key}` in `{keyword}(..)` on {at}; it takes {}", alts.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")),
                    hint,
                ));
            }
        }
    }
    if kind == RelationKind::BelongsTo && !(has_fields && has_references) {
        let missing = match (has_fields, has_references) {
            (false, false) => "`fields(..)` and `references(..)`",
            (false, true) => "`fields(..)`: the foreign key fields of this model",
            _ => "`references(..)`: the fields of the other model they point at",
        };
        errors.push(hint_at(
            meta.span(),
            format_args!("`belongs_to` on {at} needs {missing}"),
            hint,
        ));
    }
    spec.fields = fields.unwrap_or_default();
    spec.references = references.unwrap_or_default();
    errors.finish_with(spec)
}

/// `fields(a, b)` / `references(a, b)` inside `belongs_to(..)`.
fn ident_list(meta: &Meta, keyword: &str, at: &str) -> darling::Result<Vec<syn::Ident>> {
    let key = meta
        .path()
        .get_ident()
        .map_or_else(String::new, ToString::to_string);
    let Meta::List(list) = meta else {
        unreachable!("matched as a list")
    };
    let mut errors = darling::Error::accumulator();
    let items = NestedMeta::parse_meta_list(list.tokens.clone())?;
    if items.is_empty() {
        errors.push(hint_at(
            meta.span(),
            format_args!("`{key}()` in `{keyword}(..)` on {at} is empty"),
            diag::BELONGS_TO,
        ));
    }
    let mut idents = Vec::new();
    for item in items {
        match item {
            NestedMeta::Meta(Meta::Path(path)) if path.get_ident().is_some() => {
                idents.extend(path.get_ident().cloned());
            }
            other => errors.push(hint_at(
                other.span(),
                format_args!("`{key}(..)` in `{keyword}(..)` on {at} takes field names"),
                diag::BELONGS_TO,
            )),
        }
    }
    errors.finish_with(idents)
}

/// `on_delete = cascade` and friends.
pub fn action(meta: &Meta, at: &str) -> darling::Result<SpannedValue<FkAction>> {
    let key = meta
        .path()
        .get_ident()
        .map_or_else(String::new, ToString::to_string);
    let name = match meta {
        Meta::NameValue(nv) => match &nv.value {
            Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    };
    let action = match name.as_deref() {
        Some("cascade") => FkAction::Cascade,
        Some("restrict") => FkAction::Restrict,
        Some("set_null") => FkAction::SetNull,
        Some("set_default") => FkAction::SetDefault,
        Some("no_action") => FkAction::NoAction,
        Some(other) => {
            return Err(hint_at(
                value_span(meta),
                format_args!("unknown action `{other}` for `{key}` on {at}"),
                diag::ACTION,
            ))
        }
        None => {
            return Err(hint_at(
                meta.span(),
                format_args!("`{key}` on {at} needs an action"),
                diag::ACTION,
            ))
        }
    };
    Ok(SpannedValue::new(action, value_span(meta)))
}

/// Where an error about a setting's value points: at the value of `key = value`
/// (stable rustc cannot underline a span across several tokens, so pointing at
/// the whole item would underline just its key).
fn value_span(meta: &Meta) -> proc_macro2::Span {
    match meta {
        Meta::NameValue(nv) => nv.value.span(),
        _ => meta.span(),
    }
}

/// `key = field` on a model (`soft_delete = deleted_at`, `tenant =
/// tenant_id`): the field's identifier, written bare or as a string. `form`
/// is the expected form, appended to the errors.
pub fn field_name(meta: &Meta, at: &str, form: &str) -> darling::Result<syn::Ident> {
    let key = meta
        .path()
        .get_ident()
        .map_or_else(String::new, ToString::to_string);
    let unexpected = || {
        hint_at(
            meta.span(),
            format_args!("unexpected `{key}` form on {at}"),
            form,
        )
    };
    let Meta::NameValue(nv) = meta else {
        return Err(unexpected());
    };
    match &nv.value {
        Expr::Path(path) if path.qself.is_none() => {
            path.path.get_ident().cloned().ok_or_else(unexpected)
        }
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => s.parse::<syn::Ident>().map_err(|_| {
            hint_at(
                s.span(),
                format_args!("`{key}` on {at} must name a field"),
                form,
            )
        }),
        _ => Err(unexpected()),
    }
}
