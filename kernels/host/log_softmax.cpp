// Host build of kernels/cu/log_softmax.cu (see cuda_host.h).
#include "cuda_host.h"
#include "log_softmax.cu"
#include "registry.h"

JN_HOST_KERNELS(log_softmax, JN_HOST_KERNEL(log_softmax_jet_f32),
                JN_HOST_KERNEL(log_softmax_jet_f64), JN_HOST_KERNEL(log_softmax_jet_vjp_f32),
                JN_HOST_KERNEL(log_softmax_jet_vjp_f64), JN_HOST_KERNEL(cross_entropy_f32),
                JN_HOST_KERNEL(cross_entropy_f64), JN_HOST_KERNEL(cross_entropy_grad_f32),
                JN_HOST_KERNEL(cross_entropy_grad_f64))
