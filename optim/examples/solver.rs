//! The cubic-regularised solver of Method 1 on its own: given summaries `gbar`, `hbar` and `d3` (from anywhere),
//! the step sizes `η` that minimise the paper's model
//! `T(η) = −ηᵀ·gbar + ½ ηᵀ·hbar·η + (λ_int / 6)·‖Dη‖³` with `D = diag(|d3_s|^{1/3})`.
//!
//! Run with `cargo run -p jetnewton-optim --example solver`.

use jetnewton_optim::solver::{cubic_model, solve, CubicParams};

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let gbar = [0.8, -0.3, 0.1];
    let hbar = [
        vec![2.0, 0.4, 0.0],
        vec![0.4, 1.0, -0.2],
        vec![0.0, -0.2, 0.5],
    ];
    let d3 = [0.5, -1.5, 3.0];
    let config = CubicParams::default();
    let solution = solve(&gbar, &hbar, &d3, &config)?;
    let eta = &solution.eta;
    let value = cubic_model(&gbar, &hbar, &d3, config.lambda_int, eta);
    println!(
        "eta = {eta:?}, T(eta) = {value:.6} (lambda_int = {})",
        config.lambda_int
    );
    // η* is a minimiser: the model is lower there than at 0 and at nearby points.
    for s in 0..eta.len() {
        for h in [-1e-3, 1e-3] {
            let mut near = eta.clone();
            near[s] += h;
            if cubic_model(&gbar, &hbar, &d3, config.lambda_int, &near) < value {
                return Err(format!("eta is not a local minimiser along group {s}").into());
            }
        }
    }
    if value >= 0.0 || value != solution.model_decrease {
        return Err("the model predicts no decrease, or not the solver's".into());
    }
    Ok(())
}
