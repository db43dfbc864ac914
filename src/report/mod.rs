//! `jetnewton report`: the pictures of a training run, and comparisons of several runs, drawn from the records of
//! their run directories (see [`crate::run::records`]).
//!
//! For one run ([`plot_run`]):
//!
//! | file | what | paper |
//! |---|---|---|
//! | `loss.png` | minibatch loss per step (running mean) and train loss per epoch, log scale | figure 2a |
//! | `accuracy.png` | loss and accuracy per epoch on the train, validation and test splits | figures 4b, 5 |
//! | `eta.png` | η per group over the epochs (Method 1 only) | figures 2b, 3b |
//! | `step-size.png` | λ_t per step, when it moved (Method 1 only) | |
//! | `hbar-epoch-NNNN.png` | hbar and hbar⁻¹ at initialisation and at the best epoch, weight/bias blocks | figures 1, 3a |
//!
//! For several runs ([`plot_compare`]): `loss.png`, `accuracy.png` and `step-size.png` with a curve per run (Method 1 against its
//! diagonal approximation, figure 6, is the comparison of a `newton` and a `newton-diag` run: the diagonal one is
//! dashed), and `summary.md`, a table of final and best metrics and wall times (tables 4, 5).
//!
//! Pictures are PNG bitmaps drawn by plotters with a font compiled into the binary. Record files may be partial
//! (a run still going, or killed): a truncated last line is skipped.

mod axis;
mod canvas;
mod error;
mod eta;
mod font;
pub mod hbar;
mod legend;
mod lines;
pub mod load;
mod loss;
mod metrics;
mod series;
mod step_size;
mod style;
mod summary;

#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};

pub use error::ReportError;
pub use load::Run;

/// Draws the pictures of the run in `run_dir` into `out` (created if needed) and returns the files written.
/// Pictures without data yet (no epochs, no η, no snapshots) are left out.
///
/// # Errors
///
/// [`ReportError`] naming the file: no `run.json`, a corrupted record (a truncated last line is not one), an hbar
/// snapshot that does not match the run's groups, or a picture that cannot be written.
pub fn plot_run(run_dir: &Path, out: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let run = Run::load(run_dir)?;
    fs::create_dir_all(out).map_err(|e| ReportError::io(out, e))?;
    let runs = std::slice::from_ref(&run);
    let label = series::run_labels(runs).remove(0);
    let mut written = Vec::new();
    written.extend(loss::plot_loss(
        runs,
        std::slice::from_ref(&label),
        &format!("Training loss: {label}"),
        out,
    )?);
    let title = format!("{label}: loss and accuracy per epoch");
    written.extend(metrics::plot_metrics(
        runs,
        std::slice::from_ref(&label),
        &title,
        out,
    )?);
    written.extend(eta::plot_eta(&run, &label, out)?);
    written.extend(step_size::plot_step_size(
        runs,
        std::slice::from_ref(&label),
        &format!("Step size λ_t: {label}"),
        out,
    )?);
    written.extend(hbar::plot_hbar(&run, &label, out)?);
    written.extend(eta::plot_probe_eta(&run, &label, out)?);
    written.extend(hbar::plot_probe_hbar(&run, &label, out)?);
    Ok(written)
}

/// Draws the comparison of the runs in `run_dirs` (`loss.png`, `accuracy.png`, `step-size.png` when a Method 1
/// run's λ_t moved, `summary.md`) into `out`
/// (created if needed) and returns the files written.
///
/// # Errors
///
/// [`ReportError::NoRuns`] for an empty list; otherwise as [`plot_run`], for the first run that fails to load.
pub fn plot_compare(run_dirs: &[PathBuf], out: &Path) -> Result<Vec<PathBuf>, ReportError> {
    if run_dirs.is_empty() {
        return Err(ReportError::NoRuns);
    }
    let runs = run_dirs
        .iter()
        .map(|dir| Run::load(dir))
        .collect::<Result<Vec<_>, _>>()?;
    fs::create_dir_all(out).map_err(|e| ReportError::io(out, e))?;
    let labels = series::run_labels(&runs);
    let mut written = Vec::new();
    written.extend(loss::plot_loss(&runs, &labels, "Training loss", out)?);
    written.extend(metrics::plot_metrics(
        &runs,
        &labels,
        "Loss and accuracy per epoch",
        out,
    )?);
    written.extend(step_size::plot_step_size(
        &runs,
        &labels,
        "Method 1's step size λ_t",
        out,
    )?);
    written.push(summary::write_summary(&runs, &labels, out)?);
    Ok(written)
}
