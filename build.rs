//! Build script of `jetnewton-kernels` (its Cargo.toml says `build = "../build.rs"`).
//!
//! Compiles every `kernels/cu/*.cu` to PTX in `OUT_DIR` with `nvcc --ptx -O3 -arch=$CUDA_ARCH`
//! (default `compute_90`), but only when the `cuda` feature is on or `JETNEWTON_COMPILE_KERNELS=1`
//! (CI uses the latter to check the kernels compile without the feature).
//!
//! nvcc is looked up in `$NVCC`, then `$CUDA_HOME/bin/nvcc`, then `PATH`. Without nvcc the build
//! succeeds with one `cargo::warning` and `--cfg jetnewton_no_ptx`, and the crate reports "no PTX"
//! at run time. A kernel that nvcc rejects fails the build, with nvcc's stderr.
//!
//! Cargo also picks this file up as the build script of the root package `jetnewton` (a `build.rs`
//! next to its Cargo.toml); there it does nothing.

use std::env;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

/// The package this script builds kernels for.
const KERNELS_PACKAGE: &str = "jetnewton-kernels";
/// The virtual architecture nvcc targets when `CUDA_ARCH` is unset.
const DEFAULT_ARCH: &str = "compute_90";
/// Set when no PTX is embedded: feature off, or nvcc missing.
const NO_PTX_CFG: &str = "jetnewton_no_ptx";

/// Why the build script stops the build.
enum BuildError {
    /// A variable that cargo always sets is missing.
    MissingCargoEnv(&'static str),
    /// Reading the kernel sources failed.
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// nvcc could not be started on a kernel (it answered `--version` just before).
    Spawn {
        nvcc: PathBuf,
        error: std::io::Error,
    },
    /// nvcc rejected a kernel; its stderr is already printed.
    Nvcc { source: PathBuf, status: String },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingCargoEnv(var) => write!(f, "cargo did not set {var}"),
            Self::Io { path, error } => write!(f, "cannot read {}: {error}", path.display()),
            Self::Spawn { nvcc, error } => write!(f, "cannot run {}: {error}", nvcc.display()),
            Self::Nvcc { source, status } => {
                write!(
                    f,
                    "nvcc failed on {} ({status}); its stderr is above",
                    source.display()
                )
            }
        }
    }
}

fn main() {
    if let Err(error) = run() {
        eprintln!("error: jetnewton-kernels build script: {error}");
        exit(1);
    }
}

fn run() -> Result<(), BuildError> {
    if env::var("CARGO_PKG_NAME").as_deref() != Ok(KERNELS_PACKAGE) {
        // The root package: no kernels; rerun only when this file changes.
        println!("cargo::rerun-if-changed=build.rs");
        return Ok(());
    }
    println!("cargo::rustc-check-cfg=cfg({NO_PTX_CFG})");
    for var in [
        "NVCC",
        "CUDA_HOME",
        "CUDA_ARCH",
        "JETNEWTON_COMPILE_KERNELS",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }

    let manifest_dir = cargo_env("CARGO_MANIFEST_DIR")?;
    let cu_dir = manifest_dir.join("cu");
    // A directory makes cargo rerun when a file is added to or removed from it.
    println!("cargo::rerun-if-changed={}", cu_dir.display());
    let feature_on = env::var_os("CARGO_FEATURE_CUDA").is_some();
    let forced = env::var("JETNEWTON_COMPILE_KERNELS").as_deref() == Ok("1");
    let enabled = feature_on || forced;
    // Without the feature a missing `cu/` is no concern of this build.
    let (sources, headers) = match kernel_files(&cu_dir) {
        Ok(files) => files,
        Err(error) if enabled => return Err(error),
        Err(_) => Default::default(),
    };
    for path in sources.iter().chain(&headers) {
        println!("cargo::rerun-if-changed={}", path.display());
    }
    if !enabled {
        println!("cargo::rustc-cfg={NO_PTX_CFG}");
        return Ok(());
    }

    let nvcc = match find_nvcc() {
        Ok(nvcc) => nvcc,
        Err(why) => {
            println!(
                "cargo::warning=nvcc was not found ({why}); the CUDA kernels are not built \
                 (set NVCC or CUDA_HOME to build them)"
            );
            println!("cargo::rustc-cfg={NO_PTX_CFG}");
            return Ok(());
        }
    };
    let out_dir = cargo_env("OUT_DIR")?;
    let arch = cuda_arch();
    for source in &sources {
        compile(&nvcc, &arch, &cu_dir, source, &out_dir)?;
    }
    Ok(())
}

