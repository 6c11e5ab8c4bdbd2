//! `PoolOptions::max_uses` for checkouts straight from sqlx's pool
//! (`Db::as_postgres()` and the like); `lease/slots.rs` counts the lends of
//! the connections strata keeps.
//!
//! sqlx has no such setting and gives a release hook nothing that names the
//! connection: only `&mut Connection` (which moves between checkouts) and
//! its age. So a connection is told apart by when it was opened, `now - age`,
//! which the hook reads within nanoseconds of sqlx computing the age. Two
//! connections opened within [`SAME_CONNECTION`] of each other share one
//! count and are recycled early; a release whose thread was preempted for
//! longer than that between the two clock reads starts a fresh count and is
//! recycled late. Both are rare, and either only moves a recycle, which is
//! load balancing, not correctness.

use super::pool_metrics::PoolMetrics;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How far apart two readings of one connection's opening time may be.
const SAME_CONNECTION: Duration = Duration::from_micros(100);

struct Entry {
    opened: Instant,
    uses: u32,
    last_release: Instant,
}

/// Checkouts per pooled connection, counted at release.
pub(super) struct UseCounts {
    max_uses: u32,
    /// Connections closed for other reasons (idle, lifetime, errors) leave
    /// entries behind; beyond this many the least recently released goes.
    capacity: usize,
    entries: Mutex<Vec<Entry>>,
    metrics: Arc<PoolMetrics>,
}

impl UseCounts {
    pub(super) fn new(max_uses: u32, max_connections: u32, metrics: Arc<PoolMetrics>) -> Self {
        UseCounts {
            max_uses: max_uses.max(1),
            capacity: max_connections as usize * 2 + 8,
            entries: Mutex::new(Vec::new()),
            metrics,
        }
    }

    /// Counts one checkout of the connection released now at `age`; false
    /// once it has served `max_uses`, so that sqlx closes it.
    pub(super) fn released(&self, age: Duration) -> bool {
        self.released_at(Instant::now(), age)
    }

    fn released_at(&self, now: Instant, age: Duration) -> bool {
        let opened = now.checked_sub(age).unwrap_or(now);
        // A poisoned lock only means a panic elsewhere mid-update of plain
        // counters: the counts are still usable.
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let nearest = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (i, abs_diff(e.opened, opened)))
            .filter(|(_, d)| *d <= SAME_CONNECTION)
            .min_by_key(|(_, d)| *d)
            .map(|(i, _)| i);
        let i = match nearest {
            Some(i) => i,
            None => {
                if entries.len() >= self.capacity {
                    if let Some(oldest) =
                        (0..entries.len()).min_by_key(|&i| entries[i].last_release)
                    {
                        entries.swap_remove(oldest);
                    }
                }
                entries.push(Entry {
                    opened,
                    uses: 0,
                    last_release: now,
                });
                entries.len() - 1
            }
        };
        entries[i].uses += 1;
        entries[i].last_release = now;
        if entries[i].uses >= self.max_uses {
            entries.swap_remove(i);
            self.metrics.record_recycled();
            return false;
        }
        true
    }
}

fn abs_diff(a: Instant, b: Instant) -> Duration {
    if a > b {
        a - b
    } else {
        b - a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_is_closed_at_its_max_uses_and_others_counted_apart() {
        let counts = UseCounts::new(3, 2, Arc::default());
        let start = Instant::now() + Duration::from_secs(60);
        // Two connections opened 10 ms apart, released alternately; each
        // release `at` some time after `start`.
        let a = |at: u64| {
            counts.released_at(start + Duration::from_millis(at), Duration::from_millis(at))
        };
        let b = |at: u64| {
            counts.released_at(
                start + Duration::from_millis(at),
                Duration::from_millis(at - 10),
            )
        };
        assert!(a(20));
        assert!(b(30));
        assert!(a(40));
        assert!(!a(50), "third use of a");
        assert!(b(60));
        assert!(!b(70), "third use of b");
        assert!(a(80), "a's entry went with it: counting starts afresh");
    }
}
