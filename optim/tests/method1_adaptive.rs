//! Method 1's adaptive schedule of `λ_int` and its averaging of the summaries (issue 8), on separable cubic
//! polynomials whose summaries are exact: `L(θ) = Σ_p c1·θ_p + ½c2·θ_p² + (c3/6)·θ_p³`.
//!
//! Along a step `θ − λ_t·U·η`, `L` is exactly its order-3 Taylor expansion `L(θ) − gbar·s + ½hbar·s² − (d3/6)·s³`
//! (`s = λ_t·η`, one group), which is the cubic model `T(s)` with `λ_int = 1` whenever `d3 < 0` and `s > 0`: there
//! the ratio of actual to predicted decrease is exactly 1.

mod common;

use common::Quadratic;
use jetnewton_engine::summaries::Summaries;
use jetnewton_engine::Tensor;
use jetnewton_optim::solver::{solve, CubicParams};
use jetnewton_optim::{
    Method1, Method1Config, Method1Report, OptimError, OptimResult as Result, Optimizer, Oracle,
    ParamLayout, Schedule,
};

/// The polynomial above; `curvature_lie` scales the `hbar` it reports (1: exact summaries); with `blow_up`, the
/// loss after a trial step is infinite.
#[derive(Clone, Debug)]
struct Poly {
    c: [f64; 3],
    curvature_lie: f64,
    blow_up: bool,
}

impl Poly {
    fn derivatives(&self, x: f64) -> [f64; 4] {
        let [c1, c2, c3] = self.c;
        [
            c1 * x + 0.5 * c2 * x * x + c3 / 6.0 * x * x * x,
            c1 + c2 * x + 0.5 * c3 * x * x,
            c2 + c3 * x,
            c3,
        ]
    }

    fn loss(&self, params: &[Tensor<f64>]) -> f64 {
        params
            .iter()
            .flat_map(|t| t.data())
            .map(|&x| self.derivatives(x)[0])
            .sum()
    }
}

impl Oracle<f64> for Poly {
    fn loss_and_gradient(&mut self, params: &[Tensor<f64>]) -> Result<(f64, Vec<Tensor<f64>>)> {
        let grads = params
            .iter()
            .map(|t| t.map(|x| self.derivatives(x)[1]))
            .collect();
        Ok((self.loss(params), grads))
    }

    fn summaries(
        &mut self,
        params: &[Tensor<f64>],
        direction: &[Tensor<f64>],
        groups: &[Vec<usize>],
    ) -> Result<Summaries> {
        let n = groups.len();
        let (mut gbar, mut hbar, mut d3) = (vec![0.0; n], vec![vec![0.0; n]; n], vec![0.0; n]);
        for (s, group) in groups.iter().enumerate() {
            for &p in group {
                for (&x, &u) in params[p].data().iter().zip(direction[p].data()) {
                    let [_, d1, d2, d3p] = self.derivatives(x);
                    gbar[s] += d1 * u;
                    hbar[s][s] += self.curvature_lie * d2 * u * u;
                    d3[s] += d3p * u * u * u;
                }
            }
        }
        Ok(Summaries {
            loss: self.loss(params),
            gbar,
            hbar,
            d3,
            d3_slices: None,
        })
    }

    fn loss_on_last_summary_batch(&mut self, params: &[Tensor<f64>]) -> Result<f64> {
        Ok(if self.blow_up {
            f64::INFINITY
        } else {
            self.loss(params)
        })
    }
}

fn scalar_layout(n: usize) -> (ParamLayout, Vec<Tensor<f64>>) {
    let params: Vec<Tensor<f64>> = (0..n)
        .map(|i| Tensor::from_vec(vec![2], vec![0.1 * i as f64, -0.05 * i as f64]).unwrap())
        .collect();
    let names = (0..n).map(|i| format!("p{i}")).collect();
    (ParamLayout::of(names, &params).unwrap(), params)
}

