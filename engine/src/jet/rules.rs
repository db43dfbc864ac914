//! The jet rules shared by kind: linear maps act per coefficient; bilinear maps take Cauchy products.

use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::jet::series::{add_coeff_owned, Jet};
use crate::op::ContractCache;
use crate::tensor::Tensor;

/// Jet of a linear map `y = L(x)`: `y_k = L(x_k)` for `k ≥ from`; zero coefficients stay zero tags.
pub fn linear_jet<F: Float>(
    x: &Jet<F>,
    from: usize,
    l: impl Fn(&Tensor<F>) -> Result<Tensor<F>>,
) -> Result<Jet<F>> {
    let mut out = Jet::zero(x.order());
    for k in from..=x.order() {
        if let Some(xk) = x.get(k) {
            out.coeffs[k] = Some(l(xk)?);
        }
    }
    Ok(out)
}

/// Jet of a bilinear map `y = B(a, b)`: `y_k = Σ_{i+j=k} B(a_i, b_j)` for `k ≥ from`, skipping zero tags.
///
/// One rule serves matmul, convolution, elementwise product and every adjoint of theirs (each is bilinear too).
/// `b_into(a_i, b_j, acc)` adds `B(a_i, b_j)` into `acc` when it is `Some`, or returns a fresh value otherwise —
/// so a GEMM can accumulate in place instead of allocating a temporary per term.
pub fn bilinear_jet<F: Float>(
    a: &Jet<F>,
    b: &Jet<F>,
    from: usize,
    order: usize,
    b_into: impl Fn(&Tensor<F>, &Tensor<F>, Option<&mut Tensor<F>>) -> Result<Option<Tensor<F>>>,
) -> Result<Jet<F>> {
    let mut out = Jet::zero(order);
    for k in from..=order {
        let mut acc: Option<Tensor<F>> = None;
        for i in 0..=k {
            let (Some(ai), Some(bj)) = (a.get(i), b.get(k - i)) else {
                continue;
            };
            match acc.as_mut() {
                Some(t) => {
                    if let Some(fresh) = b_into(ai, bj, Some(t))? {
                        add_coeff_owned(&mut acc, fresh)?;
                    }
                }
                None => acc = b_into(ai, bj, None)?,
            }
        }
        out.coeffs[k] = acc;
    }
    Ok(out)
}

/// `<(δb)_k, v>` for `k = 1..=K` of a bilinear op `y = B(a, b)` whose second operand is the contracted input:
/// `Σ_{i+j=k} <gy_i, B(a_j, v)>`. The two terms that do not depend on the group pass are cached:
/// `P = B(a₀, v)` ([`ContractCache::p`]) and `Q = B_aᵀ(gy₀, v)` ([`ContractCache::q`]), so that
/// `<gy₀, B(a_j, v)> = <Q, a_j>`; only
/// `B(a_j, v)` with `i, j ≥ 1` is computed afresh. `product(a, v)` is `B(a, v)` and `adjoint_a(gy, v)` is
/// `B_aᵀ(gy, v)`. (For a contracted first operand, swap the roles with the adjoints of the op.)
pub fn bilinear_contract<F: Float>(
    a: &Jet<F>,
    gy: &Jet<F>,
    v: &Tensor<F>,
    cache: &mut ContractCache<F>,
    product: impl Fn(&Tensor<F>, &Tensor<F>) -> Result<Tensor<F>>,
    adjoint_a: impl Fn(&Tensor<F>, &Tensor<F>) -> Result<Tensor<F>>,
) -> Result<Vec<f64>> {
    let order = gy.order();
    let mut out = vec![0.0; order];
    for k in 1..=order {
        for i in 0..=k {
            let j = k - i;
            let (Some(gi), Some(aj)) = (gy.get(i), a.get(j)) else {
                continue;
            };
            out[k - 1] += if j == 0 {
                gi.dot_f64(cached(&mut cache.p, || product(aj, v))?)?
            } else if i == 0 {
                aj.dot_f64(cached(&mut cache.q, || adjoint_a(gi, v))?)?
            } else {
                gi.dot_f64(&product(aj, v)?)?
            };
        }
    }
    Ok(out)
}

/// The tensor in `entry`, computed by `make` the first time.
fn cached<F: Float>(
    entry: &mut Option<Tensor<F>>,
    make: impl FnOnce() -> Result<Tensor<F>>,
) -> Result<&Tensor<F>> {
    if entry.is_none() {
        *entry = Some(make()?);
    }
    entry.as_ref().ok_or_else(|| EngineError::Invalid {
        op: "bilinear contraction",
        reason: "cache slot left empty".into(),
    })
}
