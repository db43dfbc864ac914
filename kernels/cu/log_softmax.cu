// Log-softmax over the last axis of [rows, cols] and the cross-entropy on top of it, with their
// jets up to order 3. One 256-thread block per row: the row reductions (max, sum of exponentials,
// the jet sums) go through shared memory (common.cuh).
//
// Jet layout as in elementwise_jet.cu: coefficient k of element (r, j) at [k * stride + r * cols + j].
//
// Forward jet. With p = softmax(z0) and dz(t) = z(t) - z0, exp(z(t) - lse0) = p exp(dz(t)), whose
// series is p (1 + E1 t + E2 t^2 + E3 t^3) with E1 = z1, E2 = z2 + z1^2/2, E3 = z3 + z1 z2 + z1^3/6.
// Its row sum is 1 + s1 t + s2 t^2 + s3 t^3 (s_k = sum_j p_j E_k,j), so
//   lse(t) - lse0 = log(1 + u), u = s1 t + s2 t^2 + s3 t^3:  l1 = s1, l2 = s2 - s1^2/2,
//   l3 = s3 - s1 s2 + s1^3/3,   and y_k = z_k - l_k.
//
// Lifted reverse rule. dz = g - softmax(z) * sum_j g_j, on jets: with q(t) = exp(y(t)) (the
// softmax jet, from the output jet y) and S_k = sum_j g_k,j, dz_k = g_k - sum_{i+l=k} q_i S_l.
//
// Entry points (f32 and f64):
//   log_softmax_jet_<T>(z, y, rows, cols, stride, order)        (order 0 is the plain forward)
//   log_softmax_jet_vjp_<T>(y, g, dz, rows, cols, stride, order)
//   cross_entropy_<T>(logp, labels, double* loss, rows, cols, stride, order)
//       loss[k] = -(1/rows) sum_r logp_k[r, labels[r]]; one block; NaN for a label out of range
//   cross_entropy_grad_<T>(logp, labels, dz, rows, cols, scale)
//       dz = scale * (softmax - onehot(labels)), the gradient of the mean loss for scale = 1/rows
#include "common.cuh"
#include "jet_math.cuh"

using jetnewton::i64;

namespace {

constexpr int THREADS = 256;

template <typename T>
__device__ void log_softmax_jet(const T* z, T* y, i64 rows, i64 cols, i64 stride, i64 order) {
    __shared__ T scratch[THREADS];
    const int tid = threadIdx.x;
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* z0 = z + r * cols;
        T m = -INFINITY;
        for (i64 j = tid; j < cols; j += THREADS) m = jetnewton::max_nan(m, z0[j]);
        m = jetnewton::block_max<THREADS>(m, scratch);
        T part = T(0);
        for (i64 j = tid; j < cols; j += THREADS) part += jetnewton::jet_exp(z0[j] - m);
        const T lse = m + jetnewton::jet_log(jetnewton::block_sum<THREADS>(part, scratch));
        T s[4] = {T(0), T(0), T(0), T(0)};
        if (order >= 1) {
            T ps[4] = {T(0), T(0), T(0), T(0)};
            for (i64 j = tid; j < cols; j += THREADS) {
                const i64 at = r * cols + j;
                const T p = jetnewton::jet_exp(z[at] - lse);
                const T z1 = z[stride + at];
                const T z2 = order >= 2 ? z[2 * stride + at] : T(0);
                const T z3 = order >= 3 ? z[3 * stride + at] : T(0);
                ps[1] += p * z1;
                ps[2] += p * (z2 + z1 * z1 / T(2));
                ps[3] += p * (z3 + z1 * z2 + z1 * z1 * z1 / T(6));
            }
            for (int k = 1; k <= 3; ++k) {
                if (k <= order) s[k] = jetnewton::block_sum<THREADS>(ps[k], scratch);
            }
        }
        const T l[4] = {lse, s[1], s[2] - s[1] * s[1] / T(2),
                        s[3] - s[1] * s[2] + s[1] * s[1] * s[1] / T(3)};
        for (i64 j = tid; j < cols; j += THREADS) {
            const i64 at = r * cols + j;
            for (int k = 0; k <= 3; ++k) {
                if (k <= order) y[k * stride + at] = z[k * stride + at] - l[k];
            }
        }
    }
}

