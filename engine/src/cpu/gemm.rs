//! Matrix products through the `gemm` crate (a well-tuned, rayon-parallel GEMM), with transposes as strides, or
//! on the process's [`device`] when one is installed and the product is large enough.

use gemm::Parallelism;

use crate::device::{self, GemmCall};
use crate::float::Float;

/// Work (m·n·k) below which a product runs on one thread: forking costs more than it saves.
const PAR_WORK: usize = 1 << 18;

/// How one operand of a product is laid out in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Stored as written: `rows × cols`, row-major.
    Normal,
    /// Stored transposed: the operand is the transpose of a row-major `cols × rows` matrix.
    Transposed,
}

impl Layout {
    /// `Transposed` when `t`.
    pub fn from_flag(t: bool) -> Self {
        if t {
            Layout::Transposed
        } else {
            Layout::Normal
        }
    }

    /// (column stride, row stride) of an operand with `rows × cols` logical shape.
    fn strides(self, rows: usize, cols: usize) -> (isize, isize) {
        match self {
            Layout::Normal => (1, cols as isize),
            Layout::Transposed => (rows as isize, 1),
        }
    }
}

/// `dst (m×n) = beta_dst·dst + op(a) (m×k) · op(b) (k×n)`, where `beta_dst` is 0 (overwrite) or 1 (accumulate).
///
/// `a` and `b` hold `m·k` and `k·n` elements in the layouts given. Panics only on slice lengths that disagree
/// with `m, n, k`, which the callers check first. Runs on the installed device when there is one and the product
/// has at least its [`min_work`](device::MatmulDevice::min_work) multiply-adds; a failed device product is
/// recomputed here (see [`device::health`]).
#[allow(clippy::too_many_arguments)]
pub fn matmul<F: Float>(
    m: usize,
    n: usize,
    k: usize,
    a: &[F],
    la: Layout,
    b: &[F],
    lb: Layout,
    dst: &mut [F],
    accumulate: bool,
    parallel: bool,
) {
    assert!(
        a.len() >= m * k && b.len() >= k * n && dst.len() >= m * n,
        "gemm operand lengths"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].iter_mut().for_each(|x| *x = F::zero());
        }
        return;
    }
    let call = GemmCall {
        m,
        n,
        k,
        a: la,
        b: lb,
        accumulate,
    };
    if let Some(dev) = device::current().filter(|d| call.work() >= d.min_work()) {
        let dst = &mut dst[..m * n];
        // A failed launch may have left `dst` half written: start the CPU's product from a copy.
        let before = accumulate.then(|| dst.to_vec());
        match F::device_gemm(dev.as_ref(), &call, &a[..m * k], &b[..k * n], dst) {
            Ok(()) => return,
            Err(message) => {
                device::record_failure(dev.as_ref(), message);
                if let Some(before) = before {
                    dst.copy_from_slice(&before);
                }
            }
        }
    }
    let (a_cs, a_rs) = la.strides(m, k);
    let (b_cs, b_rs) = lb.strides(k, n);
    let par = if parallel && m * n * k >= PAR_WORK {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    };
    // SAFETY: the pointers cover m×k, k×n and m×n elements with the strides above (checked by the assert), and
    // dst does not alias a or b (it is a distinct &mut slice).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.as_ptr(),
            a_cs,
            a_rs,
            b.as_ptr(),
            b_cs,
            b_rs,
            F::one(),
            F::one(),
            false,
            false,
            false,
            par,
        );
    }
}
