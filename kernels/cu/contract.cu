// The per-group contractions that make the summaries gbar, hbar and d3: many dot products
// <a_t, b_t> of n elements at once, accumulated in f64 whatever the input type (as the CPU
// engine's `dot_f64`), in two deterministic passes (no atomics, so the sums do not depend on
// scheduling):
//
//   dot_partials_<T>(a, b, partial, n, stride_a, stride_b)
//       grid (bx, pairs): block (x, t) sums its grid-stride share of a_t . b_t into
//       partial[t * bx + x], with a_t = a + t * stride_a, b_t = b + t * stride_b (stride 0 reuses
//       one vector against every a_t)
//   sum_rows_f64(x, out, rows, cols)
//       out[r] = sum_j x[r * cols + j], one block per row
#include "common.cuh"

using jetnewton::i64;

namespace {

constexpr int THREADS = 256;

template <typename T>
__device__ void dot_partials(const T* a, const T* b, double* partial, i64 n, i64 stride_a,
                             i64 stride_b) {
    __shared__ double scratch[THREADS];
    const i64 t = blockIdx.y;
    const T* at = a + t * stride_a;
    const T* bt = b + t * stride_b;
    double part = 0.0;
    for (i64 i = jetnewton::grid_index(); i < n; i += jetnewton::grid_size())
        part += (double)at[i] * (double)bt[i];
    const double total = jetnewton::block_sum<THREADS>(part, scratch);
    if (threadIdx.x == 0) partial[t * gridDim.x + blockIdx.x] = total;
}

}  // namespace

extern "C" __global__ void __launch_bounds__(THREADS)
    dot_partials_f32(const float* a, const float* b, double* partial, i64 n, i64 stride_a,
                     i64 stride_b) {
    dot_partials(a, b, partial, n, stride_a, stride_b);
}

extern "C" __global__ void __launch_bounds__(THREADS)
    dot_partials_f64(const double* a, const double* b, double* partial, i64 n, i64 stride_a,
                     i64 stride_b) {
    dot_partials(a, b, partial, n, stride_a, stride_b);
}

extern "C" __global__ void __launch_bounds__(THREADS)
    sum_rows_f64(const double* x, double* out, i64 rows, i64 cols) {
    __shared__ double scratch[THREADS];
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        double part = 0.0;
        for (i64 j = threadIdx.x; j < cols; j += THREADS) part += x[r * cols + j];
        const double total = jetnewton::block_sum<THREADS>(part, scratch);
        if (threadIdx.x == 0) out[r] = total;
    }
}
