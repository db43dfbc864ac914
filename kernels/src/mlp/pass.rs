//! [`MlpJets`]: the device buffers of an MLP problem, the shared order-0 pass and one jet pass per group.
//!
//! Jets are `order + 1 = 3` packed planes (coefficients 0, 1, 2). Plane 0 of every `z_i`, `a_i` and input
//! cotangent `da_i` is written once, by the order-0 passes; a group's pass rewrites planes 1 and 2 from its lowest
//! layer up, and reads the layer below as a constant (one plane), so stale planes of an earlier pass are never
//! read.
//!
//! A weight's cotangent jet `G(t) = dz(t)ᵀ a(t)` is never formed. Its contraction with the direction is
//! `<G_k, U> = Σ_{i+j=k} <dz_i, a_j Uᵀ>`, and the two products that do not depend on the group are made once:
//! `P = a₀ Uᵀ` and `Q = dz₀ U`. So `<G_1, U> = <dz_1, P> + <a_1, Q>`, dot products only. `d3` of a group's own
//! weight, `<G_2, U> = <dz_2, P> + <dz_1, a_1 Uᵀ> + <a_2, Q>`, adds one product. A layer outside the group then
//! costs four products per pass (`a_{1,2} Wᵀ` forward, `dz_{1,2} W` back), as the CPU engine's jets do.

use std::collections::BTreeMap;

use jetnewton_engine::summaries::{symmetrise, Summaries};

use super::{MlpParam, MlpProblem};
use crate::backend::Backend;
use crate::elem::Real;
use crate::error::KernelError;
use crate::ops::contract::{dots_at, Dots};
use crate::ops::elementwise::{activation_jet, activation_jet_vjp, Activation};
use crate::ops::matmul::{gemm, matmul_jet, Gemm, JetMatmul};
use crate::ops::softmax::{cross_entropy, log_softmax_jet, log_softmax_jet_vjp, SoftmaxDims};
use crate::ops::JetLayout;

/// Jet order of the passes: hbar needs coefficient 1 of the gradient's jet, d3 coefficient 2.
const ORDER: usize = 2;
/// Planes of a jet of [`ORDER`].
const PLANES: usize = ORDER + 1;
/// Where a layer's contractions go in the read-back buffer: `<dz_k, P>` (k = 0, 1, 2), `<a_k, Q>`, `<dz_k, a_1 Uᵀ>`
/// (k = 0, 1) and the bias's `<Σ_rows dz_k, u_b>`.
const DZ_P: usize = 0;
const A_Q: usize = DZ_P + PLANES;
const DZ_R: usize = A_Q + PLANES;
const BIAS: usize = DZ_R + 2;
/// Contractions read back per layer.
const DOTS_PER_LAYER: usize = BIAS + PLANES;

/// One layer's device buffers.
struct LayerBuffers<B: Backend, T: Real> {
    in_features: usize,
    out_features: usize,
    /// `[W, u_W, 0]`: the weight's jet along its direction, read as one plane (constant) or three.
    weight: B::Buffer<T>,
    /// `u_W` on its own, for the contraction.
    weight_dir: Option<B::Buffer<T>>,
    bias: Option<B::Buffer<T>>,
    bias_dir: Option<B::Buffer<T>>,
    /// Pre-activation jet, `rows × out` per plane.
    z: B::Buffer<T>,
    /// Activation jet (hidden layers only).
    a: Option<B::Buffer<T>>,
    /// `P = a₀ Uᵀ` (`rows × out`), with the weight's direction.
    p: Option<B::Buffer<T>>,
    /// `Q = dz₀ U` (`rows × in`), with the weight's direction.
    q: Option<B::Buffer<T>>,
    /// Cotangent jet of the layer's input, `dz(t) W(t)` (`rows × in` per plane; not for the first layer).
    da: Option<B::Buffer<T>>,
}

