//! Every kernel on a real GPU against the same oracles as the host tests. Each test prints why it
//! is skipped when no device is usable (no `cuda` feature, no nvcc at build time, no driver or
//! no device at run time), or fails instead when `JETNEWTON_REQUIRE_GPU=1`, as
//! scripts/gpu-check.sh sets it.

mod common;

use jetnewton_kernels::{Backend, CudaBackend};

/// Device 0, or `None` after printing why the test is skipped.
fn device() -> Option<CudaBackend> {
    match CudaBackend::new(0) {
        Ok(b) => {
            eprintln!("running on {}", b.describe());
            Some(b)
        }
        Err(e) if std::env::var("JETNEWTON_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("JETNEWTON_REQUIRE_GPU=1 but no usable CUDA device: {e}")
        }
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    }
}

#[test]
fn gpu_elementwise_jets() {
    if let Some(b) = device() {
        common::elementwise::check(&b);
    }
}

#[test]
fn gpu_matmul() {
    if let Some(b) = device() {
        common::matmul::check(&b);
    }
}

#[test]
fn gpu_conv() {
    if let Some(b) = device() {
        common::conv::check(&b);
    }
}

#[test]
fn gpu_pool() {
    if let Some(b) = device() {
        common::pool::check(&b);
    }
}

#[test]
fn gpu_log_softmax_and_cross_entropy() {
    if let Some(b) = device() {
        common::softmax::check(&b);
    }
}

#[test]
fn gpu_contractions() {
    if let Some(b) = device() {
        common::contract::check(&b);
    }
}

#[test]
fn gpu_mlp_summaries() {
    if let Some(b) = device() {
        common::mlp::check(&b);
    }
}
