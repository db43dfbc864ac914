//! `summary.md`: one table row per compared run (the paper's tables 4 and 5 in one).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::axis::format_sig;
use super::error::ReportError;
use super::load::Run;
use crate::run::records::{EpochRecord, RunStatus, SplitMetrics};

/// Writes `summary.md` into `out`.
pub(crate) fn write_summary(
    runs: &[Run],
    labels: &[String],
    out: &Path,
) -> Result<PathBuf, ReportError> {
    let path = out.join("summary.md");
    crate::run::atomic::write_atomic(&path, summary_table(runs, labels).as_bytes())
        .map_err(|e| ReportError::io(&path, e))?;
    Ok(path)
}

/// The Markdown text of the summary.
pub(crate) fn summary_table(runs: &[Run], labels: &[String]) -> String {
    let mut text = String::from(
        "# Comparison\n\n\
         | run | optimiser | partition (S) | epochs | status | final train loss | best validation loss \
         | best validation accuracy | best test loss | best test accuracy | wall time |\n\
         |---|---|---|--:|---|--:|--:|--:|--:|--:|--:|\n",
    );
    for (run, label) in runs.iter().zip(labels) {
        let epochs = &run.epochs;
        let final_train = epochs.last().map(|e| e.train.loss);
        let validation = |e: &EpochRecord| e.validation;
        let test = |e: &EpochRecord| e.test;
        let _ = writeln!(
            text,
            "| {} | {} | {} ({}) | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(label),
            cell(&run.info.optimizer),
            cell(&run.info.partition),
            run.info.groups.len(),
            epochs.last().map_or(0, |e| e.epoch),
            status(run),
            loss(final_train),
            loss(best_loss(epochs, validation)),
            accuracy(best_accuracy(epochs, validation)),
            loss(best_loss(epochs, test)),
            accuracy(best_accuracy(epochs, test)),
            run.wall_s().map_or_else(|| "—".into(), duration),
        );
    }
    text.push_str(
        "\nBest: the lowest loss and the highest accuracy over the epochs, each on its own. \
         Pictures: `loss.png`, `accuracy.png`.\n",
    );
    text
}

/// A table cell: pipes would end the cell early.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn status(run: &Run) -> String {
    let word = match run.info.status {
        RunStatus::Running => "running or killed",
        RunStatus::Completed => "completed",
        RunStatus::Diverged => "diverged",
        RunStatus::Stalled => "stalled",
        RunStatus::Interrupted => "interrupted",
    };
    match &run.info.message {
        Some(message) if run.info.status != RunStatus::Completed => {
            format!("{word}: {}", cell(message))
        }
        _ => word.into(),
    }
}

/// The lowest finite loss of a split over the epochs.
fn best_loss(
    epochs: &[EpochRecord],
    split: impl Fn(&EpochRecord) -> Option<SplitMetrics>,
) -> Option<f64> {
    epochs
        .iter()
        .filter_map(|e| split(e).map(|m| m.loss))
        .filter(|l| l.is_finite())
        .min_by(f64::total_cmp)
}

/// The highest finite accuracy of a split over the epochs.
fn best_accuracy(
    epochs: &[EpochRecord],
    split: impl Fn(&EpochRecord) -> Option<SplitMetrics>,
) -> Option<f64> {
    epochs
        .iter()
        .filter_map(|e| split(e).map(|m| m.accuracy))
        .filter(|a| a.is_finite())
        .max_by(f64::total_cmp)
}

fn loss(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format_sig(v, 4))
}

fn accuracy(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{:.2}%", 100.0 * v))
}

/// Seconds as the paper's tables give them, with minutes or hours beside when long.
fn duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "—".into();
    }
    if seconds < 600.0 {
        format!("{seconds:.1} s")
    } else if seconds < 7200.0 {
        format!("{seconds:.0} s ({:.1} min)", seconds / 60.0)
    } else {
        format!("{seconds:.0} s ({:.2} h)", seconds / 3600.0)
    }
}
