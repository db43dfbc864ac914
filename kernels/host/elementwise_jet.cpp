// Host build of kernels/cu/elementwise_jet.cu (see cuda_host.h).
#include "cuda_host.h"
#include "elementwise_jet.cu"
#include "registry.h"

JN_HOST_KERNELS(elementwise_jet, JN_HOST_KERNEL(tanh_jet_f32), JN_HOST_KERNEL(tanh_jet_f64),
                JN_HOST_KERNEL(tanh_jet_vjp_f32), JN_HOST_KERNEL(tanh_jet_vjp_f64),
                JN_HOST_KERNEL(sigmoid_jet_f32), JN_HOST_KERNEL(sigmoid_jet_f64),
                JN_HOST_KERNEL(sigmoid_jet_vjp_f32), JN_HOST_KERNEL(sigmoid_jet_vjp_f64),
                JN_HOST_KERNEL(elu_jet_f32), JN_HOST_KERNEL(elu_jet_f64),
                JN_HOST_KERNEL(elu_jet_vjp_f32), JN_HOST_KERNEL(elu_jet_vjp_f64),
                JN_HOST_KERNEL(exp_jet_f32), JN_HOST_KERNEL(exp_jet_f64),
                JN_HOST_KERNEL(exp_jet_vjp_f32), JN_HOST_KERNEL(exp_jet_vjp_f64),
                JN_HOST_KERNEL(relu_jet_f32), JN_HOST_KERNEL(relu_jet_f64),
                JN_HOST_KERNEL(relu_jet_vjp_f32), JN_HOST_KERNEL(relu_jet_vjp_f64))