/// `μ_g = μ_η = 0`, `τ = 1`, no plateau scheduler: every step solves afresh along the gradient.
fn plain() -> Method1Config {
    Method1Config {
        lr: 0.5,
        grad_momentum: 0.0,
        eta_momentum: 0.0,
        period: 1,
        scheduler: None,
        ..Method1Config::paper(1)
    }
}

fn report(opt: &mut Method1<f64>, params: &mut [Tensor<f64>], o: &mut Poly) -> Method1Report {
    opt.step(params, o).unwrap().method1.unwrap()
}

fn bits(params: &[Tensor<f64>]) -> Vec<u64> {
    params
        .iter()
        .flat_map(|t| t.data().iter().map(|v| v.to_bits()))
        .collect()
}

/// `plain()` with this `λ_int` and the adaptive schedule (whose floor is then `min(1, λ_int)`).
fn adaptive(lambda_int: f64) -> Method1Config {
    Method1Config {
        solver: CubicParams {
            lambda_int,
            ..CubicParams::default()
        },
        ..plain()
    }
    .adaptive()
}

#[test]
fn an_exact_cubic_model_gives_rho_one_and_a_trusted_model_lowers_lambda_int() {
    // L = −2θ + ½θ² + θ³/6 at θ = 0: u = g = −2, d3 = u³ = −8 < 0, and the step moves θ up (s > 0).
    let mut o = Poly {
        c: [-2.0, 1.0, 1.0],
        curvature_lie: 1.0,
        blow_up: false,
    };
    let params = vec![Tensor::from_vec(vec![1], vec![0.0]).unwrap()];
    let layout = ParamLayout::of(vec!["x".into()], &params).unwrap();
    let mut opt = Method1::new(layout.clone(), vec![vec![0]], adaptive(1.0)).unwrap();
    let mut p = params.clone();
    let r = report(&mut opt, &mut p, &mut o);
    let rho = r.rho.unwrap();
    // τ = 1: the trial is the step itself, and along it the cubic model with λ_int = 1 is L.
    assert!((rho - 1.0).abs() < 1e-12, "rho = {rho}");
    assert!(!r.rejected && !r.eta_kept() && r.trials == 1);
    // ρ > eta2, but λ_int = 1 is the floor.
    assert_eq!((r.lambda_int, r.next_lambda_int), (1.0, 1.0));
    // The step taken is the solved one: θ = 0 − λ_t·u·η.
    let eta = r.eta.unwrap()[0];
    assert_eq!(p[0].data()[0], -0.5 * eta * -2.0);
    assert!(o.loss(&p) < o.loss(&params));

    // With λ_int = 4 the model over-estimates the cubic term (ρ > 1): λ_int halves.
    let mut opt = Method1::new(layout, vec![vec![0]], adaptive(4.0)).unwrap();
    let mut p = params.clone();
    let r = report(&mut opt, &mut p, &mut o);
    assert!(r.rho.unwrap() > 1.0 && !r.rejected, "{r:?}");
    assert_eq!((r.lambda_int, opt.lambda_int()), (4.0, 2.0));
    let r = report(&mut opt, &mut p, &mut o);
    assert_eq!(r.lambda_int, 2.0);
}

/// The trial covers the displacement of the next `τ` steps: with `τ = 10` the same step that passes at `τ = 1`
/// is judged over ten times its length.
#[test]
fn the_trial_covers_the_period() {
    let o = Poly {
        c: [-1.0, 10.0, 0.5],
        curvature_lie: 1.0,
        blow_up: false,
    };
    let (layout, params) = scalar_layout(2);
    let params: Vec<Tensor<f64>> = params.iter().map(|t| t.map(|_| 0.0)).collect();
    let rho = |period: usize| {
        let config = Method1Config {
            period,
            lr: 0.05,
            // λ_int = 1 would make the model exact along the step (see the module's doc), at any length.
            ..adaptive(2.0)
        };
        let mut opt = Method1::new(layout.clone(), vec![vec![0, 1]], config).unwrap();
        let (mut p, mut o) = (params.clone(), o.clone());
        report(&mut opt, &mut p, &mut o)
    };
    let (short, long) = (rho(1), rho(10));
    // Both solve the same model; the exact loss differs from it by the cubic term, which grows with the length.
    assert_eq!(short.summaries, long.summaries);
    let (short, long) = (short.rho.unwrap(), long.rho.unwrap());
    // The misfit is the cubic term over the linear one: it scales as the length squared (10² here).
    assert!(
        short > 0.75 && (long - 1.0).abs() > 50.0 * (short - 1.0).abs(),
        "{short} {long}"
    );
}

