//! [`Optimizer`]: the interface every optimiser of this crate implements, and [`StepReport`], what a step tells
//! the training loop.

use jetnewton_engine::{Float, Tensor};

use crate::error::{OptimError, Result};
use crate::layout::ParamLayout;
use crate::method1::Method1Report;
use crate::oracle::Oracle;
use crate::state::OptimizerState;

/// An optimiser of parameter tensors in a fixed order (its [`ParamLayout`]).
///
/// ```
/// use jetnewton_engine::Tensor;
/// use jetnewton_engine::summaries::Summaries;
/// use jetnewton_optim::{Adam, AdamConfig, Optimizer, Oracle, ParamLayout, OptimResult as Result};
///
/// /// L(θ) = ½‖θ‖².
/// struct Bowl;
/// impl Oracle<f64> for Bowl {
///     fn loss_and_gradient(&mut self, p: &[Tensor<f64>]) -> Result<(f64, Vec<Tensor<f64>>)> {
///         Ok((0.5 * p[0].norm_f64().powi(2), p.to_vec()))
///     }
///     fn summaries(&mut self, _: &[Tensor<f64>], _: &[Tensor<f64>], _: &[Vec<usize>]) -> Result<Summaries> {
///         unimplemented!("Adam does not ask for summaries")
///     }
/// }
///
/// let mut params = vec![Tensor::from_vec(vec![2], vec![1.0, -2.0]).unwrap()];
/// let layout = ParamLayout::of(vec!["θ".into()], &params)?;
/// let mut adam = Adam::<f64>::new(layout, AdamConfig { lr: 0.1, ..AdamConfig::default() })?;
/// for _ in 0..100 {
///     adam.step(&mut params, &mut Bowl)?;
/// }
/// assert!(params[0].norm_f64() < 0.1);
/// # Ok::<(), jetnewton_optim::OptimError>(())
/// ```
pub trait Optimizer<F: Float> {
    /// One training step: asks `oracle` for what it needs at `params` (`params` must follow the layout) and
    /// updates them in place. On error nothing is updated.
    fn step(&mut self, params: &mut [Tensor<F>], oracle: &mut dyn Oracle<F>) -> Result<StepReport>;

    /// The whole state, to store with a checkpoint.
    fn state(&self) -> OptimizerState;

    /// Restores a state from [`Optimizer::state`] of an optimiser of the same kind and layout; continuing then
    /// gives bit-identical steps. On error nothing changes.
    fn load_state(&mut self, state: &OptimizerState) -> Result<()>;

    /// The current step size (learning rate; `λ_t` for Method 1).
    fn lr(&self) -> f64;

    /// Sets the step size, for an external schedule; it must be finite and non-negative.
    fn set_lr(&mut self, lr: f64) -> Result<()>;

    /// The parameters' names and shapes.
    fn layout(&self) -> &ParamLayout;
}

/// What one step did, for logging.
#[derive(Clone, Debug, PartialEq)]
pub struct StepReport {
    /// The step's index `t`, from 1.
    pub step: u64,
    /// The loss on the step's `D_g` minibatch, at the parameters before the step.
    pub loss: f64,
    /// The step size the step used (the learning rate; `λ_t` for Method 1).
    pub lr: f64,
    /// Method 1's details; `None` for the other optimisers.
    pub method1: Option<Method1Report>,
}

/// Checks a step size given to [`Optimizer::set_lr`] or a configuration.
pub(crate) fn check_lr(field: &'static str, lr: f64) -> Result<()> {
    if lr.is_finite() && lr >= 0.0 {
        Ok(())
    } else {
        Err(OptimError::config(
            field,
            lr,
            "must be finite and non-negative",
        ))
    }
}

/// Checks a momentum-like coefficient in `[0, 1)` (or `[0, 1]` when `one_ok`).
pub(crate) fn check_unit(field: &'static str, v: f64, one_ok: bool) -> Result<()> {
    let ok = v >= 0.0 && (v < 1.0 || (one_ok && v == 1.0));
    if ok {
        Ok(())
    } else {
        let range = if one_ok { "[0, 1]" } else { "[0, 1)" };
        Err(OptimError::config(
            field,
            v,
            &format!("must lie in {range}"),
        ))
    }
}

/// Asks the oracle for the loss and gradient at `params` and checks them against `layout`.
pub(crate) fn checked_gradient<F: Float>(
    layout: &ParamLayout,
    params: &[Tensor<F>],
    oracle: &mut dyn Oracle<F>,
) -> Result<(f64, Vec<Tensor<F>>)> {
    layout.check("parameters", params)?;
    let (loss, grads) = oracle.loss_and_gradient(params)?;
    layout.check_gradient(loss, &grads)?;
    Ok((loss, grads))
}
