//! Matrix product with either operand transposed: bilinear, and closed under its own adjoints.

use crate::cpu::gemm::{matmul, Layout};
use crate::device::{rules, GemmCall};
use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::graph::Var;
use crate::ops::bilinear::{Adjoint, BilinearMap};
use crate::tensor::Tensor;

/// `C = op(A) · op(B)`, where `op` transposes when the flag is set. A linear layer is `x · Wᵀ`: `MatMul { ta:
/// false, tb: true }` with PyTorch's `[out, in]` weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatMul {
    /// Transpose the first operand.
    pub ta: bool,
    /// Transpose the second operand.
    pub tb: bool,
}

/// (rows, cols) of `op(t)` for a rank-2 tensor.
fn dims<F: Float>(t: &Tensor<F>, transposed: bool) -> Result<(usize, usize)> {
    match t.shape() {
        &[r, c] => Ok(if transposed { (c, r) } else { (r, c) }),
        s => Err(EngineError::InvalidShape {
            op: "matmul",
            shape: s.to_vec(),
            reason: "expected a rank-2 tensor".into(),
        }),
    }
}

/// Errors unless an accumulator has the product's shape `m×n`.
fn check_accumulator<F: Float>(acc: &Tensor<F>, m: usize, n: usize) -> Result<()> {
    if acc.shape() != [m, n] {
        return Err(EngineError::ShapeMismatch {
            op: "matmul accumulate",
            lhs: acc.shape().to_vec(),
            rhs: vec![m, n],
        });
    }
    Ok(())
}

impl MatMul {
    /// Output shape, checking that the inner dimensions agree.
    fn out_dims<F: Float>(&self, a: &Tensor<F>, b: &Tensor<F>) -> Result<(usize, usize, usize)> {
        let (m, k) = dims(a, self.ta)?;
        let (k2, n) = dims(b, self.tb)?;
        if k != k2 {
            return Err(EngineError::ShapeMismatch {
                op: "matmul",
                lhs: a.shape().to_vec(),
                rhs: b.shape().to_vec(),
            });
        }
        Ok((m, n, k))
    }

    /// `acc += op(a)·op(b)` in place, or a fresh product when there is no accumulator.
    pub(crate) fn product_into<F: Float>(
        &self,
        a: &Tensor<F>,
        b: &Tensor<F>,
        acc: Option<&mut Tensor<F>>,
    ) -> Result<Option<Tensor<F>>> {
        let (m, n, k) = self.out_dims(a, b)?;
        let (la, lb) = (Layout::from_flag(self.ta), Layout::from_flag(self.tb));
        if let Some(device) = rules::device_of_any(&[a, b]) {
            if let Some(acc) = &acc {
                check_accumulator(acc, m, n)?;
            }
            let call = GemmCall {
                m,
                n,
                k,
                a: la,
                b: lb,
                accumulate: acc.is_some(),
            };
            return rules::gemm_resident(&device, call, a, b, acc);
        }
        match acc {
            Some(acc) => {
                check_accumulator(acc, m, n)?;
                matmul(
                    m,
                    n,
                    k,
                    a.data(),
                    la,
                    b.data(),
                    lb,
                    acc.data_mut(),
                    true,
                    true,
                );
                Ok(None)
            }
            None => {
                let mut out = vec![F::zero(); m * n];
                matmul(m, n, k, a.data(), la, b.data(), lb, &mut out, false, true);
                Ok(Some(Tensor::from_vec(vec![m, n], out)?))
            }
        }
    }

    /// The product whose result is the cotangent of A given the output cotangent `gC`: `(op, operands-order)`.
    /// Returned as (op, gC_first): when `gC_first`, the cotangent is `op(gC, B)`, otherwise `op(B, gC)`.
    fn adjoint_a_op(&self) -> (MatMul, bool) {
        if self.ta {
            // A = (gC·op(B)ᵀ)ᵀ = op(B) · gCᵀ
            (
                MatMul {
                    ta: self.tb,
                    tb: true,
                },
                false,
            )
        } else {
            (
                MatMul {
                    ta: false,
                    tb: !self.tb,
                },
                true,
            )
        }
    }

    /// Same for B: when `gC_first`, `op(gC, A)`, otherwise `op(A, gC)`.
    fn adjoint_b_op(&self) -> (MatMul, bool) {
        if self.tb {
            // B = (op(A)ᵀ·gC)ᵀ = gCᵀ · op(A)
            (
                MatMul {
                    ta: true,
                    tb: self.ta,
                },
                true,
            )
        } else {
            (
                MatMul {
                    ta: !self.ta,
                    tb: false,
                },
                false,
            )
        }
    }
}

impl<F: Float> BilinearMap<F> for MatMul {
    fn bilinear_name(&self) -> &'static str {
        "matmul"
    }
    fn product_acc(
        &self,
        a: &Tensor<F>,
        b: &Tensor<F>,
        acc: Option<&mut Tensor<F>>,
    ) -> Result<Option<Tensor<F>>> {
        self.product_into(a, b, acc)
    }
    fn adjoint_a(&self, _: &[usize]) -> Adjoint<F> {
        let (op, gy_first) = self.adjoint_a_op();
        Adjoint::new(op, gy_first)
    }
    fn adjoint_b(&self, _: &[usize]) -> Adjoint<F> {
        let (op, gy_first) = self.adjoint_b_op();
        Adjoint::new(op, gy_first)
    }
}

impl<'g, F: Float> Var<'g, F> {
    /// `self · other` for rank-2 tensors.
    pub fn matmul(self, other: Var<'g, F>) -> Result<Self> {
        self.apply(
            MatMul {
                ta: false,
                tb: false,
            },
            &[other],
        )
    }
    /// `self · otherᵀ`: a linear layer with a PyTorch `[out, in]` weight.
    pub fn matmul_t(self, other: Var<'g, F>) -> Result<Self> {
        self.apply(
            MatMul {
                ta: false,
                tb: true,
            },
            &[other],
        )
    }
}
