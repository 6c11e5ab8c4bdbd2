//! Compile-time checks of relation declarations across models.
//!
//! The derive sees one struct at a time, so a rule that involves the other
//! side of a relation (does `Post` declare a `belongs_to` back to `User`? is
//! `references(id)` a unique key of `User`?) is checked by the compiler: the
//! derive emits `const _: () = match check_*(<Target as Model>::SCHEMA, ..)`
//! with one literal `panic!` per failure, spanned at the user's attribute (a
//! panic in a const can only print a literal, so the derive writes each
//! message). These functions only answer which rule failed.
//!
//! Matching is by name: `target_name` is the related model's Rust name, and
//! two sides pair when they point at each other and carry the same `name`
//! (both `None`, or equal strings).

use super::{ColumnSchema, ModelSchema, RelationKind, RelationSchema, SqlType};

/// The outcome of one relation's cross-model check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationCheck {
    Ok,
    /// The target declares no relation that pairs with this one.
    NoBackSide,
    /// More than one relation of the target could pair with this one.
    Ambiguous,
    /// `belongs_to(references(..))` is neither the target's primary key nor
    /// one of its unique keys.
    NotAKey,
    /// `has_one`: the `belongs_to` pointing back has a foreign key that is not
    /// unique, so several rows could claim to be "the one".
    BackNotUnique,
    /// An implicit `many_to_many` to a model whose primary key has several
    /// columns (the generated join table has one column per side).
    CompositeKey,
    /// The two sides of a `many_to_many` disagree on the join: one goes
    /// through a join model and the other not, or through another one.
    JoinMismatch,
    /// `through = ..`: the join model has no `belongs_to` to this model.
    ThroughMissesOwner,
    /// `through = ..`: the join model has no `belongs_to` to the target.
    ThroughMissesTarget,
}

/// `belongs_to` on `owner.field` pointing at `target` by `references`.
pub const fn check_belongs_to(
    owner: &str,
    name: Option<&str>,
    references: &[&str],
    target: &ModelSchema,
) -> RelationCheck {
    if is_stub(target) {
        return RelationCheck::Ok;
    }
    if !references_a_key(target, references) {
        return RelationCheck::NotAKey;
    }
    // A `has_many`/`has_one` back pairs by name; failing that, a join model
    // is paired by the `many_to_many(through = ..)` that goes through it.
    let (mut found, mut through) = (0, 0);
    let mut i = 0;
    while i < target.relations.len() {
        let r = &target.relations[i];
        match r.kind {
            RelationKind::HasMany | RelationKind::HasOne => {
                if str_eq(r.target_name, owner) && opt_eq(r.name, name) {
                    found += 1;
                }
            }
            RelationKind::ManyToMany => {
                if opt_eq(r.through, Some(owner)) {
                    through += 1;
                }
            }
            RelationKind::BelongsTo => {}
        }
        i += 1;
    }
    if found == 0 && through > 0 {
        return RelationCheck::Ok;
    }
    count(found)
}

/// `has_many` (or `has_one`, `unique_back`) on `owner.field` pointing at `target`.
pub const fn check_has(
    owner: &str,
    name: Option<&str>,
    unique_back: bool,
    target: &ModelSchema,
) -> RelationCheck {
    if is_stub(target) {
        return RelationCheck::Ok;
    }
    let mut found = 0;
    let mut back: Option<&RelationSchema> = None;
    let mut i = 0;
    while i < target.relations.len() {
        let r = &target.relations[i];
        if matches!(r.kind, RelationKind::BelongsTo)
            && str_eq(r.target_name, owner)
            && opt_eq(r.name, name)
        {
            found += 1;
            back = Some(r);
        }
        i += 1;
    }
    match (count(found), back) {
        (RelationCheck::Ok, Some(back)) if unique_back && !is_unique(target, back.fields) => {
            RelationCheck::BackNotUnique
        }
        (outcome, _) => outcome,
    }
}

