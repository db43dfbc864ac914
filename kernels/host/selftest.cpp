// Kernels that are wrong on purpose, to show the shim catches barrier mistakes
// (tests/host.rs). Host only: they are not in kernels/cu/, so never in the PTX.
#include "cuda_host.h"
#include "registry.h"

/// y = x reversed through shared memory, for 64 threads; with sync == 0 the barrier between the
/// write and the read is skipped.
extern "C" __global__ void selftest_reverse(const float* x, float* y, long long sync) {
    __shared__ float tile[64];
    tile[threadIdx.x] = x[threadIdx.x];
    if (sync) __syncthreads();
    y[threadIdx.x] = tile[63 - threadIdx.x];
}

/// Even threads exit while odd ones wait at a barrier: undefined behaviour on a GPU.
extern "C" __global__ void selftest_divergent(long long* out) {
    if (threadIdx.x % 2 == 0) return;
    __syncthreads();
    out[threadIdx.x] = 1;
}

JN_HOST_KERNELS(selftest, JN_HOST_KERNEL(selftest_reverse), JN_HOST_KERNEL(selftest_divergent))
