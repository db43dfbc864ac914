// Runs a kernel's threads on the host as fibers (ucontext), block after block.
//
// Why fibers rather than one OS thread per CUDA thread: a 256-thread block would need 256 OS
// threads per launch, and a barrier among them; fibers cost a context switch each. They also make
// runs deterministic and catch a missing `__syncthreads` reliably: between two barriers each thread
// runs alone, in order 0, 1, ..., so a thread that reads shared memory before a barrier sees what
// later threads have not written yet, and a thread that runs past a missing barrier overwrites
// what later threads have not read yet. A barrier reached by some threads while others have
// exited is reported as an error (it is undefined behaviour on a GPU).
#pragma once

#include <stddef.h>

namespace jn_host {

/// A kernel's parameters unpacked from a `void**` array, as cuLaunchKernel passes them.
using HostKernel = void (*)(void** params);

/// Runs `kernel` over the grid; returns 0, or non-zero with a message in `err` (size `err_len`).
int launch(HostKernel kernel, const unsigned grid[3], const unsigned block[3], void** params,
           char* err, size_t err_len);

}  // namespace jn_host
