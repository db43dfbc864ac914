// Elementwise ops on jets, one thread per element (grid-stride loop).
//
// Jets are stored as one array per coefficient (x0, x1, x2, x3), each of length n. The maths
// lives in jet_math.cuh; these kernels only index. Outputs may alias inputs element for element.
#include "jet_math.cuh"

#include <stddef.h>

namespace {

template <typename T>
__device__ void tanh_jet3_kernel(const T* x0, const T* x1, const T* x2, const T* x3, T* y0, T* y1,
                                 T* y2, T* y3, size_t n) {
    const size_t stride = (size_t)blockDim.x * gridDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        jetnewton::tanh_jet3(x0[i], x1[i], x2[i], x3[i], &y0[i], &y1[i], &y2[i], &y3[i]);
    }
}

}  // namespace

/// Order-3 tanh jet forward on n f32 elements: (x0..x3) -> (y0..y3).
extern "C" __global__ void tanh_jet3_f32(const float* x0, const float* x1, const float* x2,
                                         const float* x3, float* y0, float* y1, float* y2,
                                         float* y3, size_t n) {
    tanh_jet3_kernel(x0, x1, x2, x3, y0, y1, y2, y3, n);
}

/// Order-3 tanh jet forward on n f64 elements: (x0..x3) -> (y0..y3).
extern "C" __global__ void tanh_jet3_f64(const double* x0, const double* x1, const double* x2,
                                         const double* x3, double* y0, double* y1, double* y2,
                                         double* y3, size_t n) {
    tanh_jet3_kernel(x0, x1, x2, x3, y0, y1, y2, y3, n);
}
