//! Forward + backward of the paper's MLP (784-1024-200-100-10, tanh) and of LeNet-5 (3×32×32, tanh), batch 1000,
//! f32, reported in FLOP/s (criterion's "elements" are floating-point operations here), on the device named by
//! `JETNEWTON_DEVICE`. LeNet-5 is the convolution case of issue 17's speed table (PyTorch's peer:
//! `scripts/torch_peer.py --models lenet5`).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use jetnewton_bench::{device_from_env, gradient, gradient_flops, model, workload};

/// (benchmark name, model spec), each at batch 1000.
const MODELS: [(&str, &str); 2] = [
    (
        "mlp-784-1024-200-100-10-b1000-f32",
        "mlp:784-1024-200-100-10:tanh",
    ),
    ("lenet5-3x32x32-b1000-f32", "lenet5:3x32x32:tanh"),
];

fn bench(c: &mut Criterion) {
    let (device, _guard) = device_from_env().unwrap_or_else(|e| panic!("{e}"));
    let mut g = c.benchmark_group(format!("{device}/gradient"));
    g.sample_size(20);
    for (name, spec) in MODELS {
        let m = model(spec).expect("the benchmark's model specs parse");
        let w = workload(&m, 1000).expect("synthetic workload");
        g.throughput(Throughput::Elements(gradient_flops(&m, 1000)));
        g.bench_function(name, |b| b.iter(|| gradient(&w).expect("gradient")));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
