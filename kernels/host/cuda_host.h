// Host shim: lets g++ compile the CUDA kernel sources in kernels/cu/ unchanged, so that tests run
// every kernel on the CPU where there is no GPU.
//
// It defines what nvcc would: the keywords (`__global__`, `__device__`, `__shared__`, ...), the
// built-in indices (`threadIdx`, `blockIdx`, `blockDim`, `gridDim`), `__syncthreads` and the math
// functions the kernels call. Kernels then become ordinary `extern "C"` functions, which
// fiber_launch.cpp runs once per thread of the launch, each thread as a fiber.
//
// `__shared__` becomes `static thread_local`: one copy per OS thread, and an OS thread runs one
// block at a time, so every thread (fiber) of a block sees the same shared memory, as on a GPU.
// Warp-level intrinsics (shuffles, votes) are deliberately missing: a kernel that uses one fails
// to build here until this shim learns to emulate it.
#pragma once

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <cmath>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define __shared__ static thread_local

/// CUDA's built-in vector types of the launch geometry.
struct uint3 {
    unsigned int x, y, z;
};
struct dim3 {
    unsigned int x, y, z;
};

/// The running thread's coordinates, set by the fiber scheduler before it switches to a fiber.
extern thread_local uint3 threadIdx;
extern thread_local uint3 blockIdx;
extern thread_local dim3 blockDim;
extern thread_local dim3 gridDim;

namespace jn_host {
/// Suspends the running fiber until every thread of its block has arrived (fiber_launch.cpp).
void sync_threads();
}  // namespace jn_host

inline void __syncthreads() { jn_host::sync_threads(); }
