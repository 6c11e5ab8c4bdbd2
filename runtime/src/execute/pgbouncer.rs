//! PgBouncer mode: correct results through a transaction-mode pooler; and
//! the one path that runs a statement outside a transaction in a
//! transaction of its own ([`Db::pin`], [`pinned!`], [`unpin`]), which the
//! tenancies that set the tenant per transaction use too
//! (tenant_session.rs).
//!
//! sqlx runs a statement with binds in two synced exchanges: Parse/Describe/
//! Sync (it waits for ParseComplete and ReadyForQuery), then Bind/Execute/
//! Close/Sync (sqlx-postgres 0.9, `connection/executor.rs`: `prepare` then
//! `run`); it has no way to send them as one. Between the two the session
//! is idle, so PgBouncer in transaction mode may give the second exchange to
//! another server connection, where the statement it binds is another
//! client's (an unnamed one) or another client's of the same name
//! (`sqlx_s_1`, numbered per client connection): errors, and rows of another
//! statement or another bind (tests/tests/pgbouncer.rs measures each).
//!
//! Inside a transaction PgBouncer keeps the client on one server connection
//! until COMMIT. So in this mode a statement outside a transaction runs in
//! one of its own (BEGIN .. COMMIT: two more round trips), and every
//! statement, inside a user's transaction too, is unnamed
//! (`persistent(false)`), so nothing prepared outlives the transaction on a
//! server connection other clients share. The statement cache is turned off
//! as well (`statement_cache_capacity` 0), so a statement prepared named by
//! mistake fails loudly ("already exists") instead of being reused on
//! another server connection. Values stay bound: no statement text ever
//! holds one.

use super::lease::Conn;
use super::tenant_session;
use super::transaction::{self, BeginWith, Level};
use super::tx_options::BeginPlan;
use super::{Db, Target};
use crate::error::{Error, Result};
use crate::render::{Dialect, SqlWriter};

/// A transaction [`Db::pin`] begins for one statement: the target to run
/// it on and the level that ends it.
pub(super) type Begun<'a> = std::pin::Pin<
    Box<
        dyn std::future::Future<
                Output = std::result::Result<(Target, Level<sqlx::Postgres>), sqlx::Error>,
            > + Send
            + 'a,
    >,
>;

/// Prisma's spelling, which users of poolers already know.
const PARAMETER: &str = "pgbouncer";

/// How often a statement runs when it keeps losing its unnamed statement:
/// each failure teaches one pooled connection its types.
const RUNS: u32 = 4;

/// PostgreSQL's answer to a Bind whose unnamed statement is gone (SQLSTATE
/// 26000, invalid_sql_statement_name).
fn lost_unnamed(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(e) if e.code().as_deref() == Some("26000"))
}

/// Ends the transaction [`Db::pin`] began after its statement's `result`:
/// COMMIT, or ROLLBACK after an error (the statement's error is the one
/// reported; should the ROLLBACK fail too, the server ends the transaction
/// when the connection closes).
pub(super) async fn unpin<R>(
    level: Level<sqlx::Postgres>,
    result: std::result::Result<R, sqlx::Error>,
) -> std::result::Result<R, sqlx::Error> {
    // Boxed, as `Db::pin`'s BEGIN is: inline, the COMMIT's state would be
    // part of every statement's future, pinned or not.
    Box::pin(async move {
        match result {
            Ok(value) => level.commit().await.map(|()| value),
            Err(e) => {
                let _ = level.rollback().await;
                Err(e)
            }
        }
    })
    .await
}

/// Whether a pinned statement that failed with `e` after `runs` runs goes
/// again: it lost its unnamed statement to sqlx's type lookup (see
/// [`prime`]), which is cached by now.
pub(super) fn again(e: &sqlx::Error, runs: u32) -> bool {
    runs < RUNS && lost_unnamed(e)
}

/// `$body` (an expression yielding `(Result<_, sqlx::Error>, Duration)`)
/// with `$t` bound to `$target` and `$input` (a statement's values) to
/// `$i`; outside a transaction, in PgBouncer mode or with the tenant to
/// set, on a transaction begun for it by [`Db::pin`] and ended by
/// [`unpin`], run again per [`again`].
/// strata's transaction core does the BEGIN, so a statement cancelled
/// half-way rolls back at once, as any transaction does, instead of keeping
/// a server connection of the pooler. A macro, not a function taking an
/// async closure: such a closure borrowing its argument makes the callers'
/// futures fail their `Send` checks.
macro_rules! pinned {
    ($db:expr, $target:expr, $input:expr, |$t:ident, $i:ident| $body:expr) => {{
        let (db, target, input) = ($db, $target, $input);
        match db.pin(target) {
            None => {
                let ($t, $i) = (target, input);
                $body
            }
            // Boxed: a statement that is not pinned does not carry this
            // path's state (a second copy of `$body`'s) in its future.
            Some(begin) => {
                ::std::boxed::Box::pin(async move {
                    let mut begun = begin.await;
                    let mut runs = 0;
                    loop {
                        let (pinned, level) = match begun {
                            Ok(begun) => begun,
                            Err(e) => break (Err(e), ::std::time::Duration::ZERO),
                        };
                        let ($t, $i) = (&pinned, input.clone());
                        let (result, wait) = $body;
                        let result = super::pgbouncer::unpin(level, result).await;
                        runs += 1;
                        match result {
                            Err(e) if super::pgbouncer::again(&e, runs) => {
                                begun = match db.pin(target) {
                                    Some(next) => next.await,
                                    None => break (Err(e), wait),
                                };
                            }
                            result => break (result, wait),
                        }
                    }
                })
                .await
            }
        }
    }};
}
pub(super) use pinned;

