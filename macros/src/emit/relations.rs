//! Relation fields: their `RelationSchema` entries (and the generated join
//! table of an implicit `many_to_many`), the `User::posts()` accessors, and
//! the compile-time checks against the other model.
//!
//! The derive cannot see the other model, so the cross-model rules (does the
//! other side exist? is `references(..)` a key?) become `const _: () = match
//! check_*(<Target as Model>::SCHEMA, ..) { Failure => panic!("..") }` items:
//! rustc evaluates them, and a failure prints the literal message written
//! here, at the span of the user's attribute.

use crate::model::{Model, RelationField, RelationKind, RelationSpec};
use crate::naming;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;

/// A validated relation's parts; validation guarantees each is present.
struct Parts<'a> {
    relation: &'a RelationField,
    spec: &'a RelationSpec,
    /// The related model's type, `Self` resolved.
    target: TokenStream,
    target_name: String,
}

fn parts<'a>(model: &Model, relation: &'a RelationField) -> Parts<'a> {
    let spec = relation
        .spec
        .as_ref()
        .expect("validated relation has an attribute");
    let target = relation
        .target
        .as_ref()
        .expect("validated relation names its model");
    Parts {
        relation,
        spec,
        target: super::resolve_self(model, target),
        target_name: relation
            .target_name(model)
            .expect("validated relation names its model"),
    }
}

fn opt_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    }
}

/// The entries of `SCHEMA.relations`, in declaration order.
pub fn schemas(model: &Model) -> Vec<TokenStream> {
    model
        .relations
        .iter()
        .map(|relation| schema(model, &parts(model, relation)))
        .collect()
}

