//! The engine's matrix-product device: products reach an installed device, and a failing device neither
//! corrupts a result nor goes unnoticed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use jetnewton_engine::cpu::gemm::{matmul, Layout};
use jetnewton_engine::device::{self, GemmCall, MatmulDevice};
use jetnewton_engine::EngineError;

/// The installed device is process-wide: the tests of this file take turns.
static SERIAL: Mutex<()> = Mutex::new(());

/// A device that fails every product after writing garbage into the destination, and counts its calls.
#[derive(Debug, Default)]
struct Broken {
    calls: AtomicUsize,
}

impl Broken {
    fn fail<T: Copy>(&self, dst: &mut [T], garbage: T) -> Result<(), String> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        dst.fill(garbage);
        Err("out of memory".into())
    }
}

impl MatmulDevice for Broken {
    fn describe(&self) -> String {
        "broken:0".into()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn min_work(&self) -> usize {
        4
    }
    fn gemm_f32(&self, _: &GemmCall, _: &[f32], _: &[f32], d: &mut [f32]) -> Result<(), String> {
        self.fail(d, f32::NAN)
    }
    fn gemm_f64(&self, _: &GemmCall, _: &[f64], _: &[f64], d: &mut [f64]) -> Result<(), String> {
        self.fail(d, f64::NAN)
    }
}

/// `c (+)= a·bᵀ` with 2×3 and 2×3 operands: 12 multiply-adds, above `Broken`'s `min_work`.
fn product(c: &mut [f64], accumulate: bool) {
    let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let b = [1.0, 0.0, -1.0, 2.0, 1.0, 0.0];
    matmul(
        2,
        2,
        3,
        &a,
        Layout::Normal,
        &b,
        Layout::Transposed,
        c,
        accumulate,
        false,
    );
}

#[test]
fn a_failing_device_is_reported_and_the_cpu_computes_the_product() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut expected = [10.0, 20.0, 30.0, 40.0];
    product(&mut expected, true);
    assert_eq!(expected, [8.0, 24.0, 28.0, 53.0]);

    let broken = Arc::new(Broken::default());
    let guard = device::install(broken.clone());
    let mut c = [10.0, 20.0, 30.0, 40.0];
    product(&mut c, true);
    // The device wrote NaN and failed: the CPU started again from the accumulator as it was.
    assert_eq!(c, expected);
    assert_eq!(broken.calls.load(Ordering::Relaxed), 1);
    match device::health() {
        Err(EngineError::Device { device, message }) => {
            assert_eq!(device, "broken:0");
            assert_eq!(message, "out of memory");
        }
        other => panic!("expected a device failure, got {other:?}"),
    }
    assert_eq!(
        device::health().unwrap_err().to_string(),
        "device broken:0 failed: out of memory"
    );
    // Set aside: later products stay on the CPU.
    let mut again = [0.0; 4];
    product(&mut again, false);
    assert_eq!(again, [-2.0, 4.0, -2.0, 13.0]);
    assert_eq!(broken.calls.load(Ordering::Relaxed), 1);
    assert!(device::current().is_none());
    drop(guard);

    // Installing a device again starts with a clean slate.
    let fresh = Arc::new(Broken::default());
    let _guard = device::install(fresh.clone());
    assert!(device::health().is_ok());
    assert!(device::current().is_some());
}

#[test]
fn small_products_and_no_device_stay_on_the_cpu() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    assert!(device::current().is_none());
    let broken = Arc::new(Broken::default());
    let _guard = device::install(broken.clone());
    // 1·1·3 = 3 multiply-adds, below min_work 4.
    let mut c = [0.0];
    matmul(
        1,
        1,
        3,
        &[1.0, 2.0, 3.0],
        Layout::Normal,
        &[1.0, 1.0, 1.0],
        Layout::Normal,
        &mut c,
        false,
        false,
    );
    assert_eq!(c, [6.0]);
    assert_eq!(broken.calls.load(Ordering::Relaxed), 0);
    assert!(device::health().is_ok());
}
