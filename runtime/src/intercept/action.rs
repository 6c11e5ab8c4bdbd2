//! What kind of operation an interceptor is looking at.

/// The operation behind one statement (or one batch of statements) strata
/// is about to run. New kinds may be added, so match with a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// `Model::find_unique(key)`; also the read-back of a write that cannot
    /// use RETURNING.
    FindUnique,
    FindFirst,
    /// `find_many`, including its `select`/`omit` forms and the reads of a
    /// relation handle.
    FindMany,
    Count,
    Exists,
    /// `Model::aggregate(..)`.
    Aggregate,
    /// `Model::group_by(..)`.
    GroupBy,
    Create,
    /// `create_many`: one operation, even where the rows are split into
    /// several statements under a bind limit.
    CreateMany,
    /// An update of one row by key (optimistic-locking updates included).
    Update,
    UpdateMany,
    Upsert,
    /// A delete of one row by key.
    Delete,
    DeleteMany,
    /// One level of an `include`, read in its own statement: the model is
    /// the related (child) model, the arguments a [`Load`](crate::query::ast::Load).
    /// Includes read inside their parent's statement (strategy `Joined`)
    /// are part of the parent's [`Statement`](crate::query::ast::Statement).
    Include,
    /// The select builder (`strata::select`), with or without a row lock.
    Select,
    /// A `sql!` fragment run by `fetch_*` or `execute`.
    Raw,
    /// strata's own statements: EXPLAIN, the saga tables, migrations'
    /// bookkeeping and backfills, introspection, `push_schema`'s DDL. Not
    /// offered to `before` hooks (nothing in them is the user's to change);
    /// their `sql` and `after` hooks run, so tracing and metrics see them.
    Internal,
}

impl Action {
    /// Whether the operation only reads, so a read replica may serve it.
    /// `Raw` is not: a `sql!` fragment may write or call a function that
    /// does, so it runs on the primary. A locking read is routed to the
    /// primary by the executor whatever this says.
    pub fn reads(self) -> bool {
        matches!(
            self,
            Action::FindUnique
                | Action::FindFirst
                | Action::FindMany
                | Action::Count
                | Action::Exists
                | Action::Aggregate
                | Action::GroupBy
                | Action::Include
                | Action::Select
        )
    }

    /// The action's name as tracing and metrics label it: `find_many`,
    /// `create`, `raw`..
    pub fn as_str(self) -> &'static str {
        match self {
            Action::FindUnique => "find_unique",
            Action::FindFirst => "find_first",
            Action::FindMany => "find_many",
            Action::Count => "count",
            Action::Exists => "exists",
            Action::Aggregate => "aggregate",
            Action::GroupBy => "group_by",
            Action::Create => "create",
            Action::CreateMany => "create_many",
            Action::Update => "update",
            Action::UpdateMany => "update_many",
            Action::Upsert => "upsert",
            Action::Delete => "delete",
            Action::DeleteMany => "delete_many",
            Action::Include => "include",
            Action::Select => "select",
            Action::Raw => "raw",
            Action::Internal => "internal",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