/// An MLP problem resident on a backend, ready to give its summaries (see the [module docs](super)).
pub struct MlpJets<'b, B: Backend, T: Real> {
    backend: &'b B,
    rows: usize,
    activation: Activation,
    layers: Vec<LayerBuffers<B, T>>,
    x: B::Buffer<T>,
    labels: B::Buffer<i64>,
    /// `rows` ones: broadcasts a bias over the rows, and sums a cotangent over them.
    ones: B::Buffer<T>,
    /// Cotangent jet of the log-probabilities: `-onehot / rows`, then two zero planes.
    logp_cotangent: B::Buffer<T>,
    logp: B::Buffer<T>,
    loss: B::Buffer<f64>,
    dz: B::Buffer<T>,
    dz_below: B::Buffer<T>,
    /// `a_1 Uᵀ` of the layer at hand.
    r: B::Buffer<T>,
    grad_bias: B::Buffer<T>,
    dots: B::Buffer<f64>,
    groups: Vec<Vec<MlpParam>>,
    group_of: BTreeMap<MlpParam, usize>,
    base_loss: f64,
}

impl<'b, B: Backend, T: Real> MlpJets<'b, B, T> {
    /// Checks `problem`, uploads it and runs the order-0 pass every group shares.
    pub fn new(backend: &'b B, problem: &MlpProblem<'_, T>) -> Result<Self, KernelError> {
        problem.check()?;
        let rows = problem.rows();
        let widest = problem
            .layers
            .iter()
            .map(|l| l.in_features.max(l.out_features))
            .max()
            .unwrap_or(0);
        let last = problem.layers.len() - 1;
        let mut layers = Vec::with_capacity(problem.layers.len());
        for (i, l) in problem.layers.iter().enumerate() {
            let len = l.in_features * l.out_features;
            let mut weight = vec![T::default(); PLANES * len];
            weight[..len].copy_from_slice(l.weight);
            if let Some(u) = l.weight_dir {
                weight[len..2 * len].copy_from_slice(u);
            }
            let upload = |v: Option<&[T]>| v.map(|v| backend.upload(v)).transpose();
            layers.push(LayerBuffers {
                in_features: l.in_features,
                out_features: l.out_features,
                weight: backend.upload(&weight)?,
                weight_dir: upload(l.weight_dir)?,
                bias: upload(l.bias)?,
                bias_dir: upload(l.bias_dir)?,
                z: backend.alloc_zeros(PLANES * rows * l.out_features)?,
                a: (i < last)
                    .then(|| backend.alloc_zeros(PLANES * rows * l.out_features))
                    .transpose()?,
                p: l.weight_dir
                    .map(|_| backend.alloc_zeros(rows * l.out_features))
                    .transpose()?,
                q: l.weight_dir
                    .map(|_| backend.alloc_zeros(rows * l.in_features))
                    .transpose()?,
                da: (i > 0)
                    .then(|| backend.alloc_zeros(PLANES * rows * l.in_features))
                    .transpose()?,
            });
        }
        let classes = problem.layers[last].out_features;
        let mut cotangent = vec![T::default(); PLANES * rows * classes];
        for (r, &c) in problem.labels.iter().enumerate() {
            cotangent[r * classes + c as usize] = T::from_f64(-1.0 / rows as f64);
        }
        let group_of = problem
            .groups
            .iter()
            .enumerate()
            .flat_map(|(s, g)| g.iter().map(move |&p| (p, s)))
            .collect();
        let mut jets = Self {
            backend,
            rows,
            activation: problem.activation,
            x: backend.upload(problem.x)?,
            labels: backend.upload(problem.labels)?,
            ones: backend.upload(&vec![T::from_f64(1.0); rows])?,
            logp_cotangent: backend.upload(&cotangent)?,
            logp: backend.alloc_zeros(PLANES * rows * classes)?,
            loss: backend.alloc_zeros(PLANES)?,
            dz: backend.alloc_zeros(PLANES * rows * widest)?,
            dz_below: backend.alloc_zeros(PLANES * rows * widest)?,
            r: backend.alloc_zeros(rows * widest)?,
            grad_bias: backend.alloc_zeros(PLANES * widest)?,
            dots: backend.alloc_zeros(DOTS_PER_LAYER * layers.len())?,
            layers,
            groups: problem.groups.clone(),
            group_of,
            base_loss: 0.0,
        };
        jets.base_loss = jets.order_zero()?;
        jets.order_zero_backward()?;
        Ok(jets)
    }