/// `many_to_many` on `owner.field` pointing at `target`, through a generated
/// table (`through` is `None`) or a join model.
pub const fn check_many_to_many(
    owner: &str,
    field: &str,
    name: Option<&str>,
    target: &ModelSchema,
    through: Option<&ModelSchema>,
) -> RelationCheck {
    if is_stub(target) {
        return RelationCheck::Ok;
    }
    let self_relation = str_eq(target.name, owner);
    let mut found = 0;
    let mut back_through = None;
    let mut i = 0;
    while i < target.relations.len() {
        let r = &target.relations[i];
        if matches!(r.kind, RelationKind::ManyToMany)
            && str_eq(r.target_name, owner)
            && opt_eq(r.name, name)
            && !(self_relation && str_eq(r.field, field))
        {
            found += 1;
            back_through = r.through;
        }
        i += 1;
    }
    let outcome = count(found);
    if !matches!(outcome, RelationCheck::Ok) {
        return outcome;
    }
    // Both sides go through the same join model, or both through the
    // generated table.
    let through_name = match through {
        Some(join) => Some(join.name),
        None => None,
    };
    if !opt_eq(back_through, through_name) {
        return RelationCheck::JoinMismatch;
    }
    match through {
        None if target.primary_key.columns.len() != 1 => RelationCheck::CompositeKey,
        None => RelationCheck::Ok,
        Some(join) if is_stub(join) => RelationCheck::Ok,
        Some(join) => {
            // A self-relation needs two `belongs_to` to the one model.
            let to_owner = belongs_to_count(join, owner);
            if to_owner == 0 || (self_relation && to_owner < 2) {
                RelationCheck::ThroughMissesOwner
            } else if belongs_to_count(join, target.name) == 0 {
                RelationCheck::ThroughMissesTarget
            } else {
                RelationCheck::Ok
            }
        }
    }
}

const fn count(found: usize) -> RelationCheck {
    match found {
        0 => RelationCheck::NoBackSide,
        1 => RelationCheck::Ok,
        _ => RelationCheck::Ambiguous,
    }
}

/// A model whose derive failed has an empty table name; its own errors are
/// the ones to read, so nothing is checked against it.
const fn is_stub(model: &ModelSchema) -> bool {
    model.table.is_empty()
}

const fn belongs_to_count(model: &ModelSchema, target: &str) -> usize {
    let mut found = 0;
    let mut i = 0;
    while i < model.relations.len() {
        let r = &model.relations[i];
        if matches!(r.kind, RelationKind::BelongsTo) && str_eq(r.target_name, target) {
            found += 1;
        }
        i += 1;
    }
    found
}

/// Whether the fields named `references` are exactly the primary key or one
/// unique key of `model`, in any order.
const fn references_a_key(model: &ModelSchema, references: &[&str]) -> bool {
    let mut columns = [usize::MAX; 16];
    if references.len() > columns.len() {
        return false;
    }
    let mut i = 0;
    while i < references.len() {
        match column_named(model, references[i]) {
            Some(c) => columns[i] = c,
            None => return false,
        }
        i += 1;
    }
    let (columns, _) = columns.split_at(references.len());
    is_unique(model, columns)
}

/// Whether `columns` are exactly the primary key or one unique key of `model`.
const fn is_unique(model: &ModelSchema, columns: &[usize]) -> bool {
    if same_set(model.primary_key.columns, columns) {
        return true;
    }
    let mut i = 0;
    while i < model.uniques.len() {
        if same_set(model.uniques[i].columns, columns) {
            return true;
        }
        i += 1;
    }
    false
}

/// Equal as sets; neither side lists a column twice.
const fn same_set(a: &[usize], b: &[usize]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        let mut j = 0;
        while j < b.len() && b[j] != a[i] {
            j += 1;
        }
        if j == b.len() {
            return false;
        }
        i += 1;
    }
    true
}

const fn column_named(model: &ModelSchema, field: &str) -> Option<usize> {
    let mut i = 0;
    while i < model.columns.len() {
        if str_eq(model.columns[i].field, field) {
            return Some(i);
        }
        i += 1;
    }
    None
}

