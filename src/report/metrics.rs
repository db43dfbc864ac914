//! `accuracy.png`: loss and accuracy on the train, validation and test splits at the end of each epoch (the
//! paper's figures 4b and 5), one panel each.

use std::path::{Path, PathBuf};

use super::axis::ValueAxis;
use super::canvas::render_png;
use super::error::ReportError;
use super::legend::{draw_legend, LegendEntry};
use super::lines::{draw_panel, Curve, LinePanel, LEGEND_TOP, LEGEND_WIDTH};
use super::load::Run;
use super::series::last_epoch;
use super::style::{self, Dash};
use crate::run::records::{EpochRecord, SplitMetrics};

/// The picture's size in pixels.
pub(crate) const SIZE: (u32, u32) = (1500, 620);
/// The height of the title above both panels.
const TITLE_HEIGHT: u32 = 40;

/// A split of the data set and how to read it from an epoch record.
struct Split {
    name: &'static str,
    dash: Dash,
    get: fn(&EpochRecord) -> Option<SplitMetrics>,
}

const SPLITS: [Split; 3] = [
    Split {
        name: "train",
        dash: Dash::Solid,
        get: |e| Some(e.train),
    },
    Split {
        name: "validation",
        dash: Dash::Dashed,
        get: |e| e.validation,
    },
    Split {
        name: "test",
        dash: Dash::Dotted,
        get: |e| e.test,
    },
];

/// Draws `accuracy.png` into `out`, or nothing (`None`) when no run has an epoch record yet.
///
/// One run: a colour per split. Several: a colour per run and a line style per split.
pub(crate) fn plot_metrics(
    runs: &[Run],
    labels: &[String],
    title: &str,
    out: &Path,
) -> Result<Option<PathBuf>, ReportError> {
    if runs.iter().all(|r| r.epochs.is_empty()) {
        return Ok(None);
    }
    let (losses, accuracies, legend) = metric_curves(runs, labels);
    let x = ValueAxis::linear(0.0, runs.iter().map(last_epoch).fold(0.0, f64::max));
    let loss_panel = LinePanel {
        caption: "Loss at end of epoch".into(),
        x_desc: "epoch".into(),
        y_desc: "loss (cross-entropy)".into(),
        x: x.clone(),
        y: ValueAxis::fit(
            losses.iter().flat_map(|c| c.points.iter().map(|p| p.1)),
            true,
        ),
        curves: losses,
    };
    let accuracy_panel = LinePanel {
        caption: "Accuracy at end of epoch".into(),
        x_desc: "epoch".into(),
        y_desc: "accuracy (%)".into(),
        x,
        y: percent_axis(&accuracies),
        curves: accuracies,
    };
    let path = out.join("accuracy.png");
    render_png(&path, SIZE, |root| {
        let body = root.titled(title, style::title())?;
        let (charts, side) = body.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        let (left, right) = charts.split_horizontally((SIZE.0 - LEGEND_WIDTH) / 2);
        draw_panel(&left, &loss_panel)?;
        draw_panel(&right, &accuracy_panel)?;
        draw_legend(&side, LEGEND_TOP - TITLE_HEIGHT as i32 / 2, &legend)
    })
    .map(Some)
}

/// The loss and accuracy curves of every run and split, and the legend: one colour per split for a single run,
/// else one colour per run and one dash per split.
fn metric_curves(runs: &[Run], labels: &[String]) -> (Vec<Curve>, Vec<Curve>, Vec<LegendEntry>) {
    let single = runs.len() == 1;
    let mut losses = Vec::new();
    let mut accuracies = Vec::new();
    let mut legend = Vec::new();
    let mut splits_seen = [false; 3];
    for (i, run) in runs.iter().enumerate() {
        let run_colour = style::series_colour(i, runs.len());
        let radius = (run.epochs.len() <= 40).then_some(3);
        for (k, split) in SPLITS.iter().enumerate() {
            let metrics: Vec<(f64, SplitMetrics)> = run
                .epochs
                .iter()
                .filter_map(|e| (split.get)(e).map(|m| (f64::from(e.epoch), m)))
                .collect();
            if metrics.is_empty() {
                continue;
            }
            splits_seen[k] = true;
            let (colour, dash) = if single {
                (style::series_colour(k, SPLITS.len()), Dash::Solid)
            } else {
                (run_colour, split.dash)
            };
            let curve = |points| Curve {
                points,
                colour,
                line: Some(dash),
                marker: radius,
            };
            losses.push(curve(metrics.iter().map(|&(x, m)| (x, m.loss)).collect()));
            accuracies.push(curve(
                metrics
                    .iter()
                    .map(|&(x, m)| (x, 100.0 * m.accuracy))
                    .collect(),
            ));
        }
        if !single {
            legend.push(LegendEntry::line(
                labels[i].clone(),
                run_colour,
                Dash::Solid,
            ));
        }
    }
    for (k, split) in SPLITS.iter().enumerate().filter(|(k, _)| splits_seen[*k]) {
        legend.push(if single {
            LegendEntry::line(
                split.name,
                style::series_colour(k, SPLITS.len()),
                Dash::Solid,
            )
        } else {
            LegendEntry::line(split.name, style::KEY, split.dash)
        });
    }
    (losses, accuracies, legend)
}

/// A linear axis over the accuracies with a margin, kept inside 0–100%.
fn percent_axis(curves: &[Curve]) -> ValueAxis {
    let fitted = ValueAxis::fit(
        curves.iter().flat_map(|c| c.points.iter().map(|p| p.1)),
        false,
    );
    let lo = fitted.range.start.max(0.0);
    let hi = fitted.range.end.min(100.0);
    if hi > lo {
        ValueAxis::linear(lo, hi)
    } else {
        ValueAxis::linear(0.0, 100.0)
    }
}
