//! What a migration changes, in terms the model-aware rules read: each
//! dialect's reader (squawk's syntax tree on PostgreSQL, the token scanner on
//! MySQL and SQLite) turns statements into these, so the rules are written
//! once for all three.

/// One schema change, and the statement (index into the file's statements)
/// that makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Change {
    pub statement: usize,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ChangeKind {
    CreateTable {
        table: String,
    },
    DropTable {
        table: String,
    },
    RenameTable {
        from: String,
        to: String,
    },
    AddColumn {
        table: String,
        column: String,
        not_null: bool,
        /// A default or a generated value: existing rows get one.
        has_default: bool,
    },
    DropColumn {
        table: String,
        column: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    /// A foreign key from `columns` of `table`.
    AddForeignKey {
        table: String,
        columns: Vec<String>,
    },
    /// An index (or a key backed by one) whose leading plain columns are
    /// `columns`.
    AddIndex {
        table: String,
        columns: Vec<String>,
    },
}

impl ChangeKind {
    pub fn table(&self) -> &str {
        match self {
            ChangeKind::CreateTable { table }
            | ChangeKind::DropTable { table }
            | ChangeKind::AddColumn { table, .. }
            | ChangeKind::DropColumn { table, .. }
            | ChangeKind::RenameColumn { table, .. }
            | ChangeKind::AddForeignKey { table, .. }
            | ChangeKind::AddIndex { table, .. } => table,
            ChangeKind::RenameTable { from, .. } => from,
        }
    }
}

/// Collects changes for one statement at a time.
#[derive(Debug, Default)]
pub(super) struct Changes {
    pub list: Vec<Change>,
    pub statement: usize,
}

impl Changes {
    pub fn push(&mut self, kind: ChangeKind) {
        self.list.push(Change {
            statement: self.statement,
            kind,
        });
    }
}

/// Whether two identifiers name the same object. strata's models are
/// lower-case; MySQL and SQLite compare names without case, and PostgreSQL
/// folds unquoted ones to lower case, so a case-blind comparison is what a
/// migration author means in practice.
pub(super) fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Whether `table` is created by statement `at` or one before it in this
/// file, or is the new name of a table renamed before it: either way no
/// running code uses that name yet.
pub(super) fn created_before(changes: &[Change], table: &str, at: usize) -> bool {
    changes.iter().any(|c| match &c.kind {
        ChangeKind::CreateTable { table: t } => c.statement <= at && same_name(t, table),
        ChangeKind::RenameTable { to, .. } => c.statement < at && same_name(to, table),
        _ => false,
    })
}

/// Whether dropping or renaming away `table` at `at` is part of a rebuild
/// that leaves a table of that name: a later statement renames another table
/// to its name (create-copy-drop-rename, SQLite's documented way), or, after
/// a rename away, creates it again (rename-create-copy-drop). A drop followed
/// by a create is not one: the rows are gone.
pub(super) fn rebuilt(changes: &[Change], table: &str, at: usize) -> bool {
    let renamed_away = changes.iter().any(|c| {
        c.statement == at
            && matches!(&c.kind, ChangeKind::RenameTable { from, .. } if same_name(from, table))
    });
    changes.iter().any(|c| {
        c.statement > at
            && match &c.kind {
                ChangeKind::RenameTable { to, .. } => same_name(to, table),
                ChangeKind::CreateTable { table: created } => {
                    renamed_away && same_name(created, table)
                }
                _ => false,
            }
    })
}
