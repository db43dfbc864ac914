//! Sums, differences and scalings of same-shape tensors: linear ops, so their jets act per coefficient.

use std::sync::Arc;

use crate::device::rules;
use crate::error::Result;
use crate::float::Float;
use crate::graph::{Graph, NodeId, Var};
use crate::jet::series::add_coeff;
use crate::jet::{linear_jet, Jet};
use crate::op::Op;
use crate::ops::linear::LinearMap;
use crate::tensor::Tensor;

/// `a + b` for tensors of the same shape.
#[derive(Debug, Clone, Copy)]
pub struct Add;

/// `a - b` for tensors of the same shape.
#[derive(Debug, Clone, Copy)]
pub struct Sub;

/// `c · a` for a constant `c`.
#[derive(Debug, Clone, Copy)]
pub struct Scale(pub f64);

/// Coefficientwise `±a_k ± b_k` for `k ≥ from`, keeping zero tags.
fn combine<F: Float>(a: &Jet<F>, b: &Jet<F>, sign_b: F, from: usize) -> Result<Jet<F>> {
    let mut out = Jet::zero(a.order());
    for k in from..=a.order() {
        add_coeff(&mut out.coeffs[k], a.get(k))?;
        if let Some(bk) = b.get(k) {
            match out.coeffs[k].as_mut() {
                Some(o) => o.axpy(sign_b, bk)?,
                None => out.coeffs[k] = Some(bk.scale(sign_b)),
            }
        }
    }
    Ok(out)
}

impl<F: Float> Op<F> for Add {
    fn name(&self) -> &'static str {
        "add"
    }
    fn forward(&self, x: &[&Tensor<F>]) -> Result<Tensor<F>> {
        if let Some(device) = rules::device_of_any(x) {
            return rules::combination(&device, &[(1.0, x[0]), (1.0, x[1])], "add");
        }
        x[0].zip_map(x[1], "add", |a, b| a + b)
    }
    fn jet(&self, x: &[&Jet<F>], y0: &Tensor<F>) -> Result<Jet<F>> {
        let mut j = combine(x[0], x[1], F::one(), 1)?;
        j.coeffs[0] = Some(y0.clone());
        Ok(j)
    }
    fn vjp(
        &self,
        _: &Graph<F>,
        _: &[NodeId],
        _: NodeId,
        gy: NodeId,
        w: &[bool],
    ) -> Result<Vec<Option<NodeId>>> {
        Ok(w.iter().map(|&w| w.then_some(gy)).collect())
    }
    fn jet_vjp(
        &self,
        _: &[&Jet<F>],
        _: &Jet<F>,
        gy: &Jet<F>,
        w: &[bool],
    ) -> Result<Vec<Option<Jet<F>>>> {
        let g = linear_jet(gy, 1, |t| Ok(t.clone()))?;
        Ok(w.iter().map(|&w| w.then(|| g.clone())).collect())
    }
}

impl<F: Float> Op<F> for Sub {
    fn name(&self) -> &'static str {
        "sub"
    }
    fn forward(&self, x: &[&Tensor<F>]) -> Result<Tensor<F>> {
        if let Some(device) = rules::device_of_any(x) {
            return rules::combination(&device, &[(1.0, x[0]), (-1.0, x[1])], "sub");
        }
        x[0].zip_map(x[1], "sub", |a, b| a - b)
    }
    fn jet(&self, x: &[&Jet<F>], y0: &Tensor<F>) -> Result<Jet<F>> {
        let mut j = combine(x[0], x[1], -F::one(), 1)?;
        j.coeffs[0] = Some(y0.clone());
        Ok(j)
    }
    fn vjp(
        &self,
        g: &Graph<F>,
        _: &[NodeId],
        _: NodeId,
        gy: NodeId,
        w: &[bool],
    ) -> Result<Vec<Option<NodeId>>> {
        let gb = if w[1] {
            Some(g.apply(Arc::new(Scale(-1.0)), &[gy])?)
        } else {
            None
        };
        Ok(vec![w[0].then_some(gy), gb])
    }
    fn jet_vjp(
        &self,
        _: &[&Jet<F>],
        _: &Jet<F>,
        gy: &Jet<F>,
        w: &[bool],
    ) -> Result<Vec<Option<Jet<F>>>> {
        let ga = w[0]
            .then(|| linear_jet(gy, 1, |t| Ok(t.clone())))
            .transpose()?;
        let gb = w[1]
            .then(|| linear_jet(gy, 1, |t| Ok(t.scale(-F::one()))))
            .transpose()?;
        Ok(vec![ga, gb])
    }
}

impl<F: Float> LinearMap<F> for Scale {
    fn name(&self) -> &'static str {
        "scale"
    }
    fn apply(&self, x: &Tensor<F>) -> Result<Tensor<F>> {
        Ok(x.scale(F::of(self.0)))
    }
    fn apply_adjoint(&self, g: &Tensor<F>) -> Result<Tensor<F>> {
        Ok(g.scale(F::of(self.0)))
    }
    fn adjoint_op(&self) -> Arc<dyn Op<F>> {
        Arc::new(*self)
    }
}

impl<'g, F: Float> Var<'g, F> {
    /// `self + other` (same shapes).
    // Fallible (shapes are checked), so it cannot be the `std::ops` trait.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, other: Var<'g, F>) -> Result<Self> {
        self.apply(Add, &[other])
    }
    /// `self - other` (same shapes).
    // Fallible (shapes are checked), so it cannot be the `std::ops` trait.
    #[allow(clippy::should_implement_trait)]
    pub fn sub(self, other: Var<'g, F>) -> Result<Self> {
        self.apply(Sub, &[other])
    }
    /// `c · self`.
    pub fn scale(self, c: f64) -> Result<Self> {
        self.apply(Scale(c), &[])
    }
}
