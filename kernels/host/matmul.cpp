// Host build of kernels/cu/matmul.cu (see cuda_host.h).
#include "cuda_host.h"
#include "matmul.cu"
#include "registry.h"

JN_HOST_KERNELS(matmul, JN_HOST_KERNEL(matmul_f32), JN_HOST_KERNEL(matmul_f64))
