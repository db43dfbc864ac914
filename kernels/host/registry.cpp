// The C interface the Rust host backend calls (kernels/src/backend/host.rs): find a kernel by
// name across every module's table and run it with `jn_host::launch`.
//
// `host_modules.inc` is written by build.rs: one JN_HOST_MODULE(<stem>) per kernels/cu/<stem>.cu;
// `selftest` (selftest.cpp) adds the shim's own deliberately broken kernels.
#include <string.h>

#include "fiber_launch.h"
#include "registry.h"

#define JN_HOST_MODULE(STEM) \
    extern "C" const ::jn_host::KernelEntry* jn_host_kernels_##STEM(size_t* count);
#include "host_modules.inc"
JN_HOST_MODULE(selftest)
#undef JN_HOST_MODULE

namespace {

using Table = const jn_host::KernelEntry* (*)(size_t*);

const Table kTables[] = {
#define JN_HOST_MODULE(STEM) &jn_host_kernels_##STEM,
#include "host_modules.inc"
    JN_HOST_MODULE(selftest)
#undef JN_HOST_MODULE
};

/// The `index`-th kernel over all tables, or null past the end.
const jn_host::KernelEntry* nth(size_t index) {
    for (Table table : kTables) {
        size_t count = 0;
        const jn_host::KernelEntry* entries = table(&count);
        if (index < count) return &entries[index];
        index -= count;
    }
    return nullptr;
}

}  // namespace

extern "C" {

/// Number of kernels built for the host.
size_t jn_host_kernel_count(void) {
    size_t total = 0;
    for (Table table : kTables) {
        size_t count = 0;
        table(&count);
        total += count;
    }
    return total;
}

/// Name of the `index`-th kernel (a static string), or null past the end.
const char* jn_host_kernel_name(size_t index) {
    const jn_host::KernelEntry* entry = nth(index);
    return entry ? entry->name : nullptr;
}

/// Runs kernel `name` with cuLaunchKernel-style `params`. Returns 0 on success, 1 for an unknown
/// kernel, 2 for an invalid launch, 3 for a fault found while running; `err` then says why.
int jn_host_launch(const char* name, const unsigned grid[3], const unsigned block[3],
                   void** params, char* err, size_t err_len) {
    for (size_t i = 0;; ++i) {
        const jn_host::KernelEntry* entry = nth(i);
        if (!entry) break;
        if (strcmp(entry->name, name) == 0)
            return jn_host::launch(entry->run, grid, block, params, err, err_len);
    }
    if (err_len > 0) {
        strncpy(err, name, err_len - 1);
        err[err_len - 1] = '\0';
    }
    return 1;
}

}  // extern "C"
