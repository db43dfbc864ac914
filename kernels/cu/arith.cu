// Elementwise arithmetic of the device engine: the linear combinations and products that the ops'
// device rules are made of (adding jets' coefficients, packing them into planes, products of the
// elementwise-product op). One thread per element in a grid-stride loop.
//
// Entry points, each for f32 and f64 (`_f32`, `_f64`):
//   axpby(x, out, n, a, b)         out[i] = a * x[i] + b * out[i]   (b = 0: out is not read)
//   mul(x, y, out, n, accumulate)  out[i] = x[i] * y[i]   (+ out[i] when accumulate != 0)
//   poly(x, out, n, c0, c1, c2, c3)  out[i] = c0 + c1 x + c2 x^2 + c3 x^3 (Horner's rule)
//   broadcast_mid(x, out, outer, mid, inner)
//       out[(o * mid + m) * inner + i] = x[m]: a [mid] tensor repeated over outer and inner axes
//   scatter_csr(g, offsets, sources, out, n_out)
//       out[j] = sum of g[sources[t]] for offsets[j] <= t < offsets[j + 1]: the adjoint of a gather,
//       deterministic (each output sums its own sources in order, no atomics)
//   sum_mid(x, out, outer, mid, inner)       [THREADS threads per block, one block per m]
//       out[m] = sum over o, i of x[(o * mid + m) * inner + i], accumulated in double in a fixed order
// Pointers may point into the middle of a buffer (the wrappers pass offsets).
#include "common.cuh"

using jetnewton::i64;

namespace {

template <typename T>
__device__ void axpby_kernel(const T* x, T* out, i64 n, T a, T b) {
    for (i64 i = jetnewton::grid_index(); i < n; i += jetnewton::grid_size()) {
        // b = 0 must not read out: a fresh buffer may hold anything, NaN included.
        out[i] = b == T(0) ? a * x[i] : a * x[i] + b * out[i];
    }
}

template <typename T>
__device__ void mul_kernel(const T* x, const T* y, T* out, i64 n, i64 accumulate) {
    for (i64 i = jetnewton::grid_index(); i < n; i += jetnewton::grid_size()) {
        out[i] = accumulate ? out[i] + x[i] * y[i] : x[i] * y[i];
    }
}

template <typename T>
__device__ void poly_kernel(const T* x, T* out, i64 n, T c0, T c1, T c2, T c3) {
    for (i64 i = jetnewton::grid_index(); i < n; i += jetnewton::grid_size()) {
        const T v = x[i];
        out[i] = ((c3 * v + c2) * v + c1) * v + c0;
    }
}

template <typename T>
__device__ void broadcast_mid_kernel(const T* x, T* out, i64 outer, i64 mid, i64 inner) {
    const i64 n = outer * mid * inner;
    for (i64 j = jetnewton::grid_index(); j < n; j += jetnewton::grid_size()) {
        out[j] = x[(j / inner) % mid];
    }
}

template <typename T>
__device__ void scatter_csr_kernel(const T* g, const i64* offsets, const i64* sources, T* out,
                                   i64 n_out) {
    for (i64 j = jetnewton::grid_index(); j < n_out; j += jetnewton::grid_size()) {
        T total = T(0);
        for (i64 t = offsets[j]; t < offsets[j + 1]; ++t) total += g[sources[t]];
        out[j] = total;
    }
}

constexpr int SUM_THREADS = 256;

template <typename T>
__device__ void sum_mid_kernel(const T* x, T* out, i64 outer, i64 mid, i64 inner) {
    __shared__ double scratch[SUM_THREADS];
    for (i64 m = blockIdx.x; m < mid; m += gridDim.x) {
        double part = 0.0;
        for (i64 j = threadIdx.x; j < outer * inner; j += SUM_THREADS) {
            const i64 o = j / inner, i = j % inner;
            part += (double)x[(o * mid + m) * inner + i];
        }
        const double total = jetnewton::block_sum<SUM_THREADS>(part, scratch);
        if (threadIdx.x == 0) out[m] = (T)total;
    }
}

}  // namespace

#define JN_ARITH(T, SUFFIX)                                                                      \
    extern "C" __global__ void axpby_##SUFFIX(const T* x, T* out, i64 n, T a, T b) {            \
        axpby_kernel<T>(x, out, n, a, b);                                                        \
    }                                                                                            \
    extern "C" __global__ void mul_##SUFFIX(const T* x, const T* y, T* out, i64 n,             \
                                            i64 accumulate) {                                    \
        mul_kernel<T>(x, y, out, n, accumulate);                                                 \
    }                                                                                            \
    extern "C" __global__ void poly_##SUFFIX(const T* x, T* out, i64 n, T c0, T c1, T c2,      \
                                             T c3) {                                             \
        poly_kernel<T>(x, out, n, c0, c1, c2, c3);                                               \
    }                                                                                            \
    extern "C" __global__ void broadcast_mid_##SUFFIX(const T* x, T* out, i64 outer, i64 mid,  \
                                                      i64 inner) {                               \
        broadcast_mid_kernel<T>(x, out, outer, mid, inner);                                      \
    }                                                                                            \
    extern "C" __global__ void scatter_csr_##SUFFIX(const T* g, const i64* offsets,            \
                                                    const i64* sources, T* out, i64 n_out) {     \
        scatter_csr_kernel<T>(g, offsets, sources, out, n_out);                                  \
    }                                                                                            \
    extern "C" __global__ void __launch_bounds__(SUM_THREADS)                                    \
        sum_mid_##SUFFIX(const T* x, T* out, i64 outer, i64 mid, i64 inner) {                    \
        sum_mid_kernel<T>(x, out, outer, mid, inner);                                            \
    }

JN_ARITH(float, f32)
JN_ARITH(double, f64)
