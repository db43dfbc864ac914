//! The config's defaults, files, `--set` and checks.

use super::*;
use crate::resources::MAX_THREADS;

#[test]
fn the_written_config_reads_back_equal() {
    let mut c = TrainConfig {
        name: Some("Method 1, chunks-5".into()),
        steps: Some(40),
        ..TrainConfig::default()
    };
    c.newton.lambda_int = 10.0;
    assert_eq!(TrainConfig::from_toml(&c.to_toml()).unwrap(), c);
    assert_eq!(c.run_slug(), "method-1-chunks-5");
    for (name, slug) in [
        (".", "run"),
        ("..", "run"),
        ("../x", "x"),
        (".hidden", "hidden"),
        ("a/..", "a-.."),
    ] {
        c.name = Some(name.into());
        assert_eq!(c.run_slug(), slug, "{name}");
    }
}

#[test]
fn set_overrides_any_key_and_refuses_unknown_ones() {
    let mut c = TrainConfig::default();
    c.set("newton.eta_momentum=0.3").unwrap();
    assert_eq!(c.newton.schedule, ScheduleKind::Paper);
    c.set("newton.schedule=adaptive").unwrap();
    c.set("newton.summary_average=3").unwrap();
    assert_eq!(
        (c.newton.schedule, c.newton.summary_average),
        (ScheduleKind::Adaptive, 3)
    );
    c.set("newton.schedule=adaptive-damping").unwrap();
    assert_eq!(c.newton.schedule, ScheduleKind::AdaptiveDamping);
    c.set("newton.schedule=adaptive").unwrap();
    c.set("optimizer = adam").unwrap();
    c.set("epochs=7").unwrap();
    c.set("name=my run").unwrap();
    assert_eq!(c.newton.eta_momentum, 0.3);
    assert_eq!(c.optimizer, OptimizerKind::Adam);
    assert_eq!((c.epochs, c.name.as_deref()), (7, Some("my run")));
    for bad in [
        "newton.nosuch=1",
        "nosuch.lr=1",
        "epochs=three",
        "epochs",
        "model.x=1",
        "newton.schedule=sometimes",
    ] {
        let before = c.clone();
        assert!(c.set(bad).is_err(), "{bad}");
        assert_eq!(c, before, "{bad} changed the config");
    }
}

#[test]
fn unknown_keys_and_bad_values_are_named() {
    let e = TrainConfig::from_toml("epochs = 1\nlearnig_rate = 2\n").unwrap_err();
    assert!(e.contains("learnig_rate") && e.contains("line 2"), "{e}");
    let e = TrainConfig::from_toml("[adam]\nlr = \"fast\"\n").unwrap_err();
    assert!(e.contains("lr"), "{e}");
    for (key, c) in [
        (
            "batch_size",
            TrainConfig {
                batch_size: 0,
                ..TrainConfig::default()
            },
        ),
        (
            "threads",
            TrainConfig {
                threads: Some(0),
                ..TrainConfig::default()
            },
        ),
        (
            "validation_fraction",
            TrainConfig {
                validation_fraction: 0.95,
                ..TrainConfig::default()
            },
        ),
    ] {
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains(key), "{e}");
    }
}

#[test]
fn total_steps_are_checked_and_epochs_bounded() {
    let c = |epochs, steps| TrainConfig {
        epochs,
        steps,
        ..TrainConfig::default()
    };
    assert_eq!(c(3, None).total_steps(7).unwrap(), 21);
    assert_eq!(c(3, Some(5)).total_steps(7).unwrap(), 5);
    assert_eq!(c(0, Some(5)).total_steps(7).unwrap(), 5);
    let e = c(usize::MAX, None).total_steps(2).unwrap_err().to_string();
    assert!(e.contains("`epochs`"), "{e}");
    let e = c(1 << 62, Some(3)).total_steps(16).unwrap_err().to_string();
    assert!(e.contains("`epochs`"), "{e}");
    for epochs in [usize::MAX, 1 << 62] {
        let e = c(epochs, None).validate().unwrap_err().to_string();
        assert!(e.contains("`epochs`"), "{e}");
    }
    let mut t = TrainConfig {
        threads: Some(MAX_THREADS + 1),
        ..TrainConfig::default()
    };
    assert!(t.validate().unwrap_err().to_string().contains("`threads`"));
    t.threads = Some(MAX_THREADS);
    t.newton.summary_average = MAX_SUMMARY_AVERAGE + 1;
    let e = t.validate().unwrap_err().to_string();
    assert!(e.contains("`newton.summary_average`"), "{e}");
}

/// The optimisers' tables are `jetnewton_optim`'s own configs: the file keeps the keys, order and defaults it had
/// when the binary declared them itself, so that runs made before keep their identity.
#[test]
fn the_optimiser_tables_keep_their_file_form() {
    let written = TrainConfig::default().to_toml();
    for table in [
        "[adam]\nlr = 0.001\nbeta1 = 0.9\nbeta2 = 0.999\neps = 0.00000001\nweight_decay = 0.0\n",
        "[sgd]\nlr = 0.01\nmomentum = 0.9\nnesterov = false\nweight_decay = 0.0\n",
        "[kfac]\nlr = 0.01\nmomentum = 0.9\nstat_decay = 0.95\ndamping = 0.001\nkl_clip = 0.001\n\
         weight_decay = 0.0\nt_cov = 10\nt_inv = 100\n",
    ] {
        assert!(written.contains(table), "{table} not in\n{written}");
    }
    let c = TrainConfig::from_toml("[sgd]\nlr = 0.5\n[newton]\ndirection = \"adam\"\n").unwrap();
    assert_eq!((c.sgd.lr, c.sgd.momentum), (0.5, 0.9));
    assert_eq!(c.newton.direction, jetnewton_optim::DirectionRule::Adam);
    for bad in ["[sgd]\ndampening = 0.1\n", "[kfac]\nseed = 3\n"] {
        assert!(TrainConfig::from_toml(bad).is_err(), "{bad}");
    }
}