/// Teaches a new connection every type of the database sqlx does not know
/// by itself (enums, domains, composites), for PgBouncer mode.
///
/// sqlx looks up a type it meets in a statement's result columns between
/// the Parse and the Bind, with a simple query, and "a simple Query message
/// also destroys the unnamed statement" (PostgreSQL, protocol-flow): the
/// Bind then fails with 26000, on a direct connection too. With named
/// statements that never shows; with the unnamed ones PgBouncer mode needs
/// it would fail the first statement per connection and type, which inside
/// a transaction aborts the whole transaction. So each new connection runs
/// one statement that returns every such type, inside a transaction that is
/// rolled back (its own Bind fails the same way, once, on purpose): sqlx
/// then knows them all. A type created after the connection opened is
/// learnt the hard way: outside a transaction the statement is run again
/// ([`pinned!`]), inside one the transaction fails once.
pub(super) async fn prime(conn: &mut sqlx::PgConnection) -> std::result::Result<(), sqlx::Error> {
    use sqlx::Connection as _;
    let mut tx = conn.begin().await?;
    let types: Vec<(String, String)> = sqlx::query_as(super::trusted(CUSTOM_TYPES))
        .persistent(false)
        .fetch_all(&mut *tx)
        .await?;
    for chunk in types.chunks(500) {
        let mut sql = SqlWriter::new(Dialect::Postgres);
        sql.push("SELECT ");
        for (i, (schema, name)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("NULL::");
            sql.push_ident(schema);
            sql.push(".");
            sql.push_ident(name);
        }
        let sql = sql.finish().sql;
        // Fails at its Bind (see above) once sqlx has looked the types up.
        let _ = sqlx::query(super::trusted(&sql))
            .persistent(false)
            .fetch_optional(&mut *tx)
            .await;
        // A failed statement aborts the transaction: start another.
        tx.rollback().await?;
        tx = conn.begin().await?;
    }
    tx.rollback().await
}

/// The types sqlx does not know by itself: enums, domains, composites
/// (not a table's row type), outside PostgreSQL's own schemas.
const CUSTOM_TYPES: &str = "SELECT n.nspname::text, t.typname::text FROM pg_type t \
    JOIN pg_namespace n ON n.oid = t.typnamespace \
    WHERE t.typtype IN ('e', 'd', 'c') \
    AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c') \
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
    AND n.nspname NOT LIKE 'pg\\_%'";

/// The URL to hand sqlx and whether the `Db` is in PgBouncer mode: asked
/// for by the builder (`requested`) or by `pgbouncer=true` in the URL. The
/// parameter is removed: sqlx must not see it.
pub(super) fn settle(url: &str, requested: bool) -> Result<(String, bool)> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut on = requested;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some((PARAMETER, "true" | "1")) => on = true,
            Some((PARAMETER, "false" | "0")) => {}
            Some((PARAMETER, _)) => {
                return Err(Error::InvalidUrl {
                    url: redacted(base),
                    reason: "pgbouncer= takes true or false",
                })
            }
            _ => kept.push(pair),
        }
    }
    if on && !(url.starts_with("postgres:") || url.starts_with("postgresql:")) {
        return Err(Error::InvalidUrl {
            url: redacted(base),
            reason: "PgBouncer mode is for PostgreSQL URLs",
        });
    }
    let url = match kept.is_empty() {
        true => base.to_owned(),
        false => format!("{base}?{}", kept.join("&")),
    };
    Ok((url, on))
}

/// `Db::connect_single` on a URL asking for PgBouncer mode: refused rather
/// than run unprotected (the mode is set up with a pool, by
/// [`Db::builder`]).
pub(super) fn refuse_single(url: &str) -> Result<()> {
    match settle(url, false)? {
        (_, false) => Ok(()),
        (url, true) => Err(Error::InvalidUrl {
            url: redacted(&url),
            reason: "pgbouncer=true needs a pool: use Db::connect or Db::builder(), \
                     not Db::connect_single",
        }),
    }
}

