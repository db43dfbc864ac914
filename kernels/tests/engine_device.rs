//! The engine with the kernels as its matrix-product device ([`KernelMatmul`]): every product of a gradient, a jet
//! pass and a double-backward pass goes through the tiled GEMM kernel, here on the host backend (the same `.cu`
//! source and the same launch code a GPU runs), and the results agree with the CPU engine. Skipped, with the
//! reason printed, when build.rs found no C++ compiler. The same comparison runs with the products on a real GPU
//! when one is usable (and fails, rather than skips, under `JETNEWTON_REQUIRE_GPU=1`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use jetnewton_engine::device::{self, GemmCall, MatmulDevice};
use jetnewton_engine::summaries::{
    double_backward_summaries, jet_summaries, Direction, Groups, Summaries, SummaryOptions,
};
use jetnewton_engine::{Float, Graph, NodeId, Tensor};
use jetnewton_kernels::{Backend, CudaBackend, HostBackend, KernelMatmul};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The installed device is process-wide: the tests of this file take turns.
static SERIAL: Mutex<()> = Mutex::new(());

/// A device that counts the products it is handed and passes them on.
#[derive(Debug)]
struct Counting<D> {
    inner: D,
    calls: AtomicUsize,
}

impl<D: MatmulDevice + 'static> MatmulDevice for Counting<D> {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn min_work(&self) -> usize {
        self.inner.min_work()
    }
    fn gemm_f32(&self, c: &GemmCall, a: &[f32], b: &[f32], d: &mut [f32]) -> Result<(), String> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.gemm_f32(c, a, b, d)
    }
    fn gemm_f64(&self, c: &GemmCall, a: &[f64], b: &[f64], d: &mut [f64]) -> Result<(), String> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.gemm_f64(c, a, b, d)
    }
}

