//! A relation field's type names the related model's `{Model}Ref`, a unit
//! struct, never the model or a type with its fields: a model whose type
//! contained its related models would contain every model reachable through
//! relations, and a debug build of the user's crate then recompiles nearly
//! all of it when one model changes; one that contained `{Model}Partial`
//! changed with each field of its neighbours (see
//! `runtime/src/relation/slot.rs`). The typed API is unchanged.

use schema_examples::blog::{Category, Post, Profile, User};
use std::any::type_name;
use strata::{BelongsTo, HasMany, HasOne, ManyToMany, PartialModel};

/// The generic arguments of `T`'s type name: what its debug info and its
/// type's auto-trait proofs are made of.
fn arguments<T>() -> &'static str {
    let name = type_name::<T>();
    &name[name.find('<').expect("a holder is generic")..]
}

#[test]
fn holders_name_the_field_less_model_ref_only() {
    let cases = [
        (
            arguments::<HasMany<Post>>(),
            "<schema_examples::blog::PostRef>",
        ),
        (
            arguments::<ManyToMany<Post>>(),
            "<schema_examples::blog::PostRef>",
        ),
        (
            arguments::<HasOne<Profile>>(),
            "<schema_examples::blog::ProfileRef>",
        ),
        (
            arguments::<BelongsTo<User>>(),
            "<schema_examples::blog::UserRef>",
        ),
        (
            arguments::<BelongsTo<Option<Category>>>(),
            "<core::option::Option<schema_examples::blog::CategoryRef>>",
        ),
    ];
    for (actual, expected) in cases {
        assert_eq!(actual, expected);
    }
    // Field-less: nothing in it changes when a field of the model does.
    assert_eq!(std::mem::size_of::<schema_examples::blog::PostRef>(), 0);
}

#[test]
fn holders_hand_out_the_model() {
    let posts = HasMany::<Post>::default();
    let none: Option<&[Post]> = posts.get();
    assert!(none.is_none() && !posts.is_loaded());
    let author = BelongsTo::<User>::default();
    let none: Option<&User> = author.get();
    assert!(none.is_none());
    let category = BelongsTo::<Option<Category>>::default();
    let none: Option<&Option<Category>> = category.get();
    assert!(none.is_none());
    let profile = HasOne::<Profile>::default();
    let none: Option<Option<&Profile>> = profile.get();
    assert!(none.is_none());
    assert!(matches!(
        author.loaded(),
        Err(strata::Error::NotLoaded { model: "User" })
    ));
}

/// Every row carries a holder per relation, loaded or not, and is moved
/// several times on its way to the caller: a holder is one boxed `dyn` (two
/// words), and an unfilled one allocates nothing.
#[test]
fn holders_are_two_words_wide() {
    let words = 2 * std::mem::size_of::<usize>();
    assert_eq!(std::mem::size_of::<HasMany<Post>>(), words);
    assert_eq!(std::mem::size_of::<HasOne<Profile>>(), words);
    assert_eq!(std::mem::size_of::<BelongsTo<User>>(), words);
    assert_eq!(std::mem::size_of::<BelongsTo<Option<Category>>>(), words);
}

/// A count and rows live side by side: filling either keeps the other,
/// taking the rows keeps the count, and clones compare equal.
#[test]
fn a_holders_count_and_rows_are_kept_apart() {
    let mut posts = HasMany::<Post>::default();
    posts.set_count(3);
    assert_eq!(posts.count(), Some(3));
    assert!(!posts.is_loaded() && posts.get().is_none());
    posts.set_rows(Vec::new());
    assert_eq!(
        (posts.count(), posts.get().map(<[Post]>::len)),
        (Some(3), Some(0))
    );
    let copy = posts.clone();
    assert_eq!(copy, posts);
    assert_eq!(posts.take().map(|rows| rows.len()), Some(0));
    assert!(!posts.is_loaded() && posts.take().is_none());
    assert_eq!(posts.count(), Some(3));
    assert_ne!(copy, posts);
    assert_eq!(
        HasMany::<Post>::default().take().map(|rows| rows.len()),
        None
    );
    // Rows first, then a count: the rows are kept.
    let mut comments = HasMany::<Post>::default();
    comments.set_rows(Vec::new());
    assert_eq!((comments.is_loaded(), comments.count()), (true, None));
    comments.set_count(0);
    assert_eq!(comments.get().map(<[Post]>::len), Some(0));
    assert_eq!(comments.count(), Some(0));
    assert_ne!(comments, HasMany::<Post>::default());
    // Partial rows (an include with `select`/`omit`) are not the full rows:
    // `take` leaves them, and the count stays beside them.
    let partial = std::sync::Arc::new(Vec::<<Post as PartialModel>::Partial>::new());
    comments.set_partial(partial);
    assert!(comments.is_loaded() && comments.get().is_none());
    assert_eq!(comments.partial().map(<[_]>::len), Some(0));
    assert!(comments.take().is_none() && comments.partial().is_some());
    assert_eq!(comments.count(), Some(0));
}