/// Pool options PgBouncer mode cannot honour, refused before connecting:
/// `lock_timeout` travels in the `options` startup parameter, which
/// PgBouncer 1.18 answers with "unsupported startup parameter: options".
pub(super) fn check_pool(pool: &super::PoolOptions) -> Result<()> {
    match pool.lock_timeout {
        None => Ok(()),
        Some(_) => Err(Error::InvalidUrl {
            url: String::new(),
            reason: "PoolOptions::lock_timeout cannot go through PgBouncer (it refuses the \
                     `options` startup parameter the timeout is sent in); set lock_timeout \
                     on the database role instead (ALTER ROLE .. SET lock_timeout)",
        }),
    }
}

/// `url` without its password, for errors.
fn redacted(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    match url[start..end].rfind('@') {
        Some(at) => match url[start..start + at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..start], &url[start + at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl Db {
    /// Whether statements may be prepared named and kept: not through a
    /// transaction-mode pooler, nor with a statement cache of size 0.
    pub(super) fn keeps_statements(&self) -> bool {
        !self.context.pgbouncer && !self.context.unnamed_statements
    }

    /// Whether a statement may have to run in a transaction of its own: it
    /// is outside a transaction, and the `Db` is in PgBouncer mode or sets
    /// the tenant per transaction (tenant_session.rs). One flag, so a `Db`
    /// with neither pays one test.
    pub(super) fn pins_statements(&self) -> bool {
        self.context.wraps && !self.in_transaction()
    }

    /// A transaction to begin on `target` (the primary or a replica) for
    /// one statement, with the scope's tenant set in it, when
    /// [`Db::pins_statements`] and PgBouncer mode or the tenant asks for
    /// one (see [`pinned!`]): it yields the target to run the statement on
    /// and the level that ends it. Decided without an `.await` and boxed,
    /// so a statement that needs none carries none of its state in its
    /// own future.
    pub(super) fn pin<'a>(&'a self, target: &'a Target) -> Option<Begun<'a>> {
        let conn = match target {
            Target::Postgres(conn) if self.pins_statements() => conn,
            _ => return None,
        };
        let session = match self.session() {
            Ok(session) => session,
            Err(e) => return Some(Box::pin(std::future::ready(Err(e)))),
        };
        if session.setting.is_none() && !self.context.pgbouncer {
            return None;
        }
        let with = BeginWith {
            plan: BeginPlan::default(),
            max_wait: None,
            timeout: None,
            began: session.began,
        };
        Some(Box::pin(async move {
            let (shared, level) = transaction::begin(conn, with).await?;
            if let Some(setting) = &session.setting {
                // A failure drops `level` open: rolled back.
                tenant_session::apply(&shared, setting, self.keeps_statements()).await?;
            }
            Ok((Target::Postgres(Conn::Tx(shared)), level))
        }))
    }

    /// Whether this `Db` is in PgBouncer mode ([`DbBuilder::pgbouncer`] or
    /// `pgbouncer=true` in its URL).
    ///
    /// [`DbBuilder::pgbouncer`]: super::DbBuilder::pgbouncer
    pub fn is_pgbouncer(&self) -> bool {
        self.context.pgbouncer
    }

    /// The database's own address given to [`DbBuilder::direct_url`], for
    /// what a pooler cannot carry: migrations, session advisory locks.
    ///
    /// [`DbBuilder::direct_url`]: super::DbBuilder::direct_url
    pub fn direct_url(&self) -> Option<&str> {
        self.context.direct_url.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::settle;

    #[test]
    fn the_parameter_is_read_and_removed() {
        let on = |url| settle(url, false).unwrap();
        assert_eq!(
            on("postgres://u@h:6432/db?pgbouncer=true"),
            ("postgres://u@h:6432/db".into(), true)
        );
        assert_eq!(
            on("postgres://u@h/db?sslmode=disable&pgbouncer=true&application_name=x"),
            (
                "postgres://u@h/db?sslmode=disable&application_name=x".into(),
                true
            )
        );
        assert_eq!(
            on("postgres://u@h/db?pgbouncer=false"),
            ("postgres://u@h/db".into(), false)
        );
        assert_eq!(on("postgres://u@h/db"), ("postgres://u@h/db".into(), false));
        assert_eq!(on("sqlite::memory:"), ("sqlite::memory:".into(), false));
        assert_eq!(
            settle("postgresql://u@h/db", true).unwrap(),
            ("postgresql://u@h/db".into(), true)
        );
    }

    #[test]
    fn a_single_connection_in_pgbouncer_mode_is_refused_without_the_password() {
        let refused = super::refuse_single("postgres://app:secret@pool:6432/db?pgbouncer=true")
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("needs a pool") && !refused.contains("secret"),
            "{refused}"
        );
        assert!(super::refuse_single("postgres://app:secret@db/db").is_ok());
    }

    #[test]
    fn a_bad_value_or_another_database_is_refused() {
        assert!(settle("postgres://u@h/db?pgbouncer=yes", false).is_err());
        assert!(settle("mysql://u@h/db?pgbouncer=true", false).is_err());
        assert!(settle("sqlite::memory:", true).is_err());
    }
}
