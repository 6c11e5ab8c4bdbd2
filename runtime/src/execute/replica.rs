//! Read replicas: which target a statement runs on.

use super::{Db, Target};

impl Db {
    /// The target for one statement: `read` is true for a statement that
    /// only reads (never a write with RETURNING, never inside a
    /// transaction). Replicas are not wired in yet, so everything runs on
    /// the primary.
    pub(crate) fn route(&self, read: bool) -> &Target {
        let _ = read;
        &self.target
    }
}