/// A path-valued variable that cargo sets for every build script.
fn cargo_env(var: &'static str) -> Result<PathBuf, BuildError> {
    env::var_os(var)
        .map(PathBuf::from)
        .ok_or(BuildError::MissingCargoEnv(var))
}

/// The `.cu` and `.cuh` files directly in `cu_dir`, each list sorted.
fn kernel_files(cu_dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), BuildError> {
    let io = |error| BuildError::Io {
        path: cu_dir.to_path_buf(),
        error,
    };
    let mut sources = Vec::new();
    let mut headers = Vec::new();
    for entry in fs::read_dir(cu_dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("cu") => sources.push(path),
            Some("cuh") => headers.push(path),
            _ => {}
        }
    }
    sources.sort();
    headers.sort();
    Ok((sources, headers))
}

/// `CUDA_ARCH`, or `compute_90`; a bare number such as `86` means `compute_86`.
fn cuda_arch() -> String {
    match env::var("CUDA_ARCH") {
        Ok(arch) if arch.chars().all(|c| c.is_ascii_digit()) && !arch.is_empty() => {
            format!("compute_{arch}")
        }
        Ok(arch) if !arch.trim().is_empty() => arch.trim().to_string(),
        _ => DEFAULT_ARCH.to_string(),
    }
}

/// The nvcc to use, checked by running `nvcc --version`; otherwise a one-line reason.
fn find_nvcc() -> Result<PathBuf, String> {
    let exe = format!("nvcc{}", env::consts::EXE_SUFFIX);
    let nonempty = |var: &str| env::var_os(var).filter(|v| !v.is_empty());
    let candidate = if let Some(nvcc) = nonempty("NVCC") {
        PathBuf::from(nvcc)
    } else if let Some(home) = nonempty("CUDA_HOME")
        .map(|h| PathBuf::from(h).join("bin").join(&exe))
        .filter(|p| p.is_file())
    {
        home
    } else {
        let path = env::var_os("PATH").unwrap_or_default();
        env::split_paths(&path)
            .map(|dir| dir.join(&exe))
            .find(|p| p.is_file())
            .ok_or_else(|| "not in NVCC, CUDA_HOME/bin or PATH".to_string())?
    };
    match Command::new(&candidate).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(candidate),
        Ok(out) => Err(format!("{} --version: {}", candidate.display(), out.status)),
        Err(error) => Err(format!("{}: {error}", candidate.display())),
    }
}

/// Compiles one `.cu` to `<out_dir>/<stem>.ptx`; nvcc's stderr goes to ours on failure and to
/// cargo warnings on success.
fn compile(
    nvcc: &Path,
    arch: &str,
    cu_dir: &Path,
    source: &Path,
    out_dir: &Path,
) -> Result<(), BuildError> {
    let mut name = source.file_stem().unwrap_or_default().to_os_string();
    name.push(".ptx");
    let ptx = out_dir.join(name);
    let output = Command::new(nvcc)
        .arg("--ptx")
        .arg(format!("-arch={arch}"))
        .arg("-O3")
        .arg("-I")
        .arg(cu_dir)
        .arg("-o")
        .arg(&ptx)
        .arg(source)
        .output()
        .map_err(|error| BuildError::Spawn {
            nvcc: nvcc.to_path_buf(),
            error,
        })?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        eprintln!("{}{stderr}", String::from_utf8_lossy(&output.stdout));
        return Err(BuildError::Nvcc {
            source: source.to_path_buf(),
            status: output.status.to_string(),
        });
    }
    for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
        println!("cargo::warning=nvcc: {line}");
    }
    Ok(())
}
