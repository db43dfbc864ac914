//! Issue 4's "done when": an MLP and LeNet-5 are built, partitioned in every way, and fed real MNIST and
//! Fashion-MNIST minibatches from ../shared/data; summaries come out finite for every partition.

use std::path::PathBuf;

use jetnewton_engine::summaries::{gradient_direction, jet_summaries, SummaryOptions};
use jetnewton_engine::{Graph, Tensor};
use jetnewton_nets::data::{fashion_mnist, mnist, Batch, Dataset, MinibatchSampler, Split};
use jetnewton_nets::{Model, PartitionSpec};

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data"));
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} is missing", dir.display());
        None
    }
}

const PARTITIONS: [&str; 9] = [
    "canonical",
    "trivial",
    "weights-biases",
    "blocks-2",
    "alternate-2",
    "blocks-3",
    "alternate-3",
    "chunks-2",
    "custom:first=0.*;rest=1.*,2.*,3.*,4.*",
];

fn check(model: &Model, data: &Dataset) {
    let mut sampler = MinibatchSampler::new(data.len(), 32, 7).expect("sampler");
    let mut batch = Batch::new();
    sampler.next_batch(data, &mut batch).expect("batch");
    let x =
        Tensor::from_vec(batch.shape().to_vec(), batch.inputs().to_vec()).expect("batch tensor");
    for name in PARTITIONS {
        let spec: PartitionSpec = name.parse().expect("partition parses");
        let g = Graph::<f32>::new();
        let (loss, ids) = model
            .loss(&g, &model.init_params(1), x.clone(), batch.labels())
            .expect("forward");
        let groups = spec.engine_groups(&g, &ids).expect("partition fits");
        // Every tensor in exactly one group.
        assert_eq!(groups.all_params().len(), ids.len(), "{name}");
        let u = gradient_direction(&g, loss.id(), &groups).expect("gradient");
        let s = jet_summaries(&g, loss.id(), &groups, &u, SummaryOptions::default())
            .expect("summaries");
        // Ten classes at initialisation: the loss is near ln 10 and the summaries are finite.
        assert!((s.loss - 10f64.ln()).abs() < 1.5, "{name}: loss {}", s.loss);
        assert!(
            s.gbar
                .iter()
                .chain(&s.d3)
                .chain(s.hbar.iter().flatten())
                .all(|v| v.is_finite()),
            "{name}"
        );
        assert!(
            s.gbar.iter().all(|&v| v >= 0.0),
            "{name}: gbar along the gradient is |g_s|²"
        );
    }
}

#[test]
fn mlp_and_lenet5_on_mnist_and_fashion_mnist_in_every_partition() {
    let Some(dir) = data_dir() else { return };
    let sets = [
        mnist(&dir.join("mnist"), Split::Test).expect("MNIST test set"),
        fashion_mnist(&dir.join("fashion-mnist"), Split::Test).expect("Fashion-MNIST test set"),
    ];
    let models = [
        Model::from_spec("mlp:784-64-32-10:tanh").expect("mlp"),
        Model::from_spec("lenet5:1x28x28:tanh").expect("lenet5"),
    ];
    for data in &sets {
        for model in &models {
            check(model, data);
        }
    }
}
