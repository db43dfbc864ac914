//! η* as JSON: the minimiser of Method 1's cubic-regularised model `T(η) = −ηᵀḡ + ½ ηᵀH̄η + (λ_int/6)‖Dη‖³`
//! on given summaries, with the solver's typed outcome; printed by `summaries --lambda-int` and recorded by the
//! probes of `train`.

use jetnewton_engine::summaries::Summaries;
use jetnewton_optim::solver::{solve, CubicParams, SolveOutcome};
use serde_json::{json, Value};

/// `(eta, solver)`: η* per group and, for the JSON, `{"status": "solved", "outcome", …}`, or `None` and
/// `{"status": "failed", "error"}` when the solver refuses the summaries (a singular or indefinite `hbar` with
/// λ_int = 0, say) — the summaries themselves are still valid output.
pub fn eta_json(s: &Summaries, lambda_int: f64) -> (Option<Vec<f64>>, Value) {
    let params = CubicParams {
        lambda_int,
        ..CubicParams::default()
    };
    match solve(&s.gbar, &s.hbar, &s.d3, &params) {
        Ok(sol) => (
            Some(sol.eta),
            json!({
                "status": "solved",
                "outcome": outcome_name(&sol.outcome),
                "detail": format!("{:?}", sol.outcome),
                "lambda_int": lambda_int,
                "model_decrease": sol.model_decrease,
                "inert_groups": sol.inert_groups,
                "negligible_d3_groups": sol.negligible_d3_groups,
            }),
        ),
        Err(e) => (
            None,
            json!({"status": "failed", "lambda_int": lambda_int, "error": e.to_string()}),
        ),
    }
}

/// The outcome's name, stable for scripts (`"cubic"`, `"newton"`, …).
fn outcome_name(o: &SolveOutcome) -> String {
    let debug = format!("{o:?}");
    let name = debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default();
    // CamelCase to kebab-case: `NewtonNoThirdOrder` → `newton-no-third-order`.
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newton_at_lambda_zero_and_solver_refusals_named() {
        let s = Summaries {
            loss: 1.0,
            gbar: vec![1.0, 2.0],
            hbar: vec![vec![2.0, 0.0], vec![0.0, 4.0]],
            d3: vec![1.0, 1.0],
            d3_slices: None,
        };
        let (eta, solver) = eta_json(&s, 0.0);
        assert_eq!(eta, Some(vec![0.5, 0.5]));
        assert_eq!(solver["status"], "solved");
        let singular = Summaries {
            hbar: vec![vec![1.0, 1.0], vec![1.0, 1.0]],
            ..s
        };
        let (eta, solver) = eta_json(&singular, 0.0);
        assert!(eta.is_none());
        assert_eq!(solver["status"], "failed");
    }
}
