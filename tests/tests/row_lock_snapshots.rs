//! The SQL of locking reads per dialect: each strength with each wait
//! policy, on every read builder. PostgreSQL writes all four strengths;
//! MySQL/MariaDB write FOR UPDATE or LOCK IN SHARE MODE (the PostgreSQL-only
//! strengths as the stronger of the two); SQLite writes no clause (its
//! transactions hold the write lock from BEGIN IMMEDIATE).

use schema_examples::blog::{Post, User};
use schema_examples::jobs::{Job, JobStatus};
use strata::relation::Strategy;
use strata::{Dialect, Error, ToSql};
use strata_tests::{show_sql, DIALECTS};

/// Snapshots `query`'s SQL once per dialect, named `{name}@{dialect}`.
fn snapshot(name: &str, query: impl ToSql) {
    for (dialect, suffix) in DIALECTS {
        let rendered = query.to_sql(dialect).unwrap();
        insta::assert_snapshot!(format!("{name}@{suffix}"), show_sql(&rendered));
    }
}

fn pending() -> strata::FindMany<Job> {
    Job::find_many()
        .filter(Job::status().eq(JobStatus::Pending))
        .order_by(Job::id().asc())
        .take(5)
}

#[test]
fn for_update() {
    snapshot("for_update", pending().for_update());
}

#[test]
fn for_update_skip_locked() {
    snapshot(
        "for_update_skip_locked",
        pending().for_update().skip_locked(),
    );
}

#[test]
fn for_update_nowait() {
    snapshot("for_update_nowait", pending().for_update().nowait());
}

#[test]
fn for_no_key_update() {
    snapshot("for_no_key_update", pending().for_no_key_update());
}

#[test]
fn for_no_key_update_skip_locked() {
    snapshot(
        "for_no_key_update_skip_locked",
        pending().skip_locked().for_no_key_update(),
    );
}

#[test]
fn for_share() {
    snapshot("for_share", pending().for_share());
}

#[test]
fn for_share_nowait() {
    snapshot("for_share_nowait", pending().for_share().nowait());
}

#[test]
fn for_share_skip_locked() {
    snapshot("for_share_skip_locked", pending().for_share().skip_locked());
}

#[test]
fn for_key_share() {
    snapshot("for_key_share", pending().for_key_share());
}

#[test]
fn for_key_share_nowait() {
    snapshot("for_key_share_nowait", pending().for_key_share().nowait());
}

/// The last wait policy asked for wins.
#[test]
fn last_wait_policy_wins() {
    let query = pending().for_update().nowait().skip_locked();
    let sql = query.to_sql(Dialect::Postgres).unwrap().sql;
    assert!(sql.ends_with(" FOR UPDATE SKIP LOCKED"), "{sql}");
}

/// A paged read: the lock goes after LIMIT and OFFSET.
#[test]
fn after_limit_and_offset() {
    snapshot(
        "for_update_paged",
        Job::find_many().skip(10).take(5).for_update(),
    );
}

#[test]
fn find_unique_for_update() {
    snapshot("find_unique_for_update", Job::find_by_id(7).for_update());
}

/// `find_unique`'s statement text is remembered per key shape; a locking
/// read must not be served the remembered plain text, nor the other way.
#[test]
fn find_unique_lock_is_not_the_remembered_shape() {
    for (dialect, _) in DIALECTS {
        let plain = Job::find_by_id(1).to_sql(dialect).unwrap().sql;
        let locked = Job::find_by_id(1).for_update().to_sql(dialect).unwrap().sql;
        let plain_again = Job::find_by_id(1).to_sql(dialect).unwrap().sql;
        assert_eq!(plain, plain_again);
        if dialect == Dialect::Sqlite {
            assert_eq!(locked, plain, "SQLite writes no lock clause");
        } else {
            assert_ne!(locked, plain, "{dialect:?}");
            assert!(locked.contains(" FOR UPDATE"), "{locked}");
        }
    }
}

#[test]
fn find_first_for_share_nowait() {
    let query = Job::find_first()
        .filter(Job::claimed_by().is_null())
        .for_share()
        .nowait();
    snapshot("find_first_for_share_nowait", query);
}

