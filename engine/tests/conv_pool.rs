//! Convolution and pooling against independent oracles, over random small shapes and values (proptest):
//! a naive convolution loop, the adjoint identities `⟨Conv(x, w), g⟩ = ⟨x, ConvIn(g, w)⟩ = ⟨w, ConvW(x, g)⟩`,
//! central finite differences of a scalar loss for the vjps, and finite differences along a curve for the jets.
//!
//! Every map tested here is bilinear (the convolutions) or linear (the poolings, away from ties for max-pooling),
//! so each finite difference below has **no truncation error**: a linear function's central difference is its
//! derivative for any step, and along a curve of degree 2 `(y(t) − y(−t)) / 2t` and `(y(t) − 2y(0) + y(−t)) / 2t²`
//! are exactly the Taylor coefficients 1 and 2. Only rounding remains: values are O(1), each output sums at most
//! 3·3·3 products, so one evaluation errs by ≲ 1e-14 and a difference quotient with step `h` by ≲ 1e-14 / h.

use std::sync::Arc;

use jetnewton_engine::jet::forward_jets;
use jetnewton_engine::ops::conv::{Conv2d, Conv2dInputGrad, Conv2dWeightGrad, ConvGeom};
use jetnewton_engine::ops::pool::{AvgPool2d, AvgPool2dAdjoint, Pool2d};
use jetnewton_engine::{EngineError, Graph, Jet, Op, Tensor};
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

type T = Tensor<f64>;
type DynOp = Arc<dyn Op<f64>>;

fn random(rng: &mut ChaCha8Rng, shape: &[usize]) -> T {
    let data = (0..shape.iter().product())
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    T::from_vec(shape.to_vec(), data).unwrap()
}

/// `a + s·d`.
fn along(a: &T, s: f64, d: &T) -> T {
    let mut out = a.clone();
    out.axpy(s, d).unwrap();
    out
}

fn eval(op: &DynOp, a: &T, b: &T) -> T {
    op.forward(&[a, b]).unwrap()
}

fn assert_close(got: &T, want: &T, tol: f64, what: &str) {
    let err = got.max_abs_diff(want);
    assert!(
        err <= tol,
        "{what}: max abs error {err:e} > {tol:e}\n got {got:?}\nwant {want:?}"
    );
}

/// Gradients of `sum(op(a, b) ⊙ r)` with respect to `a` and `b`, through the tape.
fn vjp(op: &DynOp, a: &T, b: &T, r: &T) -> (T, T) {
    let g = Graph::new();
    let (va, vb) = (g.param("a", a.clone()), g.param("b", b.clone()));
    let y = g
        .var(g.apply(op.clone(), &[va.id(), vb.id()]).unwrap())
        .unwrap();
    let loss = y.mul(g.constant(r.clone())).unwrap().sum().unwrap();
    let gr = g.grad(loss.id(), &[va.id(), vb.id()]).unwrap();
    (gr[0].clone(), gr[1].clone())
}

#[derive(Debug, Clone, Copy)]
struct ConvCase {
    n: usize,
    c: usize,
    o: usize,
    h: usize,
    w: usize,
    k: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
    seed: u64,
}

impl ConvCase {
    fn geom(&self) -> ConvGeom {
        ConvGeom {
            stride: self.stride,
            padding: self.pad,
        }
    }
    fn x_shape(&self) -> Vec<usize> {
        vec![self.n, self.c, self.h, self.w]
    }
    fn w_shape(&self) -> Vec<usize> {
        vec![self.o, self.c, self.k.0, self.k.1]
    }
    fn y_shape(&self) -> Vec<usize> {
        let ho = (self.h + 2 * self.pad.0 - self.k.0) / self.stride.0 + 1;
        let wo = (self.w + 2 * self.pad.1 - self.k.1) / self.stride.1 + 1;
        vec![self.n, self.o, ho, wo]
    }
    fn rng(&self) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.seed)
    }
    /// The three bilinear ops with the shapes of their two inputs.
    fn ops(&self) -> [(&'static str, DynOp, Vec<usize>, Vec<usize>); 3] {
        let geom = self.geom();
        let input_grad = Conv2dInputGrad {
            geom,
            input_shape: self.x_shape(),
        };
        let weight_grad = Conv2dWeightGrad {
            geom,
            weight_shape: self.w_shape(),
        };
        [
            (
                "conv",
                Arc::new(Conv2d { geom }),
                self.x_shape(),
                self.w_shape(),
            ),
            (
                "conv_in",
                Arc::new(input_grad),
                self.y_shape(),
                self.w_shape(),
            ),
            (
                "conv_w",
                Arc::new(weight_grad),
                self.x_shape(),
                self.y_shape(),
            ),
        ]
    }
}

