//! Every kernel run on the host backend (the `.cu` sources compiled as C++, threads as fibers)
//! against the oracles of `common/`; plus the agreement of the host build, the entry table and,
//! through the shim's self-tests, that it catches barrier mistakes. Skipped, with the reason
//! printed, when build.rs found no C++ compiler.

mod common;

use jetnewton_kernels::entries;
use jetnewton_kernels::{Backend, HostBackend, KernelArgs, KernelError, LaunchDims};

/// The host backend, or `None` after printing why the test is skipped.
fn host() -> Option<HostBackend> {
    match HostBackend::new() {
        Ok(b) => Some(b),
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    }
}

#[test]
fn host_build_registers_exactly_the_entry_table() {
    let Some(b) = host() else { return };
    let names: Vec<&str> = b
        .kernel_names()
        .into_iter()
        .filter(|n| !n.starts_with("selftest_"))
        .collect();
    assert_eq!(names, entries::all());
}

#[test]
fn elementwise_jets() {
    if let Some(b) = host() {
        common::elementwise::check(&b);
    }
}

#[test]
fn matmul() {
    if let Some(b) = host() {
        common::matmul::check(&b);
    }
}

#[test]
fn conv() {
    if let Some(b) = host() {
        common::conv::check(&b);
    }
}

#[test]
fn pool() {
    if let Some(b) = host() {
        common::pool::check(&b);
    }
}

#[test]
fn log_softmax_and_cross_entropy() {
    if let Some(b) = host() {
        common::softmax::check(&b);
    }
}

#[test]
fn contractions() {
    if let Some(b) = host() {
        common::contract::check(&b);
    }
}

/// `selftest_reverse` (kernels/host/selftest.cpp) reverses 64 values through shared memory; with
/// its barrier left out, the fibers read what other threads have not written yet.
#[test]
fn shim_catches_a_missing_barrier() {
    let Some(b) = host() else { return };
    let dims = LaunchDims {
        grid: [1, 1, 1],
        block: [64, 1, 1],
    };
    let run = |x: &[f32], sync: i64| -> Vec<f32> {
        let xb = b.upload(x).expect("upload");
        let mut y = b.alloc_zeros::<f32>(64).expect("alloc");
        let mut args = KernelArgs::new();
        args.input(&xb, 0).output(&mut y, 0).int(sync);
        // SAFETY: selftest_reverse(const float* x, float* y, long long sync) on 64 elements.
        unsafe { b.launch("selftest_reverse", dims, args) }.expect("launch");
        b.download(&y).expect("download")
    };
    let x: Vec<f32> = (0..64).map(|i| i as f32).collect();
    let reversed: Vec<f32> = x.iter().rev().copied().collect();
    assert_eq!(run(&x, 1), reversed);
    let other: Vec<f32> = x.iter().map(|v| v + 100.0).collect();
    let wrong = run(&other, 0);
    assert_ne!(wrong[0], other[63], "a missing barrier went unnoticed");
}

#[test]
fn shim_reports_a_divergent_barrier_and_bad_launches() {
    let Some(b) = host() else { return };
    let dims = LaunchDims {
        grid: [2, 1, 1],
        block: [32, 1, 1],
    };
    let mut out = b.alloc_zeros::<i64>(32).expect("alloc");
    let mut args = KernelArgs::new();
    args.output(&mut out, 0);
    // SAFETY: selftest_divergent(long long* out) writes out[threadIdx.x] for 32 threads.
    let err = unsafe { b.launch("selftest_divergent", dims, args) }.expect_err("divergent");
    assert!(
        matches!(&err, KernelError::Launch { reason, .. } if reason.contains("__syncthreads")),
        "{err}"
    );
    let too_big = LaunchDims {
        grid: [1, 1, 1],
        block: [2048, 1, 1],
    };
    // SAFETY: rejected before anything runs.
    let err = unsafe { b.launch("selftest_divergent", too_big, KernelArgs::new()) };
    assert!(matches!(err, Err(KernelError::Launch { .. })));
    // SAFETY: no such kernel; nothing runs.
    let err = unsafe { b.launch("no_such_kernel", dims, KernelArgs::new()) };
    assert!(matches!(err, Err(KernelError::UnknownKernel { .. })));
}

#[test]
fn mlp_summaries() {
    if let Some(b) = host() {
        common::mlp::check(&b);
    }
}
