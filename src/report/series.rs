//! Preparing data for line charts: smoothing per-step losses, thinning long series, naming runs.

use super::load::Run;

/// The most points a curve keeps: more than a chart has pixels across, fewer than a long run has steps.
pub(crate) const MAX_POINTS: usize = 2000;

/// The running-mean window for a run of `steps` steps with `steps_per_epoch`: about 1% of the run (a pixel or
/// two of the chart), never more than an epoch, at least 1.
pub(crate) fn smoothing_window(steps: usize, steps_per_epoch: usize) -> usize {
    (steps / 100).clamp(1, steps_per_epoch.max(1))
}

/// The mean of the finite values among the `window` values centred on each one (so the curve does not lag the
/// epoch markers); NaN where the window holds no finite value, which breaks the line there.
pub(crate) fn running_mean(values: &[f64], window: usize) -> Vec<f64> {
    let n = values.len();
    let mut sum = vec![0.0; n + 1];
    let mut count = vec![0usize; n + 1];
    for (i, &v) in values.iter().enumerate() {
        let finite = v.is_finite();
        sum[i + 1] = sum[i] + if finite { v } else { 0.0 };
        count[i + 1] = count[i] + usize::from(finite);
    }
    let half = window.max(1) / 2;
    (0..n)
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + window.max(1) - half).min(n);
            let k = count[hi] - count[lo];
            if k == 0 {
                f64::NAN
            } else {
                (sum[hi] - sum[lo]) / k as f64
            }
        })
        .collect()
}

/// At most `max` of `points`, evenly spaced, always keeping the first and the last.
pub(crate) fn thin<T: Copy>(points: &[T], max: usize) -> Vec<T> {
    if points.len() <= max || max < 2 {
        return points.to_vec();
    }
    let last = points.len() - 1;
    (0..max).map(|i| points[i * last / (max - 1)]).collect()
}

/// The legend label of each run: its name, with its optimiser when the name does not already say it (so a
/// comparison of Method 1 and its diagonal approximation reads as such); runs sharing a name are told apart by
/// their directory.
pub(crate) fn run_labels(runs: &[Run]) -> Vec<String> {
    let label = |run: &Run, name: &str| {
        if name.contains(&run.info.optimizer) {
            name.to_string()
        } else {
            format!("{name} ({})", run.info.optimizer)
        }
    };
    let plain: Vec<String> = runs.iter().map(|r| label(r, &r.info.name)).collect();
    let mut labels = plain.clone();
    for i in 0..runs.len() {
        if plain.iter().filter(|l| **l == plain[i]).count() > 1 {
            let dir = runs[i]
                .dir
                .file_name()
                .map(|d| d.to_string_lossy().into_owned())
                .unwrap_or_else(|| runs[i].dir.display().to_string());
            labels[i] = label(&runs[i], &format!("{} [{dir}]", runs[i].info.name));
        }
    }
    // Same name and same directory name (runs under different parents): number them.
    let base = labels.clone();
    for i in 0..labels.len() {
        let twins = base[..i].iter().filter(|l| **l == base[i]).count();
        if twins > 0 {
            labels[i] = format!("{} #{}", labels[i], twins + 1);
        }
    }
    labels
}

/// The last epoch a run reached (steps included), at least 1 so that an axis over it is never empty.
pub(crate) fn last_epoch(run: &Run) -> f64 {
    let steps = run.steps.last().map_or(0.0, |s| s.epoch);
    let epochs = run.epochs.last().map_or(0.0, |e| f64::from(e.epoch));
    let last = steps.max(epochs);
    if last.is_finite() && last > 0.0 {
        last
    } else {
        1.0
    }
}
