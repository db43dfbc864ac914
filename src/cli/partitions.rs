//! `jetnewton partitions`: the groups of every partition of a model (appendix K), with their count S.

use clap::Args;
use jetnewton_nets::{Model, PartitionSpec};

use crate::cli::Result;

/// Arguments of `jetnewton partitions`.
#[derive(Debug, Args)]
pub struct PartitionsArgs {
    /// Model spec, e.g. `vgg11p:3x32x32`.
    #[arg(long, default_value = "vgg11p:3x32x32")]
    pub model: String,
    /// Partitions to list (default: those of appendix K).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "trivial,weights-biases,blocks-2,alternate-2,blocks-4,alternate-4,canonical"
    )]
    pub partition: Vec<String>,
    /// Also print the tensors of each group.
    #[arg(long)]
    pub verbose: bool,
}

/// Prints `S` (and, verbosely, the groups) of each partition.
pub fn run(a: &PartitionsArgs) -> Result<()> {
    let model = Model::from_spec(&a.model)?;
    println!("{:<16} {:>4}", "partition", "S");
    for name in &a.partition {
        let spec: PartitionSpec = name.parse()?;
        let groups = spec.groups(&model)?;
        println!("{:<16} {:>4}", name, groups.len());
        if a.verbose {
            for (i, g) in groups.iter().enumerate() {
                println!("    {i:>3}: {}", g.join(" "));
            }
        }
    }
    Ok(())
}
