//! A small harness for comparing contenders on a shared, noisy machine.
//!
//! criterion and divan measure one contender at a time, so a slow minute on the
//! shared host lands on whichever contender ran in it. Here every comparison runs
//! in rounds: each round runs a batch of `n` timed iterations of every contender,
//! rotating which goes first, so drift hits all of them alike. Each iteration's
//! latency is recorded; results are medians and p99 over all rounds, compared only
//! within one comparison (one run).
//!
//! The strata-vs-sqlx scenario lives in [`vs_sqlx`]; `benches/vs_sqlx/` runs
//! and reports it, `examples/instructions.rs` runs it for callgrind.

pub mod callgrind;
pub mod medium;
pub mod pin;
pub mod vs_sqlx;

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// A boxed, sendable future: what a contender's batch returns. One allocation per
/// batch, not per iteration.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs `$body` (an expression that may `.await`) `$n` times inside an async
/// block, pushing each iteration's latency onto `$out`. `$i` is the iteration
/// index within the batch. The body's value goes through `black_box` so the work
/// is not optimised away.
#[macro_export]
macro_rules! timed {
    ($n:expr, $out:expr, |$i:ident| $body:expr) => {{
        for $i in 0..$n {
            let start = ::std::time::Instant::now();
            let value = $body;
            let elapsed = start.elapsed();
            ::std::hint::black_box(value);
            $out.push(elapsed);
        }
    }};
}

/// One side of a comparison.
pub trait Contender: Send {
    /// Runs `n` timed iterations, pushing each one's latency onto `out`.
    fn batch<'a>(&'a mut self, n: usize, out: &'a mut Vec<Duration>) -> BoxFuture<'a, ()>;
}

/// Untimed work run after every batch (e.g. deleting the rows a create batch
/// inserted, so the table does not grow through the run).
pub type Cleanup = Box<dyn FnMut() -> BoxFuture<'static, ()> + Send>;

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Rounds per comparison.
    pub rounds: usize,
    /// Aimed-for duration of one contender's batch; sets `n` per case.
    pub batch_target: Duration,
    /// Bounds on `n`, the iterations per batch.
    pub min_batch: usize,
    pub max_batch: usize,
    /// Untimed warm-up before the rounds (statement caches, pool connections).
    pub warmup: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rounds: 40,
            batch_target: Duration::from_millis(5),
            min_batch: 1,
            max_batch: 100,
            warmup: Duration::from_millis(100),
        }
    }
}

/// All latencies of one contender in one comparison.
#[derive(Debug, Clone)]
pub struct Measured {
    pub name: String,
    pub samples: Vec<Duration>,
    /// The median of each round's batch, in round order.
    pub round_medians: Vec<Duration>,
    /// Each round's on-CPU time of the measuring thread per iteration: the
    /// client-side work, without the database's. Only meaningful where the
    /// contender's task stays on one thread (a current-thread runtime).
    pub round_cpu: Vec<Duration>,
}

impl Measured {
    pub fn stats(&self) -> Stats {
        Stats::of(&self.samples)
    }

    /// Adds the rounds of another comparison of the same contender (the
    /// second half of a run), after this one's.
    pub fn append(&mut self, other: Measured) {
        self.samples.extend(other.samples);
        self.round_medians.extend(other.round_medians);
        self.round_cpu.extend(other.round_cpu);
    }

    /// The median over rounds of the thread's CPU time per iteration, if the
    /// platform reports it.
    pub fn cpu_per_iteration(&self) -> Option<Duration> {
        (!self.round_cpu.is_empty()).then(|| median(&self.round_cpu))
    }
}

/// The calling thread's total time on CPU (Linux: `/proc/thread-self/schedstat`,
/// in nanoseconds), or `None` elsewhere.
pub fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Order statistics of a set of latencies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub count: usize,
    pub median: Duration,
    pub p99: Duration,
}

impl Stats {
    pub fn of(samples: &[Duration]) -> Stats {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        Stats {
            count: sorted.len(),
            median: median_sorted(&sorted),
            p99: percentile_sorted(&sorted, 0.99),
        }
    }
}

