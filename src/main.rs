//! The `jetnewton` command line: see `jetnewton --help`.

use std::process::ExitCode;

use clap::Parser;

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
