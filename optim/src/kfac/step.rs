//! One K-FAC step: the minibatch's gradient and (every `T_cov` steps) factors, the running averages, (every
//! `T_inv` steps) their eigendecompositions, the preconditioned and KL-clipped direction, and SGD with momentum.

use jetnewton_engine::{Float, Tensor};

use super::factors::LayerFactors;
use super::precondition::{gradient_matrix, kl_scale, natural_gradient};
use super::stats::{bad, check_stats, KfacLayerStats};
use super::Kfac;
use crate::error::{OptimError, Result};
use crate::optimizer::StepReport;
use crate::oracle::Oracle;

impl<F: Float> Kfac<F> {
    /// Step `t = self.step` (from 0, KFAC-Pytorch's counter). Everything that can fail runs before the first
    /// write, so an error changes nothing (the oracle may have drawn its minibatch, though).
    pub(super) fn train_step(
        &mut self,
        params: &mut [Tensor<F>],
        oracle: &mut dyn Oracle<F>,
    ) -> Result<StepReport> {
        self.layout.check("parameters", params)?;
        let c = self.config;
        let t = self.step;
        let with_factors = t % c.t_cov as u64 == 0;
        let answer = oracle.loss_gradient_and_kfac(params, c.sample_seed(t), with_factors)?;
        self.layout.check_gradient(answer.loss, &answer.gradient)?;
        let updated = self.next_factors(t, with_factors, answer.layers)?;
        let layers = updated.as_deref().unwrap_or(&self.layers);
        let (directions, nu) = self.directions(layers, answer.gradient)?;

        // SGD with momentum as KFAC-Pytorch's `_step` does it: no dampening, no Nesterov, and a buffer that starts
        // at zero, so its first value is the direction itself.
        let (wd, mu, neg_lr) = (F::of(c.weight_decay), F::of(c.momentum), F::of(-c.lr));
        for ((p, mut d), buf) in params.iter_mut().zip(directions).zip(&mut self.buffers) {
            if c.weight_decay != 0.0 {
                d.iter_mut().zip(p.data()).for_each(|(d, &p)| *d += wd * p);
            }
            if c.momentum != 0.0 {
                for (v, d) in buf.data_mut().iter_mut().zip(d.iter_mut()) {
                    *v = if t == 0 { *d } else { mu * *v + *d };
                    *d = *v;
                }
            }
            p.data_mut()
                .iter_mut()
                .zip(&d)
                .for_each(|(p, &d)| *p += neg_lr * d);
        }
        if let Some(layers) = updated {
            self.layers = layers;
        }
        self.step = t + 1;
        self.last_kl_scale = Some(nu);
        Ok(StepReport {
            step: self.step,
            loss: answer.loss,
            lr: c.lr,
            method1: None,
        })
    }

    /// The layers' factors for step `t`, when they change: the minibatch's factors folded into the running
    /// averages (when `with_factors`), then decomposed (every `T_inv` steps, and whenever a layer has no
    /// decomposition yet). `None` when the current ones stay.
    fn next_factors(
        &self,
        t: u64,
        with_factors: bool,
        stats: Option<Vec<KfacLayerStats>>,
    ) -> Result<Option<Vec<LayerFactors>>> {
        let decay = self.config.stat_decay;
        let mut next = None;
        if with_factors {
            let stats =
                stats.ok_or_else(|| bad("factors were asked for but none came back".into()))?;
            let checked = check_stats(&self.layout, stats)?;
            if t == 0 {
                let first = checked
                    .iter()
                    .map(|(shape, s)| LayerFactors::first(*shape, s, decay));
                next = Some(first.collect());
            } else {
                let same = checked.len() == self.layers.len()
                    && checked
                        .iter()
                        .zip(&self.layers)
                        .all(|((s, _), l)| *s == l.shape);
                if !same {
                    return Err(bad(format!(
                        "the layers changed since the first step: {} now, {} before",
                        checked.len(),
                        self.layers.len()
                    )));
                }
                let mut layers = self.layers.clone();
                for (l, (_, s)) in layers.iter_mut().zip(&checked) {
                    l.update(s, decay);
                }
                next = Some(layers);
            }
        }
        let due = t % self.config.t_inv as u64 == 0;
        let current = next.as_deref().unwrap_or(&self.layers);
        if due || current.iter().any(|l| l.eigen.is_none()) {
            let mut layers = next.unwrap_or_else(|| self.layers.clone());
            for l in &mut layers {
                l.decompose(&self.layout.names()[l.shape.weight])?;
            }
            next = Some(layers);
        }
        Ok(next)
    }

    /// Every parameter's update direction before weight decay and momentum: `ν·V` for the K-FAC layers' weights
    /// and biases, the plain gradient for every other parameter; and the KL scale `ν`.
    fn directions(
        &self,
        layers: &[LayerFactors],
        grads: Vec<Tensor<F>>,
    ) -> Result<(Vec<Vec<F>>, f64)> {
        let c = &self.config;
        let mut vs = Vec::with_capacity(layers.len());
        let mut vg = 0.0;
        for l in layers {
            let name = &self.layout.names()[l.shape.weight];
            let (ea, eg) = l.eigen.as_ref().ok_or_else(|| {
                bad(format!(
                    "layer `{name}` has no eigendecomposition (internal error)"
                ))
            })?;
            let m = gradient_matrix(&l.shape, &grads);
            let v = natural_gradient(ea, eg, &m, l.shape.out, l.shape.d_a(), c.damping);
            let dot: f64 = v.iter().zip(&m).map(|(v, m)| v * m).sum();
            if !dot.is_finite() {
                return Err(OptimError::NonFinite {
                    what: "K-FAC direction",
                    name: name.clone(),
                });
            }
            vg += dot;
            vs.push(v);
        }
        let nu = kl_scale(vg, c.lr, c.kl_clip);
        let mut dirs: Vec<Vec<F>> = grads.into_iter().map(Tensor::into_vec).collect();
        for (l, v) in layers.iter().zip(&vs) {
            let (input, d_a) = (l.shape.input, l.shape.d_a());
            let w = &mut dirs[l.shape.weight];
            for (dst, row) in w.chunks_exact_mut(input).zip(v.chunks_exact(d_a)) {
                for (d, &x) in dst.iter_mut().zip(row) {
                    *d = F::of(nu * x);
                }
            }
            if let Some(b) = l.shape.bias {
                for (d, row) in dirs[b].iter_mut().zip(v.chunks_exact(d_a)) {
                    *d = F::of(nu * row[input]);
                }
            }
        }
        Ok((dirs, nu))
    }
}
