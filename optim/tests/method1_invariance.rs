//! Appendix E: Method 1's trajectory is invariant under per-group affine reparameterisation `θ̃_s = α_s θ_s + β_s`
//! when the direction is a linear combination of past gradients (here the momentum `μ_g`). The model is a tiny
//! tanh MLP built on the engine; the reparameterised run differentiates through `θ = (θ̃ − β)/α`, so its gradients
//! and summaries come from the engine as well, and the cubic regularisation (`λ_int > 0`) is on.

mod common;

use common::Mlp;
use jetnewton_engine::Tensor;
use jetnewton_optim::{EtaUpdate, Method1, Method1Config, Optimizer, ParamLayout, PlateauConfig};

fn config() -> Method1Config {
    Method1Config {
        lr: 0.5,
        period: 2,
        scheduler: Some(PlateauConfig {
            period: 2,
            patience: 0,
            ..PlateauConfig::default()
        }),
        ..Method1Config::paper(1)
    }
}

/// Runs `steps` steps of Method 1 on the canonical partition; returns the parameters after each step (mapped back
/// to the original parameterisation), the losses, the step sizes η̃ and λ_t.
type Run = (Vec<Vec<Tensor<f64>>>, Vec<f64>, Vec<Vec<f64>>, Vec<f64>);

fn run(mut oracle: Mlp, init: Vec<Tensor<f64>>, steps: usize) -> Run {
    let reparam = oracle.reparam.is_some();
    let mut params = if reparam {
        oracle.to_reparam(&init)
    } else {
        init
    };
    let layout = ParamLayout::of(Mlp::names(), &params).unwrap();
    let mut m = Method1::new(layout, (0..4).map(|s| vec![s]).collect(), config()).unwrap();
    let (mut path, mut losses, mut etas, mut lrs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for t in 0..steps {
        let r = m.step(&mut params, &mut oracle).unwrap();
        let m1 = r.method1.unwrap();
        if let Some(s) = &m1.summaries {
            assert!(
                matches!(s.update, EtaUpdate::Solved(_)),
                "step {t}: {:?}",
                s.update
            );
        }
        losses.push(r.loss);
        lrs.push(r.lr);
        etas.push(m1.eta.unwrap());
        path.push(if reparam {
            oracle.back_from_reparam(&params)
        } else {
            params.clone()
        });
    }
    (path, losses, etas, lrs)
}

#[test]
fn trajectory_is_invariant_under_per_group_affine_maps() {
    let base = Mlp::new((3, 5, 3), 40, 10, 7);
    let init = base.init(11);
    let alpha = vec![0.3, -2.5, 4.0, 0.7];
    let beta = vec![0.1, -0.4, 1.3, 0.0];
    let tilde = Mlp {
        reparam: Some((alpha.clone(), beta)),
        ..base.clone()
    };
    let steps = 16;
    let (path, losses, etas, lrs) = run(base, init.clone(), steps);
    let (path_t, losses_t, etas_t, lrs_t) = run(tilde, init, steps);
    // Rounding differs between the two parameterisations at every op (the shift and scale in the graph, the
    // summaries' magnitudes scale by α_s⁻⁴), so the runs drift apart by a few ulp per step, amplified by the
    // steps' sensitivity: measured 2e-15 after one step, 1e-11 after 16. 1e-9 leaves two orders of margin.
    for t in 0..steps {
        let diff = path[t]
            .iter()
            .zip(&path_t[t])
            .map(|(a, b)| a.max_abs_diff(b))
            .fold(0.0, f64::max);
        assert!(diff < 1e-9, "step {t}: parameters differ by {diff}");
        assert!(
            (losses[t] - losses_t[t]).abs() < 1e-9 * losses[t].abs().max(1.0),
            "step {t}: losses"
        );
        // The step sizes transform as η̃_s = α_s² η_s (appendix E).
        for s in 0..4 {
            let want = alpha[s] * alpha[s] * etas[t][s];
            assert!(
                (etas_t[t][s] - want).abs() <= 1e-9 * want.abs().max(1e-12),
                "step {t}, group {s}: {} vs {want}",
                etas_t[t][s]
            );
        }
    }
    // The run did train, and the scheduler acted the same way in both.
    assert!(losses[steps - 1] < losses[0], "{losses:?}");
    assert_eq!(lrs, lrs_t);
    assert!(
        lrs[steps - 1] < lrs[0],
        "the scheduler never reduced λ: {lrs:?}"
    );
}
