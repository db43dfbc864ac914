//! Where a session's tensors live. With a compute device installed for the process (`jetnewton --device
//! emulated|cuda train`), the parameters are uploaded once when the session opens and stay resident: the oracle
//! uploads each minibatch next to them, every op with a device rule runs there, and Method 1's and SGD's updates
//! (linear combinations) leave the parameters on the device. An update written on the host (Adam's, K-FAC's)
//! brings the parameters back to the host; the session puts them on the device again after the step, so the next
//! step's passes still run there (one counted upload of the parameters per step). Without a compute device
//! nothing moves.

use std::sync::Arc;

use jetnewton_engine::device::{self, ComputeDevice};
use jetnewton_engine::{Float, Tensor};

use crate::train::error::Result;

/// The device a session keeps its parameters on, when one is installed.
pub(crate) fn installed() -> Option<Arc<dyn ComputeDevice>> {
    device::current_compute()
}

/// Uploads every parameter that is not already on `device` (a host tensor, e.g. after an update written on the
/// host or a checkpoint's restore); tensors already there are left alone, at no cost.
pub(crate) fn keep_on<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    params: &mut [Tensor<F>],
) -> Result<()> {
    for p in params.iter_mut() {
        *p = p.to_device(device)?;
    }
    Ok(())
}
