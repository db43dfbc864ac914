//! Matrix product with either operand transposed: bilinear, and closed under its own adjoints.

use std::sync::Arc;

use crate::cpu::gemm::{matmul, Layout};
use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::graph::{Graph, NodeId, Var};
use crate::jet::{bilinear_contract, bilinear_jet, Jet};
use crate::op::{ContractCache, Op};
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
        match acc {
            Some(acc) => {
                if acc.shape() != [m, n] {
                    return Err(EngineError::ShapeMismatch {
                        op: "matmul accumulate",
                        lhs: acc.shape().to_vec(),
                        rhs: vec![m, n],
                    });
                }
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
    fn adjoint_a(&self) -> (MatMul, bool) {
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
    fn adjoint_b(&self) -> (MatMul, bool) {
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

impl<F: Float> Op<F> for MatMul {
    fn name(&self) -> &'static str {
        "matmul"
    }
    fn is_bilinear(&self) -> bool {
        true
    }
    fn forward(&self, x: &[&Tensor<F>]) -> Result<Tensor<F>> {
        self.product_into(x[0], x[1], None)?
            .ok_or_else(unreachable_none)
    }
    fn jet(&self, x: &[&Jet<F>], y0: &Tensor<F>) -> Result<Jet<F>> {
        let mut j = bilinear_jet(x[0], x[1], 1, x[0].order(), |a, b, acc| {
            self.product_into(a, b, acc)
        })?;
        j.coeffs[0] = Some(y0.clone());
        Ok(j)
    }
    fn vjp(
        &self,
        g: &Graph<F>,
        x: &[NodeId],
        _: NodeId,
        gy: NodeId,
        w: &[bool],
    ) -> Result<Vec<Option<NodeId>>> {
        let mut out = vec![None, None];
        for (slot, (op, g_first), other) in
            [(0, self.adjoint_a(), x[1]), (1, self.adjoint_b(), x[0])]
        {
            if w[slot] {
                let ins = if g_first { [gy, other] } else { [other, gy] };
                out[slot] = Some(g.apply(Arc::new(op), &ins)?);
            }
        }
        Ok(out)
    }
    fn jet_vjp(
        &self,
        x: &[&Jet<F>],
        _: &Jet<F>,
        gy: &Jet<F>,
        w: &[bool],
    ) -> Result<Vec<Option<Jet<F>>>> {
        let k = gy.order();
        let mut out = vec![None, None];
        for (slot, (op, g_first), other) in
            [(0, self.adjoint_a(), x[1]), (1, self.adjoint_b(), x[0])]
        {
            if w[slot] {
                let j = if g_first {
                    bilinear_jet(gy, other, 1, k, |a, b, acc| op.product_into(a, b, acc))?
                } else {
                    bilinear_jet(other, gy, 1, k, |a, b, acc| op.product_into(a, b, acc))?
                };
                out[slot] = Some(j);
            }
        }
        Ok(out)
    }
    fn contract_input(
        &self,
        x: &[&Jet<F>],
        _: &Jet<F>,
        gy: &Jet<F>,
        input: usize,
        v: &Tensor<F>,
        cache: &mut ContractCache<F>,
    ) -> Result<Vec<f64>> {
        let fresh = |a: &Tensor<F>, b: &Tensor<F>| {
            self.product_into(a, b, None)?.ok_or_else(unreachable_none)
        };
        if input == 1 {
            let (op, g_first) = self.adjoint_a();
            bilinear_contract(
                x[0],
                gy,
                v,
                cache,
                |a, v| fresh(a, v),
                |g, v| Self::apply_adjoint(op, g_first, g, v),
            )
        } else {
            let (op, g_first) = self.adjoint_b();
            bilinear_contract(
                x[1],
                gy,
                v,
                cache,
                |b, v| fresh(v, b),
                |g, v| Self::apply_adjoint(op, g_first, g, v),
            )
        }
    }
}

impl MatMul {
    /// Applies an adjoint product `(op, g_first)` to the cotangent `gy` and the other operand.
    fn apply_adjoint<F: Float>(
        op: MatMul,
        g_first: bool,
        gy: &Tensor<F>,
        other: &Tensor<F>,
    ) -> Result<Tensor<F>> {
        let r = if g_first {
            op.product_into(gy, other, None)?
        } else {
            op.product_into(other, gy, None)?
        };
        r.ok_or_else(unreachable_none)
    }
}

fn unreachable_none() -> EngineError {
    EngineError::Invalid {
        op: "matmul",
        reason: "product without accumulator returned nothing".into(),
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
