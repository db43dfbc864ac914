//! What Method 1 does when the summaries are unusable or the oracle misbehaves: never a NaN step, never a silent
//! change of state on an error.

mod common;

use common::{flatten, scalars, Quadratic};
use jetnewton_engine::summaries::Summaries;
use jetnewton_engine::Tensor;
use jetnewton_optim::solver::SolveError;
use jetnewton_optim::{
    EtaUpdate, Method1, Method1Config, OptimError, OptimResult as Result, Optimizer, Oracle,
};

/// A quadratic whose `n`-th summaries (from 1) or gradients are tampered with by `edit`.
struct Tampered<E> {
    inner: Quadratic,
    summaries_calls: usize,
    edit: E,
    nan_gradient: bool,
}

impl<E: FnMut(usize, &mut Summaries)> Oracle<f64> for Tampered<E> {
    fn loss_and_gradient(&mut self, params: &[Tensor<f64>]) -> Result<(f64, Vec<Tensor<f64>>)> {
        let (l, mut g) = self.inner.loss_and_gradient(params)?;
        if self.nan_gradient {
            g[1] = Tensor::scalar(f64::NAN);
        }
        Ok((l, g))
    }

    fn summaries(
        &mut self,
        p: &[Tensor<f64>],
        d: &[Tensor<f64>],
        groups: &[Vec<usize>],
    ) -> Result<Summaries> {
        self.summaries_calls += 1;
        let mut s = self.inner.summaries(p, d, groups)?;
        (self.edit)(self.summaries_calls, &mut s);
        Ok(s)
    }
}

fn setup<E: FnMut(usize, &mut Summaries)>(
    edit: E,
) -> (Method1<f64>, Vec<Tensor<f64>>, Tampered<E>) {
    let a = vec![
        vec![2.0, 0.5, 0.0],
        vec![0.5, 1.0, 0.2],
        vec![0.0, 0.2, 3.0],
    ];
    let inner = Quadratic::new(a, vec![1.0, -1.0, 0.5]);
    let (layout, params) = scalars(&[0.3, 0.7, -0.4]);
    let config = Method1Config {
        lr: 0.5,
        period: 1,
        scheduler: None,
        ..Method1Config::paper(1)
    };
    let m = Method1::new(layout, vec![vec![0, 1], vec![2]], config).unwrap();
    (
        m,
        params,
        Tampered {
            inner,
            summaries_calls: 0,
            edit,
            nan_gradient: false,
        },
    )
}

#[test]
fn non_finite_summaries_keep_the_previous_step_sizes() {
    let (mut m, mut params, mut oracle) = setup(|n, s: &mut Summaries| {
        if n == 2 {
            s.hbar[0][1] = f64::NAN;
        }
    });
    let first = m.step(&mut params, &mut oracle).unwrap().method1.unwrap();
    let eta1 = first.eta.clone().unwrap();
    assert!(!first.eta_kept() && first.recomputed());
    let before = flatten(&params);
    let second = m.step(&mut params, &mut oracle).unwrap().method1.unwrap();
    assert!(second.eta_kept());
    assert!(matches!(
        second.summaries.unwrap().update,
        EtaUpdate::NonFiniteSummaries
    ));
    assert_eq!(second.eta.unwrap(), eta1, "the previous η̃ is used");
    let after = flatten(&params);
    assert!(
        after.iter().all(|v| v.is_finite()) && after != before,
        "{after:?}"
    );
}

#[test]
fn a_solver_failure_at_the_first_step_leaves_the_parameters_and_retries() {
    // λ_int = 0 and an indefinite hbar: the quadratic model has no minimiser.
    let (m, mut params, mut oracle) = setup(|n, s: &mut Summaries| {
        if n == 1 {
            s.hbar[1][1] = -s.hbar[1][1];
        }
    });
    let mut m = Method1::new(
        m.layout().clone(),
        m.groups().to_vec(),
        m.config().no_regularisation(),
    )
    .unwrap();
    let before = flatten(&params);
    let r = m.step(&mut params, &mut oracle).unwrap().method1.unwrap();
    let update = r.summaries.as_ref().unwrap().update.clone();
    assert!(
        matches!(
            update,
            EtaUpdate::SolverFailed(SolveError::NotPositiveDefinite { .. })
        ),
        "{update:?}"
    );
    assert!(r.eta.is_none() && m.eta().is_none());
    assert_eq!(flatten(&params), before, "no η̃ yet: no move");
    // The next step recomputes (η̃ is still undefined), succeeds and moves.
    let r = m.step(&mut params, &mut oracle).unwrap().method1.unwrap();
    assert!(r.recomputed() && !r.eta_kept() && r.eta.is_some());
    assert_ne!(flatten(&params), before);
}

#[test]
fn oracle_errors_change_nothing() {
    let (mut m, mut params, mut oracle) = setup(|n, s: &mut Summaries| {
        if n == 2 {
            s.d3.pop();
        }
    });
    m.step(&mut params, &mut oracle).unwrap();
    let (state, before) = (m.state(), params.clone());
    let err = m.step(&mut params, &mut oracle).unwrap_err();
    assert!(
        matches!(
            err,
            OptimError::SummariesShape {
                what: "d3",
                expected: 2,
                found: 1
            }
        ),
        "{err}"
    );
    assert_eq!((m.state(), &params), (state.clone(), &before));

    oracle.nan_gradient = true;
    let err = m.step(&mut params, &mut oracle).unwrap_err();
    assert!(
        err.to_string()
            .contains("non-finite gradient (parameter `θ1`)"),
        "{err}"
    );
    assert_eq!((m.state(), &params), (state, &before));

    // Parameters that do not follow the layout.
    let err = m.step(&mut params[..2], &mut oracle).unwrap_err();
    assert!(
        matches!(
            err,
            OptimError::TensorCount {
                expected: 3,
                found: 2,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn groups_must_partition_the_parameters() {
    let (layout, _) = scalars(&[1.0, 2.0]);
    let config = Method1Config::paper(10);
    assert!(Method1::<f64>::new(layout.clone(), vec![vec![0]], config).is_err());
    assert!(Method1::<f64>::new(layout.clone(), vec![vec![0, 1], vec![1]], config).is_err());
    assert!(Method1::<f64>::new(layout, vec![vec![1], vec![0]], config).is_ok());
}

#[test]
fn an_oracle_the_adaptive_schedule_cannot_use_is_refused_at_the_first_step() {
    // `Tampered` answers the gradient and the summaries only, not the loss on the last summaries' minibatch that
    // the adaptive schedule asks for at the end of each period.
    let (m, mut params, mut oracle) = setup(|_, _: &mut Summaries| {});
    let config = m.config().adaptive();
    let mut m = Method1::new(m.layout().clone(), m.groups().to_vec(), config).unwrap();
    let before = flatten(&params);
    match m.step(&mut params, &mut oracle) {
        Err(OptimError::OracleCannot { request, .. }) => {
            assert!(request.contains("last summaries"), "{request}")
        }
        other => panic!("expected OracleCannot at step 1, got {other:?}"),
    }
    assert_eq!(
        flatten(&params),
        before,
        "the refused step moved the parameters"
    );
    assert_eq!(m.steps(), 0);
    // The same oracle serves the paper's schedule, which never asks for that loss.
    let (mut paper, mut params, mut oracle) = setup(|_, _: &mut Summaries| {});
    for _ in 0..12 {
        paper.step(&mut params, &mut oracle).unwrap();
    }
}
