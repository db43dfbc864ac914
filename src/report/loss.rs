//! `loss.png`: training loss against epochs for one or several runs (the paper's figures 2a and 6): the
//! minibatch loss of every step, smoothed, and the train loss measured at the end of each epoch.

use std::path::{Path, PathBuf};

use super::axis::ValueAxis;
use super::error::ReportError;
use super::legend::LegendEntry;
use super::lines::{render_panel, Curve, LinePanel};
use super::load::Run;
use super::series::{last_epoch, running_mean, smoothing_window, thin, MAX_POINTS};
use super::style::{self, Dash};

/// Draws `loss.png` into `out`, or nothing (`None`) when no run has a loss recorded yet.
pub(crate) fn plot_loss(
    runs: &[Run],
    labels: &[String],
    title: &str,
    out: &Path,
) -> Result<Option<PathBuf>, ReportError> {
    let n = runs.len();
    let mut curves = Vec::new();
    let mut legend = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let colour = style::series_colour(i, n);
        let dash = style::optimiser_dash(&run.info.optimizer);
        if !run.steps.is_empty() {
            curves.push(smoothed_steps(run, colour, dash));
        }
        let epochs: Vec<(f64, f64)> = run
            .epochs
            .iter()
            .map(|e| (f64::from(e.epoch), e.train.loss))
            .collect();
        if !epochs.is_empty() {
            let radius = if epochs.len() > 60 { 2 } else { 4 };
            curves.push(Curve {
                points: epochs,
                colour,
                line: None,
                marker: Some(radius),
            });
        }
        legend.push(LegendEntry::line(labels[i].clone(), colour, dash));
    }
    if curves.is_empty() {
        return Ok(None);
    }
    legend.push(LegendEntry::line(
        "minibatch loss, running mean",
        style::KEY,
        Dash::Solid,
    ));
    legend.push(LegendEntry::marker(
        "train loss at end of epoch",
        style::KEY,
    ));
    let x_max = runs.iter().map(last_epoch).fold(0.0, f64::max);
    let panel = LinePanel {
        caption: title.to_string(),
        x_desc: "epoch".into(),
        y_desc: "training loss (cross-entropy)".into(),
        x: ValueAxis::linear(0.0, x_max),
        y: ValueAxis::fit(
            curves.iter().flat_map(|c| c.points.iter().map(|p| p.1)),
            true,
        ),
        curves,
    };
    render_panel(&out.join("loss.png"), &panel, &legend).map(Some)
}

/// The run's per-step loss, as a running mean over about 1% of its steps, at the fractional epoch of each step.
fn smoothed_steps(run: &Run, colour: plotters::style::RGBColor, dash: Dash) -> Curve {
    let window = smoothing_window(run.steps.len(), run.info.steps_per_epoch);
    let losses: Vec<f64> = run.steps.iter().map(|s| s.loss).collect();
    let smooth = running_mean(&losses, window);
    let points: Vec<(f64, f64)> = run.steps.iter().map(|s| s.epoch).zip(smooth).collect();
    Curve {
        points: thin(&points, MAX_POINTS),
        colour,
        line: Some(dash),
        marker: None,
    }
}
