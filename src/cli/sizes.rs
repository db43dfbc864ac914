//! Size checks of the commands that build a model from `--model` and a batch (`grad`, `summaries`, `timing`):
//! refused before the weights or the batch are allocated, naming the flag at fault.

use jetnewton_nets::Model;

use crate::cli::{CliError, Result};
use crate::resources::{activation_bytes, human, param_bytes, too_much, JET_COPIES, MAX_REPEAT};

/// Refuses `--repeat` outside `1..=MAX_REPEAT` (see [`MAX_REPEAT`]).
pub fn check_repeat(repeat: usize) -> Result<()> {
    if (1..=MAX_REPEAT).contains(&repeat) {
        Ok(())
    } else {
        Err(CliError::Flag {
            flag: "repeat",
            reason: format!("{repeat} is not between 1 and {MAX_REPEAT}"),
        })
    }
}

/// Refuses a model and batch whose estimate is more than the machine's memory: the weights, the direction and the
/// gradient (three parameter-sized tensors) and, for a `batch` of `(flag, samples)`, the jets of the summaries on
/// it (four Taylor coefficients per activation), in scalars of `scalar` bytes. Like the training estimate, it
/// counts only what the command cannot do without. The error names `--model` when the parameters alone are too
/// many, else the larger part's flag.
pub fn check_memory(
    spec: &str,
    model: &Model,
    scalar: usize,
    batch: Option<(&'static str, usize)>,
) -> Result<()> {
    let size = model.size();
    let params = param_bytes(size, scalar, 3.0);
    let activations = batch.map_or(0.0, |(_, n)| activation_bytes(size, n, scalar, JET_COPIES));
    let total = params + activations;
    let Some(why) = too_much(total) else {
        return Ok(());
    };
    let params_part = format!(
        "{} for the {} parameters, their gradient and a direction",
        human(params),
        size.params
    );
    let (flag, reason) = match batch {
        Some((flag, n)) => (
            if params >= activations || too_much(params).is_some() {
                "model"
            } else {
                flag
            },
            format!(
                "{spec} with --{flag} {n} needs at least {}, {why}: {params_part}, and {} for the \
                 activations of the batch ({} scalars per sample)",
                human(total),
                human(activations),
                size.activations_per_sample
            ),
        ),
        None => (
            "model",
            format!(
                "{spec} needs at least {}, {why}: {params_part}",
                human(total)
            ),
        ),
    };
    Err(CliError::Flag { flag, reason })
}

/// Refuses a batch size of 0 or of more than `available` samples, naming `--batch-size`.
pub fn check_batch_size(batch_size: usize, available: Option<usize>) -> Result<()> {
    let reason = match available {
        _ if batch_size == 0 => "must be at least 1".to_string(),
        Some(n) if batch_size > n => {
            format!("{batch_size} is more than the {n} samples of the data")
        }
        _ => return Ok(()),
    };
    Err(CliError::Flag {
        flag: "batch-size",
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_is_bounded() {
        assert!(check_repeat(1).is_ok() && check_repeat(MAX_REPEAT).is_ok());
        for bad in [0, MAX_REPEAT + 1, usize::MAX] {
            let e = check_repeat(bad).unwrap_err().to_string();
            assert!(e.starts_with("--repeat: ") && e.contains("10000"), "{e}");
        }
    }

    #[test]
    fn the_larger_part_is_named() {
        let huge = Model::from_spec("mlp:784-100000000000-10").unwrap();
        let e = check_memory("mlp:784-100000000000-10", &huge, 4, Some(("batch-size", 1)))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--model: mlp:784-100000000000-10"), "{e}");
        let small = Model::from_spec("mlp:784-10").unwrap();
        assert!(check_memory("mlp:784-10", &small, 4, Some(("batch-size", 1000))).is_ok());
        let e = check_memory("mlp:784-10", &small, 4, Some(("batch-size", 1 << 50)))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--batch-size: "), "{e}");
        let e = check_memory("mlp:784-100000000000-10", &huge, 8, None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--model: ") && !e.contains("batch"), "{e}");
    }

    #[test]
    fn batch_sizes_are_named() {
        assert!(check_batch_size(5, Some(5)).is_ok() && check_batch_size(5, None).is_ok());
        for (b, n) in [(0, None), (6, Some(5))] {
            let e = check_batch_size(b, n).unwrap_err().to_string();
            assert!(e.starts_with("--batch-size: "), "{e}");
        }
    }
}