fn schema(model: &Model, p: &Parts<'_>) -> TokenStream {
    let field = &p.relation.name;
    let name = opt_str(p.relation.pair_name());
    let kind = match p.spec.kind {
        RelationKind::BelongsTo => quote!(BelongsTo),
        RelationKind::HasOne => quote!(HasOne),
        RelationKind::HasMany => quote!(HasMany),
        RelationKind::ManyToMany => quote!(ManyToMany),
    };
    let target_schema = super::schema_fn(&p.target);
    let target_name = &p.target_name;
    let fields = (p.spec.fields.iter())
        .filter_map(|f| model.field_index(f))
        .map(super::index);
    let references = p.spec.references.iter().map(|r| r.unraw().to_string());
    let none = quote!(::core::option::Option::None);
    let (join, implicit_join, through) = match (p.spec.kind, &p.spec.through) {
        (RelationKind::ManyToMany, Some(path)) => {
            let path = super::resolve_self(model, path);
            let through = path_name(model, &p.spec.through);
            (
                {
                    let schema = super::schema_fn(&path);
                    quote!(::core::option::Option::Some(#schema))
                },
                false,
                opt_str(through.as_deref()),
            )
        }
        (RelationKind::ManyToMany, None) => (implicit_join(model, p), true, none.clone()),
        _ => (none.clone(), false, none),
    };
    quote! {
        ::strata::__private::RelationSchema {
            field: #field,
            name: #name,
            kind: ::strata::__private::RelationKind::#kind,
            target: #target_schema,
            target_name: #target_name,
            fields: &[#(#fields),*],
            references: &[#(#references),*],
            join: #join,
            implicit_join: #implicit_join,
            through: #through,
        }
    }
}

/// The last segment of `through = a::PostTag`, `Self` resolved.
fn path_name(model: &Model, path: &Option<syn::Path>) -> Option<String> {
    let name = path.as_ref()?.segments.last()?.ident.to_string();
    Some(if name == "Self" {
        model.ident.to_string()
    } else {
        name
    })
}

/// The join table of a `many_to_many` without `through`: `_{A}To{B}` (or
/// `_{name}`) with columns `A` and `B` referencing the primary keys of the two
/// models in name order, primary key (A, B), an index on B, and foreign keys
/// that cascade. Both sides emit the same table; the DDL keeps one. The
/// schema is a const inside the function so that reading the two models'
/// schemas for the column types is no const cycle.
fn implicit_join(model: &Model, p: &Parts<'_>) -> TokenStream {
    let own = (model.ident.to_string(), model.ident.to_token_stream());
    let other = (p.target_name.clone(), p.target.clone());
    let ((a_name, a), (b_name, b)) = if own.0 <= other.0 {
        (own, other)
    } else {
        (other, own)
    };
    let table = naming::join_table(p.relation.pair_name(), &a_name, &b_name);
    let column = |letter: &str, ty: &TokenStream| {
        quote! {
            ::strata::__private::ColumnSchema {
                field: #letter,
                name: #letter,
                ty: ::strata::__private::key_column(<#ty as ::strata::Model>::SCHEMA).ty,
                nullable: false,
                default: ::core::option::Option::None,
                updated_at: false,
                db_type: ::strata::__private::key_column(<#ty as ::strata::Model>::SCHEMA).db_type,
            }
        }
    };
    let foreign_key = |letter: &str, index: usize, ty: &TokenStream| {
        let name = format!("{table}_{letter}_fkey");
        let index = super::index(index);
        let target_schema = super::schema_fn(ty);
        quote! {
            ::strata::__private::ForeignKeySchema {
                name: #name,
                columns: &[#index],
                target: #target_schema,
                target_fields: &[::strata::__private::key_column(<#ty as ::strata::Model>::SCHEMA).field],
                on_delete: ::strata::__private::ReferentialAction::Cascade,
                on_update: ::strata::__private::ReferentialAction::Cascade,
            }
        }
    };
    let (column_a, column_b) = (column("A", &a), column("B", &b));
    let (fk_a, fk_b) = (foreign_key("A", 0, &a), foreign_key("B", 1, &b));
    let primary_key = format!("{table}_AB_pkey");
    let index = format!("{table}_B_index");
    quote! {
        ::core::option::Option::Some(|| {
            const JOIN: &::strata::__private::ModelSchema = &::strata::__private::ModelSchema {
                name: #table,
                table: #table,
                columns: &[#column_a, #column_b],
                primary_key: ::strata::__private::KeySchema { name: #primary_key, columns: &[0, 1] },
                uniques: &[],
                foreign_keys: &[#fk_a, #fk_b],
                indexes: &[::strata::__private::IndexSchema {
                    name: #index,
                    parts: &[::strata::__private::IndexPartSchema::Column { column: 1, descending: false }],
                    unique: false,
                    method: ::core::option::Option::None,
                    include: &[],
                    predicate: ::core::option::Option::None,
                    dialects: &[],
                }],
                checks: &[],
                relations: &[],
                version: ::core::option::Option::None,
                soft_delete: ::core::option::Option::None,
                tenant: ::core::option::Option::None,
            };
            JOIN
        })
    }
}

/// `pub fn posts() -> Relation<User, Post, HasMany<Post>>`, one per relation,
/// inside the model's inherent impl.
pub fn accessors(model: &Model) -> TokenStream {
    let ident = &model.ident;
    let accessors = model.relations.iter().enumerate().map(|(i, relation)| {
        let p = parts(model, relation);
        let (name, slot, target) = (&relation.ident, &relation.ty, &p.target);
        let index = super::index(i);
        let doc = format!(
            "The `{}` relation: pass it to `include`, or use it in relation filters and counts.",
            relation.name
        );
        quote! {
            #[doc = #doc]
            #[inline]
            pub fn #name() -> ::strata::relation::Relation<#ident, #target, #slot> {
                ::strata::relation::Relation::new(
                    &<#ident as ::strata::Model>::SCHEMA.relations[#index],
                    |model| &mut model.#name,
                )
            }
        }
    });
    quote!(#(#accessors)*)
}

/// `Default::default()` (not loaded) for each relation field, in `FromRow`.
pub fn not_loaded(model: &Model) -> impl Iterator<Item = TokenStream> + '_ {
    model.relations.iter().map(|relation| {
        let name = &relation.ident;
        quote!(#name: ::core::default::Default::default())
    })
}

/// One `const _` per relation, checking it against the other model.
pub fn checks(model: &Model) -> TokenStream {
    let checks = model.relations.iter().map(|relation| {
        let p = parts(model, relation);
        let check = Check::new(model, &p);
        match p.spec.kind {
            RelationKind::BelongsTo => check.belongs_to(),
            RelationKind::HasOne | RelationKind::HasMany => check.has(),
            RelationKind::ManyToMany => check.many_to_many(model),
        }
    });
    quote!(#(#checks)*)
}

/// The pieces of one relation's check and its messages.
struct Check<'a> {
    p: &'a Parts<'a>,
    owner: String,
    /// "relation `posts` of model `User`"
    at: String,
    /// ` named "authored"`, or nothing.
    named: String,
    target: &'a TokenStream,
    target_name: &'a str,
}

impl<'a> Check<'a> {
    fn new(model: &Model, p: &'a Parts<'a>) -> Check<'a> {
        Check {
            p,
            owner: model.ident.to_string(),
            at: format!("relation `{}` of model `{}`", p.relation.name, model.ident),
            named: p
                .relation
                .pair_name()
                .map_or_else(String::new, |n| format!(" named \"{n}\"")),
            target: &p.target,
            target_name: &p.target_name,
        }
    }

    /// `name = ".."` as the other side should write it, for hints.
    fn name_option(&self, first: bool) -> String {
        match self.p.relation.pair_name() {
            Some(name) if first => format!("name = \"{name}\""),
            Some(name) => format!(", name = \"{name}\""),
            None => String::new(),
        }
    }

    fn belongs_to(&self) -> TokenStream {
        let (at, owner, target, named) = (&self.at, &self.owner, self.target_name, &self.named);
        let references: Vec<String> = (self.p.spec.references.iter())
            .map(|r| r.unraw().to_string())
            .collect();
        let listed = references.join(", ");
        let name = self.name_option(true);
        let has_many = if name.is_empty() {
            "has_many".to_owned()
        } else {
            format!("has_many({name})")
        };
        let call = {
            let name = opt_str(self.p.relation.pair_name());
            let target = self.target;
            quote!(::strata::__private::check_belongs_to(
                #owner, #name, &[#(#references),*], <#target as ::strata::Model>::SCHEMA,
            ))
        };
        let key_span = self
            .p
            .spec
            .references
            .first()
            .map_or(self.p.spec.span, |r| r.span());
        let arms = [
            (
                quote!(NotAKey),
                key_span,
                help(
                    format!("`references({listed})` of {at} is not a unique key of model `{target}`"),
                    &format!("reference the primary key of `{target}`, or fields it marks `#[strata(unique)]` or lists in `#[strata(unique(fields(..)))]`"),
                ),
            ),
            (
                quote!(NoBackSide),
                self.p.spec.span,
                help(
                    format!("{at} has no other side: model `{target}` declares no `has_many` or `has_one` relation to `{owner}`{named}"),
                    &format!("add `#[strata({has_many})] pub {}: HasMany<{owner}>` to `{target}` (or `has_one` with `HasOne<{owner}>`)", naming::snake_case(owner) + "s"),
                ),
            ),
            (
                quote!(Ambiguous),
                self.p.spec.span,
                self.ambiguous("`has_many`/`has_one`", "belongs_to(fields(..), references(..), name = \"..\")"),
            ),
        ];
        self.emit(call, arms)
    }

    fn has(&self) -> TokenStream {
        let (at, owner, target, named) = (&self.at, &self.owner, self.target_name, &self.named);
        let unique = self.p.spec.kind == RelationKind::HasOne;
        let call = {
            let name = opt_str(self.p.relation.pair_name());
            let target = self.target;
            quote!(::strata::__private::check_has(
                #owner, #name, #unique, <#target as ::strata::Model>::SCHEMA,
            ))
        };
        let keyword = self.p.spec.kind.keyword();
        let name = self.name_option(false);
        let span = self.p.spec.span;
        let field = naming::snake_case(owner);
        let mut arms = vec![
            (
                quote!(NoBackSide),
                span,
                help(
                    format!("{at} has no other side: model `{target}` declares no `belongs_to` relation to `{owner}`{named}"),
                    &format!("add to `{target}` a foreign key field `{field}_id` and `#[strata(belongs_to(fields({field}_id), references(id){name}))] pub {field}: BelongsTo<{owner}>`"),
                ),
            ),
            (
                quote!(Ambiguous),
                span,
                self.ambiguous("`belongs_to`", &format!("{keyword}(name = \"..\")")),
            ),
        ];
        if unique {
            arms.push((
                quote!(BackNotUnique),
                span,
                help(
                    format!("`has_one` {at} needs a unique foreign key, but the `belongs_to` of model `{target}` that points back has a foreign key that is not unique"),
                    &format!("mark the foreign key field of `{target}` `#[strata(unique)]`, or make this a `HasMany<{target}>` with `#[strata(has_many)]`"),
                ),
            ));
        }
        self.emit(call, arms)
    }

    fn many_to_many(&self, model: &Model) -> TokenStream {
        let (at, owner, target, named) = (&self.at, &self.owner, self.target_name, &self.named);
        let field = &self.p.relation.name;
        let through = self.p.spec.through.as_ref();
        let through_tokens = match through {
            Some(path) => {
                let path = super::resolve_self(model, path);
                quote!(::core::option::Option::Some(<#path as ::strata::Model>::SCHEMA))
            }
            None => quote!(::core::option::Option::None),
        };
        let call = {
            let name = opt_str(self.p.relation.pair_name());
            let target = self.target;
            quote!(::strata::__private::check_many_to_many(
                #owner, #field, #name, <#target as ::strata::Model>::SCHEMA, #through_tokens,
            ))
        };
        let through_name = path_name(model, &self.p.spec.through).unwrap_or_default();
        let options = match (self.p.relation.pair_name(), through) {
            (None, None) => String::new(),
            (Some(name), None) => format!("(name = \"{name}\")"),
            (None, Some(_)) => format!("(through = {through_name})"),
            (Some(name), Some(_)) => format!("(through = {through_name}, name = \"{name}\")"),
        };
        let span = self.p.spec.span;
        let through_span = match through {
            Some(path) => syn::spanned::Spanned::span(path),
            None => span,
        };
        let target_span =
            syn::spanned::Spanned::span(self.p.relation.target.as_ref().expect("validated"));
        let back_field = naming::snake_case(owner) + "s";
        let owner_field = naming::snake_case(owner);
        let target_field = naming::snake_case(target);
        let mut arms = vec![
            (
                quote!(NoBackSide),
                span,
                help(
                    format!("{at} has no other side: model `{target}` declares no `many_to_many` relation to `{owner}`{named}"),
                    &format!("add `#[strata(many_to_many{options})] pub {back_field}: ManyToMany<{owner}>` to `{target}`"),
                ),
            ),
            (
                quote!(Ambiguous),
                span,
                self.ambiguous("`many_to_many`", "many_to_many(name = \"..\")"),
            ),
            (
                quote!(JoinMismatch),
                through_span,
                help(
                    match through {
                        Some(_) => format!("{at} goes through join model `{through_name}`, but its other side on model `{target}` does not"),
                        None => format!("{at} uses a generated join table, but its other side on model `{target}` goes through a join model"),
                    },
                    "give both sides the same `many_to_many(through = JoinModel)`, or neither for a generated join table",
                ),
            ),
        ];
        if through.is_none() {
            arms.push((
                quote!(CompositeKey),
                target_span,
                help(
                    format!("{at} needs a generated join table, but model `{target}` has a composite primary key"),
                    "declare a join model with a `belongs_to` to each side and use `many_to_many(through = JoinModel)`",
                ),
            ));
            return self.emit(call, arms);
        }
        arms.extend([
            (
                quote!(ThroughMissesOwner),
                through_span,
                help(
                    if owner == target {
                        format!("join model `{through_name}` of {at} needs two `belongs_to` relations to `{owner}`, one per side")
                    } else {
                        format!("join model `{through_name}` of {at} has no `belongs_to` relation to `{owner}`")
                    },
                    &format!("add `#[strata(belongs_to(fields({owner_field}_id), references(id)))] pub {owner_field}: BelongsTo<{owner}>` (and its foreign key field) to `{through_name}`"),
                ),
            ),
            (
                quote!(ThroughMissesTarget),
                through_span,
                help(
                    format!("join model `{through_name}` of {at} has no `belongs_to` relation to `{target}`"),
                    &format!("add `#[strata(belongs_to(fields({target_field}_id), references(id)))] pub {target_field}: BelongsTo<{target}>` (and its foreign key field) to `{through_name}`"),
                ),
            ),
        ]);
        self.emit(call, arms)
    }

    fn ambiguous(&self, other_side: &str, form: &str) -> String {
        let (at, owner, target) = (&self.at, &self.owner, self.target_name);
        match self.p.relation.pair_name() {
            None => help(
                format!("{at} is ambiguous: model `{target}` has several {other_side} relations to `{owner}` without a `name`"),
                &format!("give this relation and the one it pairs with the same name: `{form}`"),
            ),
            Some(name) => help(
                format!("{at} is ambiguous: model `{target}` has several {other_side} relations to `{owner}` named \"{name}\""),
                "a `name` pairs exactly two sides: give each pair its own name",
            ),
        }
    }

    /// `const _: () = match call { Variant => panic!("message"), .. _ => {} };`
    fn emit(
        &self,
        call: TokenStream,
        arms: impl IntoIterator<Item = (TokenStream, Span, String)>,
    ) -> TokenStream {
        let arms = arms.into_iter().map(|(variant, span, message)| {
            quote_spanned! {span=>
                ::strata::__private::RelationCheck::#variant => ::core::panic!(#message),
            }
        });
        let span = self.p.spec.span;
        quote_spanned! {span=>
            const _: () = match #call {
                #(#arms)*
                _ => {}
            };
        }
    }
}

/// A message and its hint, as `diag::help` joins them, with braces escaped
/// for `panic!`'s format string.
fn help(message: String, hint: &str) -> String {
    crate::diag::help(message, hint)
        .replace('{', "{{")
        .replace('}', "}}")
}
