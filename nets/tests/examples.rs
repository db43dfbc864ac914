//! The crate's examples run as tests, so CI proves they work as documented.

#[allow(dead_code)]
#[path = "../examples/residual_mse.rs"]
mod residual_mse;

#[allow(dead_code)]
#[path = "../examples/pytorch_summaries.rs"]
mod pytorch_summaries;

#[test]
fn residual_mse_trains_with_method1_and_adam() {
    residual_mse::main().unwrap();
}

#[test]
fn pytorch_summaries_agree_with_double_backward() {
    pytorch_summaries::run(&[]).unwrap();
}
