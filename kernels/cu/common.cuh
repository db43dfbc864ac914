// Small helpers shared by every kernel source: index types, grid-stride loops, NaN-aware max and
// block-wide reductions through shared memory.
//
// Kernels take every size and stride as `long long` (`i64`): one integer type on both sides of the
// launch ABI (the Rust wrappers push `i64` only), and tensors past 2^31 elements index correctly.
#pragma once

#include "host_device.cuh"

namespace jetnewton {

typedef long long i64;

/// Index of this thread in the whole x-grid, and the number of threads in it (grid-stride loops).
__device__ inline i64 grid_index() { return (i64)blockIdx.x * blockDim.x + threadIdx.x; }
__device__ inline i64 grid_size() { return (i64)blockDim.x * gridDim.x; }

__host__ __device__ inline i64 min_i64(i64 a, i64 b) { return a < b ? a : b; }
__host__ __device__ inline i64 max_i64(i64 a, i64 b) { return a > b ? a : b; }

/// `x != x` rather than `isnan`: the same spelling works in device code and in host C++.
template <typename T>
__host__ __device__ inline bool is_nan(T x) {
    return x != x;
}

/// max that lets a NaN win, as PyTorch's max does (fmax would drop it).
template <typename T>
__host__ __device__ inline T max_nan(T a, T b) {
    return (is_nan(a) || a > b) ? a : b;
}

/// Sum of `v` over the block's `THREADS` threads (a power of two, equal to blockDim.x), through
/// `scratch[THREADS]` in shared memory. Every thread of the block must call it (it synchronises);
/// every thread gets the sum. The trailing barrier lets the caller reuse `scratch` at once.
template <int THREADS, typename T>
__device__ inline T block_sum(T v, T* scratch) {
    const int tid = threadIdx.x;
    scratch[tid] = v;
    __syncthreads();
    for (int s = THREADS / 2; s > 0; s /= 2) {
        if (tid < s) scratch[tid] += scratch[tid + s];
        __syncthreads();
    }
    const T total = scratch[0];
    __syncthreads();
    return total;
}

/// Maximum of `v` over the block (NaN wins), with the same contract as `block_sum`.
template <int THREADS, typename T>
__device__ inline T block_max(T v, T* scratch) {
    const int tid = threadIdx.x;
    scratch[tid] = v;
    __syncthreads();
    for (int s = THREADS / 2; s > 0; s /= 2) {
        if (tid < s) scratch[tid] = max_nan(scratch[tid], scratch[tid + s]);
        __syncthreads();
    }
    const T best = scratch[0];
    __syncthreads();
    return best;
}

}  // namespace jetnewton
