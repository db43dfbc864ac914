//! The guard against injected faults: NaN losses and summaries, finite blow-ups, a singular `hbar`.

use jetnewton_engine::summaries::Summaries;
use jetnewton_nets::data::{synthetic, Dataset, MinibatchSampler};
use jetnewton_nets::{Model, PartitionSpec};
use jetnewton_optim::{Method1, Method1Config, OptimResult};

use super::*;
use crate::oracle::ModelOracle;

/// Where to inject a NaN.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    Loss,
    Hbar,
    D3,
    /// A finite loss far above the start.
    BlowUp,
    /// Group 1 gets a zero row and column in hbar and a zero d3 while its gbar stays: no step size helps.
    Singular,
}

/// A model oracle that corrupts its answer at chosen calls.
struct Faulty<'d> {
    inner: ModelOracle<'d>,
    fault: Fault,
    /// Calls (of the faulted kind, from 0) that are corrupted.
    at: Vec<usize>,
    calls: usize,
}

impl Oracle<f64> for Faulty<'_> {
    fn loss_and_gradient(&mut self, p: &[Tensor<f64>]) -> OptimResult<(f64, Vec<Tensor<f64>>)> {
        let (mut loss, g) = self.inner.loss_and_gradient(p)?;
        if matches!(self.fault, Fault::Loss | Fault::BlowUp) {
            if self.at.contains(&self.calls) {
                loss = if self.fault == Fault::Loss {
                    f64::NAN
                } else {
                    1e6 * loss
                };
            }
            self.calls += 1;
        }
        Ok((loss, g))
    }

    fn summaries(
        &mut self,
        p: &[Tensor<f64>],
        u: &[Tensor<f64>],
        groups: &[Vec<usize>],
    ) -> OptimResult<Summaries> {
        let mut s = self.inner.summaries(p, u, groups)?;
        if !matches!(self.fault, Fault::Loss | Fault::BlowUp) {
            if self.at.contains(&self.calls) {
                match self.fault {
                    Fault::Hbar => s.hbar[0][1] = f64::NAN,
                    Fault::Singular => {
                        for row in s.hbar.iter_mut() {
                            row[1] = 0.0;
                        }
                        s.hbar[1].iter_mut().for_each(|v| *v = 0.0);
                        s.d3[1] = 0.0;
                        s.gbar[1] = 1.0;
                    }
                    _ => s.d3[1] = f64::INFINITY,
                }
            }
            self.calls += 1;
        }
        Ok(s)
    }
}

fn setup(data: &Dataset, fault: Fault, at: Vec<usize>) -> (Faulty<'_>, Method1<f64>) {
    let model = Model::from_spec("mlp:6-8-3:tanh").unwrap();
    let d_g = MinibatchSampler::new(data.len(), 20, 1).unwrap();
    let d_newt = MinibatchSampler::new(data.len(), 100, 2).unwrap();
    let inner = ModelOracle::new(model, data, d_g, d_newt).unwrap();
    let groups = inner.groups(&PartitionSpec::Canonical).unwrap();
    let mut config = Method1Config::paper(inner.steps_per_epoch());
    config.period = 2;
    let opt = Method1::new(inner.layout(), groups, config).unwrap();
    let oracle = Faulty {
        inner,
        fault,
        at,
        calls: 0,
    };
    (oracle, opt)
}

fn guard(max_rejections: usize) -> Guard<f64> {
    Guard::new(
        GuardConfig {
            max_rejections,
            ..GuardConfig::default()
        },
        None,
        0,
        0,
    )
}

/// Runs `steps` guarded steps; returns the verdicts' rejection flags and the parameters after each step.
fn run(
    oracle: &mut Faulty<'_>,
    opt: &mut Method1<f64>,
    g: &mut Guard<f64>,
    steps: u64,
) -> Vec<(bool, bool, Vec<Tensor<f64>>, f64)> {
    let mut params = oracle.inner.initial_params::<f64>(0);
    (1..=steps)
        .map(|_| {
            let v = g.step(opt, &mut params, oracle).unwrap();
            let (rejected, give_up) = match v {
                Verdict::Accepted(_) => (false, false),
                Verdict::Rejected { give_up, .. } => (true, give_up),
            };
            (rejected, give_up, params.clone(), opt.lr())
        })
        .collect()
}

