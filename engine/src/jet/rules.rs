//! The jet rules shared by kind: linear maps act per coefficient; bilinear maps take Cauchy products.

use crate::error::Result;
use crate::float::Float;
use crate::jet::series::{add_coeff_owned, Jet};
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
