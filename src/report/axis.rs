//! Value axes: a chart axis's range and tick marks, linear or logarithmic, and the labels of its ticks.
//!
//! A log axis is a linear axis over log10 of the values, with ticks chosen here: plotters' own log axis puts one
//! tick or none on ranges under a decade, which is where training losses often end up.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;

/// How values map onto the axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scale {
    /// Plotted as they are.
    Linear,
    /// Plotted as log10(value); values ≤ 0 cannot be plotted.
    Log,
}

/// An axis: its scale, its range and ticks in plot space (log10 of the values on a log axis).
#[derive(Clone, Debug)]
pub(crate) struct ValueAxis {
    /// Linear or log.
    pub scale: Scale,
    /// The range shown, in plot space.
    pub range: Range<f64>,
    /// Labelled ticks, in plot space.
    pub ticks: Vec<f64>,
    /// Unlabelled grid lines, in plot space.
    pub minor: Vec<f64>,
    /// The step of linear ticks in value space (sets the decimals of labels); 0 on a log axis.
    step: f64,
}

/// How many labelled ticks to aim for.
const TARGET_TICKS: f64 = 6.0;

impl ValueAxis {
    /// A linear axis over exactly `lo..hi` (widened when empty).
    pub fn linear(lo: f64, hi: f64) -> Self {
        let (lo, hi) = widen(lo, hi);
        let step = nice_step((hi - lo) / TARGET_TICKS);
        Self {
            scale: Scale::Linear,
            range: lo..hi,
            ticks: ticks_between(lo, hi, step),
            minor: Vec::new(),
            step,
        }
    }

    /// A log axis over exactly `lo..hi` (values, both > 0).
    pub fn log(lo: f64, hi: f64) -> Self {
        let (lo, hi) = widen(lo.log10(), hi.log10());
        let (ticks, minor) = log_ticks(lo, hi);
        Self {
            scale: Scale::Log,
            range: lo..hi,
            ticks,
            minor,
            step: 0.0,
        }
    }

    /// An axis fitting `values` with a 4% margin: log when `prefer_log`, every finite value is positive and they
    /// span at least half a decade (below that a log axis only bends a straight picture), linear otherwise.
    pub fn fit(values: impl IntoIterator<Item = f64>, prefer_log: bool) -> Self {
        let finite: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        let (lo, hi) = finite
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        if finite.is_empty() {
            return Self::linear(0.0, 1.0);
        }
        if prefer_log && lo > 0.0 && hi / lo >= 10f64.sqrt() {
            let (l, h) = (lo.log10(), hi.log10());
            let pad = 0.04 * (h - l);
            return Self::log(10f64.powf(l - pad), 10f64.powf(h + pad));
        }
        let pad = 0.04 * (hi - lo);
        Self::linear(lo - pad, hi + pad)
    }

    /// The plot-space position of `value`, or `None` when it cannot be shown (not finite, or ≤ 0 on a log axis).
    pub fn to_plot(&self, value: f64) -> Option<f64> {
        let p = match self.scale {
            Scale::Linear => value,
            Scale::Log if value > 0.0 => value.log10(),
            Scale::Log => return None,
        };
        p.is_finite().then_some(p)
    }

    /// The label of the tick at plot-space position `p`.
    pub fn label(&self, p: f64) -> String {
        match self.scale {
            Scale::Log => format_sig(10f64.powf(p), 3),
            Scale::Linear => format_step(p, self.step),
        }
    }

    /// The plotters coordinate of this axis, with its ticks.
    pub fn coord(&self) -> AxisCoord {
        AxisCoord {
            linear: self.range.clone().into(),
            ticks: self.ticks.clone(),
            minor: self.minor.clone(),
        }
    }
}

/// A linear plotters coordinate whose grid lines are the axis's ticks. (Plotters' `with_key_points` does the
/// same but loses the label formatter that `configure_mesh` needs.)
pub(crate) struct AxisCoord {
    linear: RangedCoordf64,
    ticks: Vec<f64>,
    minor: Vec<f64>,
}

impl Ranged for AxisCoord {
    // Labels come from `ValueAxis::label` through the mesh's formatter; this only satisfies `configure_mesh`.
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.linear.range()
    }
}

