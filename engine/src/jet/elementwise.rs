//! Elementwise jets "from derivatives": for `y = g(x)` applied elementwise, Faà di Bruno's formula in its
//! truncated-series form `y(t) = Σ_m g⁽ᵐ⁾(x₀)/m! · (x(t) − x₀)^m`, fused per element so that orders ≤ 3 cost a few
//! multiplications each and never allocate inside the loop.

use rayon::prelude::*;

use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::jet::series::Jet;
use crate::tensor::{Tensor, PAR_CHUNK};

/// Highest jet order the elementwise rules accept (they keep per-element series on the stack).
pub const MAX_ORDER: usize = 8;

/// A raw pointer that may cross threads; each thread writes a disjoint range.
#[derive(Clone, Copy)]
struct SendPtr<F>(*mut F);
// SAFETY: used only to write disjoint index ranges from rayon tasks that all finish before the buffers are read.
unsafe impl<F> Send for SendPtr<F> {}
unsafe impl<F> Sync for SendPtr<F> {}

fn check_order(order: usize) -> Result<()> {
    if order > MAX_ORDER {
        return Err(EngineError::Invalid {
            op: "elementwise jet",
            reason: format!("order {order} exceeds the maximum {MAX_ORDER}"),
        });
    }
    Ok(())
}

const INV_FACT: [f64; MAX_ORDER + 2] = [
    1.0,
    1.0,
    0.5,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362880.0,
];

/// Series of `g(x(t))` for one element: `d[m] = g⁽ᵐ⁾(x₀)`, `x[k]` the input coefficients (x[0] unused).
#[inline]
fn compose<F: Float>(d: &[F], x: &[F], order: usize, y: &mut [F]) {
    y[0] = d[0];
    for v in y.iter_mut().skip(1).take(order) {
        *v = F::zero();
    }
    // pw holds (x(t) − x₀)^m, whose coefficients below m vanish.
    let mut pw = [F::zero(); MAX_ORDER + 1];
    pw[1..=order].copy_from_slice(&x[1..=order]);
    for m in 1..=order {
        let c = d[m] * F::of(INV_FACT[m]);
        for k in m..=order {
            y[k] += c * pw[k];
        }
        if m < order {
            let mut next = [F::zero(); MAX_ORDER + 1];
            for k in (m + 1)..=order {
                let mut s = F::zero();
                for i in 1..=(k - m) {
                    s += x[i] * pw[k - i];
                }
                next[k] = s;
            }
            pw = next;
        }
    }
}

/// Runs `body(i, x_series, gout_series, out_series)` for every element, in parallel chunks, and collects output
/// coefficients `1..=order` into fresh tensors of `shape`.
fn per_element<F: Float>(
    n: usize,
    shape: &[usize],
    order: usize,
    body: impl Fn(usize, &mut [F; MAX_ORDER + 1]) + Sync,
) -> Result<Vec<Option<Tensor<F>>>> {
    let mut outs: Vec<Vec<F>> = (0..order).map(|_| vec![F::zero(); n]).collect();
    let ptrs: Vec<SendPtr<F>> = outs.iter_mut().map(|o| SendPtr(o.as_mut_ptr())).collect();
    let chunks = n.div_ceil(PAR_CHUNK).max(1);
    (0..chunks).into_par_iter().for_each(|c| {
        let mut y = [F::zero(); MAX_ORDER + 1];
        for i in (c * PAR_CHUNK)..((c + 1) * PAR_CHUNK).min(n) {
            body(i, &mut y);
            for (k, p) in ptrs.iter().enumerate() {
                // SAFETY: i < n is in bounds, and each i is written by exactly one task.
                unsafe { *p.0.add(i) = y[k + 1] };
            }
        }
    });
    let mut coeffs = vec![None];
    for o in outs {
        coeffs.push(Some(Tensor::from_vec(shape.to_vec(), o)?));
    }
    Ok(coeffs)
}

fn gather<F: Float>(j: &Jet<F>, k: usize, i: usize) -> F {
    j.get(k).map_or(F::zero(), |t| t.data()[i])
}

/// Jet of `y = g(x)` elementwise, coefficients `1..=K`; `y0` is the known order-0 output and `derivs(x₀, d)` writes
/// `g⁽ᵐ⁾(x₀)` into `d[m]` for `m = 0..=K` (it may read the matching `y₀` element through the index).
pub fn unary_jet<F: Float>(
    x: &Jet<F>,
    y0: &Tensor<F>,
    derivs: impl Fn(usize, F, &mut [F]) + Sync,
) -> Result<Jet<F>> {
    let order = x.order();
    check_order(order)?;
    if x.is_constant() {
        return Ok(Jet::constant(y0.clone(), order));
    }
    let x0 = x.get(0).unwrap_or(y0);
    let n = x0.numel();
    let mut coeffs = per_element(n, y0.shape(), order, |i, y| {
        let mut d = [F::zero(); MAX_ORDER + 1];
        let mut xs = [F::zero(); MAX_ORDER + 1];
        let xi = x0.data()[i];
        for (k, v) in xs.iter_mut().enumerate().take(order + 1).skip(1) {
            *v = gather(x, k, i);
        }
        derivs(i, xi, &mut d[..=order]);
        compose(&d, &xs, order, y);
    })?;
    coeffs[0] = Some(y0.clone());
    Ok(Jet { coeffs })
}

/// Coefficients `1..=K` of `gout(t) ⊙ h(x(t))` elementwise, with `derivs(i, x₀, d)` giving `h⁽ᵐ⁾(x₀)`: the reverse
/// rule `δx = δy ⊙ f'(x)` of an elementwise op, lifted to jets. Coefficient 0 is left as the zero tag (the caller
/// knows it from the order-0 sweep).
pub fn unary_jet_times<F: Float>(
    x: &Jet<F>,
    gout: &Jet<F>,
    derivs: impl Fn(usize, F, &mut [F]) + Sync,
) -> Result<Jet<F>> {
    let order = x.order();
    check_order(order)?;
    if x.is_constant() && gout.is_constant() {
        return Ok(Jet::zero(order));
    }
    let Some(x0) = x.get(0) else {
        return Err(EngineError::Invalid {
            op: "elementwise jet vjp",
            reason: "missing order-0 input".into(),
        });
    };
    let n = x0.numel();
    let coeffs = per_element(n, x0.shape(), order, |i, y| {
        let mut d = [F::zero(); MAX_ORDER + 1];
        let mut xs = [F::zero(); MAX_ORDER + 1];
        let mut h = [F::zero(); MAX_ORDER + 1];
        for (k, v) in xs.iter_mut().enumerate().take(order + 1).skip(1) {
            *v = gather(x, k, i);
        }
        derivs(i, x0.data()[i], &mut d[..=order]);
        compose(&d, &xs, order, &mut h);
        let mut g = [F::zero(); MAX_ORDER + 1];
        for (k, v) in g.iter_mut().enumerate().take(order + 1) {
            *v = gather(gout, k, i);
        }
        for k in 1..=order {
            let mut s = F::zero();
            for j in 0..=k {
                s += g[j] * h[k - j];
            }
            y[k] = s;
        }
    })?;
    Ok(Jet { coeffs })
}