    /// Rows of the batch.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The summaries: one jet pass per group.
    pub fn summaries(&mut self) -> Result<Summaries, KernelError> {
        let count = self.groups.len();
        let mut gbar = vec![0.0; count];
        let mut hbar = vec![vec![None::<f64>; count]; count];
        let mut d3 = vec![0.0; count];
        for s in 0..count {
            let (g, row, d) = self.group_pass(s)?;
            gbar[s] = g;
            hbar[s] = row;
            d3[s] = d;
        }
        Ok(Summaries {
            loss: self.base_loss,
            gbar,
            hbar: symmetrise(hbar),
            d3,
            d3_slices: None,
        })
    }

    /// Lowest layer of group `s`.
    fn lowest_layer(&self, s: usize) -> usize {
        self.groups[s].iter().map(|p| p.layer()).min().unwrap_or(0)
    }

    fn in_group(&self, p: MlpParam, s: usize) -> bool {
        self.group_of.get(&p) == Some(&s)
    }

    /// Plane 0 of every `z_i`, `a_i` and of the log-probabilities; returns the loss.
    fn order_zero(&mut self) -> Result<f64, KernelError> {
        let b = self.backend;
        let rows = self.rows;
        for i in 0..self.layers.len() {
            let (below, rest) = self.layers.split_at_mut(i);
            let cur = &mut rest[0];
            let input = match below.last() {
                Some(prev) => prev.a.as_ref().expect("hidden layers have activations"),
                None => &self.x,
            };
            let g = Gemm::new(rows, cur.out_features, cur.in_features).trans_b();
            let (one, zero) = (T::from_f64(1.0), T::from_f64(0.0));
            gemm(b, &g, one, input, &cur.weight, zero, &mut cur.z)?;
            if let Some(bias) = &cur.bias {
                broadcast_add(b, rows, cur.out_features, &self.ones, bias, &mut cur.z, 0)?;
            }
            if let Some(a) = cur.a.as_mut() {
                let layout = JetLayout::dense(rows * cur.out_features, 0);
                activation_jet(b, self.activation, layout, &cur.z, a)?;
            }
        }
        let dims = self.softmax_dims(0);
        let logits = &self.layers[self.layers.len() - 1].z;
        log_softmax_jet(b, &dims, logits, &mut self.logp)?;
        cross_entropy(b, &dims, &self.logp, &self.labels, &mut self.loss)?;
        Ok(b.download(&self.loss)?[0])
    }

    /// Plane 0 of every input cotangent `da_i`, and the products `P = a₀ Uᵀ`, `Q = dz₀ U` every pass shares.
    fn order_zero_backward(&mut self) -> Result<(), KernelError> {
        let b = self.backend;
        let rows = self.rows;
        let (one, zero) = (T::from_f64(1.0), T::from_f64(0.0));
        let dims = self.softmax_dims(0);
        log_softmax_jet_vjp(b, &dims, &self.logp, &self.logp_cotangent, &mut self.dz)?;
        for i in (0..self.layers.len()).rev() {
            let (below, rest) = self.layers.split_at_mut(i);
            let cur = &mut rest[0];
            let (out, inp) = (cur.out_features, cur.in_features);
            let input = match below.last() {
                Some(prev) => prev.a.as_ref().expect("hidden layers have activations"),
                None => &self.x,
            };
            if let (Some(u), Some(p), Some(q)) = (&cur.weight_dir, &mut cur.p, &mut cur.q) {
                gemm(
                    b,
                    &Gemm::new(rows, out, inp).trans_b(),
                    one,
                    input,
                    u,
                    zero,
                    p,
                )?;
                gemm(b, &Gemm::new(rows, inp, out), one, &self.dz, u, zero, q)?;
            }
            if let (Some(da), Some(prev)) = (cur.da.as_mut(), below.last()) {
                gemm(
                    b,
                    &Gemm::new(rows, inp, out),
                    one,
                    &self.dz,
                    &cur.weight,
                    zero,
                    da,
                )?;
                let layout = JetLayout::dense(rows * inp, 0);
                activation_jet_vjp(b, self.activation, layout, &prev.z, da, &mut self.dz_below)?;
                std::mem::swap(&mut self.dz, &mut self.dz_below);
            }
        }
        Ok(())
    }

    fn softmax_dims(&self, order: usize) -> SoftmaxDims {
        let classes = self.layers[self.layers.len() - 1].out_features;
        SoftmaxDims::dense(self.rows, classes, order)
    }

