// Jet maths of the elementwise activations, shared by the CUDA kernels and the host build of the
// same sources (kernels/host/), so it is written once.
//
// Coefficient convention (DESIGN.md §2, engine/src/jet/mod.rs): a jet of order K is
// x(t) = x0 + x1 t + ... + xK t^K, coefficient k holding the k-th derivative along t divided by k!.
// Products of jets are then plain Cauchy products.
//
// Each activation gives its value and first four derivatives at x0 (`derivs`); the forward jet
// needs three of them, the lifted reverse rule, which composes f' with x(t), needs four. Every
// function is `__host__ __device__` and header-only.
#pragma once

#include <math.h>

#include "host_device.cuh"

namespace jetnewton {

/// Highest jet order the elementwise kernels take.
constexpr int kMaxJetOrder = 3;

__host__ __device__ inline float jet_tanh(float x) { return tanhf(x); }
__host__ __device__ inline double jet_tanh(double x) { return tanh(x); }
__host__ __device__ inline float jet_exp(float x) { return expf(x); }
__host__ __device__ inline double jet_exp(double x) { return exp(x); }
__host__ __device__ inline float jet_expm1(float x) { return expm1f(x); }
__host__ __device__ inline double jet_expm1(double x) { return expm1(x); }
__host__ __device__ inline float jet_log(float x) { return logf(x); }
__host__ __device__ inline double jet_log(double x) { return log(x); }

/// tanh: every derivative is a polynomial in y = tanh(x0), so one transcendental serves all five.
///   d1 = 1 - y^2, d2 = -2 y d1, d3 = d1 (6 y^2 - 2), d4 = 8 y d1 (2 - 3 y^2).
struct TanhFn {
    template <typename T>
    __host__ __device__ static void derivs(T x, T /*alpha*/, T d[5]) {
        const T y = jet_tanh(x);
        const T d1 = T(1) - y * y;
        d[0] = y;
        d[1] = d1;
        d[2] = T(-2) * y * d1;
        d[3] = d1 * (T(6) * y * y - T(2));
        d[4] = T(8) * y * d1 * (T(2) - T(3) * y * y);
    }
};

/// Logistic sigmoid s = 1 / (1 + e^-x0); with d1 = s (1 - s) and c = 1 - 2 s:
///   d2 = d1 c, d3 = d1 (c^2 - 2 d1), d4 = d1 c (c^2 - 8 d1).
struct SigmoidFn {
    template <typename T>
    __host__ __device__ static void derivs(T x, T /*alpha*/, T d[5]) {
        const T s = T(1) / (T(1) + jet_exp(-x));
        const T d1 = s * (T(1) - s);
        const T c = T(1) - T(2) * s;
        d[0] = s;
        d[1] = d1;
        d[2] = d1 * c;
        d[3] = d1 * (c * c - T(2) * d1);
        d[4] = d1 * c * (c * c - T(8) * d1);
    }
};

/// ELU: x0 for x0 > 0 (then d1 = 1, higher derivatives 0); alpha (e^x0 - 1) otherwise, every
/// derivative alpha e^x0. The branch is taken on x0 alone, as in the CPU engine.
struct EluFn {
    template <typename T>
    __host__ __device__ static void derivs(T x, T alpha, T d[5]) {
        if (x > T(0)) {
            d[0] = x;
            d[1] = T(1);
            d[2] = d[3] = d[4] = T(0);
        } else {
            const T e = alpha * jet_exp(x);
            d[0] = alpha * jet_expm1(x);
            d[1] = d[2] = d[3] = d[4] = e;
        }
    }
};

/// ReLU: x0 and slope 1 for x0 > 0, all zero otherwise (the derivative at 0 is taken as 0).
/// exp: every derivative is the value.
struct ExpFn {
    template <typename T>
    __host__ __device__ static void derivs(T x, T /*alpha*/, T d[5]) {
        const T e = jet_exp(x);
        d[0] = d[1] = d[2] = d[3] = d[4] = e;
    }
};

struct ReluFn {
    template <typename T>
    __host__ __device__ static void derivs(T x, T /*alpha*/, T d[5]) {
        const bool pos = x > T(0);
        d[0] = pos ? x : T(0);
        d[1] = pos ? T(1) : T(0);
        d[2] = d[3] = d[4] = T(0);
    }
};

/// Series of g(x(t)) to order 3 from g's derivatives d[0..3] at x0 (Faa di Bruno, truncated):
///   y0 = d0, y1 = d1 x1, y2 = d1 x2 + d2 x1^2 / 2, y3 = d1 x3 + d2 x1 x2 + d3 x1^3 / 6.
/// `x[0]` is not read.
template <typename T>
__host__ __device__ inline void compose3(const T d[4], const T x[4], T y[4]) {
    y[0] = d[0];
    y[1] = d[1] * x[1];
    y[2] = d[1] * x[2] + d[2] * x[1] * x[1] / T(2);
    y[3] = d[1] * x[3] + d[2] * x[1] * x[2] + d[3] * x[1] * x[1] * x[1] / T(6);
}

/// Forward jet of y = f(x) on one element, order <= 3: x[0..3] -> y[0..3] (coefficients above the
/// order must be zero in `x` and are meaningless in `y`).
template <typename Fn, typename T>
__host__ __device__ inline void unary_jet(const T x[4], T alpha, T y[4]) {
    T d[5];
    Fn::derivs(x[0], alpha, d);
    compose3(d, x, y);
}

/// The reverse rule dx = g * f'(x) lifted to jets on one element: dx(t) = g(t) f'(x(t)), the
/// Cauchy product of the cotangent jet g with the series of f' (which needs f'' .. f'''').
template <typename Fn, typename T>
__host__ __device__ inline void unary_jet_vjp(const T x[4], const T g[4], T alpha, T dx[4]) {
    T d[5];
    Fn::derivs(x[0], alpha, d);
    T h[4];
    compose3(d + 1, x, h);
    dx[0] = g[0] * h[0];
    dx[1] = g[0] * h[1] + g[1] * h[0];
    dx[2] = g[0] * h[2] + g[1] * h[1] + g[2] * h[0];
    dx[3] = g[0] * h[3] + g[1] * h[2] + g[2] * h[1] + g[3] * h[0];
}

}  // namespace jetnewton
