//! Forward + backward of the paper's MLP (784-1024-200-100-10, tanh, batch 1000, f32), reported in FLOP/s
//! (criterion's "elements" are floating-point operations here), on the device named by `JETNEWTON_DEVICE`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use jetnewton_bench::{device_from_env, gradient, gradient_flops, model, workload};

fn bench(c: &mut Criterion) {
    let (device, _guard) = device_from_env().unwrap_or_else(|e| panic!("{e}"));
    let m = model("mlp:784-1024-200-100-10:tanh").expect("the paper's MLP spec parses");
    let w = workload(&m, 1000).expect("synthetic workload");
    let mut g = c.benchmark_group(format!("{device}/gradient"));
    g.throughput(Throughput::Elements(gradient_flops(&m, 1000)));
    g.sample_size(20);
    g.bench_function("mlp-784-1024-200-100-10-b1000-f32", |b| {
        b.iter(|| gradient(&w).expect("gradient"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
