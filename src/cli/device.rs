//! `--device cpu|emulated|cuda[:N]`: where the engine's tensors live and its work runs.
//!
//! An open device serves two roles, installed for the process: the engine's matrix-product device for host
//! tensors, and the [`ComputeDevice`] that commands make their tensors resident on ([`OpenDevice::compute`],
//! [`device::current_compute`]).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use jetnewton_engine::device::{self, ComputeDevice, DeviceGuard};
use jetnewton_engine::summaries::Summaries;
use jetnewton_engine::Float;
use jetnewton_kernels::{Backend, KernelMatmul, Real};
use jetnewton_nets::Params;

use crate::cli::measure::median_ms;
use crate::cli::{CliError, Result};
use crate::resident::{on_kernels, resident_mlp, OnKernels};
use crate::workload::Workload;

/// A device named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceSpec {
    /// Everything on the CPU (rayon), the default.
    #[default]
    Cpu,
    /// Every product (and an MLP's summaries) through the CUDA kernels compiled as host C++: slow and exact, for
    /// checking the kernel paths without a GPU (a build with the `host-kernels` feature).
    Emulated,
    /// The products of at least [`jetnewton_kernels::device::CUDA_MIN_WORK`] multiply-adds on CUDA device `N`;
    /// the rest of the computation on the CPU.
    Cuda(usize),
}

impl FromStr for DeviceSpec {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "cpu" => Ok(DeviceSpec::Cpu),
            "emulated" => Ok(DeviceSpec::Emulated),
            "cuda" => Ok(DeviceSpec::Cuda(0)),
            other => match other.strip_prefix("cuda:") {
                Some(n) => n.parse().map(DeviceSpec::Cuda).map_err(|_| {
                    format!("`{other}`: the device ordinal `{n}` is not a non-negative integer")
                }),
                None => Err(format!(
                    "unknown device `{other}`: expected cpu, emulated, cuda or cuda:N"
                )),
            },
        }
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSpec::Cpu => f.write_str("cpu"),
            DeviceSpec::Emulated => f.write_str("emulated"),
            DeviceSpec::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

/// An open kernels device (a GPU or its emulation), installed as the engine's matrix-product device until dropped.
#[derive(Debug)]
pub struct OpenDevice {
    compute: Arc<dyn ComputeDevice>,
    _installed: DeviceGuard,
}

impl OpenDevice {
    /// The device as the engine's [`ComputeDevice`], for tensors resident on it.
    pub fn compute(&self) -> &Arc<dyn ComputeDevice> {
        &self.compute
    }

    /// The device's one-line description.
    pub fn describe(&self) -> String {
        self.compute.describe()
    }

    /// The median time over `repeat` runs and the summaries of an MLP's workload `w` along `direction`, computed
    /// resident on the device; `None` when the model is not an MLP.
    pub fn resident_summaries<F: Float + Real>(
        &self,
        w: &Workload<'_, F>,
        direction: &Params<F>,
        repeat: usize,
    ) -> Result<Option<(f64, Summaries)>> {
        let work = Resident {
            w,
            direction,
            repeat,
        };
        on_kernels(&*self.compute, work).unwrap_or(Ok(None))
    }
}

/// [`OpenDevice::resident_summaries`] on one backend.
struct Resident<'a, 'm, F: Float> {
    w: &'a Workload<'m, F>,
    direction: &'a Params<F>,
    repeat: usize,
}

impl<F: Float + Real> OnKernels for Resident<'_, '_, F> {
    type Output = Result<Option<(f64, Summaries)>>;

    fn run<B: Backend + Send + 'static>(self, device: &KernelMatmul<B>) -> Self::Output {
        device.with_backend(|backend| {
            let Some(mut jets) = resident_mlp(backend, self.w, self.direction)? else {
                return Ok(None);
            };
            Ok(Some(median_ms(self.repeat, || Ok(jets.summaries()?))?))
        })
    }
}

impl DeviceSpec {
    /// Opens the device and installs it as the engine's matrix-product device for as long as the handle lives;
    /// nothing to do for the CPU. A clear error when the device cannot be used (no CUDA or host-kernel support in
    /// this build, no PTX, no driver, no such device).
    pub fn open(self) -> Result<Option<OpenDevice>> {
        let refused = |reason: String| CliError::Flag {
            flag: "device",
            reason: format!("{self}: {reason}"),
        };
        let compute: Arc<dyn ComputeDevice> = match self {
            DeviceSpec::Cpu => return Ok(None),
            DeviceSpec::Cuda(n) => {
                Arc::new(KernelMatmul::cuda(n).map_err(|e| refused(e.to_string()))?)
            }
            DeviceSpec::Emulated => emulated().map_err(refused)?,
        };
        let installed = device::install_compute(compute.clone());
        Ok(Some(OpenDevice {
            compute,
            _installed: installed,
        }))
    }
}

/// The host kernels as a device, in a build that has them.
#[cfg(feature = "host-kernels")]
fn emulated() -> std::result::Result<Arc<dyn ComputeDevice>, String> {
    match KernelMatmul::emulated() {
        Ok(d) => Ok(Arc::new(d)),
        Err(e) => Err(e.to_string()),
    }
}

/// Without the `host-kernels` feature there is nothing to emulate with.
#[cfg(not(feature = "host-kernels"))]
fn emulated() -> std::result::Result<Arc<dyn ComputeDevice>, String> {
    Err("this build has no host kernels (build with --features host-kernels)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_emulated_and_cuda_ordinals() {
        assert_eq!("cpu".parse(), Ok(DeviceSpec::Cpu));
        assert_eq!("emulated".parse(), Ok(DeviceSpec::Emulated));
        assert_eq!(DeviceSpec::Emulated.to_string(), "emulated");
        assert_eq!("cuda".parse(), Ok(DeviceSpec::Cuda(0)));
        assert_eq!("cuda:3".parse(), Ok(DeviceSpec::Cuda(3)));
        assert_eq!(DeviceSpec::Cuda(3).to_string(), "cuda:3");
    }

    #[test]
    fn rejects_other_names_with_the_choices() {
        let e = "tpu".parse::<DeviceSpec>().unwrap_err();
        assert!(
            e.contains("unknown device `tpu`") && e.contains("cpu, emulated, cuda or cuda:N"),
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

    /// Without the `host-kernels` feature, `emulated` names the missing support and the feature to build with.
    #[cfg(not(feature = "host-kernels"))]
    #[test]
    fn emulated_without_host_kernels_says_so() {
        let e = DeviceSpec::Emulated.open().unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            "--device: emulated: this build has no host kernels (build with --features host-kernels)"
        );
    }

    /// With the feature, `emulated` installs the host kernels for every product until the handle is dropped.
    #[cfg(feature = "host-kernels")]
    #[test]
    fn emulated_installs_the_host_kernels() {
        let open = DeviceSpec::Emulated.open().unwrap().expect("a device");
        assert!(
            open.describe().starts_with("emulated"),
            "{}",
            open.describe()
        );
        let current = device::current().expect("installed");
        assert_eq!(current.min_work(), 0);
        drop(open);
        assert!(device::current().is_none());
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
