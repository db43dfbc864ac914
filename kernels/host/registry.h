// Tables of host-built kernels: each kernels/host/<stem>.cpp compiles kernels/cu/<stem>.cu and
// lists its entry points with JN_HOST_KERNELS, which registry.cpp collects.
#pragma once

#include <stddef.h>

#include <type_traits>
#include <utility>

#include "fiber_launch.h"

namespace jn_host {

/// One entry point: its name (the symbol, as in the PTX) and a thunk taking `void**` parameters.
struct KernelEntry {
    const char* name;
    HostKernel run;
};

/// Calls `K` with each parameter read from the slot `params[i]` points to, exactly as the driver
/// reads kernel parameters, so the Rust side builds one argument array for both backends.
template <typename... Args, size_t... I>
void unpack(void (*k)(Args...), void** params, std::index_sequence<I...>) {
    k(*static_cast<std::remove_cv_t<std::remove_reference_t<Args>>*>(params[I])...);
}

template <typename... Args>
constexpr size_t arity(void (*)(Args...)) {
    return sizeof...(Args);
}

template <auto K>
void thunk(void** params) {
    unpack(K, params, std::make_index_sequence<arity(K)>{});
}

}  // namespace jn_host

/// The table entry of kernel `NAME`: the name is the symbol itself, so it cannot drift from it.
#define JN_HOST_KERNEL(NAME) \
    ::jn_host::KernelEntry { #NAME, &::jn_host::thunk<&NAME> }

/// Defines `jn_host_kernels_<STEM>`, returning the table of kernels/cu/<STEM>.cu.
#define JN_HOST_KERNELS(STEM, ...)                                                        \
    extern "C" const ::jn_host::KernelEntry* jn_host_kernels_##STEM(size_t* count) {      \
        static const ::jn_host::KernelEntry entries[] = {__VA_ARGS__};                    \
        *count = sizeof(entries) / sizeof(entries[0]);                                    \
        return entries;                                                                   \
    }
