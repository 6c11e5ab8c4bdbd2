//! Relation fields: what they expand to, and the rules the macro checks
//! itself (the cross-model ones are const items, exercised by the ui tests).

use super::errors;
use crate::derive_model_inner;
use proc_macro2::TokenStream;
use syn::parse_quote;

fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("expansion parses as a file");
    prettyplease::unparse(&file)
}

/// The expansion, pretty-printed and then stripped of whitespace, so the
/// checks below do not depend on where prettyplease breaks lines.
fn expand_ok(input: TokenStream) -> String {
    let out = derive_model_inner(input);
    assert!(errors(&out).is_empty(), "{:#?}", errors(&out));
    squash(&pretty(out))
}

fn squash(code: &str) -> String {
    let code: String = code.split_whitespace().collect();
    [",)", ",>", ",]", ",}"]
        .iter()
        .fold(code, |code, comma| code.replace(comma, &comma[1..]))
}

fn assert_contains(code: &str, expected: &[&str]) {
    for expected in expected {
        assert!(
            code.contains(&squash(expected)),
            "missing {expected:?} in:\n{code}"
        );
    }
}

fn one_error(input: TokenStream) -> String {
    let found = errors(&derive_model_inner(input));
    assert_eq!(found.len(), 1, "{found:#?}");
    found.into_iter().next().expect("one error")
}

fn user() -> TokenStream {
    parse_quote! {
        pub struct User {
            #[strata(id, default = cuid)]
            pub id: String,
            pub manager_id: Option<String>,
            #[strata(has_many(name = "authored"))]
            pub posts: HasMany<Post>,
            #[strata(has_one)]
            pub profile: strata::HasOne<Profile>,
            #[strata(belongs_to(fields(manager_id), references(id)), on_delete = set_null)]
            pub manager: BelongsTo<Option<Self>>,
            #[strata(has_many)]
            pub reports: HasMany<User>,
            #[strata(many_to_many(name = "follows"))]
            pub following: ManyToMany<User>,
            #[strata(many_to_many(name = "follows"))]
            pub followers: ManyToMany<User>,
            pub email: String,
        }
    }
}

#[test]
fn relation_fields_are_not_columns() {
    let code = expand_ok(user());
    // Three columns: id, manager_id, email (declared after the relations).
    assert_contains(
        &code,
        &[
            "::strata::Column::new(2)",
            "pub const fn email() -> ::strata::Column<User, String>",
            "posts: ::core::default::Default::default()",
            "manager: ::core::default::Default::default()",
        ],
    );
    assert!(!code.contains("::strata::Column::new(3)"), "{code}");
    // No setter, no partial field, no column value for a relation.
    for absent in [
        "pub fn posts(mut self",
        "pub posts: ::core::option::Option",
        "ColumnSchema { field: \"posts\"",
    ] {
        assert!(
            !code.contains(&squash(absent)),
            "unexpected {absent:?} in:\n{code}"
        );
    }
}

#[test]
fn relation_schemas_and_accessors() {
    let code = expand_ok(user());
    assert_contains(
        &code,
        &[
            "field: \"posts\"",
            "name: ::core::option::Option::Some(\"authored\")",
            "kind: ::strata::__private::RelationKind::HasMany",
            "target: { fn schema() -> &'static ::strata::__private::ModelSchema { <Post as ::strata::Model>::SCHEMA } schema }",
            "target_name: \"Post\"",
            // `Self` is spelled as the model outside its impls.
            "target: { fn schema() -> &'static ::strata::__private::ModelSchema { <User as ::strata::Model>::SCHEMA } schema }",
            "kind: ::strata::__private::RelationKind::BelongsTo",
            "fields: &[1]",
            "references: &[\"id\"]",
            "pub fn posts() -> ::strata::relation::Relation<User, Post, HasMany<Post>>",
            "&<User as ::strata::Model>::SCHEMA.relations[0]",
            "|model| &mut model.posts",
            "pub fn manager() -> ::strata::relation::Relation<User, User, BelongsTo<Option<Self>>>",
            "&<User as ::strata::Model>::SCHEMA.relations[2]",
            // The belongs_to's foreign key, as `references(..)` would declare it.
            "name: \"user_manager_id_fkey\"",
            "on_delete: ::strata::__private::ReferentialAction::SetNull",
            // Its field type is checked against the referenced key.
            "::strata::__private::same_key(<User>::id(), User::manager_id());",
            // Cross-model checks.
            "::strata::__private::check_has(",
            "::strata::__private::check_belongs_to(",
            "::strata::__private::check_many_to_many(",
            "::strata::__private::RelationCheck::NoBackSide => {",
        ],
    );
}

