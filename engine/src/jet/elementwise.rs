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

/// Calls `$f::<F, K>(args)` with the jet order as a const generic, so every order up to [`MAX_ORDER`] gets its own
/// unrolled loop.
macro_rules! dispatch {
    ($order:expr, $f:ident($($arg:expr),*)) => {
        match $order {
            0 => $f::<F, 0>($($arg),*),
            1 => $f::<F, 1>($($arg),*),
            2 => $f::<F, 2>($($arg),*),
            3 => $f::<F, 3>($($arg),*),
            4 => $f::<F, 4>($($arg),*),
            5 => $f::<F, 5>($($arg),*),
            6 => $f::<F, 6>($($arg),*),
            7 => $f::<F, 7>($($arg),*),
            _ => $f::<F, 8>($($arg),*),
        }
    };
}

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

/// Series of `g(x(t))` for one element: `d[m] = g⁽ᵐ⁾(x₀)`, `x[k]` the input coefficients (x[0] unused), `K` the
/// order. Generic over `K` so that the loops unroll for the orders training uses.
#[inline(always)]
fn compose<F: Float, const K: usize>(
    d: &[F; MAX_ORDER + 1],
    x: &[F; MAX_ORDER + 1],
    y: &mut [F; MAX_ORDER + 1],
) {
    y[0] = d[0];
    match K {
        1 => y[1] = d[1] * x[1],
        2 => {
            y[1] = d[1] * x[1];
            y[2] = d[1] * x[2] + F::of(0.5) * d[2] * x[1] * x[1];
        }
        3 => {
            y[1] = d[1] * x[1];
            y[2] = d[1] * x[2] + F::of(0.5) * d[2] * x[1] * x[1];
            y[3] = d[1] * x[3] + d[2] * x[1] * x[2] + F::of(1.0 / 6.0) * d[3] * x[1] * x[1] * x[1];
        }
        _ => compose_any(d, x, K, y),
    }
}

/// Any order: `Σ_m d[m]/m! · (x(t) − x₀)^m` with the powers built by Cauchy products.
fn compose_any<F: Float>(
    d: &[F; MAX_ORDER + 1],
    x: &[F; MAX_ORDER + 1],
    order: usize,
    y: &mut [F; MAX_ORDER + 1],
) {
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

/// Runs `body(i, out_series)` for every element in parallel chunks and collects output coefficients `1..=K` into
/// fresh tensors of `shape`.
fn per_element<F: Float, const K: usize>(
    n: usize,
    shape: &[usize],
    body: impl Fn(usize, &mut [F; MAX_ORDER + 1]) + Sync,
) -> Result<Vec<Option<Tensor<F>>>> {
    // Every element of every output is written below before its length is set, so no zero-fill pass is needed.
    let mut outs: Vec<Vec<F>> = (0..K).map(|_| Vec::with_capacity(n)).collect();
    let ptrs: Vec<SendPtr<F>> = outs.iter_mut().map(|o| SendPtr(o.as_mut_ptr())).collect();
    let chunks = n.div_ceil(PAR_CHUNK).max(1);
    let run = |c: usize| {
        let mut y = [F::zero(); MAX_ORDER + 1];
        for i in (c * PAR_CHUNK)..((c + 1) * PAR_CHUNK).min(n) {
            body(i, &mut y);
            for (k, p) in ptrs.iter().enumerate() {
                // SAFETY: i < n is within every output's capacity, and each i is written by exactly one task.
                unsafe { *p.0.add(i) = y[k + 1] };
            }
        }
    };
    if chunks > 1 {
        (0..chunks).into_par_iter().for_each(run);
    } else {
        run(0);
    }
    let mut coeffs = vec![None];
    for mut o in outs {
        // SAFETY: the loop above wrote all n elements of this buffer (capacity n) through its pointer.
        unsafe { o.set_len(n) };
        coeffs.push(Some(Tensor::from_vec(shape.to_vec(), o)?));
    }
    Ok(coeffs)
}

/// The coefficient slices of a jet (`None` for zero tags).
fn slices<F: Float>(j: &Jet<F>) -> Vec<Option<&[F]>> {
    j.coeffs
        .iter()
        .map(|c| c.as_ref().map(|t| t.data()))
        .collect()
}

#[inline(always)]
fn load<F: Float, const K: usize>(
    s: &[Option<&[F]>],
    i: usize,
    from: usize,
    out: &mut [F; MAX_ORDER + 1],
) {
    for k in from..=K {
        out[k] = match s[k] {
            Some(v) => v[i],
            None => F::zero(),
        };
    }
}

/// Jet of `y = g(x)` elementwise, coefficients `1..=K`; `y0` is the known order-0 output and `derivs(i, x₀, d)`
/// writes `g⁽ᵐ⁾(x₀)` into `d[m]` for `m = 0..=K` (it may read the matching `y₀` element through the index).
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
    let x0 = x.get(0).unwrap_or(y0).data();
    let xs = slices(x);
    fn run<F: Float, const K: usize>(
        x0: &[F],
        xs: &[Option<&[F]>],
        shape: &[usize],
        derivs: &(impl Fn(usize, F, &mut [F]) + Sync),
    ) -> Result<Vec<Option<Tensor<F>>>> {
        per_element::<F, K>(x0.len(), shape, |i, y| {
            let mut d = [F::zero(); MAX_ORDER + 1];
            let mut xi = [F::zero(); MAX_ORDER + 1];
            load::<F, K>(xs, i, 1, &mut xi);
            derivs(i, x0[i], &mut d[..=K]);
            compose::<F, K>(&d, &xi, y);
        })
    }
    let mut coeffs = dispatch!(order, run(x0, &xs, y0.shape(), &derivs))?;
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
    let (xs, gs) = (slices(x), slices(gout));
    fn run<F: Float, const K: usize>(
        x0: &[F],
        xs: &[Option<&[F]>],
        gs: &[Option<&[F]>],
        shape: &[usize],
        derivs: &(impl Fn(usize, F, &mut [F]) + Sync),
    ) -> Result<Vec<Option<Tensor<F>>>> {
        per_element::<F, K>(x0.len(), shape, |i, y| {
            let mut d = [F::zero(); MAX_ORDER + 1];
            let mut xi = [F::zero(); MAX_ORDER + 1];
            let mut h = [F::zero(); MAX_ORDER + 1];
            let mut g = [F::zero(); MAX_ORDER + 1];
            load::<F, K>(xs, i, 1, &mut xi);
            load::<F, K>(gs, i, 0, &mut g);
            derivs(i, x0[i], &mut d[..=K]);
            compose::<F, K>(&d, &xi, &mut h);
            for k in 1..=K {
                let mut s = F::zero();
                for j in 0..=k {
                    s += g[j] * h[k - j];
                }
                y[k] = s;
            }
        })
    }
    let coeffs = dispatch!(order, run(x0.data(), &xs, &gs, x0.shape(), &derivs))?;
    Ok(Jet { coeffs })
}

