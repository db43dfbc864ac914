//! K-FAC against an independent dense reference on a tiny linear layer: the running factors, the damped
//! Kronecker solve (here by Gaussian elimination on `(G ⊗ A + λI) vec V = vec ∇`, not by eigenbases), the KL clip,
//! momentum and weight decay, `T_cov` and `T_inv`; and the errors that leave everything unchanged.

mod common;

use common::kfac::LinearKfac;
use common::solve_dense;
use jetnewton_engine::Tensor;
use jetnewton_optim::{
    Kfac, KfacConfig, KfacGradient, OptimError, OptimResult as Result, Optimizer, Oracle,
    ParamLayout,
};

/// The dense reference's state: running factors, the factors frozen at the last multiple of `T_inv`, momentum.
struct Reference {
    cfg: KfacConfig,
    a: Vec<f64>,
    g: Vec<f64>,
    frozen: (Vec<f64>, Vec<f64>),
    buf: Vec<Vec<f64>>,
}

fn blend(decay: f64, old: &[f64], new: &[f64]) -> Vec<f64> {
    old.iter()
        .zip(new)
        .map(|(o, n)| decay * o + (1.0 - decay) * n)
        .collect()
}

fn identity(n: usize) -> Vec<f64> {
    (0..n * n)
        .map(|i| if i % (n + 1) == 0 { 1.0 } else { 0.0 })
        .collect()
}

impl Reference {
    fn new(cfg: KfacConfig) -> Self {
        Self {
            cfg,
            a: identity(4),
            g: identity(2),
            frozen: (vec![], vec![]),
            buf: vec![],
        }
    }

    /// Step `t` from the oracle's answer at `params`; returns ν.
    fn step(&mut self, t: u64, params: &mut [Vec<f64>], ans: KfacGradient<f64>) -> f64 {
        let c = self.cfg;
        if let Some(layers) = ans.layers {
            let s = &layers[0];
            self.a = blend(c.stat_decay, &self.a, s.a.data());
            self.g = blend(c.stat_decay, &self.g, s.g.data());
        }
        if t % c.t_inv as u64 == 0 {
            self.frozen = (self.a.clone(), self.g.clone());
        }
        let (a, g) = &self.frozen;
        // M = [∇W | ∇b], 2 × 4, and K[(i,j),(k,l)] = G_ik A_lj + λ δ.
        let gw = ans.gradient[0].data();
        let gb = ans.gradient[1].data();
        let m: Vec<f64> = (0..2)
            .flat_map(|i| (0..4).map(move |j| if j < 3 { gw[i * 3 + j] } else { gb[i] }))
            .collect();
        let k: Vec<Vec<f64>> = (0..8)
            .map(|r| {
                (0..8)
                    .map(|col| {
                        let (i, j, kk, l) = (r / 4, r % 4, col / 4, col % 4);
                        g[i * 2 + kk] * a[l * 4 + j] + if r == col { c.damping } else { 0.0 }
                    })
                    .collect()
            })
            .collect();
        let v = solve_dense(&k, &m);
        let vg: f64 = v.iter().zip(&m).map(|(v, m)| v * m).sum();
        let nu = (c.kl_clip / (c.lr * c.lr * vg)).sqrt().min(1.0);
        let mut d = vec![
            (0..6)
                .map(|e| nu * v[(e / 3) * 4 + e % 3])
                .collect::<Vec<f64>>(),
            (0..2).map(|i| nu * v[i * 4 + 3]).collect(),
            ans.gradient[2].data().to_vec(),
        ];
        if self.buf.is_empty() {
            self.buf = vec![vec![0.0; 6], vec![0.0; 2], vec![0.0; 1]];
        }
        for ((p, d), buf) in params.iter_mut().zip(&mut d).zip(&mut self.buf) {
            for ((p, d), b) in p.iter_mut().zip(d.iter_mut()).zip(buf.iter_mut()) {
                *d += c.weight_decay * *p;
                *b = if t == 0 { *d } else { c.momentum * *b + *d };
                *p -= c.lr * *b;
            }
        }
        nu
    }
}

fn tensors(p: &[Vec<f64>], like: &[Tensor<f64>]) -> Vec<Tensor<f64>> {
    p.iter()
        .zip(like)
        .map(|(v, t)| Tensor::from_vec(t.shape().to_vec(), v.clone()).unwrap())
        .collect()
}

