//! `--lambda-int L` of `summaries`: the check of the flag (η* itself is [`crate::eta::eta_json`]).

use crate::cli::{CliError, Result};

/// Refuses a λ_int that is negative or not finite, naming the flag.
pub fn check_lambda_int(lambda_int: f64) -> Result<()> {
    if lambda_int.is_finite() && lambda_int >= 0.0 {
        Ok(())
    } else {
        Err(CliError::Flag {
            flag: "lambda-int",
            reason: format!(
                "{lambda_int} is not a finite number ≥ 0 (0: the unregularised Newton step)"
            ),
        })
    }
}

pub use crate::eta::eta_json;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lambda_int_is_refused_naming_the_flag() {
        let err = check_lambda_int(-1.0).unwrap_err().to_string();
        assert!(err.contains("--lambda-int"), "{err}");
        assert!(check_lambda_int(f64::NAN).is_err());
        assert!(check_lambda_int(0.0).is_ok());
    }
}
