//! `--device cpu|cuda[:N]`: where the engine's large matrix products run.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use jetnewton_engine::device::{self, DeviceGuard};
use jetnewton_kernels::{CudaBackend, KernelMatmul};

use crate::cli::{CliError, Result};

/// A device named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceSpec {
    /// Everything on the CPU (rayon), the default.
    #[default]
    Cpu,
    /// The products of at least [`jetnewton_kernels::device::CUDA_MIN_WORK`] multiply-adds on CUDA device `N`;
    /// the rest of the computation on the CPU.
    Cuda(usize),
}

impl FromStr for DeviceSpec {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "cpu" => Ok(DeviceSpec::Cpu),
            "cuda" => Ok(DeviceSpec::Cuda(0)),
            other => match other.strip_prefix("cuda:") {
                Some(n) => n.parse().map(DeviceSpec::Cuda).map_err(|_| {
                    format!("`{other}`: the device ordinal `{n}` is not a non-negative integer")
                }),
                None => Err(format!(
                    "unknown device `{other}`: expected cpu, cuda or cuda:N"
                )),
            },
        }
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSpec::Cpu => f.write_str("cpu"),
            DeviceSpec::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

/// An open GPU, installed as the engine's matrix-product device until dropped.
#[derive(Debug)]
pub struct OpenDevice {
    gpu: Arc<KernelMatmul<CudaBackend>>,
    _installed: DeviceGuard,
}

impl OpenDevice {
    /// The GPU, for work that keeps its data on the device (the resident MLP summaries).
    pub fn gpu(&self) -> &KernelMatmul<CudaBackend> {
        &self.gpu
    }
}

impl DeviceSpec {
    /// Opens the device and installs it as the engine's matrix-product device for as long as the handle lives;
    /// nothing to do for the CPU. A clear error when CUDA is asked for and cannot be used (no CUDA support in
    /// this build, no PTX, no driver, no such device).
    pub fn open(self) -> Result<Option<OpenDevice>> {
        match self {
            DeviceSpec::Cpu => Ok(None),
            DeviceSpec::Cuda(n) => {
                let gpu = Arc::new(KernelMatmul::cuda(n).map_err(|e| CliError::Flag {
                    flag: "device",
                    reason: format!("{self}: {e}"),
                })?);
                let installed = device::install(gpu.clone());
                Ok(Some(OpenDevice {
                    gpu,
                    _installed: installed,
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_cuda_ordinals() {
        assert_eq!("cpu".parse(), Ok(DeviceSpec::Cpu));
        assert_eq!("cuda".parse(), Ok(DeviceSpec::Cuda(0)));
        assert_eq!("cuda:3".parse(), Ok(DeviceSpec::Cuda(3)));
        assert_eq!(DeviceSpec::Cuda(3).to_string(), "cuda:3");
    }

    #[test]
    fn rejects_other_names_with_the_choices() {
        let e = "tpu".parse::<DeviceSpec>().unwrap_err();
        assert!(
            e.contains("unknown device `tpu`") && e.contains("cpu, cuda or cuda:N"),
            "{e}"
        );
        let e = "cuda:-1".parse::<DeviceSpec>().unwrap_err();
        assert!(e.contains("`-1`"), "{e}");
        assert!("cuda:".parse::<DeviceSpec>().is_err());
    }

    #[test]
    fn the_cpu_installs_nothing() {
        assert!(DeviceSpec::Cpu.open().unwrap().is_none());
    }

    /// Without the `cuda` feature (this test's build), asking for CUDA names the missing support.
    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_support_says_so() {
        let e = DeviceSpec::Cuda(0).open().unwrap_err().to_string();
        assert_eq!(
            e,
            "--device: cuda:0: jetnewton was not compiled with CUDA support (enable the `cuda` feature)"
        );
    }

    /// With the `cuda` feature but no usable GPU (CI: no nvcc-built PTX, or no driver), the error names the
    /// device and the reason; with a GPU, the device opens.
    #[cfg(feature = "cuda")]
    #[test]
    fn cuda_opens_or_says_why() {
        match (
            jetnewton_kernels::cuda_available(),
            DeviceSpec::Cuda(0).open(),
        ) {
            (Ok(()), Ok(guard)) => assert!(guard.is_some()),
            (Err(why), Err(e)) => {
                eprintln!("skipped opening a GPU: {why}");
                assert_eq!(e.to_string(), format!("--device: cuda:0: {why}"));
            }
            (available, opened) => panic!("cuda_available {available:?} but open {opened:?}"),
        }
        let e = DeviceSpec::Cuda(4096).open().unwrap_err().to_string();
        assert!(e.starts_with("--device: cuda:4096: "), "{e}");
    }
}
