//! The progress bar a backfill draws on stderr, and its per-batch tracing event.

use super::walk::Committed;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;
use std::time::Duration;

/// Whether a bar would be seen: asked for, and stderr is a terminal (not a
/// log file or a CI pipe, which a redrawn bar would fill with lines).
pub(super) fn visible(wanted: bool) -> bool {
    wanted && std::io::stderr().is_terminal()
}

/// A bar of `total` rows, `done` of them already done by earlier runs.
pub(super) fn bar(name: &str, total: u64, done: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let style =
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} rows, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(name.to_owned());
    bar.set_position(done);
    bar
}

/// What `strata::backfill` subscribers see once per committed batch.
pub(super) fn batch_committed(name: &str, batch: &Committed, elapsed: Duration) {
    tracing::info!(
        target: "strata::backfill",
        name,
        batch = batch.number,
        rows = batch.rows,
        last_key = batch.last_key.as_str(),
        elapsed_ms = elapsed.as_secs_f64() * 1000.0,
        "backfill batch committed"
    );
}
