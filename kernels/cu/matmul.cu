// Tiled matrix products with shared-memory tiles, batched and summed:
//
//   for z in 0..gridDim.z:   C_z = alpha * sum_{p < terms + z*terms_step} op(A_{z,p}) op(B_{z,p}) + beta * C_z
//
// with A_{z,p} at a + z*batch_a + p*term_a, B_{z,p} at b + z*batch_b + p*term_b, C_z at
// c + z*batch_c (element offsets, possibly negative). Row-major: op(A) is m x k, op(B) k x n, C m x n
// with row strides lda, ldb, ldc; `trans_a` means A is stored k x m (op(A) = A^T), likewise B.
//
// One launch serves every product the jet rules need: a plain or batched GEMM (terms = 1), the
// weight gradient of a convolution (a sum over samples), and the bilinear jet rule
// y_k = sum_{i+j=k} A_i B_j for all k at once (z = k, p = i, B walked backwards with term_b < 0).
// beta = 0 writes C without reading it, so C may hold garbage.
//
// Tiles: a 64 x 64 block of C per 256-thread block, 16-deep slabs of op(A) and op(B) staged in
// shared memory; each thread keeps a 4 x 4 register tile at rows ty + 16 i, columns tx + 16 j, so
// that a warp reads shared memory without bank conflicts and writes C in 16-wide runs.
#include "common.cuh"

using jetnewton::i64;

/// Sizes and strides of one launch; mirrored by `GemmArgs` in kernels/src/ops/matmul.rs.
struct GemmArgs {
    i64 m, n, k;
    i64 lda, ldb, ldc;
    i64 trans_a, trans_b;
    i64 batch_a, batch_b, batch_c;
    i64 term_a, term_b;
    i64 terms, terms_step;
};

namespace {

constexpr int BM = 64;
constexpr int BN = 64;
constexpr int BK = 16;
constexpr int TM = 4;
constexpr int TN = 4;
constexpr int THREADS = (BM / TM) * (BN / TN);  // 256
// Elements of each slab every thread stages: BM * BK / THREADS = BK * BN / THREADS = 4.
constexpr int LOADS = BM * BK / THREADS;

template <typename T>
__device__ void gemm(const GemmArgs g, const T* a, const T* b, T* c, T alpha, T beta) {
    // +1 column: consecutive threads store down a column of the slab; padding spreads the banks.
    __shared__ T As[BK][BM + 1];
    __shared__ T Bs[BK][BN + 1];

    const int tid = threadIdx.x;
    const int tx = tid % (BN / TN);
    const int ty = tid / (BN / TN);
    const i64 row0 = (i64)blockIdx.y * BM;
    const i64 col0 = (i64)blockIdx.x * BN;
    const i64 z = blockIdx.z;
    const i64 terms = g.terms + z * g.terms_step;

    T acc[TM][TN];
    for (int i = 0; i < TM; ++i)
        for (int j = 0; j < TN; ++j) acc[i][j] = T(0);

    for (i64 p = 0; p < terms; ++p) {
        const T* ap = a + z * g.batch_a + p * g.term_a;
        const T* bp = b + z * g.batch_b + p * g.term_b;
        for (i64 k0 = 0; k0 < g.k; k0 += BK) {
            // Stage op(A)[row0.., k0..] and op(B)[k0.., col0..], reading along each operand's
            // contiguous axis so that neighbouring threads read neighbouring addresses.
            for (int l = 0; l < LOADS; ++l) {
                const int e = tid + l * THREADS;
                int r, kk;
                if (g.trans_a) {
                    kk = e / BM;
                    r = e % BM;
                } else {
                    r = e / BK;
                    kk = e % BK;
                }
                const i64 row = row0 + r, kidx = k0 + kk;
                T v = T(0);
                if (row < g.m && kidx < g.k)
                    v = g.trans_a ? ap[kidx * g.lda + row] : ap[row * g.lda + kidx];
                As[kk][r] = v;
            }
            for (int l = 0; l < LOADS; ++l) {
                const int e = tid + l * THREADS;
                int cc, kk;
                if (g.trans_b) {
                    cc = e / BK;
                    kk = e % BK;
                } else {
                    kk = e / BN;
                    cc = e % BN;
                }
                const i64 col = col0 + cc, kidx = k0 + kk;
                T v = T(0);
                if (col < g.n && kidx < g.k)
                    v = g.trans_b ? bp[col * g.ldb + kidx] : bp[kidx * g.ldb + col];
                Bs[kk][cc] = v;
            }
            __syncthreads();
            for (int kk = 0; kk < BK; ++kk) {
                T ar[TM], br[TN];
                for (int i = 0; i < TM; ++i) ar[i] = As[kk][ty + i * (BM / TM)];
                for (int j = 0; j < TN; ++j) br[j] = Bs[kk][tx + j * (BN / TN)];
                for (int i = 0; i < TM; ++i)
                    for (int j = 0; j < TN; ++j) acc[i][j] += ar[i] * br[j];
            }
            // The next slab overwrites the tiles: everyone must be done reading them.
            __syncthreads();
        }
    }

    T* cz = c + z * g.batch_c;
    for (int i = 0; i < TM; ++i) {
        const i64 row = row0 + ty + i * (BM / TM);
        if (row >= g.m) continue;
        for (int j = 0; j < TN; ++j) {
            const i64 col = col0 + tx + j * (BN / TN);
            if (col >= g.n) continue;
            T* out = cz + row * g.ldc + col;
            const T v = alpha * acc[i][j];
            *out = beta == T(0) ? v : v + beta * *out;
        }
    }
}

}  // namespace

/// f32 product; launch with blockDim (256, 1, 1), gridDim (ceil(n/64), ceil(m/64), batch).
extern "C" __global__ void __launch_bounds__(THREADS)
    matmul_f32(const GemmArgs g, const float* a, const float* b, float* c, float alpha,
               float beta) {
    gemm(g, a, b, c, alpha, beta);
}

/// f64 product; same launch shape as `matmul_f32`.
extern "C" __global__ void __launch_bounds__(THREADS)
    matmul_f64(const GemmArgs g, const double* a, const double* b, double* c, double alpha,
               double beta) {
    gemm(g, a, b, c, alpha, beta);
}
