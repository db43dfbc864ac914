//! Stopping a training run by a signal: SIGINT (Ctrl-C), SIGTERM and SIGHUP set a flag that the step loop reads
//! between steps, so the run finishes its current step, writes a checkpoint and its status, and exits with code
//! 130. A second signal while it does so ends the process at once (exit 130); every file it writes is replaced
//! atomically, so even then the last checkpoint stays whole.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// The exit code of an interrupted run: 128 + SIGINT, the shell's convention for Ctrl-C, used for every signal
/// so that scripts test one code.
pub const EXIT_CODE: u8 = 130;

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Installs the handlers (once per process; later calls do nothing). Before this, a signal kills the process as
/// usual, which is only ever done before a run directory exists.
pub fn install() -> std::io::Result<()> {
    if FLAG.get().is_some() {
        return Ok(());
    }
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM, SIGHUP] {
        // Registered first, so it sees the flag as it was before this signal: set means a second signal.
        signal_hook::flag::register_conditional_shutdown(
            signal,
            i32::from(EXIT_CODE),
            flag.clone(),
        )?;
        signal_hook::flag::register(signal, flag.clone())?;
    }
    let _ = FLAG.set(flag);
    Ok(())
}

/// Whether a signal asked the run to stop.
pub fn requested() -> bool {
    FLAG.get().is_some_and(|f| f.load(Ordering::SeqCst))
}