/// On a quadratic with exact summaries (`d3 = 0`, `τ = 1`, `μ_g = μ_η = 0`) each solve is the line's minimiser, so
/// a step of `λ_t` has the period ratio `1 − λ_t/2` exactly: `λ_t` is steered towards `2·(1 − lr_target) = 1.8`
/// from above and from below, by factors of `lr_gain^(ratio − lr_target)`.
#[test]
fn lambda_t_is_steered_by_the_period_ratio() {
    let o = Poly {
        c: [-1.0, 2.0, 0.0],
        curvature_lie: 1.0,
        blow_up: false,
    };
    let (layout, params) = scalar_layout(2);
    let run = |lr: f64, config: fn(Method1Config) -> Method1Config| {
        let c = config(Method1Config {
            lr,
            ..adaptive(1.0)
        });
        let mut opt = Method1::new(layout.clone(), vec![vec![0, 1]], c).unwrap();
        let (mut p, mut o) = (params.clone(), o.clone());
        let reports: Vec<Method1Report> =
            (0..40).map(|_| report(&mut opt, &mut p, &mut o)).collect();
        // λ_t after each step (the period ratio measured at a step changes the λ_t that step uses).
        let lrs: Vec<f64> = reports.iter().map(|r| r.next_lr).collect();
        (reports, lrs, opt)
    };
    // 1e-9 relative: a few roundings of f64 in the loss differences of a step of order one.
    let close = |x: f64, y: f64| (x - y).abs() < 1e-9 * y.abs().max(1.0);
    for lr_1 in [0.5, 3.0] {
        let (reports, lrs, _) = run(lr_1, |c| c);
        // No period has ended at the first step.
        assert_eq!((reports[0].period_ratio, lrs[0]), (None, lr_1));
        let r = reports[1].period_ratio.unwrap();
        assert!(close(r, 1.0 - lr_1 / 2.0), "λ_1 = {lr_1}: ratio {r}");
        let expected = lr_1 * 1.2f64.powf((r - 0.1).clamp(-1.0, 1.0));
        assert!(close(lrs[1], expected), "{} vs {expected}", lrs[1]);
        // Each measured period moves λ_t towards the fixed point 1.8 without crossing it, until the minimum is
        // reached to rounding (the first-order prediction is then no decrease and nothing is measured).
        let measured: Vec<usize> = (1..40)
            .filter(|&k| reports[k].period_ratio.is_some())
            .collect();
        assert!(measured.len() >= 5, "{measured:?}");
        for &k in &measured {
            let (before, after) = (lrs[k - 1] - 1.8, lrs[k] - 1.8);
            assert!(
                after * before > 0.0 && after.abs() < before.abs(),
                "λ_1 = {lr_1}, step {k}: {lrs:?}"
            );
        }
        // The steps λ_t·η̃ were taken with the adapted λ_t.
        assert!(reports.iter().all(|r| r.eta.is_some()));
    }
    // lr_gain = 1 (`adaptive_damping`) keeps λ_1.
    let (reports, lrs, _) = run(3.0, Method1Config::adaptive_damping);
    assert!(reports[1].period_ratio.is_some());
    assert!(lrs.iter().all(|&l| l == 3.0), "{lrs:?}");
    // The paper's schedule measures nothing.
    let (reports, lrs, _) = run(3.0, |c| Method1Config {
        schedule: Schedule::Paper,
        ..c
    });
    assert!(reports.iter().all(|r| r.period_ratio.is_none()));
    assert!(lrs.iter().all(|&l| l == 3.0));
}

