// Host build of kernels/cu/contract.cu (see cuda_host.h).
#include "cuda_host.h"
#include "contract.cu"
#include "registry.h"

JN_HOST_KERNELS(contract, JN_HOST_KERNEL(dot_partials_f32), JN_HOST_KERNEL(dot_partials_f64),
                JN_HOST_KERNEL(sum_rows_f64))