const fn opt_eq(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => str_eq(a, b),
        _ => false,
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The primary-key column of `model`, which a generated join table's column
/// references and copies its type from. A model whose derive failed has no
/// key; it gets a placeholder so that only its own errors are reported.
pub const fn key_column(model: &'static ModelSchema) -> &'static ColumnSchema {
    const PLACEHOLDER: ColumnSchema = ColumnSchema {
        field: "",
        name: "",
        ty: SqlType::Int,
        nullable: false,
        default: None,
        updated_at: false,
        db_type: None,
    };
    match model.primary_key.columns {
        [index, ..] => &model.columns[*index],
        [] => &PLACEHOLDER,
    }
}

/// A key of type `Self` may be referenced by a foreign key field of type
/// `F`: the same type, or its `Option` for a nullable foreign key. (On the key
/// rather than the foreign key, so that rustc cannot pick the one fitting
/// impl early and report a bare type mismatch instead of this message.)
#[diagnostic::on_unimplemented(
    message = "a foreign key field of type `{F}` cannot reference a key of type `{Self}`",
    label = "this key has type `{Self}`",
    note = "give the `belongs_to(fields(..))` field the type of the field it references, `{Self}` (or `Option<{Self}>` for an optional relation)"
)]
pub trait ReferencedBy<F> {}
impl<K> ReferencedBy<K> for K {}
impl<K> ReferencedBy<Option<K>> for K {}

/// Compiles only when the foreign-key column `fk` may reference `key`; the
/// derive calls it once per `belongs_to(fields(..), references(..))` pair.
pub const fn same_key<M, N, K: ReferencedBy<F>, F>(
    key: crate::Column<N, K>,
    fk: crate::Column<M, F>,
) {
    let _ = (key, fk);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::KeySchema;

    const fn column(field: &'static str) -> ColumnSchema {
        ColumnSchema {
            field,
            name: field,
            ty: SqlType::Int,
            nullable: false,
            default: None,
            updated_at: false,
            db_type: None,
        }
    }

    fn user() -> &'static ModelSchema {
        &USER
    }

    const fn relation(
        field: &'static str,
        kind: RelationKind,
        target_name: &'static str,
        name: Option<&'static str>,
        fields: &'static [usize],
    ) -> RelationSchema {
        RelationSchema {
            field,
            name,
            kind,
            target: user,
            target_name,
            fields,
            references: &[],
            join: None,
            implicit_join: false,
            through: None,
        }
    }

    static USER: ModelSchema = ModelSchema {
        name: "User",
        table: "users",
        columns: &[column("id"), column("email"), column("a"), column("b")],
        primary_key: KeySchema {
            name: "pk",
            columns: &[0],
        },
        uniques: &[KeySchema {
            name: "u",
            columns: &[3, 2],
        }],
        foreign_keys: &[],
        indexes: &[],
        checks: &[],
        version: None,
        soft_delete: None,
        tenant: None,
        relations: &[],
    };

    static POST: ModelSchema = ModelSchema {
        name: "Post",
        table: "posts",
        columns: &[column("id"), column("author_id"), column("editor_id")],
        primary_key: KeySchema {
            name: "pk",
            columns: &[0],
        },
        uniques: &[],
        foreign_keys: &[],
        indexes: &[],
        checks: &[],
        version: None,
        soft_delete: None,
        tenant: None,
        relations: &[
            relation("author", RelationKind::BelongsTo, "User", None, &[1]),
            relation(
                "editor",
                RelationKind::BelongsTo,
                "User",
                Some("edits"),
                &[2],
            ),
            relation("tags", RelationKind::ManyToMany, "Tag", None, &[]),
        ],
    };

    #[test]
    fn references_must_be_a_key() {
        assert!(references_a_key(&USER, &["id"]));
        assert!(references_a_key(&USER, &["a", "b"]));
        assert!(!references_a_key(&USER, &["email"]));
        assert!(!references_a_key(&USER, &["a"]));
        assert!(!references_a_key(&USER, &["nope"]));
    }

    #[test]
    fn sides_pair_by_target_and_name() {
        use RelationCheck::*;
        assert_eq!(check_has("User", None, false, &POST), Ok);
        assert_eq!(check_has("User", Some("edits"), false, &POST), Ok);
        assert_eq!(check_has("User", Some("other"), false, &POST), NoBackSide);
        assert_eq!(check_has("User", None, true, &POST), BackNotUnique);
        assert_eq!(check_has("Comment", None, false, &POST), NoBackSide);
        assert_eq!(check_many_to_many("Tag", "posts", None, &POST, None), Ok);
        // `Post.tags` uses the generated table; this side goes through a model.
        assert_eq!(
            check_many_to_many("Tag", "posts", None, &POST, Some(&USER)),
            JoinMismatch
        );
        assert_eq!(
            check_belongs_to("Comment", None, &["id"], &POST),
            NoBackSide
        );
        assert_eq!(
            check_belongs_to("Comment", None, &["author_id"], &POST),
            NotAKey
        );
    }
}