#[test]
fn select_columns_for_update() {
    let query = pending()
        .select((Job::id(), Job::payload()))
        .for_update()
        .skip_locked();
    snapshot("select_for_update_skip_locked", query);
}

/// The lock set before `select` carries over.
#[test]
fn lock_before_select_carries_over() {
    let query = pending().for_update().select(Job::id());
    let sql = query.to_sql(Dialect::MySql).unwrap().sql;
    assert!(sql.ends_with(" FOR UPDATE"), "{sql}");
}

#[test]
fn omit_for_update() {
    snapshot(
        "omit_for_update",
        pending().omit(Job::payload()).for_update(),
    );
}

/// PostgreSQL reads a joined include through a LEFT JOIN LATERAL over an
/// aggregate, which FOR UPDATE must not reach (PostgreSQL refuses it): `OF
/// "users"` locks the users only.
#[test]
fn joined_include_locks_only_the_model_table() {
    let query = User::find_many()
        .include(User::posts())
        .strategy(Strategy::Joined)
        .for_update();
    snapshot("joined_include_for_update", query);
}

/// A relation count is a subquery in the select list: the lock stays on
/// the model's rows.
#[test]
fn with_count_for_update() {
    let query = User::find_many().with_count(User::posts()).for_update();
    snapshot("with_count_for_update", query);
}

fn refusal(query: impl ToSql) -> String {
    match query.to_sql(Dialect::Postgres) {
        Err(Error::InvalidValue { model, reason, .. }) => format!("{model}: {reason}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_wait_policy_without_a_lock_is_refused() {
    let message = refusal(pending().skip_locked());
    assert!(
        message.starts_with("Job: nowait() and skip_locked()"),
        "{message}"
    );
    let message = refusal(Job::find_by_id(1).nowait());
    assert!(message.contains("add the lock itself"), "{message}");
}

#[test]
fn a_distinct_locking_read_is_refused() {
    let message = refusal(pending().distinct().for_update());
    assert!(message.contains("cannot be DISTINCT"), "{message}");
}

// The select builder: `.for_update()` and kin make a `LockedSelect`, whose
// lock follows LIMIT/OFFSET like the model reads'.

#[test]
fn select_builder_for_update_skip_locked() {
    let query = strata::select((Job::id(), Job::payload()))
        .from::<Job>()
        .filter(Job::status().eq(JobStatus::Pending))
        .order_by(strata::dsl::expr(Job::id()).asc())
        .limit(5)
        .for_update()
        .skip_locked();
    snapshot("select_builder_for_update_skip_locked", query);
}

#[test]
fn select_builder_joined_for_share_nowait() {
    use strata::dsl::eq;
    let query = strata::select((Post::title(), User::email()))
        .from::<Post>()
        .inner_join::<User>(eq(Post::author_id(), User::id()))
        .for_share()
        .nowait();
    snapshot("select_builder_join_for_share_nowait", query);
}

#[test]
fn select_builder_every_strength() {
    let base = || strata::select(Job::id()).from::<Job>();
    for (query, clause_pg, clause_mysql) in [
        (base().for_update(), " FOR UPDATE", " FOR UPDATE"),
        (
            base().for_no_key_update(),
            " FOR NO KEY UPDATE",
            " FOR UPDATE",
        ),
        (base().for_share(), " FOR SHARE", " LOCK IN SHARE MODE"),
        (
            base().for_key_share(),
            " FOR KEY SHARE",
            " LOCK IN SHARE MODE",
        ),
    ] {
        let pg = query.to_sql(Dialect::Postgres).unwrap().sql;
        assert!(pg.ends_with(clause_pg), "{pg}");
        let mysql = query.to_sql(Dialect::MySql).unwrap().sql;
        assert!(mysql.ends_with(clause_mysql), "{mysql}");
        let sqlite = query.to_sql(Dialect::Sqlite).unwrap().sql;
        assert_eq!(sqlite, r#"SELECT "jobs"."id" FROM "jobs""#);
    }
}
