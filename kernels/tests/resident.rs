//! Tensors resident on the emulated device ([`KernelMatmul`] as the engine's [`ComputeDevice`]): the inputs and
//! parameters are uploaded once, the ops with device rules (linear combinations, elementwise products, matrix
//! products, activation jets and their lifted adjoints, contractions) run as kernel launches on resident data,
//! and every other op reads its inputs back through the counted download. The gradient and the summaries by jets
//! and by double backward must agree with the CPU engine, and a chain of device-rule ops must copy nothing back.
//! Skipped, with the reason printed, when build.rs found no C++ compiler.

use std::sync::Arc;

use jetnewton_engine::device::ComputeDevice;
use jetnewton_engine::summaries::{
    double_backward_summaries, jet_summaries, Direction, Groups, Summaries, SummaryOptions,
};
use jetnewton_engine::{Float, Graph, NodeId, Tensor};
use jetnewton_kernels::{HostBackend, KernelMatmul};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The emulated device, or `None` after printing why the test is skipped.
fn emulated() -> Option<Arc<dyn ComputeDevice>> {
    match HostBackend::new() {
        Ok(b) => Some(Arc::new(KernelMatmul::new(b, "emulated", 0))),
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    }
}

fn random<F: Float>(rng: &mut ChaCha8Rng, shape: &[usize]) -> Tensor<F> {
    let len = shape.iter().product();
    let data = (0..len)
        .map(|_| F::of(rng.random_range(-1.0..1.0)))
        .collect();
    Tensor::from_vec(shape.to_vec(), data).unwrap()
}

/// `t` on `device`, or `t` itself on the host.
fn placed<F: Float>(t: Tensor<F>, device: Option<&Arc<dyn ComputeDevice>>) -> Tensor<F> {
    match device {
        Some(d) => t.to_device(d).unwrap(),
        None => t,
    }
}

/// The summaries by jets and by double backward, and the gradient.
struct Results {
    jets: Summaries,
    double_backward: Summaries,
    gradient: Vec<Vec<f64>>,
}

/// Which network [`evaluate`] builds.
#[derive(Clone, Copy)]
enum Net {
    /// Linear layers with tanh, sigmoid and ELU between them.
    Mlp,
    /// Convolutions, bias, max- and average pooling, ELU and ReLU, then a linear layer.
    Cnn,
}

/// The network's loss node on `g` (inputs and parameters placed on `device`, if any).
fn build<F: Float>(
    g: &Graph<F>,
    net: Net,
    rng: &mut ChaCha8Rng,
    device: Option<&Arc<dyn ComputeDevice>>,
) -> NodeId {
    let mut param = |name: &str, shape: &[usize]| g.param(name, placed(random(rng, shape), device));
    match net {
        Net::Mlp => {
            let w0 = param("0.weight", &[6, 5]);
            let b0 = param("0.bias", &[6]);
            let w1 = param("2.weight", &[4, 6]);
            let w2 = param("4.weight", &[3, 4]);
            let b2 = param("4.bias", &[3]);
            let x = g.constant(placed(random(rng, &[7, 5]), device));
            let h = x
                .matmul_t(w0)
                .unwrap()
                .add_bias(b0)
                .unwrap()
                .tanh()
                .unwrap();
            let h = h.matmul_t(w1).unwrap().sigmoid().unwrap();
            let h = h.matmul_t(w2).unwrap().add_bias(b2).unwrap().elu().unwrap();
            h.cross_entropy(&[0, 2, 1, 1, 0, 2, 2]).unwrap().id()
        }
        Net::Cnn => {
            let w0 = param("0.weight", &[3, 2, 3, 3]);
            let b0 = param("0.bias", &[3]);
            let w1 = param("3.weight", &[4, 3, 2, 2]);
            let w2 = param("6.weight", &[5, 16]);
            let x = g.constant(placed(random(rng, &[3, 2, 8, 8]), device));
            let h = x.conv2d(w0, (1, 1), (1, 1)).unwrap().add_bias(b0).unwrap();
            let h = h.tanh().unwrap().max_pool2d(2, 2).unwrap();
            let h = h.conv2d(w1, (2, 1), (1, 0)).unwrap().elu().unwrap();
            let h = h.avg_pool2d(2, 1).unwrap().relu().unwrap();
            let h = h.flatten().unwrap().matmul_t(w2).unwrap();
            h.cross_entropy(&[0, 4, 2]).unwrap().id()
        }
    }
}

