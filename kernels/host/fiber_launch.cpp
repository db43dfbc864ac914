// The fiber scheduler behind `jn_host::launch` (see fiber_launch.h for why fibers).
#include "fiber_launch.h"

#include <stdio.h>
#include <ucontext.h>

#include <memory>
#include <vector>

#include "cuda_host.h"

thread_local uint3 threadIdx;
thread_local uint3 blockIdx;
thread_local dim3 blockDim;
thread_local dim3 gridDim;

namespace {

/// Stack of each fiber: kernels keep a few registers' worth of locals, far below this.
constexpr size_t kStackBytes = 128 * 1024;
/// CUDA's limit on threads per block.
constexpr unsigned kMaxThreads = 1024;

struct Fiber {
    ucontext_t context;
    std::unique_ptr<char[]> stack;
    uint3 index;
    bool done;
};

/// One OS thread's scheduler: the fibers of the block being run and where to return.
struct Scheduler {
    ucontext_t main;
    std::vector<Fiber> fibers;
    size_t current = 0;
    bool active = false;
    jn_host::HostKernel kernel = nullptr;
    void** params = nullptr;
};

thread_local Scheduler sched;

/// Entry of every fiber; returning switches to `sched.main` through `uc_link`.
void fiber_main() {
    sched.kernel(sched.params);
    sched.fibers[sched.current].done = true;
}

/// Switches to fiber `i`, which runs until its next barrier or its end.
void resume(size_t i) {
    sched.current = i;
    threadIdx = sched.fibers[i].index;
    swapcontext(&sched.main, &sched.fibers[i].context);
}

}  // namespace

void jn_host::sync_threads() {
    if (!sched.active) {
        // Only a kernel run by `launch` may synchronise; anything else is a bug in the shim's user.
        fputs("jn_host: __syncthreads called outside a kernel launch\n", stderr);
        abort();
    }
    // The compiler must not keep shared memory in registers across the switch.
    asm volatile("" ::: "memory");
    swapcontext(&sched.fibers[sched.current].context, &sched.main);
    asm volatile("" ::: "memory");
}

int jn_host::launch(HostKernel kernel, const unsigned grid[3], const unsigned block[3],
                    void** params, char* err, size_t err_len) {
    const size_t threads = (size_t)block[0] * block[1] * block[2];
    if (threads == 0 || threads > kMaxThreads || grid[0] == 0 || grid[1] == 0 || grid[2] == 0) {
        snprintf(err, err_len, "invalid launch: grid %ux%ux%u, block %ux%ux%u", grid[0], grid[1],
                 grid[2], block[0], block[1], block[2]);
        return 2;
    }
    if (sched.active) {
        snprintf(err, err_len, "a kernel launched another kernel (not supported on the host)");
        return 2;
    }
    sched.kernel = kernel;
    sched.params = params;
    sched.active = true;
    if (sched.fibers.size() < threads) sched.fibers.resize(threads);
    for (size_t i = 0; i < threads; ++i) {
        if (!sched.fibers[i].stack) sched.fibers[i].stack.reset(new char[kStackBytes]);
        sched.fibers[i].index = {(unsigned)(i % block[0]), (unsigned)(i / block[0] % block[1]),
                                 (unsigned)(i / ((size_t)block[0] * block[1]))};
    }
    gridDim = {grid[0], grid[1], grid[2]};
    blockDim = {block[0], block[1], block[2]};
    int status = 0;
    for (unsigned bz = 0; bz < grid[2]; ++bz)
        for (unsigned by = 0; by < grid[1]; ++by)
            for (unsigned bx = 0; bx < grid[0]; ++bx) {
                blockIdx = {bx, by, bz};
                for (size_t i = 0; i < threads; ++i) {
                    Fiber& f = sched.fibers[i];
                    getcontext(&f.context);
                    f.context.uc_stack.ss_sp = f.stack.get();
                    f.context.uc_stack.ss_size = kStackBytes;
                    f.context.uc_link = &sched.main;
                    f.done = false;
                    makecontext(&f.context, fiber_main, 0);
                }
                // One phase per barrier: every live fiber runs to its next barrier or its end.
                for (;;) {
                    size_t waiting = 0;
                    for (size_t i = 0; i < threads; ++i) {
                        if (sched.fibers[i].done) continue;
                        resume(i);
                        if (!sched.fibers[i].done) ++waiting;
                    }
                    if (waiting == 0) break;
                    if (waiting != threads && status == 0) {
                        snprintf(err, err_len,
                                 "block (%u,%u,%u): __syncthreads reached by %zu of %zu threads "
                                 "(the others exited)",
                                 bx, by, bz, waiting, threads);
                        status = 3;
                    }
                }
            }
    sched.active = false;
    return status;
}
