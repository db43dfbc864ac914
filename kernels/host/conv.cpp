// Host build of kernels/cu/conv.cu (see cuda_host.h).
#include "cuda_host.h"
#include "conv.cu"
#include "registry.h"

JN_HOST_KERNELS(conv, JN_HOST_KERNEL(im2col_f32), JN_HOST_KERNEL(im2col_f64),
                JN_HOST_KERNEL(col2im_f32), JN_HOST_KERNEL(col2im_f64))
