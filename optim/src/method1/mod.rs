//! Method 1 of the paper, run as its algorithm 4 (appendix G):
//!
//! ```text
//! for t = 1, 2, …
//!     L_t, g_t ← loss and gradient on a D_g minibatch
//!     ũ_t ← momentum(μ_g; g_t, ũ_{t−1})
//!     if t = 1, or t ≡ 1 (mod τ), or η̃ is still undefined:
//!         gbar, hbar, d3 ← summaries along ũ_t on a D_newt minibatch
//!         η_t ← the cubic solver's minimiser of T (hbar's off-diagonal zeroed in the diagonal variant)
//!         η̃_t ← momentum(μ_η; (η_t)₊, η̃_{t−1})
//!     θ_p ← θ_p − λ_t · ũ_{t,p} · η̃_{t, group(p)}
//!     λ_{t+1} ← ReduceLROnPlateau every τ_sch steps on the mean loss since its last call
//! ```
//!
//! where `momentum(μ; x, x̃)` is `x` while `x̃` is undefined, else `μx̃ + (1 − μ)x`. The summaries are computed at
//! steps `1, 1 + τ, 1 + 2τ, …` (the paper's reference code counts steps from 0 and recomputes when the count is a
//! multiple of τ), so that `η̃` is defined from the first step. If they are not finite or the solver refuses,
//! the previous `η̃` is kept and the report says so; while no `η̃` exists the parameters do not move and the
//! summaries are retried at the next step.
//!
//! With [`Schedule::Adaptive`], the new `η̃` is first tried on the `D_newt` minibatch over the displacement of the
//! next `τ` steps; when the loss decreases much less than the cubic model predicts, `λ_int` grows and the system is
//! solved again, and `λ_int` shrinks after good trials; and `λ_t` is steered by how much each period's steps
//! actually decreased the loss on its summaries' minibatch (see [`AdaptiveConfig`]). With `summary_average = N >
//! 1`, the solve uses the mean of the last `N` summaries.

mod average;
mod config;
mod direction;
mod report;
mod state;
mod step;
mod step_size;

pub use config::{AdaptiveConfig, Method1Config, Schedule};
pub use direction::{AdamMoments, DirectionRule};
pub use report::{EtaUpdate, Method1Report, SummariesReport};

use jetnewton_engine::{Float, Tensor};

use self::average::SummaryAverage;
use self::step_size::Period;
use crate::error::Result;
use crate::layout::ParamLayout;
use crate::optimizer::{check_lr, Optimizer, StepReport};
use crate::oracle::Oracle;
use crate::plateau::PlateauSchedule;
use crate::state::OptimizerState;

