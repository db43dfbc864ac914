//! The tiled GEMM (`cu/matmul.cu`): one launch computes, for every batch entry z,
//! `C_z = alpha * sum_p op(A_{z,p}) op(B_{z,p}) + beta * C_z`, which covers plain and batched
//! products, sums over samples, and the bilinear jet rule `y_k = sum_{i+j=k} A_i B_j` for all k at
//! once ([`matmul_jet`]).
//!
//! `mod.rs` holds the launch description [`Gemm`] and the launch; `check.rs` bounds every operand
//! inside its buffer; `jet.rs` maps the jet rule onto one launch.

mod check;
mod jet;

pub use jet::{matmul_jet, JetMatmul};

use crate::backend::{Backend, Buffer, KernelArgs, KernelRecord, LaunchDims};
use crate::elem::Real;
use crate::entries;
use crate::error::KernelError;

/// Rows and columns of C each block computes (`BM`, `BN` in the kernel).
const TILE: usize = 64;
/// Threads per block of the GEMM kernel.
const GEMM_THREADS: u32 = 256;

/// The kernel's `GemmArgs`, field for field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C)]
struct GemmArgs {
    m: i64,
    n: i64,
    k: i64,
    lda: i64,
    ldb: i64,
    ldc: i64,
    trans_a: i64,
    trans_b: i64,
    batch_a: i64,
    batch_b: i64,
    batch_c: i64,
    term_a: i64,
    term_b: i64,
    terms: i64,
    terms_step: i64,
}
// SAFETY: repr(C), i64 fields only, mirrors `struct GemmArgs` in cu/matmul.cu.
unsafe impl KernelRecord for GemmArgs {}

/// One launch of the GEMM, row-major: `op(A)` is `m x k`, `op(B)` is `k x n`, C is `m x n`.
///
/// Batch entry `z < batch` sums `terms + z * terms_step` products (none when that is not
/// positive), product `p` of entry `z` reading A at `offset_a + z * batch_a + p * term_a` and B
/// likewise; C_z starts at `offset_c + z * batch_c`. All offsets count elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gemm {
    /// Rows of C.
    pub m: usize,
    /// Columns of C.
    pub n: usize,
    /// Inner dimension.
    pub k: usize,
    /// A is stored `k x m` (op(A) = Aᵀ).
    pub trans_a: bool,
    /// B is stored `n x k` (op(B) = Bᵀ).
    pub trans_b: bool,
    /// Row stride of A as stored.
    pub lda: usize,
    /// Row stride of B as stored.
    pub ldb: usize,
    /// Row stride of C.
    pub ldc: usize,
    /// Number of batch entries (at most 65 535).
    pub batch: usize,
    /// Offset between batch entries of A.
    pub batch_a: isize,
    /// Offset between batch entries of B.
    pub batch_b: isize,
    /// Offset between batch entries of C.
    pub batch_c: isize,
    /// Products summed by entry 0.
    pub terms: isize,
    /// How many more products each further entry sums.
    pub terms_step: isize,
    /// Offset between the products of an entry in A.
    pub term_a: isize,
    /// Offset between the products of an entry in B.
    pub term_b: isize,
    /// Where A starts in its buffer.
    pub offset_a: usize,
    /// Where B starts in its buffer.
    pub offset_b: usize,
    /// Where C starts in its buffer.
    pub offset_c: usize,
}

impl Gemm {
    /// One product `C = A B` of packed row-major matrices.
    pub fn new(m: usize, n: usize, k: usize) -> Self {
        Self {
            m,
            n,
            k,
            trans_a: false,
            trans_b: false,
            lda: k,
            ldb: n,
            ldc: n,
            batch: 1,
            batch_a: 0,
            batch_b: 0,
            batch_c: 0,
            terms: 1,
            terms_step: 0,
            term_a: 0,
            term_b: 0,
            offset_a: 0,
            offset_b: 0,
            offset_c: 0,
        }
    }

    /// A stored transposed (`k x m`, packed).
    pub fn trans_a(mut self) -> Self {
        self.trans_a = true;
        self.lda = self.m;
        self
    }

    /// B stored transposed (`n x k`, packed).
    pub fn trans_b(mut self) -> Self {
        self.trans_b = true;
        self.ldb = self.k;
        self
    }

    /// `count` independent products, operands `batch_a`, `batch_b`, `batch_c` apart.
    pub fn batched(mut self, count: usize, batch_a: isize, batch_b: isize, batch_c: isize) -> Self {
        self.batch = count;
        self.batch_a = batch_a;
        self.batch_b = batch_b;
        self.batch_c = batch_c;
        self
    }

    /// Each entry sums `terms` products, operands `term_a`, `term_b` apart.
    pub fn summed(mut self, terms: usize, term_a: isize, term_b: isize) -> Self {
        self.terms = terms as isize;
        self.term_a = term_a;
        self.term_b = term_b;
        self
    }
}

/// Runs `g`: `C_z = alpha * sum_p op(A_{z,p}) op(B_{z,p}) + beta * C_z`. With `beta = 0`, C is
/// written without being read.
pub fn gemm<B: Backend, T: Real>(
    backend: &B,
    g: &Gemm,
    alpha: T,
    a: &B::Buffer<T>,
    b: &B::Buffer<T>,
    beta: T,
    c: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    let record = g.check(a.len(), b.len(), c.len())?;
    if g.m == 0 || g.n == 0 {
        return Ok(());
    }
    let dims = LaunchDims {
        grid: [
            g.n.div_ceil(TILE) as u32,
            g.m.div_ceil(TILE) as u32,
            g.batch as u32,
        ],
        block: [GEMM_THREADS, 1, 1],
    };
    let mut args = KernelArgs::new();
    args.record(&record)
        .input(a, g.offset_a)
        .input(b, g.offset_b)
        .output(c, g.offset_c)
        .real(alpha)
        .real(beta);
    // SAFETY: `check` bounded every element the launch reads or writes inside its buffer, and
    // the arguments follow `matmul_<T>(GemmArgs, a, b, c, alpha, beta)`.
    unsafe { backend.launch(entries::MATMUL.of::<T>(), dims, args) }
}

/// `C = A B` for packed row-major `A` (`m x k`), `B` (`k x n`), `C` (`m x n`).
pub fn matmul<B: Backend, T: Real>(
    backend: &B,
    (m, n, k): (usize, usize, usize),
    a: &B::Buffer<T>,
    b: &B::Buffer<T>,
    c: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    let one = T::from_f64(1.0);
    let zero = T::from_f64(0.0);
    gemm(backend, &Gemm::new(m, n, k), one, a, b, zero, c)
}
