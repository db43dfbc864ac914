//! The host build of the kernels (feature `host-kernels`), a module of the workspace `build.rs`.
//!
//! Every `kernels/cu/<stem>.cu` is compiled as C++20 through `kernels/host/<stem>.cpp` (the shim
//! `cuda_host.h`, then the `.cu` itself, then its table of entry points), together with the fiber
//! scheduler and the registry, into the static library `jetnewton_host_kernels`. The registry learns
//! the stems from `$OUT_DIR/host_modules.inc`, written here, so a new kernel file needs only its
//! `.cpp`; a `.cu` without one stops the build, so no kernel escapes the host tests.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::BuildError;

/// Name of the static library linked into the crate.
const LIB: &str = "jetnewton_host_kernels";
/// Sources of the shim itself, in `kernels/host/`.
const RUNTIME: [&str; 3] = ["fiber_launch.cpp", "registry.cpp", "selftest.cpp"];

/// Compiles the host kernels; `Ok(false)` (with a cargo warning) when this target cannot: not a
/// Unix (the scheduler needs `ucontext`) or no C++ compiler.
pub fn build(manifest_dir: &Path, sources: &[PathBuf], out_dir: &Path) -> Result<bool, BuildError> {
    let host_dir = manifest_dir.join("host");
    let cu_dir = manifest_dir.join("cu");
    println!("cargo::rerun-if-changed={}", host_dir.display());
    if env::var_os("CARGO_CFG_UNIX").is_none() {
        println!(
            "cargo::warning=the host build of the CUDA kernels needs a Unix target (ucontext); \
             their host tests are skipped"
        );
        return Ok(false);
    }

    let mut units: Vec<PathBuf> = RUNTIME.iter().map(|f| host_dir.join(f)).collect();
    let mut modules = String::new();
    for source in sources {
        let stem = source
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let unit = host_dir.join(format!("{stem}.cpp"));
        // The stem is pasted into a C identifier (jn_host_kernels_<stem>).
        let identifier = !stem.is_empty()
            && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !stem.starts_with(|c: char| c.is_ascii_digit());
        if !identifier || !unit.is_file() {
            return Err(BuildError::MissingHostUnit {
                source: source.clone(),
                expected: unit,
            });
        }
        units.push(unit);
        modules.push_str(&format!("JN_HOST_MODULE({stem})\n"));
    }
    for unit in &units {
        println!("cargo::rerun-if-changed={}", unit.display());
    }
    let inc = out_dir.join("host_modules.inc");
    fs::write(&inc, modules).map_err(|error| BuildError::Io { path: inc, error })?;

    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++20")
        .include(&cu_dir)
        .include(&host_dir)
        .include(out_dir)
        .files(&units)
        .warnings(true)
        .extra_warnings(true)
        // `#pragma unroll` is nvcc's; g++ would warn about every one.
        .flag_if_supported("-Wno-unknown-pragmas");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("macos") {
        // macOS hides the (deprecated) ucontext calls unless asked for them.
        build.define("_XOPEN_SOURCE", "700");
    }
    if let Err(why) = compiler_present(&build) {
        println!(
            "cargo::warning=no C++ compiler ({why}); the host build of the CUDA kernels and their \
             host tests are skipped"
        );
        return Ok(false);
    }
    build
        .try_compile(LIB)
        .map_err(|error| BuildError::HostCompile(error.to_string()))?;
    Ok(true)
}

/// Whether the compiler `cc` picked answers `--version`: a missing compiler skips the host build,
/// while a compiler that rejects a kernel fails it.
fn compiler_present(build: &cc::Build) -> Result<(), String> {
    let tool = build.try_get_compiler().map_err(|e| e.to_string())?;
    match Command::new(tool.path()).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "{} --version: {}",
            tool.path().display(),
            out.status
        )),
        Err(error) => Err(format!("{}: {error}", tool.path().display())),
    }
}
