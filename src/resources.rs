//! Sizes refused before anything is allocated: the machine's memory against an estimate of what a command needs,
//! and hard bounds on counts where memory is not what limits them.
//!
//! The estimates count only what a computation cannot do without (see [`activation_bytes`]), so they err low: a
//! command refused here could not have run on this machine, while one that passes may still need more than
//! estimated.

use jetnewton_nets::ModelSize;

/// The most worker threads `--threads` or the config's `threads` may ask for: far more than the cores of any
/// machine this runs on (the kernels gain nothing past one thread per core), and few enough that spawning them
/// cannot exhaust a process's limits (each thread reserves a stack of its own).
pub const MAX_THREADS: usize = 1024;

/// The most timed repeats of `summaries` and `timing` (`--repeat`): a median of more runs is no more precise,
/// and more only keep the command busy for hours on a model of any size.
pub const MAX_REPEAT: usize = 10_000;

/// Copies of one sample's activations a backward pass holds: each activation and its gradient.
pub const GRADIENT_COPIES: f64 = 2.0;

/// Copies of one sample's activations a pass of jets of order 3 holds: the four Taylor coefficients of each
/// activation (the reverse sweep of the summaries holds at least as much again, not counted).
pub const JET_COPIES: f64 = 4.0;

/// The largest allocation any process can make: `isize::MAX` bytes (Rust's bound on one allocation). Used where
/// the machine's memory cannot be read, so that absurd sizes are refused everywhere.
const ADDRESS_LIMIT: f64 = isize::MAX as f64;

/// The machine's physical memory in bytes (`MemTotal` of `/proc/meminfo`), or `None` where it cannot be read.
pub fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    mem_total(&text)
}

/// `MemTotal` of a `/proc/meminfo` text, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find_map(|l| l.strip_prefix("MemTotal:"))?;
    let kib: u64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
    kib.checked_mul(1024)
}

/// A byte count for people: `381 GiB`, `1.5 GiB`, `12 MiB`, `3 KiB`, `512 B` (three significant digits at most).
pub fn human(bytes: f64) -> String {
    let units = [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)];
    for (unit, shift) in units {
        let scale = (1u64 << shift) as f64;
        if bytes >= scale {
            let v = bytes / scale;
            return if v >= 100.0 || unit == "TiB" && v >= 10.0 {
                format!("{v:.0} {unit}")
            } else {
                format!("{v:.1} {unit}")
            };
        }
    }
    format!("{bytes:.0} B")
}

/// Why `bytes` cannot be had on a machine with `memory` bytes (`None`: unknown), or `None` when they may.
fn exceeds(bytes: f64, memory: Option<u64>) -> Option<String> {
    match memory {
        Some(m) if bytes > m as f64 => Some(format!(
            "more than this machine's {} of memory",
            human(m as f64)
        )),
        None if bytes > ADDRESS_LIMIT => Some("more than any process can allocate".into()),
        _ => None,
    }
}

/// Why `bytes` cannot be had on this machine, or `None` when they may (always when its memory is unknown,
/// unless no process could allocate that much).
pub fn too_much(bytes: f64) -> Option<String> {
    exceeds(bytes, physical_memory())
}

/// Bytes of one pass over `batch` samples holding `copies` copies of each sample's activations (the input and
/// every layer's output) in scalars of `scalar` bytes. Counted in `f64`: the counts are at most 2⁵³ each
/// (`jetnewton_nets::MAX_COUNT`), so the product cannot overflow and is exact enough for an estimate.
pub fn activation_bytes(size: ModelSize, batch: usize, scalar: usize, copies: f64) -> f64 {
    size.activations_per_sample as f64 * batch as f64 * scalar as f64 * copies
}

/// Bytes of `copies` parameter-sized tensors of scalars of `scalar` bytes.
pub fn param_bytes(size: ModelSize, scalar: usize, copies: f64) -> f64 {
    size.params as f64 * scalar as f64 * copies
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mem_total() {
        let text = "MemTotal:       24683664 kB\nMemFree:         1000 kB\n";
        assert_eq!(mem_total(text), Some(24_683_664 * 1024));
        assert_eq!(mem_total("MemFree: 3 kB\n"), None);
        assert_eq!(mem_total("MemTotal: lots kB\n"), None);
        if cfg!(target_os = "linux") {
            assert!(physical_memory().is_some_and(|m| m > 1 << 20));
        }
    }

    #[test]
    fn byte_counts_read_naturally() {
        assert_eq!(human(381.0 * (1u64 << 30) as f64), "381 GiB");
        assert_eq!(human(1.5 * (1u64 << 30) as f64), "1.5 GiB");
        assert_eq!(human(12.0 * (1u64 << 20) as f64), "12.0 MiB");
        assert_eq!(human(512.0), "512 B");
        assert_eq!(human(3.0 * (1u64 << 40) as f64), "3.0 TiB");
    }

    #[test]
    fn refuses_only_what_exceeds_the_memory() {
        let gib = (1u64 << 30) as f64;
        let machine = Some(24 * (1u64 << 30));
        assert_eq!(exceeds(10.0 * gib, machine), None);
        let why = exceeds(381.0 * gib, machine).unwrap();
        assert_eq!(why, "more than this machine's 24.0 GiB of memory");
        // Unknown memory: refuse only what no process can allocate.
        assert_eq!(exceeds(381.0 * gib, None), None);
        assert!(exceeds(1e30, None).is_some());
    }
}
