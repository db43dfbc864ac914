//! Wall-clock medians for the timing reports: one warm-up run, then the median of `repeat` runs.

use std::time::Instant;

use crate::cli::Result;

/// Median wall time of `f` in milliseconds over `repeat` runs after one warm-up, and the last run's result.
pub fn median_ms<T>(repeat: usize, mut f: impl FnMut() -> Result<T>) -> Result<(f64, T)> {
    let mut last = f()?;
    let mut times = Vec::with_capacity(repeat.max(1));
    for _ in 0..repeat.max(1) {
        let t0 = Instant::now();
        last = f()?;
        times.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], last))
}
