//! Saving an optimiser's state after `k` steps, restoring it into a fresh optimiser and continuing gives the same
//! parameters, bit for bit, as the uninterrupted run (with the oracle's own state restored too: here a clone).

mod common;

use common::kfac::LinearKfac;
use common::Mlp;
use jetnewton_engine::summaries::Summaries;
use jetnewton_engine::{Float, Tensor};
use jetnewton_optim::{
    Adam, AdamConfig, Kfac, KfacConfig, Method1, Method1Config, OptimError, Optimizer,
    OptimizerState, Oracle, ParamLayout, PlateauConfig, Sgd, SgdConfig,
};
use proptest::prelude::*;

/// Bit patterns of every parameter.
fn bits<F: Float>(params: &[Tensor<F>]) -> Vec<u64> {
    params
        .iter()
        .flat_map(|t| t.data().iter().map(|v| v.to_f64_lossless().to_bits()))
        .collect()
}

/// Runs `total` steps straight, and `k` steps + save + restore into `fresh()` + `total − k` steps; both must
/// agree bit for bit, and so must their final states.
fn check_resume<F: Float, O: Oracle<F> + Clone>(
    fresh: impl Fn() -> Box<dyn Optimizer<F>>,
    oracle: O,
    init: Vec<Tensor<F>>,
    k: usize,
    total: usize,
) -> std::result::Result<(), TestCaseError> {
    let (mut straight, mut o1, mut p1) = (fresh(), oracle, init);
    let mut saved: Option<(OptimizerState, O, Vec<Tensor<F>>)> = None;
    for t in 0..total {
        if t == k {
            saved = Some((straight.state(), o1.clone(), p1.clone()));
        }
        straight.step(&mut p1, &mut o1).unwrap();
    }
    let (state, mut o2, mut p2) =
        saved.unwrap_or_else(|| (straight.state(), o1.clone(), p1.clone()));
    let mut resumed = fresh();
    resumed.load_state(&state).unwrap();
    for _ in k.min(total)..total {
        resumed.step(&mut p2, &mut o2).unwrap();
    }
    prop_assert_eq!(bits(&p1), bits(&p2));
    prop_assert_eq!(straight.state(), resumed.state());
    Ok(())
}

/// `L(θ) = Σ ½ c_i θ_i²` with seeded gradient noise drawn from the call count, generic over the precision.
#[derive(Clone)]
struct NoisyBowl {
    calls: u64,
}

impl<F: Float> Oracle<F> for NoisyBowl {
    fn loss_and_gradient(
        &mut self,
        params: &[Tensor<F>],
    ) -> jetnewton_optim::OptimResult<(f64, Vec<Tensor<F>>)> {
        self.calls += 1;
        let c = self.calls as f64;
        let loss = params.iter().map(|t| 0.5 * t.norm_f64().powi(2)).sum();
        let grads = params
            .iter()
            .map(|t| t.map(|x| x * F::of(1.5) + F::of(0.1 * (c * 1.7).sin())))
            .collect();
        Ok((loss, grads))
    }

    fn summaries(
        &mut self,
        _: &[Tensor<F>],
        _: &[Tensor<F>],
        _: &[Vec<usize>],
    ) -> jetnewton_optim::OptimResult<Summaries> {
        Err(OptimError::InvalidGroups {
            reason: "no summaries".into(),
        })
    }
}

fn bowl_init<F: Float>() -> (ParamLayout, Vec<Tensor<F>>) {
    let p = vec![
        Tensor::from_vec(
            vec![2, 2],
            vec![1.0, -2.0, 0.5, 3.0].into_iter().map(F::of).collect(),
        )
        .unwrap(),
        Tensor::from_vec(
            vec![3],
            vec![0.25, -0.75, 2.0].into_iter().map(F::of).collect(),
        )
        .unwrap(),
    ];
    (
        ParamLayout::of(vec!["w".into(), "b".into()], &p).unwrap(),
        p,
    )
}

