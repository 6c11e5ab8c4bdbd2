//! Read replicas: which target a statement runs on.

use super::{Db, Target};

impl Db {
    /// The target for one statement: `read` is true for a statement that
    /// only reads (never a write with RETURNING, never inside a
    /// transaction). Replicas are not wired in yet, so everything runs on
    /// the primary.
    #[allow(dead_code)] // wired into the execution path by the interceptor work
    pub(super) fn route(&self, read: bool) -> &Target {
        let _ = read;
        &self.target
    }
}