#[test]
fn a_nan_batch_is_rejected_without_moving_and_shrinks_the_step() {
    let data = synthetic(200, &[6], 3, 0).unwrap();
    let (mut oracle, mut opt) = setup(&data, Fault::Loss, vec![4]);
    let mut g = guard(3);
    let out = run(&mut oracle, &mut opt, &mut g, 8);
    let flags: Vec<bool> = out.iter().map(|o| o.0).collect();
    assert_eq!(
        flags,
        [false, false, false, false, true, false, false, false]
    );
    // The rejected step is rolled back to the snapshot taken before step 1 (SNAPSHOT_EVERY = 10): the
    // parameters are the initial ones again, and λ is halved.
    let initial = oracle.inner.initial_params::<f64>(0);
    assert_eq!(out[4].2, initial);
    assert_eq!(out[4].3, 0.1 * 0.5);
    assert!(out
        .iter()
        .all(|o| o.2.iter().all(|t| t.data().iter().all(|v| v.is_finite()))));
}

#[test]
fn nan_in_hbar_or_d3_is_rejected_and_rolled_back() {
    for fault in [Fault::Hbar, Fault::D3] {
        let data = synthetic(200, &[6], 3, 0).unwrap();
        // The summaries are computed at steps 1, 3, 5, …: the third computation (step 5) is corrupted.
        let (mut oracle, mut opt) = setup(&data, fault, vec![2]);
        let mut g = guard(3);
        let out = run(&mut oracle, &mut opt, &mut g, 6);
        let flags: Vec<bool> = out.iter().map(|o| o.0).collect();
        assert_eq!(flags, [false, false, false, false, true, false]);
        assert_eq!(out[4].2, oracle.inner.initial_params::<f64>(0));
        assert_eq!(out[4].3, 0.05);
    }
}

#[test]
fn consecutive_rejections_give_up_after_the_limit() {
    let data = synthetic(200, &[6], 3, 0).unwrap();
    let (mut oracle, mut opt) = setup(&data, Fault::Loss, vec![2, 3, 4]);
    let mut g = guard(3);
    let out = run(&mut oracle, &mut opt, &mut g, 5);
    let flags: Vec<(bool, bool)> = out.iter().map(|o| (o.0, o.1)).collect();
    assert_eq!(
        flags,
        [
            (false, false),
            (false, false),
            (true, false),
            (true, false),
            (true, true)
        ]
    );
    // λ shrinks by the factor for each consecutive rejection: 0.1 · 0.5³.
    assert_eq!(out[4].3, 0.1 * 0.125);
}

#[test]
fn a_finite_blow_up_rolls_back_past_the_blown_up_state() {
    let data = synthetic(200, &[6], 3, 0).unwrap();
    // The 11th loss (step 11) is a million times too large. Step 11 starts with 10 accepted steps behind it,
    // so it refreshes the snapshot with the very parameters whose loss blew up: the guard must not trust it,
    // and rolls back to the snapshot before step 1.
    let (mut oracle, mut opt) = setup(&data, Fault::BlowUp, vec![10]);
    let mut g = guard(3);
    let out = run(&mut oracle, &mut opt, &mut g, 12);
    let flags: Vec<bool> = out.iter().map(|o| o.0).collect();
    assert_eq!(flags.iter().filter(|f| **f).count(), 1);
    assert!(flags[10]);
    assert_eq!(out[10].2, oracle.inner.initial_params::<f64>(0));
    assert!(g.start_loss().is_some_and(|l| l.is_finite() && l < 10.0));
}

#[test]
fn a_singular_hbar_at_every_retry_stalls_instead_of_diverging() {
    let data = synthetic(200, &[6], 3, 0).unwrap();
    let (mut oracle, mut opt) = setup(&data, Fault::Singular, (0..20).collect());
    let mut params = oracle.inner.initial_params::<f64>(0);
    let mut g = guard(3);
    let mut last = None;
    for _ in 0..3 {
        last = Some(g.step(&mut opt, &mut params, &mut oracle).unwrap());
    }
    match last.unwrap() {
        Verdict::Rejected {
            give_up,
            stalled,
            reason,
            ..
        } => {
            assert!(give_up && stalled, "{reason}");
            assert!(reason.contains("solver failed"), "{reason}");
        }
        Verdict::Accepted(_) => panic!("a singular hbar was accepted"),
    }
    assert_eq!(params, oracle.inner.initial_params::<f64>(0));
}