template <typename T>
__device__ void log_softmax_jet_vjp(const T* y, const T* g, T* dz, i64 rows, i64 cols, i64 stride,
                                    i64 order) {
    __shared__ T scratch[THREADS];
    const int tid = threadIdx.x;
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        T part[4] = {T(0), T(0), T(0), T(0)};
        for (i64 j = tid; j < cols; j += THREADS) {
            for (int k = 0; k <= 3; ++k) {
                if (k <= order) part[k] += g[k * stride + r * cols + j];
            }
        }
        T S[4] = {T(0), T(0), T(0), T(0)};
        for (int k = 0; k <= 3; ++k) {
            if (k <= order) S[k] = jetnewton::block_sum<THREADS>(part[k], scratch);
        }
        for (i64 j = tid; j < cols; j += THREADS) {
            const i64 at = r * cols + j;
            T ys[4], q[4];
            for (int k = 0; k < 4; ++k) ys[k] = k <= order ? y[k * stride + at] : T(0);
            // exp(y(t)): every derivative of exp is exp(y0).
            const T e = jetnewton::jet_exp(ys[0]);
            const T d[4] = {e, e, e, e};
            jetnewton::compose3(d, ys, q);
            for (int k = 0; k <= 3; ++k) {
                if (k > order) continue;
                T conv = T(0);
                for (int i = 0; i <= k; ++i) conv += q[i] * S[k - i];
                dz[k * stride + at] = g[k * stride + at] - conv;
            }
        }
    }
}

template <typename T>
__device__ void cross_entropy(const T* logp, const i64* labels, double* loss, i64 rows, i64 cols,
                              i64 stride, i64 order) {
    __shared__ double scratch[THREADS];
    const int tid = threadIdx.x;
    for (int k = 0; k <= 3; ++k) {
        if (k > order) break;
        double part = 0.0;
        for (i64 r = tid; r < rows; r += THREADS) {
            const i64 label = labels[r];
            part += (label >= 0 && label < cols) ? (double)logp[k * stride + r * cols + label]
                                                 : (double)NAN;
        }
        const double total = jetnewton::block_sum<THREADS>(part, scratch);
        if (tid == 0) loss[k] = -total / (double)rows;
    }
}

template <typename T>
__device__ void cross_entropy_grad(const T* logp, const i64* labels, T* dz, i64 rows, i64 cols,
                                   T scale) {
    const i64 total = rows * cols;
    for (i64 e = jetnewton::grid_index(); e < total; e += jetnewton::grid_size()) {
        const i64 r = e / cols, j = e % cols;
        const i64 label = labels[r];
        const T onehot = j == label ? T(1) : T(0);
        dz[e] = (label >= 0 && label < cols) ? scale * (jetnewton::jet_exp(logp[e]) - onehot)
                                             : T(NAN);
    }
}

}  // namespace

#define JN_LOG_SOFTMAX(T, SUFFIX)                                                               \
    extern "C" __global__ void __launch_bounds__(THREADS) log_softmax_jet_##SUFFIX(             \
        const T* z, T* y, i64 rows, i64 cols, i64 stride, i64 order) {                          \
        log_softmax_jet(z, y, rows, cols, stride, order);                                       \
    }                                                                                           \
    extern "C" __global__ void __launch_bounds__(THREADS) log_softmax_jet_vjp_##SUFFIX(         \
        const T* y, const T* g, T* dz, i64 rows, i64 cols, i64 stride, i64 order) {             \
        log_softmax_jet_vjp(y, g, dz, rows, cols, stride, order);                               \
    }                                                                                           \
    extern "C" __global__ void __launch_bounds__(THREADS) cross_entropy_##SUFFIX(               \
        const T* logp, const i64* labels, double* loss, i64 rows, i64 cols, i64 stride,         \
        i64 order) {                                                                            \
        cross_entropy(logp, labels, loss, rows, cols, stride, order);                           \
    }                                                                                           \
    extern "C" __global__ void cross_entropy_grad_##SUFFIX(const T* logp, const i64* labels,    \
                                                           T* dz, i64 rows, i64 cols, T scale) { \
        cross_entropy_grad(logp, labels, dz, rows, cols, scale);                                \
    }

JN_LOG_SOFTMAX(float, f32)
JN_LOG_SOFTMAX(double, f64)