fn method1_config() -> Method1Config {
    Method1Config {
        lr: 0.3,
        period: 3,
        scheduler: Some(PlateauConfig {
            period: 2,
            patience: 0,
            ..PlateauConfig::default()
        }),
        ..Method1Config::paper(1)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn method1_resumes_bit_for_bit(k in 0usize..14) {
        let oracle = Mlp::new((3, 5, 3), 40, 10, 1);
        let init = oracle.init(2);
        let layout = ParamLayout::of(Mlp::names(), &init).unwrap();
        let fresh = || -> Box<dyn Optimizer<f64>> {
            Box::new(Method1::new(layout.clone(), vec![vec![0, 2], vec![1], vec![3]], method1_config()).unwrap())
        };
        check_resume(fresh, oracle, init, k, 13)?;
    }

    #[test]
    fn sgd_and_adam_resume_bit_for_bit_in_both_precisions(k in 0usize..8) {
        let sgd = SgdConfig { lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.01, ..SgdConfig::default() };
        let adam = AdamConfig { lr: 0.05, weight_decay: 0.01, ..AdamConfig::default() };
        let (l64, p64) = bowl_init::<f64>();
        check_resume(|| Box::new(Sgd::<f64>::new(l64.clone(), sgd).unwrap()), NoisyBowl { calls: 0 }, p64.clone(), k, 7)?;
        check_resume(|| Box::new(Adam::<f64>::new(l64.clone(), adam).unwrap()), NoisyBowl { calls: 0 }, p64, k, 7)?;
        let (l32, p32) = bowl_init::<f32>();
        check_resume(|| Box::new(Sgd::<f32>::new(l32.clone(), sgd).unwrap()), NoisyBowl { calls: 0 }, p32.clone(), k, 7)?;
        check_resume(|| Box::new(Adam::<f32>::new(l32.clone(), adam).unwrap()), NoisyBowl { calls: 0 }, p32, k, 7)?;
    }
}

/// K-FAC with factors every 2 steps and decompositions every 3, so that resuming at any step lands between
/// the two in every combination.
fn kfac_config() -> KfacConfig {
    KfacConfig {
        lr: 0.05,
        damping: 0.1,
        weight_decay: 0.01,
        t_cov: 2,
        t_inv: 3,
        ..KfacConfig::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn kfac_resumes_bit_for_bit_in_both_precisions(k in 0usize..11) {
        let cfg = kfac_config();
        let (l64, p64) = LinearKfac::init::<f64>();
        check_resume(|| Box::new(Kfac::<f64>::new(l64.clone(), cfg).unwrap()), LinearKfac::default(), p64, k, 10)?;
        let (l32, p32) = LinearKfac::init::<f32>();
        check_resume(|| Box::new(Kfac::<f32>::new(l32.clone(), cfg).unwrap()), LinearKfac::default(), p32, k, 10)?;
    }
}

#[test]
fn mismatched_kfac_states_are_refused_and_change_nothing() {
    let (layout, init) = LinearKfac::init::<f64>();
    let mut kfac = Kfac::<f64>::new(layout.clone(), kfac_config()).unwrap();
    let (mut o, mut p) = (LinearKfac::default(), init);
    for _ in 0..4 {
        kfac.step(&mut p, &mut o).unwrap();
    }
    let state = kfac.state();
    assert_eq!(state.tensors["factor_a/0.weight"].shape, [4, 4]);
    assert_eq!(state.tensors["eigenvectors_g/0.weight"].shape, [2, 2]);
    assert_eq!(state.scalars["bias/0.weight"], 1.0);

    let fresh = || Kfac::<f64>::new(layout.clone(), kfac_config()).unwrap();
    let untouched = fresh().state();
    let mut broken = Vec::new();
    let mut missing = state.clone();
    missing.tensors.remove("eigenvectors_a/0.weight");
    broken.push((missing, "eigenvectors_a/0.weight"));
    let mut unknown = state.clone();
    let a = unknown.tensors["factor_a/0.weight"].clone();
    unknown.tensors.insert("factor_a/1.weight".into(), a);
    broken.push((unknown, "unknown weight `1.weight`"));
    let mut no_bias = state.clone();
    no_bias.scalars.remove("bias/0.weight");
    broken.push((no_bias, "expected [3, 3]"));
    let mut bad_bias = state.clone();
    bad_bias.scalars.insert("bias/0.weight".into(), 2.0);
    broken.push((bad_bias, "does not fit"));
    for (bad, why) in broken {
        let mut k = fresh();
        let err = k.load_state(&bad).unwrap_err();
        assert!(
            matches!(err, OptimError::State { .. }) && err.to_string().contains(why),
            "{err}"
        );
        assert_eq!(k.state(), untouched);
    }
    // Without momentum there are no buffers to restore, so a state holding them is refused.
    let mut plain = Kfac::<f64>::new(
        layout,
        KfacConfig {
            momentum: 0.0,
            ..kfac_config()
        },
    )
    .unwrap();
    let err = plain.load_state(&state).unwrap_err().to_string();
    assert!(err.contains("unexpected tensor momentum_buffer/"), "{err}");
}

#[test]
fn mismatched_states_are_refused_and_change_nothing() {
    let oracle = Mlp::new((3, 5, 3), 40, 10, 1);
    let init = oracle.init(2);
    let layout = ParamLayout::of(Mlp::names(), &init).unwrap();
    let groups = vec![vec![0, 2], vec![1], vec![3]];
    let mut m = Method1::<f64>::new(layout.clone(), groups.clone(), method1_config()).unwrap();
    let (mut o, mut p) = (oracle, init.clone());
    for _ in 0..4 {
        m.step(&mut p, &mut o).unwrap();
    }
    let state = m.state();
    assert!(state.tensors.contains_key("direction/0.weight") && state.tensors["eta"].shape == [3]);
    assert_eq!(state.scalars["step"], 4.0);

    // Another partition (η of another length), another kind, a missing entry: refused, nothing changed.
    let mut other =
        Method1::<f64>::new(layout.clone(), vec![vec![0, 1, 2, 3]], method1_config()).unwrap();
    let before = other.state();
    let err = other.load_state(&state).unwrap_err();
    assert!(matches!(err, OptimError::State { .. }), "{err}");
    assert_eq!(other.state(), before);
    let mut adam = Adam::<f64>::new(layout.clone(), AdamConfig::default()).unwrap();
    assert!(adam
        .load_state(&state)
        .unwrap_err()
        .to_string()
        .contains("written by `method1`"));
    let mut missing = state.clone();
    missing.tensors.remove("direction/1.bias");
    let mut fresh = Method1::<f64>::new(layout.clone(), groups.clone(), method1_config()).unwrap();
    assert!(fresh.load_state(&missing).is_err());
    assert_eq!(
        fresh.state(),
        Method1::<f64>::new(layout.clone(), groups.clone(), method1_config())
            .unwrap()
            .state()
    );
    // Without a scheduler, a state holding one is refused.
    let mut no_sched = Method1::<f64>::new(
        layout,
        groups,
        Method1Config {
            scheduler: None,
            ..method1_config()
        },
    )
    .unwrap();
    assert!(no_sched
        .load_state(&state)
        .unwrap_err()
        .to_string()
        .contains("unexpected scalar scheduler/"));
}
