//! Relation descriptors: what a `#[strata(belongs_to(..))]`, `has_one`,
//! `has_many` or `many_to_many` field compiles to. Like the rest of the schema
//! they are plain `'static` data; `crate::relation` resolves them into the
//! columns a query joins on.

use super::ModelSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    /// This model holds the foreign key (`Post.author` via `Post.author_id`).
    BelongsTo,
    /// The other model holds a unique foreign key to this one (`User.profile`).
    HasOne,
    /// The other model holds a foreign key to this one (`User.posts`).
    HasMany,
    /// Rows are linked through a join table (`Post.tags`).
    ManyToMany,
}

impl RelationKind {
    /// Whether the relation holds a list of rows.
    pub fn is_many(self) -> bool {
        matches!(self, RelationKind::HasMany | RelationKind::ManyToMany)
    }
}

#[derive(Debug)]
pub struct RelationSchema {
    /// The Rust field holding the loaded rows (`posts`).
    pub field: &'static str,
    /// `name = ".."`: pairs the two sides when two models have several
    /// relations between them (or a model has several to itself).
    pub name: Option<&'static str>,
    pub kind: RelationKind,
    /// The related model. A function, like [`super::ForeignKeySchema::target`],
    /// so models may point at each other without a const cycle.
    pub target: fn() -> &'static ModelSchema,
    /// The related model's Rust name as written (last path segment), for the
    /// compile-time pairing checks, which cannot call `target`.
    pub target_name: &'static str,
    /// `BelongsTo`: this model's foreign-key columns (indices into `columns`).
    pub fields: &'static [usize],
    /// `BelongsTo`: the target's referenced fields (Rust names), in `fields` order.
    pub references: &'static [&'static str],
    /// `ManyToMany`: the join table, either generated (`_PostToTag`, see
    /// `implicit_join`) or the `through = ..` model.
    pub join: Option<fn() -> &'static ModelSchema>,
    /// Whether `join` is a generated table that `push_schema` must create.
    pub implicit_join: bool,
    /// `ManyToMany` with `through = PostTag`: the join model's Rust name (last
    /// path segment), so the join model's `belongs_to` fields find this
    /// relation as their other side in the compile-time checks.
    pub through: Option<&'static str>,
}

impl RelationSchema {
    pub fn target(&self) -> &'static ModelSchema {
        (self.target)()
    }
}
