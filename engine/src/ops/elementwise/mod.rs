//! Elementwise functions (tanh, sigmoid, ELU, ReLU, exp, log, polynomials) and all their derivatives, as one op
//! `Unary { f, deriv }` = `f⁽ᵈᵉʳⁱᵛ⁾(x)`. Differentiating it gives `Unary { f, deriv + 1 }`, so double (and triple)
//! backward never runs out of rules, and the jet rule is Faà di Bruno from the same derivative tables.

mod functions;

use std::sync::Arc;

pub use functions::UnaryFn;

use functions::{sigmoid_low, tanh_low};

use crate::device::{rules, DeviceActivation, DeviceBuffer, MAX_JET_ORDER, MAX_POLY_DEGREE};
use crate::error::Result;
use crate::float::Float;
use crate::graph::{Graph, NodeId, Var};
use crate::jet::{unary_jet, unary_jet_order2, unary_jet_times, unary_jet_times_order2, Jet};
use crate::op::Op;
use crate::ops::mul::Mul;
use crate::tensor::Tensor;

/// `y = f⁽ᵈᵉʳⁱᵛ⁾(x)` elementwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Unary {
    /// The function.
    pub f: UnaryFn,
    /// Which derivative of it (0 for the function itself).
    pub deriv: usize,
}

impl Unary {
    /// `f` itself.
    pub fn of(f: UnaryFn) -> Self {
        Self { f, deriv: 0 }
    }

    #[inline]
    fn eval<F: Float>(&self, x: F) -> F {
        if self.deriv == 0 {
            self.f.value(x)
        } else {
            let mut d = [F::zero()];
            self.f.derivs(x, None, self.deriv, &mut d);
            d[0]
        }
    }

    /// The device activation computing this function, when there is one (the function itself, not a derivative).
    fn on_device(&self) -> Option<DeviceActivation> {
        if self.deriv != 0 {
            return None;
        }
        match self.f {
            UnaryFn::Tanh => Some(DeviceActivation::Tanh),
            UnaryFn::Sigmoid => Some(DeviceActivation::Sigmoid),
            UnaryFn::Elu(alpha) => Some(DeviceActivation::Elu(alpha)),
            UnaryFn::Relu => Some(DeviceActivation::Relu),
            UnaryFn::Exp => Some(DeviceActivation::Exp),
            _ => None,
        }
    }

    /// The jet of `f(x)` on the device holding `y0`, when the function has a device rule at this order.
    fn device_jet<F: Float>(&self, x: &Jet<F>, y0: &Tensor<F>) -> Option<Result<Jet<F>>> {
        let (device, f) = (rules::device_of(y0)?, self.on_device()?);
        let order = x.order();
        if order > MAX_JET_ORDER {
            return None;
        }
        let mut jet = Jet::constant(y0.clone(), order);
        if x.is_constant() {
            return Some(Ok(jet));
        }
        let coeffs: Vec<Option<&Tensor<F>>> = (0..=order).map(|k| x.get(k)).collect();
        Some(
            rules::activation_jet(&device, f, &coeffs, y0.shape()).map(|higher| {
                for (k, c) in higher.into_iter().enumerate() {
                    jet.coeffs[k + 1] = Some(c);
                }
                jet
            }),
        )
    }

    /// The lifted reverse rule on the device holding `x₀`, when the function has a device rule at this order.
    fn device_jet_vjp<F: Float>(&self, x: &Jet<F>, gy: &Jet<F>) -> Option<Result<Jet<F>>> {
        let (device, f) = (rules::device_of(x.get(0)?)?, self.on_device()?);
        let order = gy.order();
        if order > MAX_JET_ORDER {
            return None;
        }
        let shape = x.get(0)?.shape().to_vec();
        let xs: Vec<Option<&Tensor<F>>> = (0..=order).map(|k| x.get(k)).collect();
        let gs: Vec<Option<&Tensor<F>>> = (0..=order).map(|k| gy.get(k)).collect();
        Some(
            rules::activation_jet_vjp(&device, f, &xs, &gs, &shape).map(|higher| {
                // Coefficient 0 stays the zero tag: the caller has it from the order-0 sweep.
                let mut jet = Jet::zero(order);
                for (k, c) in higher.into_iter().enumerate() {
                    jet.coeffs[k + 1] = Some(c);
                }
                jet
            }),
        )
    }

