//! The pieces: block split, axes, colour scale, smoothing, labels, choice of the best epoch.

use std::path::PathBuf;

use super::fixtures::RunSpec;
use crate::report::axis::{format_sig, Scale, ValueAxis};
use crate::report::hbar::best_epoch;
use crate::report::hbar::blocks::{Block, Panels};
use crate::report::hbar::symlog::SymLog;
use crate::report::series::{run_labels, running_mean, smoothing_window, thin};
use crate::report::Run;
use crate::run::records::GroupKind::{Bias, Mixed, Weight};

#[test]
fn blocks_put_weights_first_then_biases() {
    let panels = Panels::of(&[Weight, Bias, Weight, Bias, Mixed]);
    assert_eq!(
        panels,
        Panels::Split {
            weights: vec![0, 2, 4],
            biases: vec![1, 3]
        }
    );
    let blocks = panels.blocks();
    let names: Vec<&str> = blocks.iter().map(|b| b.name).collect();
    assert_eq!(names, ["weight-weight", "weight-bias", "bias-bias"]);
    assert_eq!(
        (blocks[1].rows.as_slice(), blocks[1].cols.as_slice()),
        (&[0, 2, 4][..], &[1, 3][..])
    );
    assert_eq!(
        (blocks[2].rows.as_slice(), blocks[2].cols.as_slice()),
        (&[1, 3][..], &[1, 3][..])
    );
    // Entry [r][c] of the block is entry [rows[r]][cols[c]] of the matrix.
    let m: Vec<Vec<f64>> = (0..5)
        .map(|i| (0..5).map(|j| (10 * i + j) as f64).collect())
        .collect();
    assert_eq!(
        blocks[1].extract(&m),
        [[1.0, 3.0], [21.0, 23.0], [41.0, 43.0]]
    );
}

#[test]
fn without_both_kinds_the_matrix_is_one_panel() {
    for kinds in [
        &[Weight, Weight][..],
        &[Mixed, Mixed, Mixed],
        &[Weight, Mixed],
        &[Bias, Bias],
    ] {
        let n = kinds.len();
        let panels = Panels::of(kinds);
        assert_eq!(panels, Panels::Whole((0..n).collect()), "{kinds:?}");
        let whole: Vec<usize> = (0..n).collect();
        assert_eq!(
            panels.blocks(),
            [Block {
                name: "",
                rows: whole.clone(),
                cols: whole
            }]
        );
    }
}

#[test]
fn numbers_are_short() {
    assert_eq!(format_sig(0.0, 3), "0");
    assert_eq!(format_sig(2.5, 3), "2.5");
    assert_eq!(format_sig(1000.0, 3), "1000");
    assert_eq!(format_sig(0.001, 2), "0.001");
    assert_eq!(format_sig(2.5e-5, 3), "2.5e-5");
    assert_eq!(format_sig(-3.0e7, 2), "-3e7");
    assert_eq!(format_sig(0.30000000000000004, 3), "0.3");
}

#[test]
fn axes_choose_log_only_when_it_helps() {
    let wide = ValueAxis::fit([2.3, 1.0, 0.1, 1e-3], true);
    assert_eq!(wide.scale, Scale::Log);
    assert!(wide.ticks.len() >= 3);
    assert!(wide.ticks.iter().any(|t| wide.label(*t) == "0.01"));
    // Under half a decade: linear, with round ticks.
    let narrow = ValueAxis::fit([0.30, 0.35, 0.41], true);
    assert_eq!(narrow.scale, Scale::Linear);
    let labels: Vec<String> = narrow.ticks.iter().map(|t| narrow.label(*t)).collect();
    assert!(labels.contains(&"0.34".to_string()), "{labels:?}");
    assert!(
        labels.iter().all(|l| l.len() == 4),
        "one number of decimals: {labels:?}"
    );
    // A non-positive value rules out a log axis.
    assert_eq!(ValueAxis::fit([0.0, 1.0, 100.0], true).scale, Scale::Linear);
    // A log axis under two decades still gets at least three ticks.
    let log = ValueAxis::log(0.2, 3.0);
    assert!(log.ticks.len() >= 3, "{:?}", log.ticks);
    for t in &log.ticks {
        assert!(log.range.contains(t));
    }
    // Nothing to fit: a usable axis all the same.
    assert!(
        ValueAxis::fit([f64::NAN], true).range.end > ValueAxis::fit([f64::NAN], true).range.start
    );
    assert_eq!(
        ValueAxis::fit([f64::NAN, -1.0], true).to_plot(f64::NAN),
        None
    );
}