fn evaluate<F: Float>(net: Net, seed: u64, device: Option<&Arc<dyn ComputeDevice>>) -> Results {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let g = Graph::<F>::new();
    let loss = build(&g, net, &mut rng, device);
    let groups = Groups::canonical(&g);
    let params: Vec<NodeId> = g.params().into_iter().map(|(p, _)| p).collect();
    let mut dir = Direction::new();
    for &p in &params {
        dir.insert(p, placed(random(&mut rng, g.value(p).shape()), device));
    }
    let opts = SummaryOptions { d3_slices: false };
    let gradient = g
        .grad(loss, &params)
        .unwrap()
        .iter()
        .map(|t| t.data().iter().map(|v| v.to_f64_lossless()).collect())
        .collect();
    Results {
        jets: jet_summaries(&g, loss, &groups, &dir, opts).unwrap(),
        double_backward: double_backward_summaries(&g, loss, &groups, &dir, opts).unwrap(),
        gradient,
    }
}

fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = 1.0 + b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * scale,
            "{what}[{i}]: {x} resident vs {y} on the CPU"
        );
    }
}

fn assert_results_close(dev: &Results, cpu: &Results, tol: f64) {
    for (name, d, c) in [
        ("jets", &dev.jets, &cpu.jets),
        (
            "double backward",
            &dev.double_backward,
            &cpu.double_backward,
        ),
    ] {
        assert_close(&[d.loss], &[c.loss], tol, &format!("{name}: loss"));
        assert_close(&d.gbar, &c.gbar, tol, &format!("{name}: gbar"));
        let flat = |s: &Summaries| s.hbar.concat();
        assert_close(&flat(d), &flat(c), tol, &format!("{name}: hbar"));
        assert_close(&d.d3, &c.d3, tol, &format!("{name}: d3"));
    }
    for (i, (d, c)) in dev.gradient.iter().zip(&cpu.gradient).enumerate() {
        assert_close(d, c, tol, &format!("gradient of parameter {i}"));
    }
}

/// f64: the kernels sum products and contractions in their own order (GEMM tiles, per-block partial dot
/// products), the CPU in another, both exact up to ~1e-16 relative per operation; through a few dozen chained
/// operations and third-order jets, 1e-11 of the largest entry leaves a wide margin, while a wrong index, plane,
/// sign or accumulate flag gives O(1) errors.
#[test]
fn f64_resident_summaries_and_gradient_match_the_cpu() {
    let Some(device) = emulated() else { return };
    for (net, seed) in [(Net::Mlp, 21), (Net::Cnn, 22)] {
        let cpu = evaluate::<f64>(net, seed, None);
        let before = device.counters();
        let resident = evaluate::<f64>(net, seed, Some(&device));
        let used = device.counters().since(&before);
        assert!(used.launches > 50, "the device rules ran ({used:?})");
        assert_results_close(&resident, &cpu, 1e-11);
    }
}

/// f32: ~1e-7 relative per operation; 1e-4 of the largest entry allows the growth through third-order jets.
#[test]
fn f32_resident_summaries_and_gradient_match_the_cpu() {
    let Some(device) = emulated() else { return };
    for (net, seed) in [(Net::Mlp, 23), (Net::Cnn, 24)] {
        let cpu = evaluate::<f32>(net, seed, None);
        let resident = evaluate::<f32>(net, seed, Some(&device));
        assert_results_close(&resident, &cpu, 1e-4);
    }
}

/// A chain of ops that all have device rules (matrix product, tanh, elementwise product, sum, scaling, a
/// contraction) uploads its two inputs, launches one kernel per op and copies back only the final scalar; its
/// intermediate results stay resident.
#[test]
fn a_chain_of_device_rules_copies_only_its_edges() {
    let Some(device) = emulated() else { return };
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (x, w): (Tensor<f64>, Tensor<f64>) = (random(&mut rng, &[8, 5]), random(&mut rng, &[3, 5]));
    let chain = |x: &Tensor<f64>, w: &Tensor<f64>| {
        let g = Graph::<f64>::new();
        let (xv, wv) = (g.constant(x.clone()), g.param("w", w.clone()));
        let h = xv.matmul_t(wv).unwrap().tanh().unwrap();
        let h = h.mul(h).unwrap().add(h).unwrap();
        let y = g.value(h.id()).scale(0.5);
        assert_eq!(
            y.device().is_some(),
            x.device().is_some(),
            "the result stays where its inputs are"
        );
        y.dot_f64(&y).unwrap()
    };
    let cpu = chain(&x, &w);
    let before = device.counters();
    let (xd, wd) = (x.to_device(&device).unwrap(), w.to_device(&device).unwrap());
    let resident = chain(&xd, &wd);
    let used = device.counters().since(&before);
    assert_eq!(used.uploads, 2, "x and w, once each ({used:?})");
    assert_eq!(
        used.downloads, 1,
        "only the contraction's partial sums ({used:?})"
    );
    // matmul 1, tanh 1, mul 1, add 2 (copy, accumulate), scale 1, dot 2 (partials, then their sum)
    assert_eq!(used.launches, 8, "{used:?}");
    assert!(
        (resident - cpu).abs() <= 1e-13 * cpu.abs(),
        "{resident} vs {cpu}"
    );
}