    /// The derivative `f'(x)` written as a function of the output `y`, where that avoids re-evaluating `f`.
    fn derivative_of_output(&self) -> Option<UnaryFn> {
        match (&self.f, self.deriv) {
            (UnaryFn::Tanh, 0) => Some(UnaryFn::Poly(Arc::new(vec![1.0, 0.0, -1.0]))),
            (UnaryFn::Sigmoid, 0) => Some(UnaryFn::Poly(Arc::new(vec![0.0, 1.0, -1.0]))),
            (UnaryFn::Exp, 0) => Some(UnaryFn::Poly(Arc::new(vec![0.0, 1.0]))),
            _ => None,
        }
    }
}

impl<F: Float> Op<F> for Unary {
    fn name(&self) -> &'static str {
        "unary"
    }
    fn forward(&self, x: &[&Tensor<F>]) -> Result<Tensor<F>> {
        if let (Some(device), Some(f)) = (rules::device_of(x[0]), self.on_device()) {
            return rules::activation(&device, f, x[0]);
        }
        if let (Some(device), 0, UnaryFn::Poly(c)) = (rules::device_of(x[0]), self.deriv, &self.f) {
            if c.len() <= MAX_POLY_DEGREE + 1 {
                let run =
                    |xb: &DeviceBuffer, out: &mut DeviceBuffer| device.poly(xb.len(), c, xb, out);
                return rules::map_resident(&device, "poly", x[0], x[0].shape(), run);
            }
        }
        // The common functions with the dispatch (and the f64 → F coefficient conversions) hoisted out of the
        // element loop, which then vectorises; the same operations in the same order as `eval`, so the same bits.
        if self.deriv == 0 {
            match &self.f {
                UnaryFn::Tanh => return Ok(x[0].map(|v| v.tanh_fast())),
                UnaryFn::Elu(a) => {
                    let a = F::of(*a);
                    return Ok(x[0].map(|v| if v > F::zero() { v } else { a * v.exp_m1() }));
                }
                UnaryFn::Poly(c) => {
                    let c: Vec<F> = c.iter().map(|&c| F::of(c)).collect();
                    return Ok(x[0].map(|v| c.iter().rev().fold(F::zero(), |acc, &c| acc * v + c)));
                }
                _ => {}
            }
        }
        Ok(x[0].map(|v| self.eval(v)))
    }
    fn jet(&self, x: &[&Jet<F>], y0: &Tensor<F>) -> Result<Jet<F>> {
        if let Some(jet) = self.device_jet(x[0], y0) {
            return jet;
        }
        let fy = (self.deriv == 0).then(|| y0.data());
        // tanh and sigmoid at low order: derivatives straight from the output, no dispatch inside the loop.
        if self.deriv == 0 && x[0].order() == 2 && !x[0].is_constant() {
            match self.f {
                UnaryFn::Tanh => return unary_jet_order2(x[0], y0, tanh_low),
                UnaryFn::Sigmoid => return unary_jet_order2(x[0], y0, sigmoid_low),
                _ => {}
            }
        }
        if let (Some(y), true) = (fy, x[0].order() <= 3) {
            // Closures per function (not a function pointer) so the derivatives inline into the loop.
            match self.f {
                UnaryFn::Tanh => {
                    return unary_jet(x[0], y0, |i, _, d| {
                        d.copy_from_slice(&tanh_low(y[i])[..d.len()])
                    });
                }
                UnaryFn::Sigmoid => {
                    return unary_jet(x[0], y0, |i, _, d| {
                        d.copy_from_slice(&sigmoid_low(y[i])[..d.len()])
                    });
                }
                _ => {}
            }
        }
        unary_jet(x[0], y0, |i, x0, d| {
            self.f.derivs(x0, fy.map(|y| y[i]), self.deriv, d)
        })
    }
    fn vjp(
        &self,
        g: &Graph<F>,
        x: &[NodeId],
        y: NodeId,
        gy: NodeId,
        _: &[bool],
    ) -> Result<Vec<Option<NodeId>>> {
        let slope = match self.derivative_of_output() {
            Some(p) => g.apply(Arc::new(Unary::of(p)), &[y])?,
            None => {
                let next = Unary {
                    f: self.f.clone(),
                    deriv: self.deriv + 1,
                };
                g.apply(Arc::new(next), &[x[0]])?
            }
        };
        Ok(vec![Some(g.apply(Arc::new(Mul), &[gy, slope])?)])
    }
    fn jet_vjp(
        &self,
        x: &[&Jet<F>],
        y: &Jet<F>,
        gy: &Jet<F>,
        _: &[bool],
    ) -> Result<Vec<Option<Jet<F>>>> {
        if let Some(jet) = self.device_jet_vjp(x[0], gy) {
            return Ok(vec![Some(jet?)]);
        }
        let fy = if self.deriv == 0 {
            y.get(0).map(|t| t.data())
        } else {
            None
        };
        if let (Some(y0), 2) = (y.get(0).filter(|_| self.deriv == 0), gy.order()) {
            match self.f {
                UnaryFn::Tanh => {
                    return Ok(vec![Some(unary_jet_times_order2(x[0], y0, gy, tanh_low)?)])
                }
                UnaryFn::Sigmoid => {
                    return Ok(vec![Some(unary_jet_times_order2(
                        x[0],
                        y0,
                        gy,
                        sigmoid_low,
                    )?)])
                }
                _ => {}
            }
        }
        if let (Some(yv), true) = (fy, gy.order() <= 2) {
            let j = match self.f {
                UnaryFn::Tanh => Some(unary_jet_times(x[0], gy, |i, _, d| {
                    d.copy_from_slice(&tanh_low(yv[i])[1..=d.len()])
                })?),
                UnaryFn::Sigmoid => Some(unary_jet_times(x[0], gy, |i, _, d| {
                    d.copy_from_slice(&sigmoid_low(yv[i])[1..=d.len()])
                })?),
                _ => None,
            };
            if j.is_some() {
                return Ok(vec![j]);
            }
        }
        let j = unary_jet_times(x[0], gy, |i, x0, d| {
            self.f.derivs(x0, fy.map(|y| y[i]), self.deriv + 1, d)
        })?;
        Ok(vec![Some(j)])
    }
}

impl<'g, F: Float> Var<'g, F> {
    /// `f(self)` elementwise.
    pub fn unary(self, f: UnaryFn) -> Result<Self> {
        self.apply(Unary::of(f), &[])
    }
    /// `tanh(self)`.
    pub fn tanh(self) -> Result<Self> {
        self.unary(UnaryFn::Tanh)
    }
    /// `σ(self)`.
    pub fn sigmoid(self) -> Result<Self> {
        self.unary(UnaryFn::Sigmoid)
    }
    /// ELU with `alpha = 1` (PyTorch's default).
    pub fn elu(self) -> Result<Self> {
        self.unary(UnaryFn::Elu(1.0))
    }
    /// `max(self, 0)`.
    pub fn relu(self) -> Result<Self> {
        self.unary(UnaryFn::Relu)
    }
    /// `e^self`.
    pub fn exp(self) -> Result<Self> {
        self.unary(UnaryFn::Exp)
    }
    /// `ln(self)`.
    pub fn log(self) -> Result<Self> {
        self.unary(UnaryFn::Log)
    }
    /// `self²`.
    pub fn square(self) -> Result<Self> {
        self.unary(UnaryFn::Poly(Arc::new(vec![0.0, 0.0, 1.0])))
    }
}
