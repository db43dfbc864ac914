// Jet maths shared by the CUDA kernels and, later, host code.
//
// Coefficient convention (DESIGN.md §2): a jet of order K is x(t) = x0 + x1 t + ... + xK t^K,
// coefficient k holding the k-th derivative divided by k!.
//
// Every function here is `__host__ __device__` and header-only, so a host C++ compiler can build
// it too: the shim below makes the CUDA keywords vanish outside nvcc.
#pragma once

#include <math.h>

#ifndef __CUDACC__
#define __host__
#define __device__
#endif

namespace jetnewton {

/// tanh for each floating type, host or device.
__host__ __device__ inline float jet_tanh(float x) { return tanhf(x); }
__host__ __device__ inline double jet_tanh(double x) { return tanh(x); }

/// Order-3 Taylor-mode forward of y = tanh(x) on one jet (x0, x1, x2, x3) -> (y0, y1, y2, y3).
///
/// With d1, d2, d3 the first three derivatives of tanh at x0, written through y0 = tanh(x0):
///   d1 = 1 - y0^2,   d2 = -2 y0 d1,   d3 = -2 d1^2 - 2 y0 d2,
/// Faa di Bruno truncated at order 3 gives
///   y1 = d1 x1,
///   y2 = d1 x2 + d2 x1^2 / 2,
///   y3 = d1 x3 + d2 x1 x2 + d3 x1^3 / 6.
/// Inputs are read before any output is written, so outputs may alias inputs.
template <typename T>
__host__ __device__ inline void tanh_jet3(T x0, T x1, T x2, T x3, T* y0, T* y1, T* y2, T* y3) {
    const T t = jet_tanh(x0);
    const T d1 = T(1) - t * t;
    const T d2 = T(-2) * t * d1;
    const T d3 = T(-2) * d1 * d1 - T(2) * t * d2;
    *y0 = t;
    *y1 = d1 * x1;
    *y2 = d1 * x2 + d2 * x1 * x1 / T(2);
    *y3 = d1 * x3 + d2 * x1 * x2 + d3 * x1 * x1 * x1 / T(6);
}

}  // namespace jetnewton
