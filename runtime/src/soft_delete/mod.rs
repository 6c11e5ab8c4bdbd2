//! Soft delete: `#[strata(soft_delete = deleted_at)]` models keep deleted
//! rows, marked with the time of their deletion, and every model read
//! leaves them out.
//!
//! Built on the interceptor mechanism: [`rewrite`] holds the AST rewrites
//! as pure functions, and the built-in interceptor every `Db` runs first
//! applies them to each operation with the [`Scope`] its builder set
//! (`with_deleted()`, `only_deleted()`, `force_delete()`, `restore()`).
//! Models without soft delete, and models whose relations reach none, cost
//! one cached lookup per operation.

pub mod rewrite;
mod tables;

/// Which rows of a soft-deleted model an operation sees. Only the
/// operation's own model follows it; rows of related models in relation
/// filters, counts and includes are always the live ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Live rows only; a delete soft-deletes. The default.
    #[default]
    Live,
    /// Live and deleted rows (`with_deleted()`); a delete is a real
    /// DELETE (`force_delete()`).
    WithDeleted,
    /// Deleted rows only (`only_deleted()`, `restore()`); a delete is a
    /// real DELETE of rows already soft-deleted.
    OnlyDeleted,
}