#[test]
fn implicit_join_table() {
    let code = expand_ok(user());
    assert_contains(
        &code,
        &[
            "implicit_join: true",
            "name: \"_follows\"",
            "table: \"_follows\"",
            "name: \"_follows_AB_pkey\"",
            "columns: &[0, 1]",
            "name: \"_follows_A_fkey\"",
            "name: \"_follows_B_fkey\"",
            "name: \"_follows_B_index\"",
            "on_delete: ::strata::__private::ReferentialAction::Cascade",
            "ty: ::strata::__private::key_column(<User as ::strata::Model>::SCHEMA).ty",
        ],
    );
    // Unnamed: `_{A}To{B}` with the model names sorted, the same from both sides.
    let post = expand_ok(parse_quote! {
        pub struct Post {
            #[strata(id)] pub id: i64,
            #[strata(many_to_many)] pub tags: ManyToMany<Tag>,
        }
    });
    let tag = expand_ok(parse_quote! {
        pub struct Tag {
            #[strata(id)] pub id: i64,
            #[strata(many_to_many)] pub posts: ManyToMany<Post>,
        }
    });
    for code in [&post, &tag] {
        assert_contains(code, &["table: \"_PostToTag\""]);
        let a = code.find(&squash("field: \"A\"")).expect("column A");
        let join = &code[a..];
        assert!(
            join.find(&squash("<Post as ::strata::Model>"))
                .expect("A is Post")
                < join
                    .find(&squash("<Tag as ::strata::Model>"))
                    .expect("B is Tag"),
            "{code}"
        );
    }
}

#[test]
fn through_model() {
    let code = expand_ok(parse_quote! {
        pub struct Post {
            #[strata(id)] pub id: i64,
            #[strata(many_to_many(through = PostTag))] pub tags: HasMany<Tag>,
        }
    });
    assert_contains(
        &code,
        &[
            "join: ::core::option::Option::Some({ fn schema() -> &'static ::strata::__private::ModelSchema { <PostTag as ::strata::Model>::SCHEMA } schema })",
            "implicit_join: false",
            "through: ::core::option::Option::Some(\"PostTag\")",
            "::core::option::Option::Some(<PostTag as ::strata::Model>::SCHEMA)",
        ],
    );
}

#[test]
fn composite_belongs_to() {
    let code = expand_ok(parse_quote! {
        pub struct Invoice {
            #[strata(id)] pub id: i64,
            pub org: String,
            pub number: i32,
            #[strata(belongs_to(fields(org, number), references(org, number), on_delete = cascade))]
            pub account: BelongsTo<Account>,
        }
    });
    assert_contains(
        &code,
        &[
            "columns: &[1, 2]",
            "target_fields: &[\"org\", \"number\"]",
            "name: \"invoice_org_number_fkey\"",
            "on_delete: ::strata::__private::ReferentialAction::Cascade",
            "fields: &[1, 2]",
            "references: &[\"org\", \"number\"]",
        ],
    );
}

