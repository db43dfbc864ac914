//! `step-size.png`: Method 1's step size λ_t per step, for runs whose λ_t moved (the adaptive schedule steers it;
//! the plateau scheduler halves it).

use std::path::{Path, PathBuf};

use super::axis::ValueAxis;
use super::error::ReportError;
use super::legend::LegendEntry;
use super::lines::{render_panel, Curve, LinePanel};
use super::load::Run;
use super::series::{last_epoch, thin, MAX_POINTS};
use super::style;

/// Draws `step-size.png` into `out` with a curve per Method 1 run (the runs with η per group), or nothing (`None`)
/// when there is none or when every one of them kept its λ_t.
pub(crate) fn plot_step_size(
    runs: &[Run],
    labels: &[String],
    title: &str,
    out: &Path,
) -> Result<Option<PathBuf>, ReportError> {
    let method1: Vec<usize> = (0..runs.len())
        .filter(|&i| runs[i].steps.iter().any(|s| s.eta.is_some()))
        .collect();
    let moved = method1.iter().any(|&i| {
        let mut lrs = runs[i].steps.iter().map(|s| s.lr);
        lrs.next().is_some_and(|first| lrs.any(|lr| lr != first))
    });
    if !moved {
        return Ok(None);
    }
    let n = runs.len();
    let mut curves = Vec::new();
    let mut legend = Vec::new();
    for &i in &method1 {
        let colour = style::series_colour(i, n);
        let dash = style::optimiser_dash(&runs[i].info.optimizer);
        let points: Vec<(f64, f64)> = runs[i].steps.iter().map(|s| (s.epoch, s.lr)).collect();
        curves.push(Curve {
            points: thin(&points, MAX_POINTS),
            colour,
            line: Some(dash),
            marker: None,
        });
        legend.push(LegendEntry::line(labels[i].clone(), colour, dash));
    }
    let x_max = method1
        .iter()
        .map(|&i| last_epoch(&runs[i]))
        .fold(0.0, f64::max);
    let panel = LinePanel {
        caption: title.to_string(),
        x_desc: "epoch".into(),
        y_desc: "step size λ_t".into(),
        x: ValueAxis::linear(0.0, x_max),
        y: ValueAxis::fit(
            curves.iter().flat_map(|c| c.points.iter().map(|p| p.1)),
            true,
        ),
        curves,
    };
    render_panel(&out.join("step-size.png"), &panel, &legend).map(Some)
}
