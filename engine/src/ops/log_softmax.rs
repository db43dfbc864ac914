//! Log-softmax over the last axis of `[B, K]`: `y = z − log Σ_j exp(z_j)`. Its jet and its reverse rule are
//! compositions of the elementwise (exp, log), linear (row sum, broadcast) and bilinear (product) kinds.

use std::sync::Arc;

use crate::device::{rules, DeviceBuffer};
use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::graph::{Graph, NodeId, Var};
use crate::jet::{bilinear_jet, linear_jet, unary_jet, Jet};
use crate::op::Op;
use crate::ops::add::Sub;
use crate::ops::broadcast::{Broadcast, MidView, SumTo};
use crate::ops::elementwise::{Unary, UnaryFn};
use crate::ops::mul::{mul_into, Mul};
use crate::tensor::Tensor;

/// Log-softmax along the last axis of a rank-2 tensor.
#[derive(Debug, Clone, Copy)]
pub struct LogSoftmax;

fn rows<F: Float>(t: &Tensor<F>) -> Result<(usize, usize)> {
    match t.shape() {
        &[b, k] if k > 0 => Ok((b, k)),
        s => Err(EngineError::InvalidShape {
            op: "log_softmax",
            shape: s.to_vec(),
            reason: "expected [batch, classes] with at least one class".into(),
        }),
    }
}

/// Row view of `[B, K]`: keep the batch axis.
fn row_view(b: usize, k: usize) -> MidView {
    MidView {
        outer: 1,
        mid: b,
        inner: k,
        small: vec![b],
        big: vec![b, k],
    }
}