    /// Group `s`'s pass: `gbar[s]`, the entries `hbar[s][t]` of the groups `t` the reverse sweep covers, `d3[s]`.
    fn group_pass(&mut self, s: usize) -> Result<(f64, Vec<Option<f64>>, f64), KernelError> {
        let low = self.lowest_layer(s);
        self.forward(s, low)?;
        self.reverse(s, low)?;
        let b = self.backend;
        let loss = b.download(&self.loss)?;
        let dots = b.download(&self.dots)?;
        let mut row = vec![None::<f64>; self.groups.len()];
        for (t, entry) in row.iter_mut().enumerate() {
            if self.lowest_layer(t) >= low {
                *entry = Some(0.0);
            }
        }
        let mut d3 = 0.0;
        for i in low..self.layers.len() {
            let at = DOTS_PER_LAYER * i;
            // The input's jet is constant at the lowest layer: the terms through a_1, a_2 vanish there (and their
            // slots hold an earlier pass's numbers).
            let varies = i > low;
            if let Some(&t) = self.group_of.get(&MlpParam::Weight(i)) {
                if let Some(h) = row[t].as_mut() {
                    *h += dots[at + DZ_P + 1] + if varies { dots[at + A_Q + 1] } else { 0.0 };
                }
                if t == s {
                    let through_input = if varies {
                        dots[at + DZ_R + 1] + dots[at + A_Q + 2]
                    } else {
                        0.0
                    };
                    d3 += 2.0 * (dots[at + DZ_P + 2] + through_input);
                }
            }
            if let Some(&t) = self.group_of.get(&MlpParam::Bias(i)) {
                if let Some(h) = row[t].as_mut() {
                    *h += dots[at + BIAS + 1];
                }
                if t == s {
                    d3 += 2.0 * dots[at + BIAS + 2];
                }
            }
        }
        Ok((loss[1], row, d3))
    }

    /// Planes 1 and 2 of `z_i`, `a_i` for `i >= low`, then of the log-probabilities and the loss.
    fn forward(&mut self, s: usize, low: usize) -> Result<(), KernelError> {
        let b = self.backend;
        let rows = self.rows;
        for i in low..self.layers.len() {
            let moves_weight = self.in_group(MlpParam::Weight(i), s);
            let moves_bias = self.in_group(MlpParam::Bias(i), s);
            let (below, rest) = self.layers.split_at_mut(i);
            let cur = &mut rest[0];
            let (input, input_planes) = match below.last() {
                Some(prev) => (
                    prev.a.as_ref().expect("hidden layers have activations"),
                    if i == low { 1 } else { PLANES },
                ),
                None => (&self.x, 1),
            };
            let j = JetMatmul {
                m: rows,
                n: cur.out_features,
                k: cur.in_features,
                order: ORDER,
                from: 1,
                a_coeffs: input_planes,
                b_coeffs: if moves_weight { PLANES } else { 1 },
                trans_a: false,
                trans_b: true,
            };
            matmul_jet(b, &j, input, &cur.weight, &mut cur.z)?;
            if moves_bias {
                let u = cur
                    .bias_dir
                    .as_ref()
                    .expect("checked: grouped biases have directions");
                let plane = rows * cur.out_features;
                broadcast_add(b, rows, cur.out_features, &self.ones, u, &mut cur.z, plane)?;
            }
            if let Some(a) = cur.a.as_mut() {
                let layout = JetLayout::dense(rows * cur.out_features, ORDER);
                activation_jet(b, self.activation, layout, &cur.z, a)?;
            }
        }
        let dims = self.softmax_dims(ORDER);
        let logits = &self.layers[self.layers.len() - 1].z;
        log_softmax_jet(b, &dims, logits, &mut self.logp)?;
        cross_entropy(b, &dims, &self.logp, &self.labels, &mut self.loss)
    }