fn conv_case() -> impl Strategy<Value = ConvCase> {
    let sizes = (1..=2usize, 1..=3usize, 1..=3usize, 3..=7usize, 3..=7usize);
    let geometry = (
        (1..=3usize, 1..=3usize),
        (1..=2usize, 1..=2usize),
        (0..=1usize, 0..=1usize),
    );
    (sizes, geometry, any::<u64>()).prop_map(|((n, c, o, h, w), (k, stride, pad), seed)| ConvCase {
        n,
        c,
        o,
        h,
        w,
        k,
        stride,
        pad,
        seed,
    })
}

/// The test-only oracle: the convolution sum written out, with bounds checks for the padding.
fn naive_conv(cs: &ConvCase, x: &T, w: &T) -> T {
    let ys = cs.y_shape();
    let mut y = vec![0.0; ys.iter().product()];
    let (xd, wd) = (x.data(), w.data());
    let mut at = 0;
    for n in 0..cs.n {
        for o in 0..cs.o {
            for oy in 0..ys[2] {
                for ox in 0..ys[3] {
                    let mut s = 0.0;
                    for c in 0..cs.c {
                        for i in 0..cs.k.0 {
                            for j in 0..cs.k.1 {
                                let iy = (oy * cs.stride.0 + i) as isize - cs.pad.0 as isize;
                                let ix = (ox * cs.stride.1 + j) as isize - cs.pad.1 as isize;
                                if iy < 0 || ix < 0 || iy as usize >= cs.h || ix as usize >= cs.w {
                                    continue;
                                }
                                let xv =
                                    xd[((n * cs.c + c) * cs.h + iy as usize) * cs.w + ix as usize];
                                s += xv * wd[((o * cs.c + c) * cs.k.0 + i) * cs.k.1 + j];
                            }
                        }
                    }
                    y[at] = s;
                    at += 1;
                }
            }
        }
    }
    T::from_vec(ys, y).unwrap()
}

fn check_forward(cs: &ConvCase) {
    let mut rng = cs.rng();
    let (x, w) = (
        random(&mut rng, &cs.x_shape()),
        random(&mut rng, &cs.w_shape()),
    );
    let g = Graph::new();
    let y = g
        .constant(x.clone())
        .conv2d(g.param("w", w.clone()), cs.stride, cs.pad)
        .unwrap();
    // Same sums in another order: rounding only, ≲ 27 · 1e-16 on O(1) terms.
    assert_close(
        &y.value(),
        &naive_conv(cs, &x, &w),
        1e-13,
        &format!("{cs:?}"),
    );
}

fn check_adjoints(cs: &ConvCase) {
    let mut rng = cs.rng();
    let (x, w, g) = (
        random(&mut rng, &cs.x_shape()),
        random(&mut rng, &cs.w_shape()),
        random(&mut rng, &cs.y_shape()),
    );
    let [(_, conv, ..), (_, conv_in, ..), (_, conv_w, ..)] = cs.ops();
    let lhs = eval(&conv, &x, &w).dot_f64(&g).unwrap();
    let via_x = x.dot_f64(&eval(&conv_in, &g, &w)).unwrap();
    let via_w = w.dot_f64(&eval(&conv_w, &x, &g)).unwrap();
    // The three are the same sum of products in different orders: agreement to rounding, 1e-12 relative.
    let tol = 1e-12 * (1.0 + lhs.abs());
    assert!(
        (lhs - via_x).abs() <= tol && (lhs - via_w).abs() <= tol,
        "{cs:?}: {lhs} {via_x} {via_w}"
    );
}

fn check_vjps(cs: &ConvCase) {
    let mut rng = cs.rng();
    for (name, op, sa, sb) in cs.ops() {
        let (a, b) = (random(&mut rng, &sa), random(&mut rng, &sb));
        let r = random(&mut rng, eval(&op, &a, &b).shape());
        let (ga, gb) = vjp(&op, &a, &b, &r);
        // The loss is linear in each input, so the central difference is exact for any step; h = 1e-2 keeps
        // rounding at ≲ 1e-14 / h = 1e-12, well inside the 1e-10 tolerance.
        let h = 1e-2;
        let loss = |a: &T, b: &T| eval(&op, a, b).dot_f64(&r).unwrap();
        for (which, grad) in [(0, &ga), (1, &gb)] {
            let base = if which == 0 { &a } else { &b };
            let mut fd = vec![0.0; base.numel()];
            for (i, fd) in fd.iter_mut().enumerate() {
                let (mut p, mut m) = (base.clone(), base.clone());
                p.data_mut()[i] += h;
                m.data_mut()[i] -= h;
                let (lp, lm) = if which == 0 {
                    (loss(&p, &b), loss(&m, &b))
                } else {
                    (loss(&a, &p), loss(&a, &m))
                };
                *fd = (lp - lm) / (2.0 * h);
            }
            let fd = T::from_vec(base.shape().to_vec(), fd).unwrap();
            assert_close(grad, &fd, 1e-10, &format!("{name} input {which}, {cs:?}"));
        }
    }
}