impl<F: Float> Op<F> for LogSoftmax {
    fn name(&self) -> &'static str {
        "log_softmax"
    }
    fn forward(&self, x: &[&Tensor<F>]) -> Result<Tensor<F>> {
        let (b, k) = rows(x[0])?;
        if let Some(device) = rules::device_of(x[0]) {
            let run = |jet, ins: &[&DeviceBuffer], out: &mut DeviceBuffer| {
                device.log_softmax_jet(k, jet, ins[0], out)
            };
            return Ok(
                rules::packed(&device, "log_softmax", &[&[Some(x[0])]], &[b, k], run)?
                    .swap_remove(0),
            );
        }
        let mut out = x[0].data().to_vec();
        for row in out.chunks_mut(k) {
            let m = row.iter().copied().fold(F::neg_infinity(), F::max);
            let lse = m + row.iter().map(|&v| (v - m).exp()).sum::<F>().ln();
            row.iter_mut().for_each(|v| *v -= lse);
        }
        Tensor::from_vec(vec![b, k], out)
    }
    fn jet(&self, x: &[&Jet<F>], y0: &Tensor<F>) -> Result<Jet<F>> {
        let z = x[0];
        if z.is_constant() {
            return Ok(Jet::constant(y0.clone(), z.order()));
        }
        let (b, k) = rows(y0)?;
        if let Some(device) = rules::device_of(y0) {
            let zs: Vec<Option<&Tensor<F>>> = (0..=z.order()).map(|i| z.get(i)).collect();
            let run = |jet, ins: &[&DeviceBuffer], out: &mut DeviceBuffer| {
                device.log_softmax_jet(k, jet, ins[0], out)
            };
            let planes = rules::packed(&device, "log_softmax jet", &[&zs], &[b, k], run)?;
            let mut out = Jet::constant(y0.clone(), z.order());
            out.coeffs
                .iter_mut()
                .zip(planes)
                .skip(1)
                .for_each(|(c, p)| *c = Some(p));
            return Ok(out);
        }
        let view = row_view(b, k);
        // exp(z − lse₀) = softmax₀ at order 0: a shift by a constant keeps every higher coefficient of z.
        let mut shifted = z.clone();
        shifted.coeffs[0] = Some(y0.clone());
        let e0 = y0.map(|v| v.exp());
        let e = unary_jet(&shifted, &e0, |i, _, d| {
            d.iter_mut().for_each(|v| *v = e0.data()[i])
        })?;
        let s = linear_jet(&e, 0, |t| view.sum(t))?;
        let s0 = s.get(0).cloned().unwrap_or_else(|| Tensor::zeros(&[b]));
        let l0 = s0.map(|v| v.ln());
        let l = unary_jet(&s, &l0, |_, x0, d| UnaryFn::Log.derivs(x0, None, 0, d))?;
        let mut out = Jet::constant(y0.clone(), z.order());
        for kk in 1..=z.order() {
            let mut c = z.get(kk).cloned();
            if let Some(lk) = l.get(kk) {
                let lb = view.broadcast(lk)?;
                match c.as_mut() {
                    Some(c) => c.axpy(-F::one(), &lb)?,
                    None => c = Some(lb.scale(-F::one())),
                }
            }
            out.coeffs[kk] = c;
        }
        Ok(out)
    }
    fn vjp(
        &self,
        g: &Graph<F>,
        _: &[NodeId],
        y: NodeId,
        gy: NodeId,
        _: &[bool],
    ) -> Result<Vec<Option<NodeId>>> {
        let (b, k) = rows(&g.value(y))?;
        let view = row_view(b, k);
        let p = g.apply(Arc::new(Unary::of(UnaryFn::Exp)), &[y])?;
        let s = g.apply(Arc::new(SumTo(view.clone())), &[gy])?;
        let sb = g.apply(Arc::new(Broadcast(view)), &[s])?;
        let ps = g.apply(Arc::new(Mul), &[p, sb])?;
        Ok(vec![Some(g.apply(Arc::new(Sub), &[gy, ps])?)])
    }
    fn jet_vjp(
        &self,
        _: &[&Jet<F>],
        y: &Jet<F>,
        gy: &Jet<F>,
        _: &[bool],
    ) -> Result<Vec<Option<Jet<F>>>> {
        let Some(y0) = y.get(0) else {
            return Err(EngineError::Invalid {
                op: "log_softmax jet vjp",
                reason: "missing order-0 output".into(),
            });
        };
        let (b, k) = rows(y0)?;
        if let Some(device) = rules::device_of(y0) {
            let order = gy.order();
            let ys: Vec<Option<&Tensor<F>>> = (0..=order).map(|i| y.get(i)).collect();
            let gs: Vec<Option<&Tensor<F>>> = (0..=order).map(|i| gy.get(i)).collect();
            let run = |jet, ins: &[&DeviceBuffer], out: &mut DeviceBuffer| {
                device.log_softmax_jet_vjp(k, jet, ins[0], ins[1], out)
            };
            let planes = rules::packed(&device, "log_softmax jet vjp", &[&ys, &gs], &[b, k], run)?;
            // Coefficient 0 stays the zero tag: the caller has it from the order-0 sweep.
            let mut out = Jet::zero(order);
            out.coeffs
                .iter_mut()
                .zip(planes)
                .skip(1)
                .for_each(|(c, p)| *c = Some(p));
            return Ok(vec![Some(out)]);
        }
        let view = row_view(b, k);
        let p0 = y0.map(|v| v.exp());
        let p = unary_jet(y, &p0, |i, _, d| {
            d.iter_mut().for_each(|v| *v = p0.data()[i])
        })?;
        let sb = linear_jet(gy, 0, |t| view.broadcast(&view.sum(t)?))?;
        let ps = bilinear_jet(&p, &sb, 1, gy.order(), mul_into)?;
        let mut out = Jet::zero(gy.order());
        for kk in 1..=gy.order() {
            let mut c = gy.get(kk).cloned();
            if let Some(pk) = ps.get(kk) {
                match c.as_mut() {
                    Some(c) => c.axpy(-F::one(), pk)?,
                    None => c = Some(pk.scale(-F::one())),
                }
            }
            out.coeffs[kk] = c;
        }
        Ok(vec![Some(out)])
    }
}

impl<'g, F: Float> Var<'g, F> {
    /// Log-softmax over the classes of `[B, K]` logits.
    pub fn log_softmax(self) -> Result<Self> {
        self.apply(LogSoftmax, &[])
    }

    /// Mean cross-entropy of `[B, K]` logits against integer labels (PyTorch's `cross_entropy`).
    pub fn cross_entropy(self, labels: &[usize]) -> Result<Self> {
        let b = labels.len().max(1) as f64;
        self.log_softmax()?.pick(labels)?.sum()?.scale(-1.0 / b)
    }

    /// Mean squared error against a target of the same shape (PyTorch's `mse_loss`).
    pub fn mse(self, target: Var<'g, F>) -> Result<Self> {
        let n = self.value().numel().max(1) as f64;
        self.sub(target)?.square()?.sum()?.scale(1.0 / n)
    }
}
