//! `eta.png`: Method 1's step sizes η per group over the epochs (the paper's figures 2b and 3b).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::axis::{Scale, ValueAxis};
use super::error::ReportError;
use super::legend::LegendEntry;
use super::lines::{render_panel, Curve, LinePanel};
use super::load::Run;
use super::series::last_epoch;
use super::style::{self, Dash};
use crate::run::records::GroupKind;

/// Groups named in the legend at most; beyond, every k-th is named and the colour map tells the rest.
const MAX_NAMED: usize = 16;

/// What tells the two η pictures apart.
struct EtaPicture {
    file: &'static str,
    caption: String,
    x_desc: &'static str,
    y_desc: &'static str,
    x_max: f64,
}

/// Draws `eta.png` into `out`, or nothing (`None`) for a run without η (an optimiser other than Method 1).
pub(crate) fn plot_eta(run: &Run, label: &str, out: &Path) -> Result<Option<PathBuf>, ReportError> {
    let series: Vec<(f64, Vec<f64>)> = eta_per_epoch(run)
        .into_iter()
        .map(|(epoch, eta)| (f64::from(epoch), eta))
        .collect();
    let picture = EtaPicture {
        file: "eta.png",
        caption: format!("η per group: {label}"),
        x_desc: "epoch",
        y_desc: "η, mean over the epoch's steps",
        x_max: last_epoch(run),
    };
    draw_eta(run, &series, picture, out)
}

/// Draws `probe-eta.png` into `out`: η* of each probe per group over the steps (the paper's figure 2b, along
/// any optimiser's training), or nothing for a run without probes.
pub(crate) fn plot_probe_eta(
    run: &Run,
    label: &str,
    out: &Path,
) -> Result<Option<PathBuf>, ReportError> {
    let series: Vec<(f64, Vec<f64>)> = run
        .probes
        .iter()
        .filter_map(|p| p.eta.clone().map(|eta| (p.step as f64, eta)))
        .collect();
    let picture = EtaPicture {
        file: "probe-eta.png",
        caption: format!("η* on the probe set per group: {label}"),
        x_desc: "step",
        y_desc: "η* (probes)",
        x_max: run.probes.last().map_or(1.0, |p| p.step as f64),
    };
    draw_eta(run, &series, picture, out)
}

/// Draws η per group over `series` (`x`, η per group), or nothing when it holds no η.
fn draw_eta(
    run: &Run,
    series: &[(f64, Vec<f64>)],
    picture: EtaPicture,
    out: &Path,
) -> Result<Option<PathBuf>, ReportError> {
    let groups = series.iter().map(|(_, eta)| eta.len()).max().unwrap_or(0);
    if groups == 0 {
        return Ok(None);
    }
    let kinds: Vec<Option<GroupKind>> = (0..groups)
        .map(|g| run.info.groups.get(g).map(|info| info.kind))
        .collect();
    let any_bias = kinds.contains(&Some(GroupKind::Bias));
    let radius = (series.len() <= 40).then_some(3);
    let mut curves = Vec::new();
    let mut legend = Vec::new();
    let stride = groups.div_ceil(MAX_NAMED);
    for (g, kind) in kinds.iter().enumerate() {
        let colour = style::series_colour(g, groups);
        let dash = if *kind == Some(GroupKind::Bias) {
            Dash::Dashed
        } else {
            Dash::Solid
        };
        let points = series
            .iter()
            .filter_map(|(x, eta)| eta.get(g).map(|&v| (*x, v)))
            .collect();
        curves.push(Curve {
            points,
            colour,
            line: Some(dash),
            marker: radius,
        });
        if g % stride == 0 || g + 1 == groups {
            let name = run
                .info
                .groups
                .get(g)
                .map_or_else(|| format!("group {g}"), |info| info.label.clone());
            let name = if stride > 1 {
                format!("{g}: {name}")
            } else {
                name
            };
            legend.push(LegendEntry::line(name, colour, dash));
        }
    }
    if any_bias {
        legend.push(LegendEntry::line("weights", style::KEY, Dash::Solid));
        legend.push(LegendEntry::line("biases", style::KEY, Dash::Dashed));
    }
    let values: Vec<f64> = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.1))
        .collect();
    let y = eta_axis(&values);
    let hidden = y.scale == Scale::Log && values.iter().any(|&v| v.is_finite() && v <= 0.0);
    let caption = if hidden {
        format!("{} (values ≤ 0 left out)", picture.caption)
    } else {
        picture.caption
    };
    let panel = LinePanel {
        caption,
        x_desc: picture.x_desc.into(),
        y_desc: picture.y_desc.into(),
        x: ValueAxis::linear(0.0, picture.x_max),
        y,
        curves,
    };
    render_panel(&out.join(picture.file), &panel, &legend).map(Some)
}

/// η per epoch: the epoch records' means, or, for a run whose epoch records carry none (one stopped within its
/// first epoch), the mean of its steps' η over each epoch (steps in (k-1, k] belong to epoch k).
fn eta_per_epoch(run: &Run) -> BTreeMap<u32, Vec<f64>> {
    let from_epochs: BTreeMap<u32, Vec<f64>> = run
        .epochs
        .iter()
        .filter_map(|e| e.eta.clone().map(|eta| (e.epoch, eta)))
        .collect();
    if !from_epochs.is_empty() {
        return from_epochs;
    }
    let mut sums: BTreeMap<u32, (Vec<f64>, Vec<usize>)> = BTreeMap::new();
    for step in &run.steps {
        let (Some(eta), true) = (&step.eta, step.epoch.is_finite()) else {
            continue;
        };
        let epoch = (step.epoch - 1e-9).ceil().max(0.0) as u32;
        let (sum, count) = sums.entry(epoch).or_default();
        if sum.len() < eta.len() {
            sum.resize(eta.len(), 0.0);
            count.resize(eta.len(), 0);
        }
        for (g, &v) in eta.iter().enumerate().filter(|(_, v)| v.is_finite()) {
            sum[g] += v;
            count[g] += 1;
        }
    }
    sums.into_iter()
        .map(|(epoch, (sum, count))| {
            let mean = sum
                .iter()
                .zip(&count)
                .map(|(&s, &c)| if c == 0 { f64::NAN } else { s / c as f64 })
                .collect();
            (epoch, mean)
        })
        .collect()
}

/// A log axis when the values are positive, or mostly positive and spread over two decades or more (a few zeros
/// from clipping η to (η)₊ should not flatten the rest); linear otherwise.
fn eta_axis(values: &[f64]) -> ValueAxis {
    let positive: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let finite = values.iter().filter(|v| v.is_finite()).count();
    let spread = positive.iter().copied().fold(0.0, f64::max)
        / positive.iter().copied().fold(f64::INFINITY, f64::min);
    if !positive.is_empty()
        && (positive.len() == finite || (2 * positive.len() >= finite && spread >= 100.0))
    {
        ValueAxis::fit(positive, true)
    } else {
        ValueAxis::fit(values.iter().copied(), false)
    }
}