/// The paper's optimiser: per-group step sizes from a cubic-regularised Newton model of the loss along the
/// momentum of the gradients (see the [module docs](self)).
///
/// ```
/// use jetnewton_engine::summaries::Summaries;
/// use jetnewton_engine::Tensor;
/// use jetnewton_optim::{Method1, Method1Config, Optimizer, Oracle, ParamLayout, OptimResult as Result};
///
/// /// L(θ) = ½‖θ‖², with exact summaries (one group per tensor) and no minibatches.
/// struct Bowl;
/// fn loss(p: &[Tensor<f64>]) -> f64 {
///     p.iter().map(|t| 0.5 * t.norm_f64().powi(2)).sum()
/// }
/// impl Oracle<f64> for Bowl {
///     fn loss_and_gradient(&mut self, p: &[Tensor<f64>]) -> Result<(f64, Vec<Tensor<f64>>)> {
///         Ok((loss(p), p.to_vec()))
///     }
///     fn summaries(
///         &mut self,
///         p: &[Tensor<f64>],
///         u: &[Tensor<f64>],
///         groups: &[Vec<usize>],
///     ) -> Result<Summaries> {
///         let dot = |a: &Tensor<f64>, b: &Tensor<f64>| -> f64 {
///             a.data().iter().zip(b.data()).map(|(x, y)| x * y).sum()
///         };
///         let n = groups.len();
///         let mut hbar = vec![vec![0.0; n]; n];
///         let mut gbar = vec![0.0; n];
///         for (s, g) in groups.iter().enumerate() {
///             gbar[s] = g.iter().map(|&i| dot(&p[i], &u[i])).sum();
///             hbar[s][s] = g.iter().map(|&i| dot(&u[i], &u[i])).sum();
///         }
///         Ok(Summaries { loss: loss(p), gbar, hbar, d3: vec![0.0; n], d3_slices: None })
///     }
///     fn loss_on_last_summary_batch(&mut self, p: &[Tensor<f64>]) -> Result<f64> {
///         Ok(loss(p))
///     }
/// }
///
/// let mut params = vec![
///     Tensor::from_vec(vec![2], vec![1.0, -2.0]).unwrap(),
///     Tensor::from_vec(vec![1], vec![3.0]).unwrap(),
/// ];
/// let layout = ParamLayout::of(vec!["w".into(), "b".into()], &params)?;
/// // The paper's defaults, self-tuning λ_int and λ_t (`.adaptive()`); 100 steps per epoch for the plateau scheduler.
/// let config = Method1Config::paper(100).adaptive();
/// let mut m1 = Method1::<f64>::new(layout, vec![vec![0], vec![1]], config)?;
/// let start = loss(&params);
/// for _ in 0..100 {
///     m1.step(&mut params, &mut Bowl)?;
/// }
/// assert!(loss(&params) < 1e-3 * start);
/// // Each period got most of its predicted decrease, so λ_t grew from λ_1 = 0.1.
/// assert!(m1.lr() > 0.1);
/// # Ok::<(), jetnewton_optim::OptimError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Method1<F: Float> {
    config: Method1Config,
    layout: ParamLayout,
    groups: Vec<Vec<usize>>,
    /// The group of each parameter.
    group_of: Vec<usize>,
    /// Steps done.
    step: u64,
    /// `λ_t`.
    lr: f64,
    /// `ũ`, the momentum of the gradients (zeros before the first step).
    direction: Vec<Tensor<F>>,
    /// `η̃`, once defined.
    eta: Option<Vec<f64>>,
    schedule: Option<PlateauSchedule>,
    /// `λ_int`: `solver.lambda_int` throughout with the paper's schedule, adapted with the adaptive one.
    lambda_int: f64,
    /// The last summaries, when `summary_average > 1`.
    average: Option<SummaryAverage>,
    /// The current period's start and displacement, with the adaptive schedule once summaries have succeeded.
    period: Option<Period>,
    /// Adam's moments, with [`DirectionRule::Adam`] after the first step.
    moments: Option<AdamMoments<F>>,
}

impl<F: Float> Method1<F> {
    /// Method 1 for parameters of `layout` partitioned into `groups` (indices into the layout; every parameter
    /// in exactly one group).
    pub fn new(
        layout: ParamLayout,
        groups: Vec<Vec<usize>>,
        config: Method1Config,
    ) -> Result<Self> {
        config.validate()?;
        let group_of = layout.group_of(&groups)?;
        let schedule = config.scheduler.map(PlateauSchedule::new).transpose()?;
        let average = (config.summary_average > 1)
            .then(|| SummaryAverage::new(config.summary_average, groups.len()));
        Ok(Self {
            lambda_int: config.solver.lambda_int,
            average,
            direction: layout.zeros(),
            lr: config.lr,
            config,
            layout,
            groups,
            group_of,
            step: 0,
            eta: None,
            schedule,
            period: None,
            moments: None,
        })
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &Method1Config {
        &self.config
    }

    /// The groups, as indices into the layout.
    pub fn groups(&self) -> &[Vec<usize>] {
        &self.groups
    }

    /// `η̃`, the current per-group step sizes (`None` before the first successful summaries).
    pub fn eta(&self) -> Option<&[f64]> {
        self.eta.as_deref()
    }

    /// `ũ`, the current direction (zeros before the first step).
    pub fn direction(&self) -> &[Tensor<F>] {
        &self.direction
    }

    /// Steps done so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// `λ_int`, the internal damping of the next solve (constant with [`Schedule::Paper`]).
    pub fn lambda_int(&self) -> f64 {
        self.lambda_int
    }
}

impl<F: Float> Optimizer<F> for Method1<F> {
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
        self.lr
    }

    fn set_lr(&mut self, lr: f64) -> Result<()> {
        check_lr("lr", lr)?;
        self.lr = lr;
        Ok(())
    }

    fn layout(&self) -> &ParamLayout {
        &self.layout
    }
}