#[test]
fn an_over_predicting_model_grows_lambda_int_and_backtracks_within_the_step() {
    // True curvature 10, reported 1: the solved step overshoots and the loss goes up.
    let mut o = Poly {
        c: [-1.0, 10.0, 0.5],
        curvature_lie: 0.1,
        blow_up: false,
    };
    let (layout, params) = scalar_layout(2);
    let params: Vec<Tensor<f64>> = params.iter().map(|t| t.map(|_| 0.0)).collect();
    let mut opt = Method1::new(layout, vec![vec![0, 1]], adaptive(1.0)).unwrap();
    let mut p = params.clone();
    let r = report(&mut opt, &mut p, &mut o);
    // The first trial fails; later ones, with λ_int doubled and the solution halved each time, may pass.
    assert!(r.trials > 1, "{r:?}");
    assert_eq!(r.lambda_int, 2f64.powi(r.trials as i32 - 1));
    if r.rejected {
        assert_eq!((r.trials, r.eta.as_ref(), opt.eta()), (4, None, None));
        assert_eq!(
            bits(&p),
            bits(&params),
            "a rejected step moved the parameters"
        );
    } else {
        assert!(r.rho.unwrap() >= 0.1, "{r:?}");
        assert!(o.loss(&p) < o.loss(&params));
    }

    // A trial whose loss blows up is refused at every retry; the refused solution enters the momentum as a zero
    // step (μ_η = 0 here: η̃ = 0) and the parameters stay.
    let mut blowing_up = Poly {
        blow_up: true,
        ..o.clone()
    };
    let before = bits(&p);
    let lambda = opt.lambda_int();
    let r = report(&mut opt, &mut p, &mut blowing_up);
    assert!(r.rejected && r.rho == Some(f64::NEG_INFINITY), "{r:?}");
    assert_eq!((r.trials, opt.lambda_int()), (4, lambda * 16.0));
    if r.eta.is_some() {
        assert_eq!(r.eta, Some(vec![0.0]));
    }
    assert_eq!(bits(&p), before);
}

#[test]
fn the_adaptive_schedule_needs_an_oracle_that_keeps_its_minibatch() {
    let mut q = Quadratic::new(vec![vec![2.0, 0.0], vec![0.0, 1.0]], vec![1.0, 1.0]);
    let params = vec![Tensor::from_vec(vec![2], vec![0.0, 0.0]).unwrap()];
    let layout = ParamLayout::of(vec!["w".into()], &params).unwrap();
    let mut opt = Method1::new(layout, vec![vec![0]], plain().adaptive()).unwrap();
    let mut p = params.clone();
    let err = opt.step(&mut p, &mut q).unwrap_err();
    // Named as what the adaptive schedule needs, before any parameter moves.
    assert!(matches!(err, OptimError::OracleCannot { .. }), "{err}");
    assert!(err.to_string().contains("adaptive schedule"), "{err}");
    assert_eq!((opt.steps(), bits(&p)), (0, bits(&params)));
}

