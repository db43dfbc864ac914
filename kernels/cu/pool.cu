// 2-D pooling on NCHW planes (square window k, stride s, no padding, floor mode), as in the CPU
// engine (engine/src/cpu/pool.rs): max-pooling's forward with its argmax, the gather that carries
// the argmax over to higher jet coefficients, and the average-pooling pair. Both adjoints gather,
// one thread per input element over the windows that cover it, so overlapping windows need no
// atomics and sums come in a fixed order.
//
// Jets pool per coefficient: K + 1 coefficient planes of [N, C, H, W] are (K + 1) N C planes.
//
// Entry points (f32 and f64), with `planes` = N*C (times the coefficients) in PoolArgs:
//   max_pool_<T>(PoolArgs, const T* x, T* y, i64* argmax)    argmax: flat index into x
//   max_pool_adjoint_<T>(PoolArgs, const i64* argmax, const T* g, T* x)
//   avg_pool_<T>(PoolArgs, const T* x, T* y)
//   avg_pool_adjoint_<T>(PoolArgs, const T* g, T* x)
//   gather_<T>(const T* x, const i64* index, T* y, i64 n)    y[i] = x[index[i]]
#include "common.cuh"

using jetnewton::i64;

/// Sizes of one pooling; mirrored by `PoolArgs` in kernels/src/ops/pool.rs.
struct PoolArgs {
    i64 planes, h, w;
    i64 k, s;
    i64 ho, wo;
};

namespace {

template <typename T>
__device__ void max_pool(const PoolArgs d, const T* x, T* y, i64* argmax) {
    const i64 total = d.planes * d.ho * d.wo;
    for (i64 e = jetnewton::grid_index(); e < total; e += jetnewton::grid_size()) {
        const i64 ox = e % d.wo, oy = e / d.wo % d.ho, plane = e / (d.wo * d.ho);
        const i64 base = plane * d.h * d.w;
        // The first maximum in row-major window order wins ties; a NaN wins over numbers.
        i64 best = base + oy * d.s * d.w + ox * d.s;
        for (i64 i = 0; i < d.k; ++i) {
            const i64 row = base + (oy * d.s + i) * d.w + ox * d.s;
            for (i64 at = row; at < row + d.k; ++at) {
                const T v = x[at], b = x[best];
                if (v > b || (jetnewton::is_nan(v) && !jetnewton::is_nan(b))) best = at;
            }
        }
        argmax[e] = best;
        y[e] = x[best];
    }
}

/// Windows (along one axis) that cover input position `pos`: o in [lo, hi].
__device__ inline void covering(i64 pos, i64 k, i64 s, i64 out_len, i64* lo, i64* hi) {
    const i64 first = pos - k + 1;
    *lo = first <= 0 ? 0 : (first + s - 1) / s;
    *hi = jetnewton::min_i64(pos / s, out_len - 1);
}

template <typename T>
__device__ void max_pool_adjoint(const PoolArgs d, const i64* argmax, const T* g, T* x) {
    const i64 total = d.planes * d.h * d.w;
    for (i64 e = jetnewton::grid_index(); e < total; e += jetnewton::grid_size()) {
        const i64 xx = e % d.w, y = e / d.w % d.h, plane = e / (d.w * d.h);
        i64 oy_lo, oy_hi, ox_lo, ox_hi;
        covering(y, d.k, d.s, d.ho, &oy_lo, &oy_hi);
        covering(xx, d.k, d.s, d.wo, &ox_lo, &ox_hi);
        T sum = T(0);
        for (i64 oy = oy_lo; oy <= oy_hi; ++oy) {
            for (i64 ox = ox_lo; ox <= ox_hi; ++ox) {
                const i64 o = (plane * d.ho + oy) * d.wo + ox;
                if (argmax[o] == e) sum += g[o];
            }
        }
        x[e] = sum;
    }
}

template <typename T>
__device__ void avg_pool(const PoolArgs d, const T* x, T* y) {
    const i64 total = d.planes * d.ho * d.wo;
    const T scale = T(1) / T(d.k * d.k);
    for (i64 e = jetnewton::grid_index(); e < total; e += jetnewton::grid_size()) {
        const i64 ox = e % d.wo, oy = e / d.wo % d.ho, plane = e / (d.wo * d.ho);
        const T* src = x + plane * d.h * d.w;
        T sum = T(0);
        for (i64 i = 0; i < d.k; ++i) {
            const T* row = src + (oy * d.s + i) * d.w + ox * d.s;
            for (i64 j = 0; j < d.k; ++j) sum += row[j];
        }
        y[e] = sum * scale;
    }
}

template <typename T>
__device__ void avg_pool_adjoint(const PoolArgs d, const T* g, T* x) {
    const i64 total = d.planes * d.h * d.w;
    const T scale = T(1) / T(d.k * d.k);
    for (i64 e = jetnewton::grid_index(); e < total; e += jetnewton::grid_size()) {
        const i64 xx = e % d.w, y = e / d.w % d.h, plane = e / (d.w * d.h);
        i64 oy_lo, oy_hi, ox_lo, ox_hi;
        covering(y, d.k, d.s, d.ho, &oy_lo, &oy_hi);
        covering(xx, d.k, d.s, d.wo, &ox_lo, &ox_hi);
        T sum = T(0);
        for (i64 oy = oy_lo; oy <= oy_hi; ++oy)
            for (i64 ox = ox_lo; ox <= ox_hi; ++ox) sum += g[(plane * d.ho + oy) * d.wo + ox];
        x[e] = sum * scale;
    }
}

template <typename T>
__device__ void gather(const T* x, const i64* index, T* y, i64 n) {
    for (i64 i = jetnewton::grid_index(); i < n; i += jetnewton::grid_size()) y[i] = x[index[i]];
}

}  // namespace

#define JN_POOL(T, SUFFIX)                                                                      \
    extern "C" __global__ void max_pool_##SUFFIX(const PoolArgs d, const T* x, T* y,            \
                                                 i64* argmax) {                                 \
        max_pool(d, x, y, argmax);                                                              \
    }                                                                                           \
    extern "C" __global__ void max_pool_adjoint_##SUFFIX(const PoolArgs d, const i64* argmax,   \
                                                         const T* g, T* x) {                    \
        max_pool_adjoint(d, argmax, g, x);                                                      \
    }                                                                                           \
    extern "C" __global__ void avg_pool_##SUFFIX(const PoolArgs d, const T* x, T* y) {          \
        avg_pool(d, x, y);                                                                      \
    }                                                                                           \
    extern "C" __global__ void avg_pool_adjoint_##SUFFIX(const PoolArgs d, const T* g, T* x) {  \
        avg_pool_adjoint(d, g, x);                                                              \
    }                                                                                           \
    extern "C" __global__ void gather_##SUFFIX(const T* x, const i64* index, T* y, i64 n) {     \
        gather(x, index, y, n);                                                                 \
    }

JN_POOL(float, f32)
JN_POOL(double, f64)
