//! [`SummaryAverage`]: the uniform mean of the last `N` summaries (`summary_average` of [`super::Method1Config`]).

use std::collections::VecDeque;

use jetnewton_engine::summaries::Summaries;

use crate::error::{OptimError, Result};
use crate::state::{OptimizerState, StateReader};

/// The summaries a solve uses: `gbar`, `hbar` and `d3`, possibly averaged and with `hbar`'s off-diagonal zeroed.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Model {
    pub gbar: Vec<f64>,
    pub hbar: Vec<Vec<f64>>,
    pub d3: Vec<f64>,
}

impl Model {
    pub fn of(s: &Summaries) -> Self {
        Self {
            gbar: s.gbar.clone(),
            hbar: s.hbar.clone(),
            d3: s.d3.clone(),
        }
    }
}

/// The last (at most `capacity`) finite summaries, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct SummaryAverage {
    capacity: usize,
    groups: usize,
    last: VecDeque<Model>,
}

impl SummaryAverage {
    pub fn new(capacity: usize, groups: usize) -> Self {
        Self {
            capacity,
            groups,
            last: VecDeque::with_capacity(capacity),
        }
    }

    /// Adds `model` (dropping the oldest beyond the capacity) and returns the mean of those held, computed as a
    /// running mean `m_k = m_{k−1} + (x_k − m_{k−1})/k` so that the mean of equal summaries is exactly them.
    pub fn push_and_mean(&mut self, model: Model) -> Model {
        if self.last.len() == self.capacity {
            self.last.pop_front();
        }
        self.last.push_back(model);
        let mut it = self.last.iter();
        let mut mean = it.next().cloned().expect("just pushed");
        for (k, x) in it.enumerate() {
            let k = (k + 2) as f64;
            let step = |m: &mut f64, x: f64| *m += (x - *m) / k;
            mean.gbar
                .iter_mut()
                .zip(&x.gbar)
                .for_each(|(m, &x)| step(m, x));
            mean.d3.iter_mut().zip(&x.d3).for_each(|(m, &x)| step(m, x));
            for (row, xrow) in mean.hbar.iter_mut().zip(&x.hbar) {
                row.iter_mut().zip(xrow).for_each(|(m, &x)| step(m, x));
            }
        }
        mean
    }

    /// Saves the held summaries as `{prefix}count` and the tensors `{prefix}gbar` `[k, S]`, `{prefix}hbar`
    /// `[k, S, S]`, `{prefix}d3` `[k, S]` (none when empty).
    pub fn save(&self, s: &mut OptimizerState, prefix: &str) {
        let k = self.last.len();
        s.set_scalar(&format!("{prefix}count"), k as f64);
        if k == 0 {
            return;
        }
        let n = self.groups;
        let mut put = |name: &str, shape: Vec<usize>, data: Vec<f64>| {
            s.set_f64_tensor(format!("{prefix}{name}"), shape, data);
        };
        let flat = |f: &dyn Fn(&Model) -> Vec<f64>| self.last.iter().flat_map(f).collect();
        put("gbar", vec![k, n], flat(&|m| m.gbar.clone()));
        put("hbar", vec![k, n, n], flat(&|m| m.hbar.concat()));
        put("d3", vec![k, n], flat(&|m| m.d3.clone()));
    }

    /// This average with the summaries saved by [`SummaryAverage::save`].
    pub fn loaded(&self, r: &mut StateReader<'_>, prefix: &str) -> Result<Self> {
        let k = r.count(&format!("{prefix}count"))? as usize;
        if k > self.capacity {
            return Err(OptimError::State {
                kind: "method1",
                reason: format!(
                    "{k} averaged summaries saved, more than summary_average = {}",
                    self.capacity
                ),
            });
        }
        let mut out = Self::new(self.capacity, self.groups);
        if k == 0 {
            return Ok(out);
        }
        let n = self.groups;
        let gbar = r.tensor::<f64>(&format!("{prefix}gbar"), &[k, n])?;
        let hbar = r.tensor::<f64>(&format!("{prefix}hbar"), &[k, n, n])?;
        let d3 = r.tensor::<f64>(&format!("{prefix}d3"), &[k, n])?;
        for i in 0..k {
            let h = &hbar.data()[i * n * n..(i + 1) * n * n];
            out.last.push_back(Model {
                gbar: gbar.data()[i * n..(i + 1) * n].to_vec(),
                hbar: h.chunks(n.max(1)).map(<[f64]>::to_vec).collect(),
                d3: d3.data()[i * n..(i + 1) * n].to_vec(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(x: f64) -> Model {
        Model {
            gbar: vec![x, 2.0 * x],
            hbar: vec![vec![x, 0.1], vec![0.1, 3.0 * x]],
            d3: vec![-x, 0.3],
        }
    }

    #[test]
    fn the_mean_is_uniform_over_the_last_n() {
        let mut a = SummaryAverage::new(3, 2);
        assert_eq!(a.push_and_mean(model(0.1)), model(0.1));
        // Equal summaries average to themselves exactly.
        assert_eq!(a.push_and_mean(model(0.1)), model(0.1));
        assert_eq!(a.push_and_mean(model(0.1)), model(0.1));
        // 0.1 is dropped: the mean of 0.1, 0.1, 0.4 is 0.2.
        let m = a.push_and_mean(model(0.4));
        assert!((m.gbar[0] - 0.2).abs() < 1e-15 && (m.hbar[1][1] - 0.6).abs() < 1e-15);
        let m = a.push_and_mean(model(0.4));
        assert!((m.d3[0] + 0.3).abs() < 1e-15, "{m:?}");
        let m = a.push_and_mean(model(0.4));
        assert_eq!(m, model(0.4));
    }
}
