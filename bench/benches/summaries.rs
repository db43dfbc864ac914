//! Summaries (gbar, hbar, diag D³; canonical partition; direction = gradient) by jets and by double backward, and
//! the gradient they are measured against, for the paper's models in f32. Ratios come from `jetnewton timing`,
//! which times all three in one run; these benchmarks track each on its own. The device is `JETNEWTON_DEVICE`
//! (`cpu`, the default, or `cuda[:N]` in a build with the `cuda` feature).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use jetnewton_bench::{device_from_env, gradient, model, summaries, workload, CASES};

fn bench(c: &mut Criterion) {
    let (device, _guard) = device_from_env().unwrap_or_else(|e| panic!("{e}"));
    for (name, spec, batch) in CASES {
        let m = model(spec).expect("benchmark spec parses");
        let w = workload(&m, batch).expect("synthetic workload");
        let dir = w.gradient_direction().expect("gradient direction");
        let mut g = c.benchmark_group(format!("{device}/summaries/{name}-b{batch}"));
        g.sample_size(10);
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(5));
        g.bench_function("gradient", |b| b.iter(|| gradient(&w).expect("gradient")));
        g.bench_function("jets", |b| {
            b.iter(|| summaries(&w, &dir, true).expect("jets"))
        });
        g.bench_function("double-backward", |b| {
            b.iter(|| summaries(&w, &dir, false).expect("double backward"))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
