// Jets of the elementwise activations (tanh, sigmoid, ELU, ReLU), forward and lifted reverse rule,
// up to order 3; one thread per element in a grid-stride loop. The maths is in jet_math.cuh.
//
// Layout: a jet of order K over n elements is K + 1 coefficient planes `stride` elements apart
// (stride >= n), coefficient k of element i at [k * stride + i]. Every kernel reads an element's
// coefficients before writing any, so outputs may alias inputs.
//
// Entry points, each for f32 and f64 (`_f32`, `_f64`):
//   <fn>_jet(x, y, n, stride, order, alpha)          y = f(x) as jets
//   <fn>_jet_vjp(x, g, dx, n, stride, order, alpha)  dx = g * f'(x) as jets
// with <fn> one of tanh, sigmoid, elu, exp, relu; `alpha` is read by ELU only.
#include "common.cuh"
#include "jet_math.cuh"

namespace {

using jetnewton::i64;

/// Coefficients 0..order of element i, zeros above the order.
template <typename T>
__device__ inline void load_jet(const T* x, i64 i, i64 stride, i64 order, T out[4]) {
    for (int k = 0; k < 4; ++k) out[k] = k <= order ? x[k * stride + i] : T(0);
}

template <typename T>
__device__ inline void store_jet(T* y, i64 i, i64 stride, i64 order, const T v[4]) {
    for (int k = 0; k < 4; ++k) {
        if (k <= order) y[k * stride + i] = v[k];
    }
}

template <typename Fn, typename T>
__device__ void jet_kernel(const T* x, T* y, i64 n, i64 stride, i64 order, T alpha) {
    for (i64 i = jetnewton::grid_index(); i < n; i += jetnewton::grid_size()) {
        T xs[4], ys[4];
        load_jet(x, i, stride, order, xs);
        jetnewton::unary_jet<Fn>(xs, alpha, ys);
        store_jet(y, i, stride, order, ys);
    }
}

template <typename Fn, typename T>
__device__ void jet_vjp_kernel(const T* x, const T* g, T* dx, i64 n, i64 stride, i64 order,
                               T alpha) {
    for (i64 i = jetnewton::grid_index(); i < n; i += jetnewton::grid_size()) {
        T xs[4], gs[4], out[4];
        load_jet(x, i, stride, order, xs);
        load_jet(g, i, stride, order, gs);
        jetnewton::unary_jet_vjp<Fn>(xs, gs, alpha, out);
        store_jet(dx, i, stride, order, out);
    }
}

}  // namespace

// One pair of entry points per activation and type; the names are the ABI the Rust side uses.
#define JN_ELEMENTWISE(NAME, FN, T, SUFFIX)                                                      \
    extern "C" __global__ void NAME##_jet_##SUFFIX(const T* x, T* y, i64 n, i64 stride,          \
                                                   i64 order, T alpha) {                         \
        jet_kernel<FN, T>(x, y, n, stride, order, alpha);                                        \
    }                                                                                            \
    extern "C" __global__ void NAME##_jet_vjp_##SUFFIX(const T* x, const T* g, T* dx, i64 n,     \
                                                       i64 stride, i64 order, T alpha) {         \
        jet_vjp_kernel<FN, T>(x, g, dx, n, stride, order, alpha);                                \
    }

JN_ELEMENTWISE(tanh, jetnewton::TanhFn, float, f32)
JN_ELEMENTWISE(tanh, jetnewton::TanhFn, double, f64)
JN_ELEMENTWISE(sigmoid, jetnewton::SigmoidFn, float, f32)
JN_ELEMENTWISE(sigmoid, jetnewton::SigmoidFn, double, f64)
JN_ELEMENTWISE(elu, jetnewton::EluFn, float, f32)
JN_ELEMENTWISE(elu, jetnewton::EluFn, double, f64)
JN_ELEMENTWISE(exp, jetnewton::ExpFn, float, f32)
JN_ELEMENTWISE(exp, jetnewton::ExpFn, double, f64)
JN_ELEMENTWISE(relu, jetnewton::ReluFn, float, f32)
JN_ELEMENTWISE(relu, jetnewton::ReluFn, double, f64)
