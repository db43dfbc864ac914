//! K-FAC (Martens & Grosse, 2015) with the semantics of KFAC-Pytorch's `KFACOptimizer` (alecwangcq/KFAC-Pytorch):
//! Kronecker-factored Fisher blocks per linear or convolutional layer, running factor averages, periodic
//! eigendecompositions, Tikhonov damping, a KL clip, and SGD with momentum on the preconditioned gradient.
//!
//! - [`config`](KfacConfig): the hyper-parameters and their defaults;
//! - `stats`: what the [`crate::Oracle`] reports ([`KfacLayerStats`], [`KfacGradient`]) and its checks;
//! - `factors`: the running averages and their eigendecompositions, in `f64`;
//! - `precondition`: the direction `V` of one layer and the KL clip;
//! - `step` and `state`: one step, and saving and restoring the state.

mod config;
mod factors;
mod precondition;
mod state;
mod stats;
mod step;

pub use config::KfacConfig;
pub use stats::{KfacGradient, KfacLayerStats};

use jetnewton_engine::{Float, Tensor};

use crate::error::Result;
use crate::layout::ParamLayout;
use crate::optimizer::{check_lr, Optimizer, StepReport};
use crate::oracle::Oracle;
use crate::state::OptimizerState;
use factors::LayerFactors;

/// K-FAC, step for step as KFAC-Pytorch computes it. At step `t` (from 0), on the oracle's next minibatch:
///
/// ```text
/// every T_cov steps:  A ← decay·A + (1 − decay)·A_batch,   G ← decay·G + (1 − decay)·G_batch   (from A = G = I)
/// every T_inv steps:  A = Q_a diag(d_a) Q_aᵀ,  G = Q_g diag(d_g) Q_gᵀ   (eigenvalues ≤ 1e-10 set to 0)
/// each K-FAC layer:   V = Q_g [(Q_gᵀ [∇W | ∇b] Q_a) ⊘ (d_g d_aᵀ + damping)] Q_aᵀ
/// KL clip:            ν = min(1, √(kl_clip / (lr²·Σ_layers V·[∇W | ∇b])))
/// d = ν·V for the layers' weights and biases, the gradient for every other parameter
/// d ← d + weight_decay·θ;   buf ← d (t = 0), μ·buf + d (t > 0);   θ ← θ − lr·buf
/// ```
///
/// The layers and their minibatch factors come from [`Oracle::loss_gradient_and_kfac`]
/// ([`KfacLayerStats`] gives their scaling), with `G` taken on labels sampled from the model's predictive
/// distribution (the Fisher, not the empirical Fisher); the sampling seed is derived from
/// [`KfacConfig::seed`] and `t`. The factor arithmetic runs in `f64` whatever the parameters' precision.
///
/// One deviation from KFAC-Pytorch: it adds the weight decay only from step `20·T_cov` on (a warm-up of its
/// own code); here it applies from the first step, like every other optimiser of this crate.
#[derive(Clone, Debug)]
pub struct Kfac<F: Float> {
    config: KfacConfig,
    layout: ParamLayout,
    /// Steps taken; the next step is number `step` in KFAC-Pytorch's 0-based count.
    step: u64,
    /// Momentum buffers (zeros before the first step; unused when `momentum = 0`).
    buffers: Vec<Tensor<F>>,
    /// The K-FAC layers, sorted by weight index; empty before the first step.
    layers: Vec<LayerFactors>,
    /// `ν` of the last step, for logging (not part of the state).
    last_kl_scale: Option<f64>,
}

impl<F: Float> Kfac<F> {
    /// A K-FAC optimiser for parameters of `layout`; the layers are learnt from the oracle's first answer.
    pub fn new(layout: ParamLayout, config: KfacConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            buffers: layout.zeros(),
            config,
            layout,
            step: 0,
            layers: Vec::new(),
            last_kl_scale: None,
        })
    }

    /// The configuration (with the current learning rate).
    pub fn config(&self) -> &KfacConfig {
        &self.config
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// The KL clip's scale `ν ∈ (0, 1]` of the last step (`None` before it, or after a state was loaded).
    pub fn last_kl_scale(&self) -> Option<f64> {
        self.last_kl_scale
    }

    /// The running factors `(A, G)` of the layer whose weight has index `weight`, as row-major `f64` matrices.
    pub fn factors(&self, weight: usize) -> Option<(&[f64], &[f64])> {
        self.layers
            .iter()
            .find(|l| l.shape.weight == weight)
            .map(|l| (l.a.as_slice(), l.g.as_slice()))
    }
}

impl<F: Float> Optimizer<F> for Kfac<F> {
    fn step(&mut self, params: &mut [Tensor<F>], oracle: &mut dyn Oracle<F>) -> Result<StepReport> {
        self.train_step(params, oracle)
    }

    fn state(&self) -> OptimizerState {
        self.save()
    }

    fn load_state(&mut self, state: &OptimizerState) -> Result<()> {
        self.load(state)
    }

    fn lr(&self) -> f64 {
        self.config.lr
    }

    fn set_lr(&mut self, lr: f64) -> Result<()> {
        check_lr("lr", lr)?;
        self.config.lr = lr;
        Ok(())
    }

    fn layout(&self) -> &ParamLayout {
        &self.layout
    }
}
