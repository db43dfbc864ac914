//! The `jetnewton` command line: argument parsing and one module per subcommand.

mod compare;
mod device;
mod error;
mod eta;
mod grad;
mod measure;
mod order;
mod partitions;
mod progress;
mod report;
mod sizes;
mod summaries;
mod timing;
mod train;

use clap::{Parser, Subcommand, ValueEnum};

pub use device::{DeviceSpec, OpenDevice};
pub use error::{CliError, Result};

/// jetnewton: Newton's method for neural networks through a summary of higher-order derivatives.
#[derive(Debug, Parser)]
#[command(name = "jetnewton", version, about, long_about = None)]
pub struct Cli {
    /// Worker threads for the CPU kernels (default: all cores; at most 1024).
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// Where the work runs: `cpu`, `cuda[:N]` (a build with the `cuda` feature and an NVIDIA GPU), or `emulated`
    /// (a build with the `host-kernels` feature: the CUDA kernels compiled for the CPU; slow, for checking the
    /// kernels, not for speed). The commands that compute (`train`, `compare`, `summaries`, `grad`, `timing`) keep
    /// their tensors resident on the device and run there every op that has a device rule.
    #[arg(long, global = true, default_value = "cpu")]
    pub device: DeviceSpec,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model (default: an MLP on the embedded digits with Method 1) and leave a run directory with
    /// records, pictures, checkpoints and the final weights.
    Train(Box<train::TrainArgs>),
    /// Draw the pictures of a run directory, or compare several runs on shared axes.
    Report(report::ReportArgs),
    /// Train several configs (skipping completed runs) and write one comparison report.
    Compare(compare::CompareArgs),
    /// Per-layer gradient norms of a model on a minibatch of the embedded 8×8 digits.
    Grad(grad::GradArgs),
    /// gbar, hbar and diag D³ of a model on given weights, batch and direction, as one JSON object.
    Summaries(summaries::SummariesArgs),
    /// The number of groups S (and the groups) of each partition of a model.
    Partitions(partitions::PartitionsArgs),
    /// Time the gradient, the summaries by jets and by double backward on a seeded synthetic batch.
    Timing(timing::TimingArgs),
}

/// Precision of the computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dtype {
    /// 32-bit floats (training).
    F32,
    /// 64-bit floats (checks and exchange with PyTorch's double-backward fixtures).
    F64,
}

/// How the summaries are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// One jet pass per group, sharing the order-0 work.
    Jet,
    /// Reverse-over-reverse differentiation (the paper's code path).
    DoubleBackward,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    train::check_threads(cli.threads)?;
    // `train` sets the pool itself: a resumed run takes its thread count from its config.
    if !matches!(cli.command, Command::Train(_) | Command::Compare(_)) {
        train::set_threads(cli.threads)?;
    }
    // Pictures and partition listings multiply no matrices: they run wherever they are asked to.
    let device = match cli.command {
        Command::Report(_) | Command::Partitions(_) => None,
        _ => cli.device.open()?,
    };
    match cli.command {
        Command::Train(a) => train::run(&a, cli.threads),
        Command::Report(a) => report::run(&a),
        Command::Compare(a) => compare::run(&a, cli.threads),
        Command::Grad(a) => grad::run(&a),
        Command::Summaries(a) => summaries::run(&a, device.as_ref()),
        Command::Timing(a) => timing::run(&a, device.as_ref()),
        Command::Partitions(a) => partitions::run(&a),
    }?;
    // A device that failed had its products recomputed on the CPU: the output is sound, but say so.
    jetnewton_engine::device::health()?;
    Ok(())
}