fn check_jets(cs: &ConvCase) {
    let mut rng = cs.rng();
    for (name, op, sa, sb) in cs.ops() {
        let [a, da, b, db] = [&sa, &sa, &sb, &sb].map(|s| random(&mut rng, s));
        let g = Graph::new();
        let (va, vb) = (g.param("a", a.clone()), g.param("b", b.clone()));
        let y = g.apply(op.clone(), &[va.id(), vb.id()]).unwrap();
        let seeds = [
            (va.id(), vec![Some(da.clone())]),
            (vb.id(), vec![Some(db.clone())]),
        ];
        let jets = forward_jets(&g, y, &seeds, 3).unwrap();
        let j = jets[y]
            .as_ref()
            .expect("a curve through both inputs moves the output");
        // y(t) = op(a + t·da, b + t·db) is a quadratic in t: the difference quotients below are its Taylor
        // coefficients exactly, whatever t; t = 0.5 keeps rounding (≲ 1e-14 / t²) far under 1e-10.
        let t = 0.5;
        let y_at = |s: f64| eval(&op, &along(&a, s, &da), &along(&b, s, &db));
        let (yp, y0, ym) = (y_at(t), y_at(0.0), y_at(-t));
        let c1 = along(&yp, -1.0, &ym).scale(1.0 / (2.0 * t));
        let c2 = along(&along(&yp, -2.0, &y0), 1.0, &ym).scale(1.0 / (2.0 * t * t));
        assert_close(j.get(0).unwrap(), &y0, 0.0, &format!("{name} coef 0"));
        assert_close(
            j.get(1).unwrap(),
            &c1,
            1e-10,
            &format!("{name} coef 1, {cs:?}"),
        );
        assert_close(
            j.get(2).unwrap(),
            &c2,
            1e-10,
            &format!("{name} coef 2, {cs:?}"),
        );
        // Bilinear: coefficient 2 is exactly op(da, db), computed by the same kernel — equal to rounding.
        assert_close(
            j.get(2).unwrap(),
            &eval(&op, &da, &db),
            1e-12,
            &format!("{name} coef 2 exact"),
        );
        assert!(
            j.coeffs[3].is_none(),
            "{name}: coefficient 3 of a quadratic must stay the zero tag"
        );
    }
}

