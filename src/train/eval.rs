//! Loss and accuracy of a model on a whole data set (or a fixed part of it), in chunks.

use jetnewton_engine::{Float, Graph, Tensor};
use jetnewton_nets::data::Dataset;
use jetnewton_nets::{Model, NetsError, Params};

use crate::run::records::SplitMetrics;
use crate::train::error::Result;

/// Samples per forward pass: large enough for the GEMMs to run at full speed, small enough to bound memory.
const CHUNK: usize = 1000;

/// Mean cross-entropy and accuracy of `params` on the first `limit` samples of `data` (all when `limit` is 0 or
/// larger than the set). Computed in `f64` from the logits, so the figure does not depend on the chunking.
pub fn evaluate<F: Float>(
    model: &Model,
    params: &Params<F>,
    data: &Dataset,
    limit: usize,
) -> Result<SplitMetrics> {
    let n = if limit == 0 {
        data.len()
    } else {
        limit.min(data.len())
    };
    let classes = model.num_classes();
    let (mut loss, mut correct) = (0.0f64, 0usize);
    for start in (0..n).step_by(CHUNK) {
        let indices: Vec<usize> = (start..(start + CHUNK).min(n)).collect();
        let batch = data.batch_of(&indices).map_err(NetsError::from)?;
        let x = Tensor::from_vec(
            batch.shape().to_vec(),
            batch
                .inputs()
                .iter()
                .map(|&v| F::of(f64::from(v)))
                .collect(),
        )?;
        let graph = Graph::new();
        let fwd = model.forward(&graph, params, x)?;
        let logits = fwd.logits.value();
        for (row, &label) in logits.data().chunks_exact(classes).zip(batch.labels()) {
            let row: Vec<f64> = row.iter().map(|v| v.to_f64_lossless()).collect();
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let log_sum = row.iter().map(|v| (v - max).exp()).sum::<f64>().ln() + max;
            loss += log_sum - row[label];
            // The first maximum, as argmax conventions go; a NaN row counts as wrong.
            let best = row
                .iter()
                .enumerate()
                .fold(
                    (0, f64::NEG_INFINITY),
                    |b, (i, &v)| if v > b.1 { (i, v) } else { b },
                )
                .0;
            correct += usize::from(best == label && max.is_finite());
        }
    }
    Ok(SplitMetrics {
        loss: loss / n as f64,
        accuracy: correct as f64 / n as f64,
    })
}
