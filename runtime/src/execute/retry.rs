//! Opt-in retry of a whole transaction on the failures that running it again
//! can fix: serialization failures, deadlocks, lock waits given up on
//! ([`Error::is_retryable`](crate::Error::is_retryable)). The body is `Fn`: each attempt calls it afresh
//! on a fresh transaction, so nothing of a failed attempt is reused.

use super::tx_options::TransactionOptions;
use super::Db;
use crate::error::Result;
use futures_util::future::BoxFuture;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};
use std::time::{Duration, Instant};

/// How often and how patiently [`Db::retry`] runs a transaction again.
///
/// Attempt `n` (counting from 1) that fails retryably waits a random time
/// between half and all of `base_delay × 2^(n-1)`, capped at `max_delay`,
/// then the next attempt begins: the doubling spreads out transactions that
/// keep colliding, the randomness keeps two of them from colliding again in
/// step. Defaults: 5 attempts, 10 ms base delay, 1 s cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    pub fn new() -> Self {
        RetryPolicy::default()
    }

    /// How many times the transaction runs at most, the first included
    /// (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait after the first failed attempt (before jitter).
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest wait between two attempts.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The wait after failed attempt `attempt` (1-based): half the capped
    /// exponential delay, plus a random part of the other half.
    fn delay(&self, attempt: u32) -> Duration {
        let doubled = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
        let capped = doubled.min(self.max_delay);
        let half = capped / 2;
        let spread = u64::try_from((capped - half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(random(attempt) % spread.saturating_add(1))
    }
}

/// A random number without a dependency: std's hasher is seeded randomly per
/// `RandomState`; the time and attempt make each call differ further.
fn random(attempt: u32) -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    attempt.hash(&mut hasher);
    Instant::now().hash(&mut hasher);
    hasher.finish()
}

/// A `Db` with a retry policy: its transactions run again on retryable
/// failures. From [`Db::retry`].
#[derive(Debug, Clone, Copy)]
pub struct Retrying<'db> {
    db: &'db Db,
    policy: RetryPolicy,
}

impl Db {
    /// Runs the next transaction with `policy`: on a retryable failure
    /// ([`Error::is_retryable`](crate::Error::is_retryable): serialization failure, deadlock, lock wait
    /// given up on) anywhere in it, BEGIN and COMMIT included, the
    /// transaction is rolled back and the body runs again in a new one,
    /// after a jittered exponential backoff, up to `max_attempts` times in
    /// all; then the last error is returned.
    ///
    /// ```ignore
    /// db.retry(RetryPolicy::new().max_attempts(5))
    ///     .transaction_with(
    ///         TransactionOptions::new().isolation(Isolation::Serializable),
    ///         |tx| Box::pin(async move { transfer(tx, from, to, 10).await }),
    ///     )
    ///     .await?;
    /// ```
    ///
    /// The body is `Fn` (it may run several times): clone what it needs
    /// inside. Effects outside the database (messages sent, files written)
    /// happen once per attempt. On a transaction's `Db` (a savepoint) it
    /// runs once: a serialization failure or deadlock has doomed the
    /// enclosing transaction, which is what must be retried.
    pub fn retry(&self, policy: RetryPolicy) -> Retrying<'_> {
        Retrying { db: self, policy }
    }
}

impl Retrying<'_> {
    /// [`Db::transaction`], retried.
    pub async fn transaction<T, F>(self, body: F) -> Result<T>
    where
        T: Send,
        F: for<'t> Fn(&'t Db) -> BoxFuture<'t, Result<T>> + Send + Sync,
    {
        self.transaction_with(TransactionOptions::default(), body)
            .await
    }

    /// [`Db::transaction_with`], retried; each attempt gets the options
    /// afresh (its own timeout included).
    pub async fn transaction_with<T, F>(self, options: TransactionOptions, body: F) -> Result<T>
    where
        T: Send,
        F: for<'t> Fn(&'t Db) -> BoxFuture<'t, Result<T>> + Send + Sync,
    {
        let attempts = if self.db.in_transaction() {
            1
        } else {
            self.policy.max_attempts
        };
        let mut attempt = 1;
        loop {
            match self.db.transaction_with(options.clone(), &body).await {
                Err(e) if e.is_retryable() && attempt < attempts => {
                    tracing::debug!(
                        target: "strata::retry",
                        attempt,
                        error = %e,
                        "retrying the transaction"
                    );
                    tokio::time::sleep(self.policy.delay(attempt)).await;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_their_jitter_and_stop_at_the_cap() {
        let policy = RetryPolicy::new()
            .base_delay(Duration::from_millis(10))
            .max_delay(Duration::from_millis(70));
        for _ in 0..100 {
            let first = policy.delay(1);
            assert!(first >= Duration::from_millis(5) && first <= Duration::from_millis(10));
            let third = policy.delay(3);
            assert!(third >= Duration::from_millis(20) && third <= Duration::from_millis(40));
            let capped = policy.delay(30);
            assert!(capped >= Duration::from_millis(35) && capped <= Duration::from_millis(70));
        }
        assert_eq!(RetryPolicy::new().max_attempts(0).max_attempts, 1);
    }
}