/// The host kernels serving products of at least `min_work` multiply-adds, or `None` after printing why the
/// test is skipped.
fn host_device(min_work: usize) -> Option<Arc<Counting<KernelMatmul<HostBackend>>>> {
    match HostBackend::new() {
        Ok(b) => Some(Arc::new(Counting {
            inner: KernelMatmul::new(b, "host kernels", min_work),
            calls: AtomicUsize::new(0),
        })),
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

/// What one evaluation of a model gives: the summaries by jets and by double backward, and the gradient.
struct Results {
    jets: Summaries,
    double_backward: Summaries,
    gradient: Vec<Vec<f64>>,
}

/// A small CNN and MLP head (conv, bias, tanh, max-pool, strided conv, ELU, linear layers, cross-entropy): every
/// product kind of the engine (linear layers, conv forward, input and weight adjoints, their jets) appears.
fn evaluate<F: Float>(seed: u64) -> Results {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let g = Graph::<F>::new();
    let x = g.constant(random(&mut rng, &[3, 2, 8, 8]));
    let w0 = g.param("0.weight", random(&mut rng, &[3, 2, 3, 3]));
    let b0 = g.param("0.bias", random(&mut rng, &[3]));
    let w1 = g.param("3.weight", random(&mut rng, &[4, 3, 2, 2]));
    let w2 = g.param("6.weight", random(&mut rng, &[7, 36]));
    let b2 = g.param("6.bias", random(&mut rng, &[7]));
    let w3 = g.param("8.weight", random(&mut rng, &[5, 7]));
    let h = x.conv2d(w0, (1, 1), (1, 1)).unwrap().add_bias(b0).unwrap();
    let h = h.tanh().unwrap().max_pool2d(2, 2).unwrap();
    let h = h.conv2d(w1, (2, 1), (1, 0)).unwrap().elu().unwrap();
    let h = h
        .flatten()
        .unwrap()
        .matmul_t(w2)
        .unwrap()
        .add_bias(b2)
        .unwrap();
    let loss = h.tanh().unwrap().matmul_t(w3).unwrap();
    let loss = loss.cross_entropy(&[0, 4, 2]).unwrap();
    let groups = Groups::canonical(&g);
    let mut dir = Direction::new();
    let params: Vec<NodeId> = g.params().into_iter().map(|(p, _)| p).collect();
    for &p in &params {
        dir.insert(p, random(&mut rng, g.value(p).shape()));
    }
    let opts = SummaryOptions { d3_slices: false };
    let gradient = g
        .grad(loss.id(), &params)
        .unwrap()
        .iter()
        .map(|t| t.data().iter().map(|v| v.to_f64_lossless()).collect())
        .collect();
    Results {
        jets: jet_summaries(&g, loss.id(), &groups, &dir, opts).unwrap(),
        double_backward: double_backward_summaries(&g, loss.id(), &groups, &dir, opts).unwrap(),
        gradient,
    }
}

fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = 1.0 + b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * scale,
            "{what}[{i}]: {x} through the kernels vs {y} on the CPU"
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

/// f64: the kernel sums each product in its own order (k in tiles of the shared-memory block), the `gemm` crate
/// in another; both are exact up to rounding, ~1e-16 relative per product. Through a dozen chained products
/// and a third-order jet, 1e-11 of the largest entry leaves a wide margin and still fails on any wrong index,
/// transpose or accumulate flag (those give O(1) errors).
#[test]
fn f64_summaries_and_gradient_through_the_kernels_match_the_cpu() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(dev) = host_device(0) else { return };
    let cpu = evaluate::<f64>(11);
    let through = {
        let _installed = device::install(dev.clone());
        let r = evaluate::<f64>(11);
        device::health().expect("the host kernels do not fail");
        r
    };
    assert!(
        dev.calls.load(Ordering::Relaxed) > 20,
        "the products went through the device ({} calls)",
        dev.calls.load(Ordering::Relaxed)
    );
    assert_results_close(&through, &cpu, 1e-11);
}

/// f32 training precision: the two sums differ by ~1e-7 relative per product; 1e-4 of the largest entry allows
/// the growth through the third-order jets and still fails on any wrong index or flag.
#[test]
fn f32_summaries_and_gradient_through_the_kernels_match_the_cpu() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(dev) = host_device(0) else { return };
    let cpu = evaluate::<f32>(12);
    let through = {
        let _installed = device::install(dev.clone());
        let r = evaluate::<f32>(12);
        device::health().expect("the host kernels do not fail");
        r
    };
    assert!(dev.calls.load(Ordering::Relaxed) > 20);
    assert_results_close(&through, &cpu, 1e-4);
}

/// Products below the device's `min_work` stay on the CPU: none reaches the device and the results are the CPU's
/// bit for bit. After the guard is dropped nothing is installed.
#[test]
fn products_below_min_work_stay_on_the_cpu() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(dev) = host_device(usize::MAX) else {
        return;
    };
    let cpu = evaluate::<f64>(13);
    let through = {
        let _installed = device::install(dev.clone());
        evaluate::<f64>(13)
    };
    assert_eq!(dev.calls.load(Ordering::Relaxed), 0);
    assert_eq!(through.jets.hbar, cpu.jets.hbar);
    assert_eq!(through.gradient, cpu.gradient);
    assert!(device::current().is_none());
}

/// The products on CUDA device 0, every one of them (`min_work` 0), against the CPU: as the f64 test above.
#[test]
fn f64_products_on_a_gpu_match_the_cpu() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let gpu = match CudaBackend::new(0) {
        Ok(b) => b,
        Err(e) if std::env::var("JETNEWTON_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("JETNEWTON_REQUIRE_GPU=1 but no usable CUDA device: {e}")
        }
        Err(e) => {
            eprintln!("skipped: {e}");
            return;
        }
    };
    eprintln!("running on {}", gpu.describe());
    let dev = Arc::new(Counting {
        inner: KernelMatmul::new(gpu, "cuda:0", 0),
        calls: AtomicUsize::new(0),
    });
    let cpu = evaluate::<f64>(14);
    let through = {
        let _installed = device::install(dev.clone());
        let r = evaluate::<f64>(14);
        device::health().expect("the GPU's products succeed");
        r
    };
    assert!(dev.calls.load(Ordering::Relaxed) > 20);
    assert_results_close(&through, &cpu, 1e-11);
}
