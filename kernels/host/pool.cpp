// Host build of kernels/cu/pool.cu (see cuda_host.h).
#include "cuda_host.h"
#include "pool.cu"
#include "registry.h"

JN_HOST_KERNELS(pool, JN_HOST_KERNEL(max_pool_f32), JN_HOST_KERNEL(max_pool_f64),
                JN_HOST_KERNEL(max_pool_adjoint_f32), JN_HOST_KERNEL(max_pool_adjoint_f64),
                JN_HOST_KERNEL(avg_pool_f32), JN_HOST_KERNEL(avg_pool_f64),
                JN_HOST_KERNEL(avg_pool_adjoint_f32), JN_HOST_KERNEL(avg_pool_adjoint_f64),
                JN_HOST_KERNEL(gather_f32), JN_HOST_KERNEL(gather_f64))
