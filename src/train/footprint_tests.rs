//! The memory estimate against sizes worked out by hand, and the refusals it names.

use super::*;

const GIB: f64 = (1u64 << 30) as f64;

fn footprint(config: &TrainConfig) -> Footprint {
    let model = Model::from_spec(&config.model).unwrap();
    // The canonical partition: one group per tensor.
    let groups = model.param_specs().len();
    Footprint::of(config, &model, groups)
}

fn config(model: &str, dataset: DatasetKind, optimizer: OptimizerKind) -> TrainConfig {
    TrainConfig {
        model: model.into(),
        dataset,
        optimizer,
        ..TrainConfig::default()
    }
}

#[test]
fn the_papers_runs_fit_in_24_gib() {
    use DatasetKind::{Cifar10, FashionMnist, Mnist};
    use OptimizerKind::{Adam, Kfac, Newton};
    for (model, dataset) in [
        ("mlp:784-1024-200-100-10:tanh", Mnist),
        ("bigmlp", Cifar10),
        ("vgg11p:3x32x32", Cifar10),
        ("lenet5:3x32x32", Cifar10),
        ("lenet5:1x28x28", FashionMnist),
        ("mlp:784-1024x100-10:elu", FashionMnist),
    ] {
        for optimizer in [Newton, Adam, Kfac] {
            let mut c = config(model, dataset, optimizer);
            c.batch_size = 1000;
            let f = footprint(&c);
            assert!(f.total() < 16.0 * GIB, "{model} {optimizer:?}: {f:?}");
            f.check(|b| (b > 24.0 * GIB).then(|| "too much".into()))
                .unwrap();
        }
    }
}

#[test]
fn the_message_starts_with_the_largest_part() {
    let c = config(
        "mlp:784-100000000-10:tanh",
        DatasetKind::Mnist,
        OptimizerKind::Newton,
    );
    let err = footprint(&c)
        .check(|b| (b > 24.0 * GIB).then(|| "more than 24 GiB".into()))
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("model = \"mlp:784-100000000-10:tanh\" (--model)")
            && msg.contains("more than 24 GiB")
            && msg.contains("for its 79500000010 parameters"),
        "{msg}"
    );
    let mut c = config("mlp:64-10", DatasetKind::Synthetic, OptimizerKind::Adam);
    c.synthetic_samples = 1 << 40;
    let msg = footprint(&c)
        .check(|b| (b > 24.0 * GIB).then(|| "too much".into()))
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("synthetic_samples = 1099511627776"),
        "{msg}"
    );
}

#[test]
fn kfac_counts_its_factors() {
    let c = config("mlp:64-100000-10", DatasetKind::Digits, OptimizerKind::Kfac);
    let f = footprint(&c);
    // The second layer's input factor alone is (10^5 + 1)^2 f64, twice.
    assert!(f.total() > 2.0 * 8.0 * 1e10, "{f:?}");
}
