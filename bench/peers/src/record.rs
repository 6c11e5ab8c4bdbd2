//! The result format: one JSON object per line, one line per contender per
//! case per database per runtime. `benches/peers` and `bench/node/` write it;
//! `bench/run` reads every file of it to write BENCHMARKS.md and the chart.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// `postgres` or `sqlite`.
    pub database: String,
    /// `current-thread`, `multi-thread`, or for Node `node`.
    pub runtime: String,
    /// [`crate::case::Case::name`], e.g. `trivial_query/10000`.
    pub case: String,
    /// The contender, library and connection strategy, e.g. `sqlx (pool, tuned)`.
    pub library: String,
    pub median_us: f64,
    pub p99_us: f64,
    /// Timed iterations behind the numbers.
    pub samples: usize,
    /// The median, over rounds, of this contender's batch median divided by
    /// the baseline's in the same round (the baseline is named in `baseline`);
    /// less sensitive to drift than the ratio of overall medians.
    pub round_ratio: Option<f64>,
    /// The contender `round_ratio` is relative to.
    pub baseline: Option<String>,
}

impl Record {
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a record serializes")
    }

    /// Reads a JSON-lines file's records, skipping blank lines.
    pub fn parse_lines(text: &str) -> Result<Vec<Record>, serde_json::Error> {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect()
    }
}