/// What a side-by-side run gives: the reference's ν at every step, the largest parameter difference, and both
/// optimisers and K-FAC's oracle at the end.
struct Run {
    nus: Vec<f64>,
    max_diff: f64,
    kfac: Kfac<f64>,
    reference: Reference,
    oracle: LinearKfac,
}

/// Runs K-FAC and the reference (decomposing every `t_inv_reference` steps) side by side for `steps` steps.
fn run(cfg: KfacConfig, oracle: LinearKfac, steps: u64, t_inv_reference: usize) -> Run {
    let (layout, init) = LinearKfac::init::<f64>();
    let mut kfac = Kfac::<f64>::new(layout, cfg).unwrap();
    let (mut o1, mut o2) = (oracle.clone(), oracle);
    let mut p = init.clone();
    let mut reference = Reference::new(KfacConfig {
        t_inv: t_inv_reference,
        ..cfg
    });
    let mut q: Vec<Vec<f64>> = init.iter().map(|t| t.data().to_vec()).collect();
    let (mut nus, mut max_diff) = (Vec::new(), 0.0f64);
    for t in 0..steps {
        kfac.step(&mut p, &mut o1).unwrap();
        let with = t % cfg.t_cov as u64 == 0;
        let ans = o2
            .loss_gradient_and_kfac(&tensors(&q, &init), cfg.sample_seed(t), with)
            .unwrap();
        nus.push(reference.step(t, &mut q, ans));
        for (a, b) in p.iter().zip(&q) {
            for (x, y) in a.data().iter().zip(b) {
                max_diff = max_diff.max((x - y).abs());
            }
        }
    }
    Run {
        nus,
        max_diff,
        kfac,
        reference,
        oracle: o1,
    }
}

/// [`run`] with the reference decomposing when K-FAC does, checking that both agree step for step.
fn compare(cfg: KfacConfig, oracle: LinearKfac, steps: u64) -> Vec<f64> {
    let r = run(cfg, oracle, steps, cfg.t_inv);
    // Tolerance: the eigenbasis route and Gaussian elimination round differently; with factor eigenvalues
    // above ~0.1 (or bridged by λ = 0.1) the systems are conditioned below ~1e2, so a few steps keep the
    // parameters within ~1e-14 of each other. 1e-11 leaves room, far below the ~1e-3 that a mistake moves them.
    assert!(r.max_diff < 1e-11, "parameters differ by {}", r.max_diff);
    assert!((r.kfac.last_kl_scale().unwrap() - r.nus[r.nus.len() - 1]).abs() < 1e-12);
    let (a, g) = r.kfac.factors(0).unwrap();
    let (ra, rg) = (&r.reference.a, &r.reference.g);
    for (x, y) in a.iter().chain(g).zip(ra.iter().chain(rg)) {
        // The same blends of the same numbers, up to the last bits of parameters that agree to 1e-11.
        assert!((x - y).abs() < 1e-12, "{x} vs {y}");
    }
    // Factors every T_cov steps, each sampled with the step's own seed.
    let want: Vec<(u64, bool)> = (0..steps)
        .map(|t| (cfg.sample_seed(t), t % cfg.t_cov as u64 == 0))
        .collect();
    assert_eq!(r.oracle.log, want);
    r.nus
}

fn config() -> KfacConfig {
    KfacConfig {
        lr: 0.1,
        momentum: 0.9,
        stat_decay: 0.5,
        damping: 0.1,
        kl_clip: 1e6,
        weight_decay: 0.01,
        t_cov: 2,
        t_inv: 3,
        seed: 11,
    }
}

#[test]
fn matches_the_dense_reference_unclipped_and_clipped() {
    let nus = compare(config(), LinearKfac::default(), 8);
    assert!(nus.iter().all(|&nu| nu == 1.0), "{nus:?}");
    let clipped = KfacConfig {
        kl_clip: 1e-4,
        ..config()
    };
    let nus = compare(clipped, LinearKfac::default(), 8);
    assert!(nus.iter().all(|&nu| nu < 0.5), "{nus:?}");
}

#[test]
fn zero_eigenvalues_are_bridged_by_the_damping() {
    // With stat_decay = 0 the running A is the minibatch's, whose first input feature is always zero.
    let singular = KfacConfig {
        stat_decay: 0.0,
        ..config()
    };
    compare(
        singular,
        LinearKfac {
            singular: true,
            ..LinearKfac::default()
        },
        5,
    );
}

