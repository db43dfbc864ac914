// Host build of kernels/cu/arith.cu (see cuda_host.h).
#include "cuda_host.h"
#include "arith.cu"
#include "registry.h"

JN_HOST_KERNELS(arith, JN_HOST_KERNEL(axpby_f32), JN_HOST_KERNEL(axpby_f64), JN_HOST_KERNEL(mul_f32),
                JN_HOST_KERNEL(mul_f64), JN_HOST_KERNEL(broadcast_mid_f32),
                JN_HOST_KERNEL(broadcast_mid_f64), JN_HOST_KERNEL(sum_mid_f32),
                JN_HOST_KERNEL(sum_mid_f64), JN_HOST_KERNEL(scatter_csr_f32),
                JN_HOST_KERNEL(scatter_csr_f64), JN_HOST_KERNEL(poly_f32),
                JN_HOST_KERNEL(poly_f64))
