//! Safe wrappers that launch each kernel: they check every buffer against the span the kernel
//! will touch, pick the launch shape, and push the arguments in the kernel's order. Written once
//! over [`Backend`](crate::Backend), they run unchanged on a GPU and on the host backend.

pub mod arith;
pub mod contract;
pub mod conv;
pub mod elementwise;
pub mod matmul;
pub mod pool;
pub mod softmax;

use crate::backend::{Buffer, LaunchDims};
use crate::elem::Elem;
use crate::error::KernelError;

/// Threads per block of every one-dimensional kernel (the reductions assume exactly this).
pub(crate) const THREADS: u32 = 256;
/// Most blocks a grid-stride launch uses: about four waves of 256-thread blocks on a 132-SM GPU;
/// beyond that, threads loop rather than adding blocks.
const MAX_BLOCKS: usize = 4096;
/// CUDA's limit on gridDim.y and gridDim.z.
pub(crate) const MAX_GRID_YZ: usize = 65_535;

/// The layout of a jet over `len` elements: `order + 1` coefficient planes `stride` apart.
///
/// Coefficient convention as in the CPU engine: plane k holds the k-th derivative along t
/// divided by k!.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JetLayout {
    /// Elements per coefficient.
    pub len: usize,
    /// Elements from one coefficient plane to the next (at least `len`).
    pub stride: usize,
    /// Highest coefficient (0 for a plain value).
    pub order: usize,
}

impl JetLayout {
    /// Highest jet order the kernels take.
    pub const MAX_ORDER: usize = 3;

    /// Planes packed back to back.
    pub fn dense(len: usize, order: usize) -> Self {
        Self {
            len,
            stride: len,
            order,
        }
    }

    /// Elements a buffer must hold.
    pub fn span(&self) -> usize {
        self.order * self.stride + self.len
    }

    /// Checks the order and the stride, with errors naming `op`.
    pub(crate) fn check(&self, op: &'static str) -> Result<(), KernelError> {
        if self.order > Self::MAX_ORDER {
            return Err(invalid(
                op,
                format!(
                    "jet order {} exceeds the kernels' maximum {}",
                    self.order,
                    Self::MAX_ORDER
                ),
            ));
        }
        if self.order > 0 && self.stride < self.len {
            return Err(invalid(
                op,
                format!(
                    "coefficient stride {} is below the length {}: planes would overlap",
                    self.stride, self.len
                ),
            ));
        }
        Ok(())
    }
}

/// [`KernelError::InvalidArgument`].
pub(crate) fn invalid(op: &'static str, reason: String) -> KernelError {
    KernelError::InvalidArgument { op, reason }
}

/// Checks that `buf` holds at least `needed` elements.
pub(crate) fn need<T: Elem>(
    op: &'static str,
    operand: &'static str,
    buf: &impl Buffer<T>,
    needed: usize,
) -> Result<(), KernelError> {
    if buf.len() < needed {
        return Err(KernelError::BufferTooSmall {
            op,
            operand,
            needed,
            len: buf.len(),
        });
    }
    Ok(())
}

/// A size or stride as the kernels' `long long`.
pub(crate) fn int(op: &'static str, v: usize) -> Result<i64, KernelError> {
    i64::try_from(v).map_err(|_| invalid(op, format!("{v} does not fit in an i64")))
}

/// Blocks of [`THREADS`] for a grid-stride loop over `n` items (at least one block).
pub(crate) fn grid_stride(n: usize) -> LaunchDims {
    let blocks = n.div_ceil(THREADS as usize).clamp(1, MAX_BLOCKS);
    LaunchDims {
        grid: [blocks as u32, 1, 1],
        block: [THREADS, 1, 1],
    }
}

/// One block of [`THREADS`] per row, rows past the grid's limit looping in the kernel.
pub(crate) fn per_row(rows: usize) -> LaunchDims {
    let blocks = rows.clamp(1, MAX_GRID_YZ);
    LaunchDims {
        grid: [blocks as u32, 1, 1],
        block: [THREADS, 1, 1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_stride_caps_blocks() {
        assert_eq!(grid_stride(0).grid, [1, 1, 1]);
        assert_eq!(grid_stride(257).grid, [2, 1, 1]);
        assert_eq!(grid_stride(1 << 40).grid, [MAX_BLOCKS as u32, 1, 1]);
    }

    #[test]
    fn jet_layout_checks() {
        assert_eq!(JetLayout::dense(10, 2).span(), 30);
        assert!(JetLayout::dense(10, 4).check("t").is_err());
        let overlapping = JetLayout {
            len: 10,
            stride: 5,
            order: 1,
        };
        assert!(overlapping.check("t").is_err());
    }
}