fn check_jet_vjps(cs: &ConvCase) {
    let mut rng = cs.rng();
    for (name, op, sa, sb) in cs.ops() {
        let [a, da, b, db] = [&sa, &sa, &sb, &sb].map(|s| random(&mut rng, s));
        let sy = eval(&op, &a, &b).shape().to_vec();
        let (g0, g1) = (random(&mut rng, &sy), random(&mut rng, &sy));
        let line = |p: &T, d: &T| Jet {
            coeffs: vec![Some(p.clone()), Some(d.clone()), None, None],
        };
        let (aj, bj, gj) = (line(&a, &da), line(&b, &db), line(&g0, &g1));
        let yj = op.jet(&[&aj, &bj], &eval(&op, &a, &b)).unwrap();
        let out = op.jet_vjp(&[&aj, &bj], &yj, &gj, &[true, true]).unwrap();
        // The cotangents along the curve, ā(t) and b̄(t), are vjps at (a + t·da, b + t·db) of the cotangent
        // g0 + t·g1: quadratics in t, so the same exact difference quotients as in `check_jets` apply.
        let t = 0.5;
        let cot = |s: f64| {
            vjp(
                &op,
                &along(&a, s, &da),
                &along(&b, s, &db),
                &along(&g0, s, &g1),
            )
        };
        let (cp, c0, cm) = (cot(t), cot(0.0), cot(-t));
        for (slot, (p, z, m)) in [(0, (&cp.0, &c0.0, &cm.0)), (1, (&cp.1, &c0.1, &cm.1))] {
            let j = out[slot].as_ref().expect("wanted cotangent");
            let c1 = along(p, -1.0, m).scale(1.0 / (2.0 * t));
            let c2 = along(&along(p, -2.0, z), 1.0, m).scale(1.0 / (2.0 * t * t));
            assert!(
                j.coeffs[0].is_none(),
                "{name}: coefficient 0 is left to the caller"
            );
            assert_close(
                j.get(1).unwrap(),
                &c1,
                1e-10,
                &format!("{name} slot {slot} coef 1, {cs:?}"),
            );
            assert_close(
                j.get(2).unwrap(),
                &c2,
                1e-10,
                &format!("{name} slot {slot} coef 2, {cs:?}"),
            );
            assert!(
                j.coeffs[3].is_none(),
                "{name}: coefficient 3 of a quadratic must stay the zero tag"
            );
        }
        // The contraction with a fixed direction (the summaries' path, which never forms a weight gradient) is
        // the jet-vjp dotted with it — also when its cache, filled by a first pass, is reused by a second pass
        // with other higher coefficients and the same order-0 values. Same sums regrouped: 1e-12 relative.
        for (slot, shape) in [(0, &sa), (1, &sb)] {
            let v = random(&mut rng, shape);
            let mut cache = jetnewton_engine::ContractCache::default();
            for s in [1.0, -3.0] {
                let ins = [line(&a, &da.scale(s)), line(&b, &db.scale(s))];
                let ins = [&ins[0], &ins[1]];
                let gjs = line(&g0, &g1.scale(s));
                let yjs = op.jet(&ins, &eval(&op, &a, &b)).unwrap();
                let wanted = [slot == 0, slot == 1];
                let full = op.jet_vjp(&ins, &yjs, &gjs, &wanted).unwrap()[slot]
                    .clone()
                    .unwrap();
                let got = op
                    .contract_input(&ins, &yjs, &gjs, slot, &v, &mut cache)
                    .unwrap();
                assert_eq!(got.len(), 3, "{name}: one value per coefficient 1..=3");
                for (k, got) in got.iter().enumerate() {
                    let want = full.get(k + 1).map_or(0.0, |c| c.dot_f64(&v).unwrap());
                    let tol = 1e-12 * (1.0 + want.abs());
                    assert!(
                        (got - want).abs() <= tol,
                        "{name} slot {slot} coef {}: {got} vs {want}",
                        k + 1
                    );
                }
            }
        }
        let only_first = op.jet_vjp(&[&aj, &bj], &yj, &gj, &[true, false]).unwrap();
        assert!(
            only_first[0].is_some() && only_first[1].is_none(),
            "{name}: unwanted cotangent computed"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn conv_forward_matches_naive_loop(cs in conv_case()) { check_forward(&cs) }

    #[test]
    fn conv_adjoint_identities(cs in conv_case()) { check_adjoints(&cs) }

    #[test]
    fn conv_vjps_match_finite_differences(cs in conv_case()) { check_vjps(&cs) }

    #[test]
    fn conv_jets_match_finite_differences_along_a_curve(cs in conv_case()) { check_jets(&cs) }

    #[test]
    fn conv_jet_vjps_match_finite_differences_of_the_vjp(cs in conv_case()) { check_jet_vjps(&cs) }
}

/// The kernel's special paths, rarely drawn above: 1×1 stride-1 unpadded convolutions (no column matrix), a single
/// sample large enough for a multi-threaded GEMM, a kernel as large as the image, and batches whose samples are
/// put side by side in one GEMM (small `Ho·Wo`, groups of unequal size). A two-thread pool makes the grouping
/// happen whatever the machine's thread count.
#[test]
fn conv_special_paths_match_the_oracles() {
    let case = |n, c, o, hw, k, stride, pad| ConvCase {
        n,
        c,
        o,
        h: hw,
        w: hw,
        k,
        stride,
        pad,
        seed: 7,
    };
    let grouped = [
        case(37, 3, 4, 9, (3, 3), (2, 2), (1, 1)),
        case(40, 2, 3, 5, (1, 1), (1, 1), (0, 0)),
    ];
    let single = [
        case(3, 2, 3, 5, (1, 1), (1, 1), (0, 0)),
        case(1, 3, 2, 4, (1, 1), (1, 1), (0, 0)),
        case(1, 8, 16, 32, (3, 3), (1, 1), (1, 1)),
        case(1, 4, 8, 17, (3, 2), (2, 1), (1, 0)),
        case(5, 2, 3, 6, (6, 6), (1, 1), (0, 0)),
    ];
    let two_threads = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for cs in grouped.iter().chain(&single) {
        check_forward(cs);
        check_adjoints(cs);
        two_threads.install(|| {
            check_forward(cs);
            check_adjoints(cs);
        });
    }
    // The accumulating paths (jets) and the vjps, on the grouped layouts.
    for cs in &grouped {
        two_threads.install(|| {
            check_jets(cs);
            check_jet_vjps(cs);
        });
    }
    check_vjps(&single[0]);
}

/// Double backward: the gradient `x̄ = ConvIn(r, w)` of `⟨Conv(x, w), r⟩` is itself on the tape, and
/// `∂⟨x̄, u⟩/∂w = ConvW(u, r)` exactly (bilinear identity), to rounding.
#[test]
fn conv_double_backward_matches_the_bilinear_identity() {
    let cs = ConvCase {
        n: 2,
        c: 3,
        o: 2,
        h: 6,
        w: 5,
        k: (3, 2),
        stride: (2, 1),
        pad: (1, 1),
        seed: 11,
    };
    let mut rng = cs.rng();
    let [x, u] = [0, 1].map(|_| random(&mut rng, &cs.x_shape()));
    let (w, r) = (
        random(&mut rng, &cs.w_shape()),
        random(&mut rng, &cs.y_shape()),
    );
    let g = Graph::new();
    let (vx, vw) = (g.param("x", x), g.param("w", w));
    let loss = vx
        .conv2d(vw, cs.stride, cs.pad)
        .unwrap()
        .mul(g.constant(r.clone()))
        .unwrap()
        .sum()
        .unwrap();
    let gx = g
        .var(g.grad_nodes(loss.id(), &[vx.id()]).unwrap()[0])
        .unwrap();
    let inner = gx.mul(g.constant(u.clone())).unwrap().sum().unwrap();
    let second = g.grad(inner.id(), &[vw.id()]).unwrap();
    let [.., (_, conv_w, ..)] = cs.ops();
    assert_close(&second[0], &eval(&conv_w, &u, &r), 1e-12, "d<x̄, u>/dw");
}

#[test]
fn conv_rejects_bad_shapes_with_named_errors() {
    let g = Graph::<f64>::new();
    let x = g.constant(T::zeros(&[1, 3, 5, 5]));
    let w = |s: &[usize]| g.param("w", T::zeros(s));
    let rank3 = g
        .constant(T::zeros(&[3, 5, 5]))
        .conv2d(w(&[2, 3, 3, 3]), (1, 1), (0, 0))
        .map(|v| v.shape());
    assert!(
        matches!(rank3, Err(EngineError::InvalidShape { op: "conv2d", .. })),
        "{rank3:?}"
    );
    let w_rank = x.conv2d(w(&[2, 3, 3]), (1, 1), (0, 0)).map(|v| v.shape());
    assert!(
        matches!(w_rank, Err(EngineError::InvalidShape { op: "conv2d", .. })),
        "{w_rank:?}"
    );
    let channels = x
        .conv2d(w(&[2, 2, 3, 3]), (1, 1), (0, 0))
        .map(|v| v.shape());
    assert!(
        matches!(&channels, Err(EngineError::ShapeMismatch { op: "conv2d", lhs, rhs }) if lhs == &[1, 3, 5, 5] && rhs == &[2, 2, 3, 3]),
        "{channels:?}"
    );
    let too_big = x
        .conv2d(w(&[2, 3, 8, 3]), (1, 1), (1, 1))
        .map(|v| v.shape());
    assert!(
        matches!(too_big, Err(EngineError::InvalidShape { op: "conv2d", .. })),
        "{too_big:?}"
    );
    assert!(
        x.conv2d(w(&[2, 3, 7, 3]), (1, 1), (1, 1)).is_ok(),
        "a kernel as large as the padded input fits"
    );
    let stride = x
        .conv2d(w(&[2, 3, 3, 3]), (1, 0), (0, 0))
        .map(|v| v.shape());
    assert!(
        matches!(stride, Err(EngineError::InvalidShape { op: "conv2d", .. })),
        "{stride:?}"
    );
    let geom = ConvGeom {
        stride: (1, 1),
        padding: (0, 0),
    };
    let conv_in = Conv2dInputGrad {
        geom,
        input_shape: vec![1, 3, 5, 5],
    };
    let wrong_g = Op::<f64>::forward(
        &conv_in,
        &[&T::zeros(&[1, 2, 4, 3]), &T::zeros(&[2, 3, 3, 3])],
    );
    assert!(
        matches!(
            wrong_g,
            Err(EngineError::ShapeMismatch {
                op: "conv2d_input_grad",
                ..
            })
        ),
        "{wrong_g:?}"
    );
}

#[derive(Debug, Clone, Copy)]
struct PoolCase {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    k: usize,
    s: usize,
    seed: u64,
}

impl PoolCase {
    fn x_shape(&self) -> Vec<usize> {
        vec![self.n, self.c, self.h, self.w]
    }
    fn y_shape(&self) -> Vec<usize> {
        vec![
            self.n,
            self.c,
            (self.h - self.k) / self.s + 1,
            (self.w - self.k) / self.s + 1,
        ]
    }
    /// Distinct values, 0.01 apart at least, in random order: no window is within 0.01 of a tie.
    fn distinct(&self) -> T {
        let shape = self.x_shape();
        let mut v: Vec<f64> = (0..shape.iter().product())
            .map(|i| i as f64 * 0.01 - 1.0)
            .collect();
        v.shuffle(&mut ChaCha8Rng::seed_from_u64(self.seed));
        T::from_vec(shape, v).unwrap()
    }
}

fn pool_case() -> impl Strategy<Value = PoolCase> {
    (
        1..=2usize,
        1..=3usize,
        3..=7usize,
        3..=7usize,
        1..=3usize,
        1..=2usize,
        any::<u64>(),
    )
        .prop_map(|(n, c, h, w, k, s, seed)| PoolCase {
            n,
            c,
            h,
            w,
            k,
            s,
            seed,
        })
}

/// The test-only oracle: `reduce` over every window, written out.
fn naive_pool(pc: &PoolCase, x: &T, reduce: fn(&[f64]) -> f64) -> T {
    let ys = pc.y_shape();
    let mut y = Vec::new();
    for plane in x.data().chunks(pc.h * pc.w) {
        for oy in 0..ys[2] {
            for ox in 0..ys[3] {
                let mut win = Vec::new();
                for i in 0..pc.k {
                    for j in 0..pc.k {
                        win.push(plane[(oy * pc.s + i) * pc.w + ox * pc.s + j]);
                    }
                }
                y.push(reduce(&win));
            }
        }
    }
    T::from_vec(ys, y).unwrap()
}

fn max_of(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn mean_of(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Gradient of `sum(pool(x) ⊙ r)` through the tape, and its central finite difference. Away from ties both
/// poolings are linear near `x`, so the difference is exact for any step below the 0.01 gap: h = 1e-3.
fn pool_grad_and_fd(
    x: &T,
    r: &T,
    pool: impl Fn(jetnewton_engine::Var<'_, f64>) -> jetnewton_engine::Var<'_, f64>,
) -> (T, T) {
    let loss_grad = |x: &T| {
        let g = Graph::new();
        let vx = g.param("x", x.clone());
        let loss = pool(vx).mul(g.constant(r.clone())).unwrap().sum().unwrap();
        (
            loss.value().item().unwrap(),
            g.grad(loss.id(), &[vx.id()]).unwrap()[0].clone(),
        )
    };
    let h = 1e-3;
    let fd = (0..x.numel())
        .map(|i| {
            let (mut p, mut m) = (x.clone(), x.clone());
            p.data_mut()[i] += h;
            m.data_mut()[i] -= h;
            (loss_grad(&p).0 - loss_grad(&m).0) / (2.0 * h)
        })
        .collect();
    (loss_grad(x).1, T::from_vec(x.shape().to_vec(), fd).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn max_pool_matches_naive_and_finite_differences(pc in pool_case()) {
        let x = pc.distinct();
        let mut rng = ChaCha8Rng::seed_from_u64(pc.seed ^ 1);
        let (r, dx) = (random(&mut rng, &pc.y_shape()), random(&mut rng, &pc.x_shape()));
        let g = Graph::new();
        let vx = g.param("x", x.clone());
        let y = vx.max_pool2d(pc.k, pc.s).unwrap();
        // A max is one of the inputs: exact.
        assert_close(&y.value(), &naive_pool(&pc, &x, max_of), 0.0, &format!("{pc:?}"));
        let (grad, fd) = pool_grad_and_fd(&x, &r, |v| v.max_pool2d(pc.k, pc.s).unwrap());
        // Sums of a few O(1) terms over 2h: rounding ≲ 1e-16 · 10 / 2e-3 ≈ 1e-12.
        assert_close(&grad, &fd, 1e-10, &format!("max-pool gradient, {pc:?}"));
        // Jet along x + t·dx: coefficient 1 is the difference quotient (exact while t·|dx| < 0.005, no tie crossed).
        let jets = forward_jets(&g, y.id(), &[(vx.id(), vec![Some(dx.clone())])], 2).unwrap();
        let j = jets[y.id()].as_ref().unwrap();
        let t = 1e-3;
        let at = |s: f64| { let g = Graph::new(); g.constant(along(&x, s, &dx)).max_pool2d(pc.k, pc.s).unwrap().value() };
        let c1 = along(&at(t), -1.0, &at(-t)).scale(1.0 / (2.0 * t));
        assert_close(j.get(1).unwrap(), &c1, 1e-10, &format!("max-pool jet, {pc:?}"));
        assert!(j.coeffs[2].is_none(), "piecewise linear: coefficient 2 stays the zero tag");
    }

    #[test]
    fn avg_pool_matches_naive_adjoint_and_finite_differences(pc in pool_case()) {
        let mut rng = ChaCha8Rng::seed_from_u64(pc.seed);
        let [x, dx] = [0, 1].map(|_| random(&mut rng, &pc.x_shape()));
        let r = random(&mut rng, &pc.y_shape());
        let g = Graph::new();
        let vx = g.param("x", x.clone());
        let y = vx.avg_pool2d(pc.k, pc.s).unwrap();
        // At most 9 terms summed in another order, then scaled: rounding ≲ 1e-15.
        assert_close(&y.value(), &naive_pool(&pc, &x, mean_of), 1e-14, &format!("{pc:?}"));
        let geom = Pool2d::new("avg_pool2d", &pc.x_shape(), pc.k, pc.s).unwrap();
        let adj = Op::<f64>::forward(&AvgPool2dAdjoint(geom.clone()), &[&r]).unwrap();
        let (lhs, rhs) = (y.value().dot_f64(&r).unwrap(), x.dot_f64(&adj).unwrap());
        // Same products summed in another order: 1e-12 relative.
        assert!((lhs - rhs).abs() <= 1e-12 * (1.0 + lhs.abs()), "adjoint identity {lhs} vs {rhs}, {pc:?}");
        let (grad, fd) = pool_grad_and_fd(&x, &r, |v| v.avg_pool2d(pc.k, pc.s).unwrap());
        assert_close(&grad, &fd, 1e-10, &format!("avg-pool gradient, {pc:?}"));
        // Linear: the jet is the pooled direction, and the jet-vjp the adjoint of each cotangent coefficient.
        let jets = forward_jets(&g, y.id(), &[(vx.id(), vec![Some(dx.clone())])], 2).unwrap();
        let j = jets[y.id()].as_ref().unwrap();
        let pooled = Op::<f64>::forward(&AvgPool2d(geom.clone()), &[&dx]).unwrap();
        assert_close(j.get(1).unwrap(), &pooled, 0.0, "avg-pool jet coefficient 1");
        assert!(j.coeffs[2].is_none(), "linear: coefficient 2 stays the zero tag");
        let gy = Jet { coeffs: vec![Some(r.clone()), Some(r.scale(2.0)), None] };
        let back = AvgPool2d(geom).jet_vjp(&[j], j, &gy, &[true]).unwrap();
        let back = back[0].as_ref().unwrap();
        assert!(back.coeffs[0].is_none() && back.coeffs[2].is_none(), "zero tags kept");
        assert_close(back.get(1).unwrap(), &adj.scale(2.0), 1e-15, "avg-pool jet-vjp coefficient 1");
    }
}

/// PyTorch's rule: on ties the first maximum in row-major window order wins, so with overlapping 2×2 windows on a
/// constant 3×3 plane the gradient lands on the windows' top-left corners (`torch.nn.functional.max_pool2d(x, 2,
/// 1).sum().backward()` on `torch.ones(1, 1, 3, 3)` gives `[[1, 1, 0], [1, 1, 0], [0, 0, 0]]`).
#[test]
fn max_pool_ties_go_to_the_first_maximum() {
    let g = Graph::<f64>::new();
    let x = g.param("x", T::full(&[1, 1, 3, 3], 1.0));
    let loss = x.max_pool2d(2, 1).unwrap().sum().unwrap();
    let grad = g.grad(loss.id(), &[x.id()]).unwrap();
    assert_eq!(
        grad[0].data(),
        &[1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    );
}

/// Large enough (32 768 elements) for the plane-parallel path of both poolings, with odd sizes for floor mode.
#[test]
fn pools_on_a_large_tensor_match_the_oracle() {
    let pc = PoolCase {
        n: 4,
        c: 8,
        h: 33,
        w: 31,
        k: 3,
        s: 2,
        seed: 5,
    };
    let x = pc.distinct();
    let g = Graph::new();
    let vx = g.constant(x.clone());
    assert_close(
        &vx.max_pool2d(3, 2).unwrap().value(),
        &naive_pool(&pc, &x, max_of),
        0.0,
        "max",
    );
    // Values here reach ~300: nine of them summed in another order round at ≲ 9 · 300 · 1e-16 ≈ 3e-13.
    assert_close(
        &vx.avg_pool2d(3, 2).unwrap().value(),
        &naive_pool(&pc, &x, mean_of),
        1e-12,
        "avg",
    );
}

#[test]
fn pools_reject_bad_shapes() {
    let g = Graph::<f64>::new();
    let x = g.constant(T::zeros(&[1, 2, 4, 4]));
    let rank = g
        .constant(T::zeros(&[2, 4, 4]))
        .max_pool2d(2, 2)
        .map(|v| v.shape());
    assert!(
        matches!(
            rank,
            Err(EngineError::InvalidShape {
                op: "max_pool2d",
                ..
            })
        ),
        "{rank:?}"
    );
    let big = x.avg_pool2d(5, 1).map(|v| v.shape());
    assert!(
        matches!(
            big,
            Err(EngineError::InvalidShape {
                op: "avg_pool2d",
                ..
            })
        ),
        "{big:?}"
    );
    let zero = x.max_pool2d(2, 0).map(|v| v.shape());
    assert!(
        matches!(
            zero,
            Err(EngineError::InvalidShape {
                op: "max_pool2d",
                ..
            })
        ),
        "{zero:?}"
    );
}

/// End to end: the summaries of a small CNN (conv, bias, tanh, max-pool, strided conv, ELU, avg-pool, linear,
/// cross-entropy) by jets — forward jets with the shared bilinear split, reverse jets, contractions — agree with
/// the double-backward oracle, which differentiates the conv vjps on the tape up to third order. Both compute the
/// same derivatives in different orders: agreement to 1e-10 relative.
#[test]
fn cnn_summaries_by_jets_match_double_backward() {
    use jetnewton_engine::summaries::{
        double_backward_summaries, jet_summaries, Direction, Groups, SummaryOptions,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let g = Graph::<f64>::new();
    let x = g.constant(random(&mut rng, &[2, 2, 8, 8]));
    let w0 = g.param("0.weight", random(&mut rng, &[3, 2, 3, 3]));
    let b0 = g.param("0.bias", random(&mut rng, &[3]));
    let w1 = g.param("3.weight", random(&mut rng, &[4, 3, 2, 2]));
    let w2 = g.param("7.weight", random(&mut rng, &[3, 4]));
    let h = x.conv2d(w0, (1, 1), (1, 1)).unwrap().add_bias(b0).unwrap();
    let h = h.tanh().unwrap().max_pool2d(2, 2).unwrap();
    let h = h.conv2d(w1, (2, 1), (1, 0)).unwrap().elu().unwrap();
    let h = h.avg_pool2d(2, 2).unwrap().flatten().unwrap();
    let loss = h.matmul_t(w2).unwrap().cross_entropy(&[0, 2]).unwrap();
    let groups = Groups::canonical(&g);
    let mut dir = Direction::new();
    for (p, _) in g.params() {
        dir.insert(p, random(&mut rng, g.value(p).shape()));
    }
    let opts = SummaryOptions { d3_slices: true };
    let a = jet_summaries(&g, loss.id(), &groups, &dir, opts).unwrap();
    let b = double_backward_summaries(&g, loss.id(), &groups, &dir, opts).unwrap();
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-10 * (1.0 + x.abs().max(y.abs()));
    assert!(close(a.loss, b.loss), "loss {} vs {}", a.loss, b.loss);
    let (sa, sb) = (a.d3_slices.as_ref().unwrap(), b.d3_slices.as_ref().unwrap());
    for s in 0..groups.len() {
        assert!(
            close(a.gbar[s], b.gbar[s]),
            "gbar {s}: {} vs {}",
            a.gbar[s],
            b.gbar[s]
        );
        assert!(
            close(a.d3[s], b.d3[s]),
            "d3 {s}: {} vs {}",
            a.d3[s],
            b.d3[s]
        );
        for u in 0..groups.len() {
            assert!(
                close(a.hbar[s][u], b.hbar[s][u]),
                "hbar {s} {u}: {} vs {}",
                a.hbar[s][u],
                b.hbar[s][u]
            );
            assert!(
                close(sa[s][u], sb[s][u]),
                "d3 slice {s} {u}: {} vs {}",
                sa[s][u],
                sb[s][u]
            );
        }
    }
}