/// The coefficient slices `0..=2` of a jet, zero tags replaced by one shared buffer of zeros (allocated only when
/// some tag is present), so the order-2 loops below run without a branch per element.
fn dense2<'a, F: Float>(j: &'a Jet<F>, n: usize, zeros: &'a mut Option<Vec<F>>) -> [&'a [F]; 3] {
    if (0..=2).any(|k| j.get(k).is_none()) && zeros.is_none() {
        *zeros = Some(vec![F::zero(); n]);
    }
    let z: &'a [F] = zeros.as_deref().unwrap_or(&[]);
    [0, 1, 2].map(|k| j.get(k).map_or(z, |t| t.data()))
}

/// Order-2 fast path of [`unary_jet`] for functions whose derivatives come from the output: `low(y₀)` returns
/// `[f, f', f'', f''']` at the point. Branch-free slice loops the compiler vectorises.
pub fn unary_jet_order2<F: Float>(
    x: &Jet<F>,
    y0: &Tensor<F>,
    low: impl Fn(F) -> [F; 4] + Sync,
) -> Result<Jet<F>> {
    if x.order() != 2 || x.is_constant() {
        return Err(EngineError::Invalid {
            op: "order-2 elementwise jet",
            reason: "expects a non-constant jet of order 2".into(),
        });
    }
    let n = y0.numel();
    let mut zeros = None;
    let [_, x1, x2] = dense2(x, n, &mut zeros);
    let y = y0.data();
    let half = F::of(0.5);
    let (mut o1, mut o2) = (vec![F::zero(); n], vec![F::zero(); n]);
    o1.par_chunks_mut(PAR_CHUNK)
        .zip(o2.par_chunks_mut(PAR_CHUNK))
        .enumerate()
        .for_each(|(c, (a, b))| {
            let s = c * PAR_CHUNK;
            for j in 0..a.len() {
                let i = s + j;
                let [_, d1, d2, _] = low(y[i]);
                a[j] = d1 * x1[i];
                b[j] = d1 * x2[i] + half * d2 * x1[i] * x1[i];
            }
        });
    Ok(Jet {
        coeffs: vec![
            Some(y0.clone()),
            Some(Tensor::from_vec(y0.shape().to_vec(), o1)?),
            Some(Tensor::from_vec(y0.shape().to_vec(), o2)?),
        ],
    })
}

/// Order-2 fast path of [`unary_jet_times`] (`δx = δy ⊙ f'(x)` lifted to jets) for functions whose derivatives come
/// from the output `y₀`: `low(y₀) = [f, f', f'', f''']`.
pub fn unary_jet_times_order2<F: Float>(
    x: &Jet<F>,
    y0: &Tensor<F>,
    gout: &Jet<F>,
    low: impl Fn(F) -> [F; 4] + Sync,
) -> Result<Jet<F>> {
    if x.order() != 2 || gout.order() != 2 {
        return Err(EngineError::Invalid {
            op: "order-2 elementwise jet vjp",
            reason: "expects jets of order 2".into(),
        });
    }
    if x.is_constant() && gout.is_constant() {
        return Ok(Jet::zero(2));
    }
    let n = y0.numel();
    let (mut zx, mut zg) = (None, None);
    let [_, x1, x2] = dense2(x, n, &mut zx);
    let [g0, g1, g2] = dense2(gout, n, &mut zg);
    let y = y0.data();
    let half = F::of(0.5);
    let (mut o1, mut o2) = (vec![F::zero(); n], vec![F::zero(); n]);
    o1.par_chunks_mut(PAR_CHUNK)
        .zip(o2.par_chunks_mut(PAR_CHUNK))
        .enumerate()
        .for_each(|(c, (a, b))| {
            let s = c * PAR_CHUNK;
            for j in 0..a.len() {
                let i = s + j;
                // h = f'(x(t)): h₀ = f', h₁ = f''·x₁, h₂ = f''·x₂ + ½ f'''·x₁².
                let [_, h0, d2, d3] = low(y[i]);
                let h1 = d2 * x1[i];
                let h2 = d2 * x2[i] + half * d3 * x1[i] * x1[i];
                a[j] = g0[i] * h1 + g1[i] * h0;
                b[j] = g0[i] * h2 + g1[i] * h1 + g2[i] * h0;
            }
        });
    Ok(Jet {
        coeffs: vec![
            None,
            Some(Tensor::from_vec(y0.shape().to_vec(), o1)?),
            Some(Tensor::from_vec(y0.shape().to_vec(), o2)?),
        ],
    })
}
