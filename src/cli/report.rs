//! `jetnewton report`: the pictures of one run, or the comparison of several.

use std::path::PathBuf;

use clap::Args;

use crate::cli::{CliError, Result};
use crate::report::{load::files::PLOTS_DIR, plot_compare, plot_run};

/// Arguments of `jetnewton report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run directories written by `jetnewton train`. One: its pictures (loss, accuracy, η, hbar). Several: their
    /// comparison (loss, accuracy, summary.md).
    #[arg(value_name = "RUN_DIR", required = true)]
    pub runs: Vec<PathBuf>,
    /// Where to write the pictures [default for one run: RUN_DIR/plots; required for several].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Draws the pictures and prints the path of each file written, one per line.
pub fn run(args: &ReportArgs) -> Result<()> {
    let written = match (args.runs.as_slice(), &args.out) {
        ([one], out) => {
            let out = out.clone().unwrap_or_else(|| one.join(PLOTS_DIR));
            plot_run(one, &out)?
        }
        (several, Some(out)) => plot_compare(several, out)?,
        (_, None) => {
            return Err(CliError::Flag {
                flag: "out",
                reason: "required when comparing several runs (where should the comparison go?)"
                    .into(),
            })
        }
    };
    for path in written {
        println!("{}", path.display());
    }
    Ok(())
}
