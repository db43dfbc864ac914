//! The process's peak resident memory, for the records.

/// Peak resident set size in MiB (`VmHWM` of `/proc/self/status`), or 0 where the system does not say.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reports_a_plausible_peak_on_linux() {
        let mib = super::peak_rss_mib();
        if cfg!(target_os = "linux") {
            // A test binary holds at least a megabyte and (here) far less than a terabyte.
            assert!(mib > 1.0 && mib < 1e6, "{mib}");
        }
    }
}
