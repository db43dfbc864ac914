//! The resident MLP summaries of a model's workload (`jetnewton::resident`), run on the host build of the CUDA
//! kernels, against the engine's jet summaries of the same workload: several MLPs, activations and partitions,
//! the gradient and a random direction. Models that are not MLPs are declined. Skipped, with the reason printed,
//! when build.rs found no C++ compiler.

use jetnewton::resident::{mlp_layout, resident_mlp};
use jetnewton::workload::{direction_or_gradient, Workload};
use jetnewton_engine::summaries::{jet_summaries, SummaryOptions};
use jetnewton_engine::Graph;
use jetnewton_kernels::HostBackend;
use jetnewton_nets::{Activation, Model, Params, PartitionSpec};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn host() -> Option<HostBackend> {
    match HostBackend::new() {
        Ok(b) => Some(b),
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    }
}

/// A direction of normal-ish random entries with the parameters' names and shapes.
fn random_direction(params: &Params<f64>, seed: u64) -> Params<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let entries = params
        .iter()
        .map(|(name, t)| {
            let data = (0..t.numel())
                .map(|_| rng.random_range(-1.0..1.0))
                .collect();
            let t = jetnewton_engine::Tensor::from_vec(t.shape().to_vec(), data).unwrap();
            (name.to_string(), t)
        })
        .collect();
    Params::new(entries).unwrap()
}

#[test]
fn resident_summaries_of_model_workloads_match_the_engine() {
    let Some(b) = host() else { return };
    let cases = [
        ("mlp:12-9-7-4:tanh", "canonical"),
        ("mlp:12-9-7-4:tanh", "blocks-1"),
        ("mlp:10-8x3-5:elu", "chunks-2"),
        ("mlp:10-8x3-5:elu", "alternate-2"),
        ("image-input", "weights-biases"),
        (
            "mlp:9-6-3:relu",
            "custom:a=0.weight,1.bias;b=1.weight;c=0.bias",
        ),
        ("mlp:9-3:tanh", "trivial"),
    ];
    for (i, (spec, partition)) in cases.into_iter().enumerate() {
        // An MLP on [1, 3, 3] images (its first linear layer flattens them) through the builder.
        let model = match spec {
            "image-input" => jetnewton_nets::mlp(&[1, 3, 3], &[6, 3], Activation::Sigmoid).unwrap(),
            _ => Model::from_spec(spec).unwrap(),
        };
        let w =
            Workload::<f64>::synthetic(&model, 7, partition.parse().unwrap(), i as u64).unwrap();
        let g = Graph::new();
        let built = w.build(&g).unwrap();
        for dir in [
            direction_or_gradient(&g, &built, None).unwrap(),
            random_direction(&w.params, 40 + i as u64),
        ] {
            let d = built.direction(&g, &dir).unwrap();
            let want = jet_summaries(&g, built.loss, &built.groups, &d, SummaryOptions::default())
                .unwrap();
            let got = resident_mlp(&b, &w, &dir)
                .unwrap()
                .expect("an MLP")
                .summaries()
                .unwrap();
            let scale = |v: &[f64]| 1.0 + v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            // f64 on both sides, the same forms summed in different orders: rounding far below 1e-10 of the
            // largest entry (see kernels/tests/mlp_summaries.rs).
            for (what, x, y) in [
                ("loss", vec![got.loss], vec![want.loss]),
                ("gbar", got.gbar.clone(), want.gbar.clone()),
                ("hbar", got.hbar.concat(), want.hbar.concat()),
                ("d3", got.d3.clone(), want.d3.clone()),
            ] {
                let s = scale(&y);
                for (k, (p, q)) in x.iter().zip(&y).enumerate() {
                    assert!(
                        (p - q).abs() <= 1e-10 * s,
                        "{spec} {partition} {what}[{k}]: {p} resident vs {q} engine"
                    );
                }
            }
        }
    }
}

#[test]
fn only_mlps_run_resident() {
    let layout = mlp_layout(&Model::from_spec("mlp:784-1024-200-100-10:tanh").unwrap()).unwrap();
    assert_eq!(layout.0, [(784, 1024), (1024, 200), (200, 100), (100, 10)]);
    assert_eq!(layout.1, Activation::Tanh);
    let bigmlp = mlp_layout(&Model::from_spec("bigmlp").unwrap()).unwrap();
    assert_eq!(bigmlp.0.len(), 21);
    assert_eq!(bigmlp.1, Activation::Elu);
    assert!(mlp_layout(&Model::from_spec("lenet5:1x28x28:tanh").unwrap()).is_none());
    let Some(b) = host() else { return };
    let model = Model::from_spec("lenet5:1x28x28:tanh").unwrap();
    let w = Workload::<f64>::synthetic(&model, 2, PartitionSpec::Canonical, 0).unwrap();
    let dir = w.gradient_direction().unwrap();
    assert!(resident_mlp(&b, &w, &dir).unwrap().is_none());
}