#[test]
fn the_preconditioner_changes_only_every_t_inv_steps() {
    // A control that the comparison is sensitive to T_inv: the factors change at step 2 (T_cov = 2), and a
    // reference that decomposes them right away, rather than at step 3, parts from K-FAC.
    let r = run(config(), LinearKfac::default(), 4, 1);
    assert!(
        r.max_diff > 1e-6,
        "decomposing at every step should differ: {}",
        r.max_diff
    );
}

/// An oracle without K-FAC support.
struct Plain;

impl Oracle<f64> for Plain {
    fn loss_and_gradient(&mut self, p: &[Tensor<f64>]) -> Result<(f64, Vec<Tensor<f64>>)> {
        Ok((0.0, p.to_vec()))
    }

    fn summaries(
        &mut self,
        _: &[Tensor<f64>],
        _: &[Tensor<f64>],
        _: &[Vec<usize>],
    ) -> Result<jetnewton_engine::summaries::Summaries> {
        Err(OptimError::Unsupported {
            request: "summaries",
        })
    }
}

/// [`LinearKfac`] that, from call `from`, answers without factors (`drop`) or with the layer's bias left out.
struct Faulty {
    inner: LinearKfac,
    from: u64,
    drop: bool,
}

impl Oracle<f64> for Faulty {
    fn loss_and_gradient(&mut self, p: &[Tensor<f64>]) -> Result<(f64, Vec<Tensor<f64>>)> {
        self.inner.loss_and_gradient(p)
    }

    fn summaries(
        &mut self,
        _: &[Tensor<f64>],
        _: &[Tensor<f64>],
        _: &[Vec<usize>],
    ) -> Result<jetnewton_engine::summaries::Summaries> {
        Err(OptimError::Unsupported {
            request: "summaries",
        })
    }

    fn loss_gradient_and_kfac(
        &mut self,
        p: &[Tensor<f64>],
        seed: u64,
        factors: bool,
    ) -> Result<KfacGradient<f64>> {
        let mut ans = self.inner.loss_gradient_and_kfac(p, seed, factors)?;
        if self.inner.calls > self.from {
            if self.drop {
                ans.layers = None;
            } else if let Some(layers) = &mut ans.layers {
                // The same layer without its bias: A shrinks to 3 × 3.
                let a = layers[0].a.data();
                let a3: Vec<f64> = (0..9).map(|e| a[(e / 3) * 4 + e % 3]).collect();
                layers[0].bias = None;
                layers[0].a = Tensor::from_vec(vec![3, 3], a3).unwrap();
            }
        }
        Ok(ans)
    }
}

#[test]
fn refused_answers_change_nothing() {
    let (layout, init) = LinearKfac::init::<f64>();
    let mut kfac = Kfac::<f64>::new(layout.clone(), config()).unwrap();
    let mut p = init.clone();
    let err = kfac.step(&mut p, &mut Plain).unwrap_err();
    assert!(matches!(err, OptimError::Unsupported { .. }), "{err}");
    assert_eq!((p.clone(), kfac.steps()), (init.clone(), 0));

    for drop in [true, false] {
        let mut kfac = Kfac::<f64>::new(layout.clone(), config()).unwrap();
        let mut oracle = Faulty {
            inner: LinearKfac::default(),
            from: 2,
            drop,
        };
        let mut p = init.clone();
        for _ in 0..2 {
            kfac.step(&mut p, &mut oracle).unwrap();
        }
        let (before, params) = (kfac.state(), p.clone());
        // Step 2 asks for factors (T_cov = 2) and gets none, or a layer of another shape.
        let err = kfac.step(&mut p, &mut oracle).unwrap_err();
        assert!(matches!(err, OptimError::KfacStats { .. }), "{err}");
        assert_eq!((kfac.state(), p), (before, params));
    }

    // A layout the factors do not fit.
    let other = ParamLayout::new(LinearKfac::names(), vec![vec![3, 2], vec![3], vec![]]).unwrap();
    let mut kfac = Kfac::<f64>::new(other, config()).unwrap();
    let mut q = vec![
        Tensor::zeros(&[3, 2]),
        Tensor::zeros(&[3]),
        Tensor::scalar(1.0),
    ];
    let err = kfac.step(&mut q, &mut LinearKfac::default()).unwrap_err();
    assert!(matches!(err, OptimError::KfacStats { .. }), "{err}");
}