/// The paper's schedule is algorithm 4 as before: a hand-written loop of it (momentum, solve with the configured
/// `λ_int`, positive part, momentum, update) gives the same bits over a short trajectory.
#[test]
fn the_paper_schedule_is_bit_identical_to_algorithm_4() {
    let o = Poly {
        c: [-1.0, 2.0, 0.7],
        curvature_lie: 1.0,
        blow_up: false,
    };
    let (layout, params) = scalar_layout(3);
    let groups = vec![vec![0, 2], vec![1]];
    let config = Method1Config {
        lr: 0.3,
        period: 3,
        scheduler: None,
        ..Method1Config::paper(1)
    };
    assert_eq!(
        (config.schedule, config.summary_average),
        (Schedule::Paper, 1)
    );
    let mut opt = Method1::new(layout, groups.clone(), config).unwrap();
    let (mut p, mut q) = (params.clone(), params.clone());
    let (mut oa, mut ob) = (o.clone(), o);
    let mut u: Option<Vec<Tensor<f64>>> = None;
    let mut eta: Option<Vec<f64>> = None;
    for t in 1..=10u64 {
        let r = opt.step(&mut p, &mut oa).unwrap().method1.unwrap();
        assert_eq!((r.rho, r.rejected, r.next_lambda_int), (None, false, 1.0));
        // The reference step.
        let (_, g) = ob.loss_and_gradient(&q).unwrap();
        let dir: Vec<Tensor<f64>> = match &u {
            None => g,
            Some(prev) => g
                .iter()
                .zip(prev)
                .map(|(g, p)| {
                    let d = g.data().iter().zip(p.data());
                    let d = d.map(|(&g, &p)| 0.9 * p + (1.0 - 0.9) * g).collect();
                    Tensor::from_vec(g.shape().to_vec(), d).unwrap()
                })
                .collect(),
        };
        if (t - 1) % 3 == 0 {
            let s = ob.summaries(&q, &dir, &groups).unwrap();
            let sol = solve(&s.gbar, &s.hbar, &s.d3, &CubicParams::default()).unwrap();
            let raw: Vec<f64> = sol.eta.iter().map(|e| e.max(0.0)).collect();
            eta = Some(match &eta {
                None => raw,
                Some(prev) => raw
                    .iter()
                    .zip(prev)
                    .map(|(x, p)| 0.5 * p + (1.0 - 0.5) * x)
                    .collect(),
            });
        }
        let e = eta.as_ref().unwrap();
        for (i, (theta, d)) in q.iter_mut().zip(&dir).enumerate() {
            let s = groups.iter().position(|g| g.contains(&i)).unwrap();
            let c = -0.3 * e[s];
            let new = theta.data().iter().zip(d.data()).map(|(&x, &u)| x + c * u);
            *theta = Tensor::from_vec(theta.shape().to_vec(), new.collect()).unwrap();
        }
        u = Some(dir);
        assert_eq!(bits(&p), bits(&q), "step {t}");
        assert_eq!(r.eta.as_ref(), eta.as_ref(), "step {t}");
    }
    assert!(!opt.state().scalars.contains_key("lambda_int"));
}

/// Summaries that never change (a linear loss of fixed gradient with a fixed curvature model).
#[derive(Clone)]
struct Constant;

impl Oracle<f64> for Constant {
    fn loss_and_gradient(&mut self, params: &[Tensor<f64>]) -> Result<(f64, Vec<Tensor<f64>>)> {
        let g = params.iter().map(|t| t.map(|_| 0.5)).collect();
        Ok((1.0, g))
    }

    fn summaries(
        &mut self,
        _: &[Tensor<f64>],
        _: &[Tensor<f64>],
        _: &[Vec<usize>],
    ) -> Result<Summaries> {
        Ok(Summaries {
            loss: 1.0,
            gbar: vec![0.1, 0.7],
            hbar: vec![vec![0.3, 0.1], vec![0.1, 0.9]],
            d3: vec![-0.2, 0.05],
            d3_slices: None,
        })
    }
}

#[test]
fn averaging_equal_summaries_changes_nothing() {
    let (layout, params) = scalar_layout(3);
    let groups = vec![vec![0, 2], vec![1]];
    let run = |n: usize| {
        let config = Method1Config {
            summary_average: n,
            period: 2,
            ..plain()
        };
        let mut opt = Method1::new(layout.clone(), groups.clone(), config).unwrap();
        let mut p = params.clone();
        let etas: Vec<_> = (0..9)
            .map(|_| {
                opt.step(&mut p, &mut Constant)
                    .unwrap()
                    .method1
                    .unwrap()
                    .eta
            })
            .collect();
        (bits(&p), etas, opt.state())
    };
    let (one, three) = (run(1), run(3));
    assert_eq!((&one.0, &one.1), (&three.0, &three.1));
    assert_eq!(three.2.scalars["average/count"], 3.0);
    assert_eq!(three.2.tensors["average/hbar"].shape, vec![3, 2, 2]);
    assert!(!one.2.scalars.contains_key("average/count"));
}

