//! Build script of `jetnewton-kernels` (its Cargo.toml says `build = "../build.rs"`).
//!
//! Compiles every `kernels/cu/*.cu` to PTX in `OUT_DIR` with `nvcc --ptx -O3 -arch=$CUDA_ARCH`
//! (default `compute_90`), but only when the `cuda` feature is on or `JETNEWTON_COMPILE_KERNELS=1`
//! (CI uses the latter to check the kernels compile without the feature).
//!
//! nvcc is looked up in `$NVCC`, then `$CUDA_HOME/bin/nvcc`, then `PATH`; `JETNEWTON_PTX_ISA`
//! lowers the declared PTX ISA for drivers older than nvcc (see `ptx_isa`). Without nvcc the build
//! succeeds with one `cargo::warning` and `--cfg jetnewton_no_ptx`, and the crate reports "no PTX"
//! at run time. A kernel that nvcc rejects fails the build, with nvcc's stderr.
//!
//! With the `host-kernels` feature (on for this crate's own tests) it also compiles the same `.cu`
//! sources as host C++ with the `cc` crate, through the shim in `kernels/host/` — see
//! `kernels/build/host_kernels.rs`. Without a C++ compiler that part is skipped with a warning and
//! `--cfg jetnewton_no_host_kernels`; a kernel the compiler rejects fails the build.
//!
//! The root package `jetnewton` sets `build = false`; should it ever run this file, the package
//! check below makes it a no-op there.

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
/// Set when the host build of the kernels is absent: feature off, or no C++ compiler.
const NO_HOST_CFG: &str = "jetnewton_no_host_kernels";

#[cfg(feature = "host-kernels")]
#[path = "kernels/build/host_kernels.rs"]
mod host_kernels;

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
    /// A kernel source has no host translation unit `kernels/host/<stem>.cpp`.
    #[cfg_attr(not(feature = "host-kernels"), allow(dead_code))]
    MissingHostUnit { source: PathBuf, expected: PathBuf },
    /// The C++ compiler rejected the host build of the kernels; its output is already printed.
    #[cfg_attr(not(feature = "host-kernels"), allow(dead_code))]
    HostCompile(String),
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
            Self::MissingHostUnit { source, expected } => write!(
                f,
                "{} has no host translation unit: create {} (see kernels/host/matmul.cpp)",
                source.display(),
                expected.display()
            ),
            Self::HostCompile(message) => {
                write!(f, "host build of the kernels failed: {message}")
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
    println!("cargo::rustc-check-cfg=cfg({NO_HOST_CFG})");
    for var in [
        "NVCC",
        "CUDA_HOME",
        "CUDA_ARCH",
        "JETNEWTON_COMPILE_KERNELS",
        "JETNEWTON_PTX_ISA",
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
    build_host_kernels(&manifest_dir, &sources)?;
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
    let isa = ptx_isa();
    if let Some(isa) = &isa {
        println!("cargo::warning=PTX headers are rewritten to ISA {isa} (JETNEWTON_PTX_ISA)");
    }
    for source in &sources {
        let ptx = compile(&nvcc, &arch, &cu_dir, source, &out_dir)?;
        if let Some(isa) = &isa {
            set_isa(&ptx, isa)?;
        }
    }
    Ok(())
}

/// The host build of the kernels when the `host-kernels` feature is on.
fn build_host_kernels(manifest_dir: &Path, sources: &[PathBuf]) -> Result<(), BuildError> {
    #[cfg(feature = "host-kernels")]
    {
        let out_dir = cargo_env("OUT_DIR")?;
        if !host_kernels::build(manifest_dir, sources, &out_dir)? {
            println!("cargo::rustc-cfg={NO_HOST_CFG}");
        }
        Ok(())
    }
    #[cfg(not(feature = "host-kernels"))]
    {
        let _ = (manifest_dir, sources);
        println!("cargo::rustc-cfg={NO_HOST_CFG}");
        Ok(())
    }
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

/// `JETNEWTON_PTX_ISA` (e.g. `8.4`): the PTX ISA version to declare instead of nvcc's own.
///
/// A driver rejects PTX newer than itself (CUDA_ERROR_UNSUPPORTED_PTX_VERSION), and nvcc 13 from
/// PyPI writes ISA 9.0, which needs a r580 driver. The kernels use nothing newer than ISA 8.0
/// (loads, stores, arithmetic, `bar.sync`), so declaring an older ISA lets an older driver JIT
/// them; scripts/gpu-check.sh sets it from the driver's version. A malformed value is ignored
/// with a warning.
fn ptx_isa() -> Option<String> {
    let isa = env::var("JETNEWTON_PTX_ISA").ok()?;
    let isa = isa.trim();
    if isa.is_empty() {
        return None;
    }
    let valid = isa.split_once('.').is_some_and(|(a, b)| {
        [a, b]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    });
    if !valid {
        println!("cargo::warning=JETNEWTON_PTX_ISA={isa} is not of the form 8.4; ignored");
        return None;
    }
    Some(isa.to_string())
}

/// Replaces the `.version` line of the PTX file at `ptx` with `.version {isa}`.
fn set_isa(ptx: &Path, isa: &str) -> Result<(), BuildError> {
    let io = |error| BuildError::Io {
        path: ptx.to_path_buf(),
        error,
    };
    let text = fs::read_to_string(ptx).map_err(io)?;
    let rewritten: Vec<String> = text
        .lines()
        .map(|line| {
            if line.trim_start().starts_with(".version ") {
                format!(".version {isa}")
            } else {
                line.to_string()
            }
        })
        .collect();
    fs::write(ptx, rewritten.join("\n") + "\n").map_err(io)
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

/// Compiles one `.cu` to `<out_dir>/<stem>.ptx`, returning that path; nvcc's stderr goes to ours
/// on failure and to cargo warnings on success.
fn compile(
    nvcc: &Path,
    arch: &str,
    cu_dir: &Path,
    source: &Path,
    out_dir: &Path,
) -> Result<PathBuf, BuildError> {
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
    Ok(ptx)
}