    /// The reverse sweep lifted to jets from the loss down to layer `low`, contracting each parameter's cotangent
    /// jet with its direction into `dots` (see the module docs for the weights' contractions).
    fn reverse(&mut self, s: usize, low: usize) -> Result<(), KernelError> {
        let b = self.backend;
        let rows = self.rows;
        let (one, zero) = (T::from_f64(1.0), T::from_f64(0.0));
        let dims = self.softmax_dims(ORDER);
        log_softmax_jet_vjp(b, &dims, &self.logp, &self.logp_cotangent, &mut self.dz)?;
        for i in (low..self.layers.len()).rev() {
            let moves_weight = self.in_group(MlpParam::Weight(i), s);
            let (below, rest) = self.layers.split_at_mut(i);
            let cur = &mut rest[0];
            let (out, inp) = (cur.out_features, cur.in_features);
            let at = DOTS_PER_LAYER * i;
            // Below `low` the input is constant; at `low` its planes 1 and 2 are stale and never read.
            let input = below.last().filter(|_| i > low);
            if let (Some(u), Some(p), Some(q)) = (&cur.weight_dir, &cur.p, &cur.q) {
                let planes = |n: usize, pairs: usize| Dots {
                    n,
                    pairs,
                    stride_a: n,
                    stride_b: 0,
                };
                dots_at(
                    b,
                    &planes(rows * out, PLANES),
                    &self.dz,
                    p,
                    &mut self.dots,
                    at + DZ_P,
                )?;
                if let Some(prev) = input {
                    let a = prev.a.as_ref().expect("hidden layers have activations");
                    dots_at(
                        b,
                        &planes(rows * inp, PLANES),
                        a,
                        q,
                        &mut self.dots,
                        at + A_Q,
                    )?;
                    if moves_weight {
                        let mut g = Gemm::new(rows, out, inp).trans_b();
                        g.offset_a = rows * inp;
                        gemm(b, &g, one, a, u, zero, &mut self.r)?;
                        dots_at(
                            b,
                            &planes(rows * out, 2),
                            &self.dz,
                            &self.r,
                            &mut self.dots,
                            at + DZ_R,
                        )?;
                    }
                }
            }
            if let Some(u) = &cur.bias_dir {
                // The bias's cotangent jet: the column sums of dz.
                let j = JetMatmul {
                    m: 1,
                    n: out,
                    k: rows,
                    order: ORDER,
                    from: 1,
                    a_coeffs: 1,
                    b_coeffs: PLANES,
                    trans_a: false,
                    trans_b: false,
                };
                matmul_jet(b, &j, &self.ones, &self.dz, &mut self.grad_bias)?;
                let d = Dots {
                    n: out,
                    pairs: PLANES,
                    stride_a: out,
                    stride_b: 0,
                };
                dots_at(b, &d, &self.grad_bias, u, &mut self.dots, at + BIAS)?;
            }
            if let Some(prev) = input {
                // Planes 1 and 2 of the input's cotangent jet dz(t)·W(t) (plane 0 is the order-0 pass's), then back
                // through the activation of layer i − 1.
                let da = cur
                    .da
                    .as_mut()
                    .expect("layers above the first have input cotangents");
                if moves_weight {
                    let j = JetMatmul {
                        m: rows,
                        n: inp,
                        k: out,
                        order: ORDER,
                        from: 1,
                        a_coeffs: PLANES,
                        b_coeffs: PLANES,
                        trans_a: false,
                        trans_b: false,
                    };
                    matmul_jet(b, &j, &self.dz, &cur.weight, da)?;
                } else {
                    let (dz_plane, da_plane) = (rows * out, rows * inp);
                    let mut g = Gemm::new(rows, inp, out).batched(
                        ORDER,
                        dz_plane as isize,
                        0,
                        da_plane as isize,
                    );
                    g.offset_a = dz_plane;
                    g.offset_c = da_plane;
                    gemm(b, &g, one, &self.dz, &cur.weight, zero, da)?;
                }
                let layout = JetLayout::dense(rows * inp, ORDER);
                activation_jet_vjp(b, self.activation, layout, &prev.z, da, &mut self.dz_below)?;
                std::mem::swap(&mut self.dz, &mut self.dz_below);
            }
        }
        Ok(())
    }
}

/// `c[at..] += ones (rows × 1) · v (1 × cols)`: a row vector added to every row of one plane.
fn broadcast_add<B: Backend, T: Real>(
    b: &B,
    rows: usize,
    cols: usize,
    ones: &B::Buffer<T>,
    v: &B::Buffer<T>,
    c: &mut B::Buffer<T>,
    at: usize,
) -> Result<(), KernelError> {
    let mut g = Gemm::new(rows, cols, 1);
    g.offset_c = at;
    let one = T::from_f64(1.0);
    gemm(b, &g, one, ones, v, one, c)
}
