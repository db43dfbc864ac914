//! The `jetnewton` command line: see `jetnewton --help`.

use std::process::ExitCode;

use clap::Parser;

// Tensors of megabytes are allocated and freed on every op: the system allocator hands them back to the kernel
// each time and pays page faults on the next; mimalloc keeps them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = jetnewton::cli::Cli::parse();
    match jetnewton::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
