//! `summaries --order d`: the full symmetric `D^d` (appendix A's Algorithm 3) next to the summaries, as index
//! tuples and values (symmetric storage: one entry per non-decreasing tuple of group indices).

use jetnewton_engine::summaries::{symmetric_derivative, MAX_SYMMETRIC_ORDER};
use jetnewton_engine::{Float, Graph};
use jetnewton_nets::Params;
use serde_json::{json, Value};

use crate::cli::{CliError, Result};
use crate::workload::Workload;

/// Errors (exit 2, naming `--order`) unless `1 ≤ order ≤ 4`.
pub fn check_order(order: usize) -> Result<()> {
    if (1..=MAX_SYMMETRIC_ORDER).contains(&order) {
        return Ok(());
    }
    Err(CliError::Flag {
        flag: "order",
        reason: format!(
            "{order} is outside 1..={MAX_SYMMETRIC_ORDER} (1: gbar, 2: hbar, 3: the full D³, 4: D⁴)"
        ),
    })
}

/// `{"order": d, "indices": [[a_1, …, a_d], …], "values": [...]}` for `inputs` along `direction`.
pub fn dd_json<F: Float>(
    inputs: &Workload<'_, F>,
    direction: &Params<F>,
    order: usize,
) -> Result<Value> {
    let g = Graph::new();
    let built = inputs.build(&g)?;
    let dir = built.direction(&g, direction)?;
    let dd = symmetric_derivative(&g, built.loss, &built.groups, &dir, order)?;
    if let Some((index, v)) = dd.iter().find(|(_, v)| !v.is_finite()) {
        return Err(CliError::NonFinite(format!(
            "D^{order}{index:?} = {v}: the model's values overflow {} at these weights; nothing was printed",
            F::NAME
        )));
    }
    let (indices, values): (Vec<_>, Vec<_>) = dd.into_iter().unzip();
    Ok(json!({"order": order, "indices": indices, "values": values}))
}
