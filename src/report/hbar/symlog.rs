//! A symmetric logarithmic colour scale: hbar's entries span many orders of magnitude and both signs, so a
//! linear scale would show only the largest few.
//!
//! `t(v) = sign(v) · log10(1 + |v|/c) / log10(1 + M/c)` maps [-M, M] onto [-1, 1]: linear within ±c, logarithmic
//! beyond. M is the largest |entry|; c is the smallest nonzero |entry|, but no less than M·10⁻⁶, so that the
//! colours spread over at most six decades (more cannot be told apart by eye).

use crate::report::axis::format_sig;

/// The decades the colours cover at most.
const DECADES: f64 = 6.0;

/// The scale of one matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SymLog {
    /// M: the largest |entry|, mapped to ±1.
    pub max: f64,
    /// c: the linear threshold.
    pub linear: f64,
}

impl SymLog {
    /// The scale for these entries (non-finite ones ignored).
    pub fn fit(values: impl IntoIterator<Item = f64>) -> Self {
        let (mut max, mut min_nonzero) = (0.0f64, f64::INFINITY);
        for v in values.into_iter().filter(|v| v.is_finite()).map(f64::abs) {
            max = max.max(v);
            if v > 0.0 {
                min_nonzero = min_nonzero.min(v);
            }
        }
        if max == 0.0 {
            return Self {
                max: 1.0,
                linear: 10f64.powf(-DECADES),
            };
        }
        Self {
            max,
            linear: min_nonzero.max(max * 10f64.powf(-DECADES)),
        }
    }

    /// The position of `v` in [-1, 1]; NaN for a non-finite value.
    pub fn norm(&self, v: f64) -> f64 {
        if !v.is_finite() {
            return f64::NAN;
        }
        let t = (v.abs() / self.linear).ln_1p() / (self.max / self.linear).ln_1p();
        (t * v.signum()).clamp(-1.0, 1.0)
    }

    /// Values to mark on a colour bar: 0 and ± the powers of ten within (c, M], at most `per_side` on each side.
    pub fn ticks(&self, per_side: usize) -> Vec<f64> {
        let lo = self.linear.log10().ceil() as i32;
        let hi = self.max.log10().floor() as i32;
        let decades: Vec<i32> = (lo..=hi).collect();
        let stride = decades.len().div_ceil(per_side.max(1)).max(1);
        let mut ticks = vec![0.0];
        // Keep the largest decade: it tells the scale's range.
        for &k in decades.iter().rev().step_by(stride) {
            let v = 10f64.powi(k);
            ticks.push(v);
            ticks.push(-v);
        }
        if decades.is_empty() {
            ticks.extend([self.max, -self.max]);
        }
        ticks.sort_by(f64::total_cmp);
        ticks
    }

    /// The scale in words, for the colour bar.
    pub fn describe(&self) -> [String; 2] {
        [
            "symmetric log scale,".into(),
            format!("linear for |x| < {}", format_sig(self.linear, 2)),
        ]
    }
}