/// `lo..hi`, widened around its centre when empty or reversed, so that a constant series still gets an axis.
fn widen(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo {
        (lo, hi)
    } else {
        let half = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
        (lo - half, lo + half)
    }
}

/// The smallest of 1, 2, 5 × 10^k at least `raw`.
pub(crate) fn nice_step(raw: f64) -> f64 {
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag)
}

/// The multiples of `step` in `lo..=hi`.
fn ticks_between(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// Ticks for a log axis over log10 range `lo..hi`: whole decades (every k-th when many) when four or more fit;
/// else 1-2-5 times the powers of ten; else 1…9 times; else (a range under a factor of about 2) plain linear
/// ticks of the values. Minor lines mark 2…9 times each decade when the ticks are decades.
fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let decades: Vec<i32> = ((lo - 1e-9).ceil() as i32..=(hi + 1e-9).floor() as i32).collect();
    if decades.len() >= 4 {
        let stride = decades.len().div_ceil(8) as i32;
        // Multiples of the stride, so that the labels read 1, 1e-4, 1e-8 rather than start anywhere.
        let ticks = decades
            .iter()
            .filter(|&&k| k.rem_euclid(stride) == 0)
            .map(|&k| f64::from(k))
            .collect();
        let minor = if hi - lo <= 8.0 {
            (lo.floor() as i32..=hi.ceil() as i32)
                .flat_map(|k| (2..10).map(move |m| f64::from(m).log10() + f64::from(k)))
                .filter(|p| (lo..=hi).contains(p))
                .collect()
        } else {
            Vec::new()
        };
        return (ticks, minor);
    }
    for mantissas in [
        &[1.0, 2.0, 5.0][..],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
    ] {
        let ticks: Vec<f64> = (lo.floor() as i32..=hi.ceil() as i32)
            .flat_map(|k| {
                mantissas
                    .iter()
                    .map(move |m: &f64| m.log10() + f64::from(k))
            })
            .filter(|p| (lo - 1e-9..=hi + 1e-9).contains(p))
            .collect();
        if ticks.len() >= 3 {
            return (ticks, Vec::new());
        }
    }
    let (vlo, vhi) = (10f64.powf(lo), 10f64.powf(hi));
    let step = nice_step((vhi - vlo) / TARGET_TICKS);
    let ticks = ticks_between(vlo, vhi, step)
        .into_iter()
        .filter(|&v| v > 0.0)
        .map(f64::log10)
        .collect();
    (ticks, Vec::new())
}

/// `value` rounded to a multiple of `step` (a 1-2-5 step), with the decimals that step needs.
fn format_step(value: f64, step: f64) -> String {
    if step <= 0.0 || !step.is_finite() {
        return format_sig(value, 3);
    }
    let value = (value / step).round() * step;
    if value == 0.0 {
        return "0".into();
    }
    if step < 1e-3 || value.abs() >= 1e6 {
        // Enough significant digits to tell neighbouring ticks apart.
        let digits = (value.abs().log10().floor() - step.log10().floor()) as usize + 1;
        return format_sig(value, digits.clamp(1, 6));
    }
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{value:.decimals$}")
}

/// `value` with `sig` significant digits and no trailing zeros: fixed notation for magnitudes in [1e-3, 1e5),
/// scientific otherwise (`2.5e-5`).
pub(crate) fn format_sig(value: f64, sig: usize) -> String {
    if value == 0.0 {
        return "0".into();
    }
    if !value.is_finite() {
        return format!("{value}");
    }
    let sig = sig.max(1);
    let magnitude = value.abs().log10().floor() as i32;
    if (-3..5).contains(&magnitude) {
        let decimals = (sig as i32 - 1 - magnitude).max(0) as usize;
        trim_zeros(&format!("{value:.decimals$}"))
    } else {
        let text = format!("{:.*e}", sig - 1, value);
        match text.split_once('e') {
            Some((mantissa, exponent)) => format!("{}e{exponent}", trim_zeros(mantissa)),
            None => text,
        }
    }
}

/// `2.500` → `2.5`, `3.000` → `3`; integers are left alone.
fn trim_zeros(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text.to_string()
    }
}