#[test]
fn attribute_and_type_must_agree() {
    let missing = one_error(parse_quote! {
        struct U { #[strata(id)] id: i64, posts: HasMany<Post> }
    });
    assert!(
        missing.starts_with(
            "field `posts` of model `U` has type `HasMany<Post>` but no relation attribute"
        ),
        "{missing}"
    );
    assert!(
        missing.contains("help: add `#[strata(has_many)]`"),
        "{missing}"
    );
    let wrong = one_error(parse_quote! {
        struct U { #[strata(id)] id: i64, #[strata(has_one)] posts: HasMany<Post> }
    });
    assert!(
        wrong.contains("`has_one` on field `posts` of model `U`, which has type `HasMany<Post>`"),
        "{wrong}"
    );
    let not_holder = one_error(parse_quote! {
        struct U { #[strata(id)] id: i64, #[strata(has_many)] posts: Vec<Post> }
    });
    assert!(
        not_holder.contains("is not a relation type"),
        "{not_holder}"
    );
    let two = one_error(parse_quote! {
        struct U { #[strata(id)] id: i64, #[strata(has_many, has_one)] posts: HasMany<Post> }
    });
    assert!(two.contains("has both `has_one` and `has_many`"), "{two}");
    // HasMany is the type behind ManyToMany, so it fits `many_to_many`.
    expand_ok(parse_quote! {
        struct U { #[strata(id)] id: i64, #[strata(many_to_many)] tags: HasMany<Tag> }
    });
}

#[test]
fn belongs_to_rules() {
    let nullable = one_error(parse_quote! {
        struct P { #[strata(id)] id: i64, c: Option<i32>,
            #[strata(belongs_to(fields(c), references(id)))] cat: BelongsTo<Category> }
    });
    assert!(
        nullable.contains("is `BelongsTo<Category>`, but its foreign key field `c` is an `Option`"),
        "{nullable}"
    );
    let required = one_error(parse_quote! {
        struct P { #[strata(id)] id: i64, c: i32,
            #[strata(belongs_to(fields(c), references(id)))] cat: BelongsTo<Option<Category>> }
    });
    assert!(
        required.contains("but its foreign key `c` is required"),
        "{required}"
    );
    let count = one_error(parse_quote! {
        struct P { #[strata(id)] id: i64, a: i32, b: i32,
            #[strata(belongs_to(fields(a, b), references(id)))] x: BelongsTo<X> }
    });
    assert!(
        count.contains("lists 2 field(s) in `fields(..)` but 1"),
        "{count}"
    );
    let unknown = one_error(parse_quote! {
        struct P { #[strata(id)] id: i64,
            #[strata(belongs_to(fields(a), references(id)))] x: BelongsTo<X> }
    });
    assert!(unknown.contains("model `P` has no field `a`"), "{unknown}");
    let bare = one_error(parse_quote! {
        struct P { #[strata(id)] id: i64, #[strata(belongs_to)] x: BelongsTo<X> }
    });
    assert!(
        bare.contains(
            "`belongs_to` on field `x` of model `P` needs `fields(..)` and `references(..)`"
        ),
        "{bare}"
    );
    let twice = one_error(parse_quote! {
        struct P { #[strata(id)] id: i64, a: i32,
            #[strata(belongs_to(fields(a), references(id), on_delete = cascade), on_delete = cascade)]
            x: BelongsTo<X> }
    });
    assert!(twice.contains("`on_delete` is given twice"), "{twice}");
}

#[test]
fn options_belong_to_their_kind() {
    let through = one_error(parse_quote! {
        struct P { #[strata(id)] id: i64, #[strata(has_many(through = J))] x: HasMany<X> }
    });
    assert!(
        through.contains("only `many_to_many` goes through a join model"),
        "{through}"
    );
    let fields = one_error(parse_quote! {
        struct P { #[strata(id)] id: i64, #[strata(has_one(fields(a)))] x: HasOne<X> }
    });
    assert!(
        fields.contains("only `belongs_to` declares a foreign key"),
        "{fields}"
    );
    let action = one_error(parse_quote! {
        struct P { #[strata(id)] id: i64, #[strata(has_many, on_delete = cascade)] x: HasMany<X> }
    });
    assert!(
        action.contains("referential actions belong on the `belongs_to` side"),
        "{action}"
    );
    let column = one_error(parse_quote! {
        struct P { #[strata(id)] id: i64, #[strata(has_many, index)] x: HasMany<X> }
    });
    assert!(
        column.contains("a relation field is not a column"),
        "{column}"
    );
}

#[test]
fn pairs_must_be_distinguishable() {
    let unnamed = one_error(parse_quote! {
        struct P { #[strata(id)] id: i64, a: i64, b: i64,
            #[strata(belongs_to(fields(a), references(id)))] x: BelongsTo<U>,
            #[strata(belongs_to(fields(b), references(id)))] y: BelongsTo<U> }
    });
    assert!(
        unnamed
            .contains("model `P` has 2 `belongs_to` relations to `U` without a `name` (`x`, `y`)"),
        "{unnamed}"
    );
    // Two fields of one model may form a self-relation's many_to_many pair ...
    expand_ok(parse_quote! {
        struct U { #[strata(id)] id: i64,
            #[strata(many_to_many)] a: ManyToMany<U>,
            #[strata(many_to_many)] b: ManyToMany<U> }
    });
    // ... but not three.
    let three = one_error(parse_quote! {
        struct U { #[strata(id)] id: i64,
            #[strata(many_to_many(name = "n"))] a: ManyToMany<U>,
            #[strata(many_to_many(name = "n"))] b: ManyToMany<U>,
            #[strata(many_to_many(name = "n"))] c: ManyToMany<U> }
    });
    assert!(three.contains("named \"n\""), "{three}");
}

#[test]
fn relation_names_and_keys() {
    let clash = one_error(parse_quote! {
        struct U { #[strata(id)] id: i64, #[strata(has_many)] count: HasMany<X> }
    });
    assert!(
        clash.contains("clashes with the generated `U::count()`"),
        "{clash}"
    );
    let key = one_error(parse_quote! {
        #[strata(unique(fields(posts)))]
        struct U { #[strata(id)] id: i64, #[strata(has_many)] posts: HasMany<X> }
    });
    assert!(
        key.contains("field `posts` of model `U` is a relation, not a column"),
        "{key}"
    );
    let composite = one_error(parse_quote! {
        #[strata(id(fields(a, b)))]
        struct U { a: i64, b: i64, #[strata(many_to_many)] tags: ManyToMany<Tag> }
    });
    assert!(
        composite.contains("needs a single-field primary key"),
        "{composite}"
    );
}