#[test]
fn symlog_is_odd_and_monotone() {
    let scale = SymLog::fit([1e-9, -3e-4, 2.0, -50.0]);
    assert_eq!(scale.max, 50.0);
    assert!((scale.linear - 50.0e-6).abs() < 1e-18);
    assert_eq!(scale.norm(50.0), 1.0);
    assert_eq!(scale.norm(-50.0), -1.0);
    assert_eq!(scale.norm(0.0), 0.0);
    assert!(scale.norm(f64::NAN).is_nan());
    let values = [-50.0, -2.0, -3e-4, -1e-5, 0.0, 1e-5, 3e-4, 2.0, 50.0];
    for pair in values.windows(2) {
        assert!(scale.norm(pair[0]) < scale.norm(pair[1]), "{pair:?}");
    }
    for v in values {
        assert_eq!(scale.norm(-v), -scale.norm(v));
    }
    let ticks = scale.ticks(5);
    assert!(
        ticks.contains(&0.0) && ticks.contains(&10.0) && ticks.contains(&-10.0),
        "{ticks:?}"
    );
    assert!(ticks.iter().all(|t| t.abs() <= 50.0));
    // All zeros: a scale all the same.
    assert!(SymLog::fit([0.0, 0.0]).norm(0.0) == 0.0);
}

#[test]
fn running_mean_skips_missing_values() {
    assert_eq!(running_mean(&[1.0, 2.0, 3.0, 4.0], 1), [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(running_mean(&[1.0, 3.0, 5.0], 3), [2.0, 3.0, 4.0]);
    let with_nan = running_mean(&[1.0, f64::NAN, 3.0], 3);
    assert_eq!(with_nan, [1.0, 2.0, 3.0]);
    assert!(running_mean(&[f64::NAN, f64::NAN], 1)[0].is_nan());
    assert_eq!(smoothing_window(50, 10), 1);
    assert_eq!(smoothing_window(100_000, 469), 469);
    assert_eq!(smoothing_window(10_000, 469), 100);
    let thinned = thin(&(0..10_000).collect::<Vec<_>>(), 100);
    assert_eq!((thinned.len(), thinned[0], thinned[99]), (100, 0, 9999));
}

fn run_named(name: &str, optimizer: &str, dir: &str) -> Run {
    let spec = RunSpec::newton(name);
    let tmp = tempfile::tempdir().unwrap();
    super::fixtures::write_run(tmp.path(), &spec);
    let mut run = Run::load(tmp.path()).unwrap();
    run.info.optimizer = optimizer.into();
    run.dir = PathBuf::from("/runs").join(dir);
    run
}

#[test]
fn legend_labels_name_the_optimiser_and_tell_twins_apart() {
    let runs = [
        run_named("lenet", "newton", "a"),
        run_named("lenet", "newton-diag", "b"),
        run_named("lenet-adam", "adam", "c"),
        run_named("x", "sgd", "d"),
        run_named("x", "sgd", "e"),
        run_named("x", "sgd", "e"),
    ];
    assert_eq!(
        run_labels(&runs),
        [
            "lenet (newton)",
            "lenet (newton-diag)",
            "lenet-adam",
            "x [d] (sgd)",
            "x [e] (sgd)",
            "x [e] (sgd) #2",
        ]
    );
}

#[test]
fn the_best_epoch_is_the_lowest_validation_loss_with_a_snapshot() {
    let mut run = run_named("best", "newton", "a");
    assert_eq!(best_epoch(&run).map(|b| b.0), Some(2));
    // Epoch 2 has no snapshot: the best of the others.
    run.hbar_epochs = vec![0, 3, 4];
    assert_eq!(best_epoch(&run).map(|b| b.0), Some(4));
    // No validation split: the lowest train loss.
    for e in &mut run.epochs {
        e.validation = None;
    }
    let (epoch, why) = best_epoch(&run).unwrap();
    assert_eq!(epoch, 4);
    assert!(why.contains("train"), "{why}");
    // Snapshots of epochs without records: the last one.
    run.epochs.clear();
    assert_eq!(best_epoch(&run), Some((4, "last snapshot".into())));
    run.hbar_epochs.clear();
    assert_eq!(best_epoch(&run), None);
}
