//! Saving and restoring [`Kfac`]'s state: the step, the learning rate, the momentum buffers, and per layer the
//! running factors with the eigendecompositions in use (stored, not recomputed: they date from the last
//! multiple of `T_inv`, and the factors may have moved since).

use jetnewton_engine::Float;

use super::factors::{Eigen, LayerFactors};
use super::stats::LayerShape;
use super::Kfac;
use crate::error::{OptimError, Result};
use crate::optimizer::check_lr;
use crate::state::{OptimizerState, StateReader};

const KIND: &str = "kfac";

/// Inserts an `f64` tensor as it is.
fn put(s: &mut OptimizerState, name: String, shape: Vec<usize>, data: &[f64]) {
    s.set_f64_tensor(name, shape, data.to_vec());
}

impl<F: Float> Kfac<F> {
    /// `step`, `lr`, `momentum_buffer/{name}` (with momentum), and for each layer, named by its weight `w`:
    /// `factor_a/{w}`, `factor_g/{w}`, `eigenvalues_a/{w}`, `eigenvectors_a/{w}` (and `_g`), and the scalar
    /// `bias/{w}`, the bias's index, when it has one.
    pub(super) fn save(&self) -> OptimizerState {
        let mut s = OptimizerState::new(KIND);
        s.set_scalar("step", self.step as f64);
        s.set_scalar("lr", self.config.lr);
        if self.config.momentum != 0.0 {
            s.set_buffers("momentum_buffer", self.layout.names(), &self.buffers);
        }
        for l in &self.layers {
            let w = &self.layout.names()[l.shape.weight];
            let (da, dg) = (l.shape.d_a(), l.shape.out);
            if let Some(b) = l.shape.bias {
                s.set_scalar(&format!("bias/{w}"), b as f64);
            }
            put(&mut s, format!("factor_a/{w}"), vec![da, da], &l.a);
            put(&mut s, format!("factor_g/{w}"), vec![dg, dg], &l.g);
            if let Some((ea, eg)) = &l.eigen {
                for (side, e, n) in [("a", ea, da), ("g", eg, dg)] {
                    put(
                        &mut s,
                        format!("eigenvalues_{side}/{w}"),
                        vec![n],
                        &e.values,
                    );
                    put(
                        &mut s,
                        format!("eigenvectors_{side}/{w}"),
                        vec![n, n],
                        &e.vectors,
                    );
                }
            }
        }
        s
    }

    pub(super) fn load(&mut self, state: &OptimizerState) -> Result<()> {
        let mut r = StateReader::new(KIND, state)?;
        let step = r.count("step")?;
        let lr = r.scalar("lr")?;
        check_lr("lr", lr)?;
        let buffers = if self.config.momentum != 0.0 {
            r.buffers("momentum_buffer", self.layout.names(), self.layout.shapes())?
        } else {
            self.layout.zeros()
        };
        let error = |reason: String| OptimError::State { kind: KIND, reason };
        let mut layers: Vec<LayerFactors> = Vec::new();
        for w in state
            .tensors
            .keys()
            .filter_map(|k| k.strip_prefix("factor_a/"))
        {
            let weight = (self.layout.names().iter().position(|n| n == w))
                .ok_or_else(|| error(format!("a layer of unknown weight `{w}`")))?;
            let bias_key = format!("bias/{w}");
            let bias = if r.has_scalar(&bias_key) {
                Some(r.count(&bias_key)? as usize)
            } else {
                None
            };
            let shape =
                LayerShape::of(&self.layout, weight, bias).map_err(|e| error(e.to_string()))?;
            let taken = |p: usize| {
                layers
                    .iter()
                    .any(|l| l.shape.weight == p || l.shape.bias == Some(p))
            };
            if std::iter::once(weight).chain(bias).any(taken) {
                return Err(error(format!(
                    "layer `{w}` shares a parameter with another"
                )));
            }
            let (da, dg) = (shape.d_a(), shape.out);
            let mut matrix =
                |name: String, n: usize| -> Result<Vec<f64>> { r.f64_tensor(&name, &[n, n]) };
            let a = matrix(format!("factor_a/{w}"), da)?;
            let g = matrix(format!("factor_g/{w}"), dg)?;
            let mut eigen = |side: &str, n: usize| -> Result<Eigen> {
                Ok(Eigen {
                    values: r
                        .tensor::<f64>(&format!("eigenvalues_{side}/{w}"), &[n])?
                        .into_vec(),
                    vectors: r
                        .tensor::<f64>(&format!("eigenvectors_{side}/{w}"), &[n, n])?
                        .into_vec(),
                })
            };
            let eigen = Some((eigen("a", da)?, eigen("g", dg)?));
            layers.push(LayerFactors { shape, a, g, eigen });
        }
        layers.sort_by_key(|l| l.shape.weight);
        r.finish()?;
        self.step = step;
        self.config.lr = lr;
        self.buffers = buffers;
        self.layers = layers;
        self.last_kl_scale = None;
        Ok(())
    }
}
