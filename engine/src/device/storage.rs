//! A tensor's elements: in host memory, or resident on a [`ComputeDevice`] with a host copy made on first read.

use std::sync::{Arc, OnceLock};

use super::compute::{ComputeDevice, DeviceBuffer};
use crate::float::Float;

/// Where a tensor's elements are.
#[derive(Clone)]
pub(crate) enum Storage<F> {
    /// Host memory, shared copy-on-write.
    Host(Arc<Vec<F>>),
    /// A device buffer, shared; never written once made (ops write fresh buffers).
    Device(Arc<Resident<F>>),
}

/// A device buffer with the device that holds it, and the host copy that [`Resident::host`] makes on first read.
pub(crate) struct Resident<F> {
    /// The device holding the buffer.
    pub device: Arc<dyn ComputeDevice>,
    /// The elements.
    pub buffer: DeviceBuffer,
    /// The host copy, downloaded once when something reads the elements on the host.
    mirror: OnceLock<Vec<F>>,
}

impl<F: Float> Resident<F> {
    /// `buffer`, held by `device`.
    pub fn new(device: Arc<dyn ComputeDevice>, buffer: DeviceBuffer) -> Self {
        Self {
            device,
            buffer,
            mirror: OnceLock::new(),
        }
    }

    /// The buffer, to be written in place: drops the host copy, which would be stale.
    pub fn for_writing(&mut self) -> &mut DeviceBuffer {
        self.mirror = OnceLock::new();
        &mut self.buffer
    }

    /// The elements on the host: downloaded on the first call, then kept.
    ///
    /// Reading cannot fail here (callers take a slice), so a failed download records the device's failure, which
    /// [`super::health`] reports and the CLI checks after every step, and reads as NaN: no result built on it is
    /// kept.
    pub fn host(&self) -> &[F] {
        self.mirror.get_or_init(|| {
            let mut elements = vec![F::zero(); self.buffer.len()];
            let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut elements);
            if let Err(message) = self.device.download(&self.buffer, bytes) {
                super::record_failure_of(
                    self.device.describe(),
                    format!("download of {} elements: {message}", self.buffer.len()),
                );
                elements.fill(F::nan());
            }
            elements
        })
    }
}
