// The CUDA function-space keywords for code compiled by something other than nvcc.
//
// nvcc defines `__host__` and `__device__`; the host shim (kernels/host/cuda_host.h) defines them
// for g++. A header included by neither (jet_math.cuh compiles on its own for the host checks)
// still compiles as plain C++ through this fallback.
#pragma once

#ifndef __CUDACC__
#ifndef __host__
#define __host__
#endif
#ifndef __device__
#define __device__
#endif
#endif