#[test]
fn averaging_uses_the_mean_of_the_last_n_summaries() {
    // Two summaries of the polynomial at different points: the second solve uses their mean.
    let o = Poly {
        c: [-1.0, 2.0, 0.7],
        curvature_lie: 1.0,
        blow_up: false,
    };
    let (layout, params) = scalar_layout(1);
    let config = Method1Config {
        summary_average: 2,
        ..plain()
    };
    let mut opt = Method1::new(layout, vec![vec![0]], config).unwrap();
    let (mut p, mut oa) = (params.clone(), o);
    let first = report(&mut opt, &mut p, &mut oa)
        .summaries
        .unwrap()
        .summaries;
    let r = report(&mut opt, &mut p, &mut oa);
    let second = r.summaries.unwrap().summaries;
    let mean = |a: f64, b: f64| a + (b - a) / 2.0;
    let sol = solve(
        &[mean(first.gbar[0], second.gbar[0])],
        &[vec![mean(first.hbar[0][0], second.hbar[0][0])]],
        &[mean(first.d3[0], second.d3[0])],
        &CubicParams::default(),
    )
    .unwrap();
    assert_eq!(r.eta.unwrap(), vec![sol.eta[0].max(0.0)]);
}

/// Saving mid-run and restoring into a fresh optimiser continues bit for bit, `λ_int` and the averaged summaries
/// included.
#[test]
fn adaptive_state_with_averaging_restores_bit_for_bit() {
    let o = Poly {
        c: [-1.0, 10.0, 0.5],
        curvature_lie: 0.1,
        blow_up: false,
    };
    let (layout, params) = scalar_layout(3);
    let groups = vec![vec![0, 2], vec![1]];
    let config = Method1Config {
        lr: 0.8,
        period: 2,
        summary_average: 3,
        ..Method1Config::paper(2)
    }
    .adaptive();
    let new = || Method1::<f64>::new(layout.clone(), groups.clone(), config).unwrap();
    for k in [0, 1, 4, 7] {
        let (mut a, mut p, mut oa) = (new(), params.clone(), o.clone());
        for _ in 0..k {
            a.step(&mut p, &mut oa).unwrap();
        }
        let saved = a.state();
        let (mut b, mut q, mut ob) = (new(), p.clone(), oa.clone());
        b.load_state(&saved).unwrap();
        assert_eq!(b.state(), saved);
        for _ in 0..8 {
            let ra = a.step(&mut p, &mut oa).unwrap();
            let rb = b.step(&mut q, &mut ob).unwrap();
            assert_eq!(ra, rb);
            assert_eq!(bits(&p), bits(&q));
        }
        assert_eq!(a.state(), b.state());
        assert_eq!(a.lambda_int(), b.lambda_int());
    }
    // The run did adapt λ_int, and the state refuses a λ_int out of range or a paper optimiser.
    let (mut a, mut p, mut oa) = (new(), params.clone(), o);
    let lambdas: Vec<f64> = (0..6)
        .map(|_| {
            a.step(&mut p, &mut oa)
                .unwrap()
                .method1
                .unwrap()
                .next_lambda_int
        })
        .collect();
    assert!(lambdas.iter().any(|&l| l != 1.0), "{lambdas:?}");
    let mut bad = a.state();
    bad.scalars.insert("lambda_int".into(), 1e9);
    assert!(new().load_state(&bad).is_err());
    let paper = Method1Config {
        schedule: Schedule::Paper,
        ..config
    };
    let mut m = Method1::<f64>::new(layout.clone(), groups.clone(), paper).unwrap();
    assert!(m.load_state(&a.state()).is_err());
}
