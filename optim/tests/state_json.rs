//! Every optimiser's state survives JSON: state → `serde_json` text → state → `load_state` into a fresh optimiser
//! → continuing gives the same parameters, bit for bit, as the uninterrupted run.

mod common;

use common::kfac::LinearKfac;
use common::Mlp;
use jetnewton_engine::{Float, Tensor};
use jetnewton_optim::{
    Adam, AdamConfig, Kfac, KfacConfig, Method1, Method1Config, Optimizer, OptimizerState, Oracle,
    ParamLayout, PlateauConfig, Sgd, SgdConfig,
};

fn bits<F: Float>(params: &[Tensor<F>]) -> Vec<u64> {
    params
        .iter()
        .flat_map(|t| t.data().iter().map(|v| v.to_f64_lossless().to_bits()))
        .collect()
}

/// Runs `total` steps straight; and `k` steps, a JSON round trip of the state into `fresh()`, `total − k` steps.
fn check_json<F: Float, O: Oracle<F> + Clone>(
    kind: &str,
    fresh: impl Fn() -> Box<dyn Optimizer<F>>,
    oracle: O,
    init: Vec<Tensor<F>>,
    k: usize,
    total: usize,
) {
    let (mut straight, mut o1, mut p1) = (fresh(), oracle, init);
    let mut saved = None;
    for t in 0..total {
        if t == k {
            let json = serde_json::to_string(&straight.state()).unwrap();
            saved = Some((json, o1.clone(), p1.clone()));
        }
        straight.step(&mut p1, &mut o1).unwrap();
    }
    let (json, mut o2, mut p2) = saved.unwrap();
    let state: OptimizerState = serde_json::from_str(&json).unwrap();
    assert_eq!(state.kind, kind);
    let mut resumed = fresh();
    resumed.load_state(&state).unwrap();
    for _ in k..total {
        resumed.step(&mut p2, &mut o2).unwrap();
    }
    assert_eq!(bits(&p1), bits(&p2), "{kind}, resumed at step {k}");
    assert_eq!(
        straight.state(),
        resumed.state(),
        "{kind}, resumed at step {k}"
    );
}

#[test]
fn sgd_adam_method1_and_kfac_states_survive_json() {
    let mlp = Mlp::new((3, 5, 3), 40, 10, 1);
    let init = mlp.init(2);
    let layout = ParamLayout::of(Mlp::names(), &init).unwrap();
    let sgd = SgdConfig {
        lr: 0.05,
        momentum: 0.9,
        nesterov: true,
        ..SgdConfig::default()
    };
    let adam = AdamConfig {
        lr: 0.05,
        weight_decay: 0.01,
        ..AdamConfig::default()
    };
    let method1 = Method1Config {
        period: 3,
        scheduler: Some(PlateauConfig {
            period: 2,
            patience: 0,
            ..PlateauConfig::default()
        }),
        ..Method1Config::paper(1)
    };
    let kfac = KfacConfig {
        lr: 0.05,
        damping: 0.1,
        t_cov: 2,
        t_inv: 3,
        ..KfacConfig::default()
    };
    let (kl64, kp64) = LinearKfac::init::<f64>();
    let (kl32, kp32) = LinearKfac::init::<f32>();
    // Resuming before any step, between factor updates and decompositions, and right after each.
    for k in [0, 1, 2, 3, 5] {
        let l = layout.clone();
        check_json(
            "sgd",
            || Box::new(Sgd::<f64>::new(l.clone(), sgd).unwrap()),
            mlp.clone(),
            init.clone(),
            k,
            7,
        );
        check_json(
            "adam",
            || Box::new(Adam::<f64>::new(l.clone(), adam).unwrap()),
            mlp.clone(),
            init.clone(),
            k,
            7,
        );
        let groups = vec![vec![0, 2], vec![1], vec![3]];
        let m1 = || -> Box<dyn Optimizer<f64>> {
            Box::new(Method1::<f64>::new(l.clone(), groups.clone(), method1).unwrap())
        };
        check_json("method1", m1, mlp.clone(), init.clone(), k, 7);
        let fresh64 = || -> Box<dyn Optimizer<f64>> {
            Box::new(Kfac::<f64>::new(kl64.clone(), kfac).unwrap())
        };
        check_json("kfac", fresh64, LinearKfac::default(), kp64.clone(), k, 7);
        let fresh32 = || -> Box<dyn Optimizer<f32>> {
            Box::new(Kfac::<f32>::new(kl32.clone(), kfac).unwrap())
        };
        check_json("kfac", fresh32, LinearKfac::default(), kp32.clone(), k, 7);
    }
}