/// The median of sorted values (mean of the middle two for an even count).
pub fn median_sorted(sorted: &[Duration]) -> Duration {
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// The nearest-rank percentile `q` (0..=1) of sorted values.
pub fn percentile_sorted(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The median of unsorted values.
pub fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    median_sorted(&sorted)
}

/// The median of unsorted ratios.
pub fn median_f64(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The comparison of `a` against baseline `base`.
#[derive(Debug, Clone, Copy)]
pub struct Versus {
    /// `a` median / `base` median.
    pub ratio: f64,
    /// The median over rounds of that round's `a` median / `base` median: less
    /// sensitive to drift across rounds than the ratio of overall medians.
    pub round_ratio: f64,
    /// `a` median − `base` median, in µs (negative: `a` was faster).
    pub overhead_us: f64,
}

pub fn versus(a: &Measured, base: &Measured) -> Versus {
    let (sa, sb) = (a.stats(), base.stats());
    let per_round: Vec<f64> = a
        .round_medians
        .iter()
        .zip(&base.round_medians)
        .map(|(x, y)| x.as_secs_f64() / y.as_secs_f64())
        .collect();
    Versus {
        ratio: sa.median.as_secs_f64() / sb.median.as_secs_f64(),
        round_ratio: median_f64(&per_round),
        overhead_us: (sa.median.as_secs_f64() - sb.median.as_secs_f64()) * 1e6,
    }
}

/// Comparisons of the same two contenders combined (the halves of one run):
/// the geometric mean of the ratios, the mean of the overheads. A bias that
/// multiplies one place of a comparison by `b` and each contender held each
/// place once cancels out: `sqrt(r·b · r/b) = r`.
pub fn combine(parts: &[Versus]) -> Versus {
    let n = parts.len().max(1) as f64;
    let geometric =
        |f: fn(&Versus) -> f64| (parts.iter().map(|v| f(v).ln()).sum::<f64>() / n).exp();
    Versus {
        ratio: geometric(|v| v.ratio),
        round_ratio: geometric(|v| v.round_ratio),
        overhead_us: parts.iter().map(|v| v.overhead_us).sum::<f64>() / n,
    }
}

/// Runs a comparison: a warm-up, then `settings.rounds` rounds in which every
/// contender runs one batch of `n` iterations, the first contender rotating
/// each round. `n` comes from the warm-up's slowest contender and
/// `settings.batch_target`. `cleanup` runs after every batch; `prepare`
/// before the warm-up, after it and before every round (untimed, like
/// `cleanup`; e.g. pinning server processes of connections opened meanwhile).
/// Returns one [`Measured`] per contender, in input order, and `n`.
pub async fn compare(
    settings: &Settings,
    contenders: &mut [(String, Box<dyn Contender>)],
    mut cleanup: Option<&mut Cleanup>,
    mut prepare: Option<&mut Cleanup>,
) -> (Vec<Measured>, usize) {
    let mut run_cleanup = async || {
        if let Some(cleanup) = cleanup.as_mut() {
            cleanup().await;
        }
    };
    let mut run_prepare = async || {
        if let Some(prepare) = prepare.as_mut() {
            prepare().await;
        }
    };
    run_prepare().await;

    // Warm-up: at least 3 iterations and `settings.warmup` per contender.
    let mut slowest = Duration::ZERO;
    for (_, contender) in contenders.iter_mut() {
        let mut scratch = Vec::new();
        let started = Instant::now();
        while scratch.len() < 3 || started.elapsed() < settings.warmup {
            contender.batch(1, &mut scratch).await;
            run_cleanup().await;
        }
        // The later half's median: the first iterations prepare statements and
        // open pool connections.
        slowest = slowest.max(median(&scratch[scratch.len() / 2..]));
    }
    let n = if slowest.is_zero() {
        settings.max_batch
    } else {
        (settings.batch_target.as_secs_f64() / slowest.as_secs_f64()) as usize
    }
    .clamp(settings.min_batch, settings.max_batch);
    run_prepare().await;

    let k = contenders.len();
    let mut measured: Vec<Measured> = contenders
        .iter()
        .map(|(name, _)| Measured {
            name: name.clone(),
            samples: Vec::with_capacity(settings.rounds * n),
            round_medians: Vec::with_capacity(settings.rounds),
            round_cpu: Vec::with_capacity(settings.rounds),
        })
        .collect();
    for round in 0..settings.rounds {
        run_prepare().await;
        for step in 0..k {
            let c = (round + step) % k;
            let before = measured[c].samples.len();
            let cpu_before = thread_cpu_time();
            contenders[c].1.batch(n, &mut measured[c].samples).await;
            if let (Some(a), Some(b)) = (cpu_before, thread_cpu_time()) {
                measured[c].round_cpu.push(b.saturating_sub(a) / n as u32);
            }
            let batch_median = median(&measured[c].samples[before..]);
            measured[c].round_medians.push(batch_median);
            run_cleanup().await;
        }
    }
    (measured, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(v: u64) -> Duration {
        Duration::from_micros(v)
    }

    #[test]
    fn order_statistics() {
        let values: Vec<Duration> = (1..=100).map(us).collect();
        let stats = Stats::of(&values);
        assert_eq!(stats.median, Duration::from_nanos(50_500));
        assert_eq!(stats.p99, us(99));
        assert_eq!(Stats::of(&[us(3), us(1), us(2)]).median, us(2));
        assert_eq!(Stats::of(&[us(7)]).p99, us(7));
    }

    #[test]
    fn combine_cancels_a_place_bias() {
        let v = |ratio: f64, overhead_us: f64| Versus {
            ratio,
            round_ratio: ratio,
            overhead_us,
        };
        // True ratio 1.02; the second place costs 1.3x in each half.
        let c = combine(&[v(1.02 * 1.3, 30.0), v(1.02 / 1.3, -20.0)]);
        assert!((c.ratio - 1.02).abs() < 1e-9);
        assert!((c.round_ratio - 1.02).abs() < 1e-9);
        assert!((c.overhead_us - 5.0).abs() < 1e-9);
    }

    #[test]
    fn versus_reports_ratio_and_overhead() {
        let a = Measured {
            name: "a".into(),
            samples: vec![us(110), us(110), us(110)],
            round_medians: vec![us(110), us(120)],
            round_cpu: Vec::new(),
        };
        let b = Measured {
            name: "b".into(),
            samples: vec![us(100), us(100), us(100)],
            round_medians: vec![us(100), us(100)],
            round_cpu: Vec::new(),
        };
        let v = versus(&a, &b);
        assert!((v.ratio - 1.1).abs() < 1e-9);
        assert!((v.round_ratio - 1.15).abs() < 1e-9);
        assert!((v.overhead_us - 10.0).abs() < 1e-9);
    }
}
