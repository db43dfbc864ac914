#!/usr/bin/env python3
"""PyTorch peer timings for the README (optional; not part of `cargo test`).

Times, in one process, the gradient (forward + backward) and the summaries gbar, hbar and diag D^3 by double
backward (the paper's code path: autograd.grad with create_graph) for the paper's MLP, LeNet-5 and BigMLP, in f32
with the given number of threads. Needs Debian's `python3-torch` and `libopenblas0-openmp`:

    apt-get install python3-torch libopenblas0-openmp
    python3 scripts/torch_peer.py --threads 2
    python3 scripts/torch_peer.py --threads 1,2 --models lenet5   # the faster of 1 and 2 threads, per case

On a GPU (PyTorch's CUDA build; scripts/gpu-check.sh runs this):

    python3 scripts/torch_peer.py --device cuda --models mlp,bigmlp --bigmlp-batch 1000
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(widths, act):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(act())
    return nn.Sequential(nn.Flatten(), *layers)


def lenet5(c=3):
    return nn.Sequential(
        nn.Conv2d(c, 6, 5), nn.Tanh(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_ms(f, repeat, device):
    f()
    sync(device)
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        sync(device)
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def case(name, model, x, y, repeat, device, gradient_only=False):
    model, x, y = model.to(device), x.to(device), y.to(device)
    params = list(model.parameters())

    def gradient():
        loss = F.cross_entropy(model(x), y)
        return torch.autograd.grad(loss, params)

    u = [g.detach() for g in gradient()]

    def summaries():
        loss = F.cross_entropy(model(x), y)
        g = torch.autograd.grad(loss, params, create_graph=True)
        s = len(params)
        gbar, hbar, d3 = [], [[0.0] * s for _ in range(s)], []
        for i in range(s):
            gs = (g[i] * u[i]).sum()
            gbar.append(gs.item())
            hu = torch.autograd.grad(gs, params, create_graph=True, retain_graph=True, allow_unused=True)
            for j in range(s):
                if hu[j] is not None:
                    hbar[i][j] = (hu[j] * u[j]).sum().item()
            hss = (hu[i] * u[i]).sum()
            t = torch.autograd.grad(hss, params[i], retain_graph=True, allow_unused=True)[0]
            d3.append(0.0 if t is None else (t * u[i]).sum().item())
        return gbar, hbar, d3

    g_ms = median_ms(gradient, repeat, device)
    if gradient_only:
        return {"model": name, "batch": x.shape[0], "groups": len(params), "gradient_ms": g_ms}
    s_ms = median_ms(summaries, max(1, repeat // 2), device)
    return {"model": name, "batch": x.shape[0], "groups": len(params), "gradient_ms": g_ms,
            "double_backward_ms": s_ms, "ratio": s_ms / g_ms}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="2",
                    help="threads, or a comma-separated list (e.g. 1,2): every case is then timed with each and "
                         "the setting with the fastest gradient kept (PyTorch on 2 cores is often faster on 1)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    ap.add_argument("--models", default="mlp,lenet5,bigmlp", help="comma-separated: mlp, lenet5, bigmlp")
    ap.add_argument("--bigmlp-batch", type=int, default=100)
    ap.add_argument("--gradient-only", action="store_true", help="time the gradient only (no double backward)")
    a = ap.parse_args()
    settings = [int(t) for t in str(a.threads).split(",")]
    device = torch.device(a.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    best = {}
    for threads in settings:
        torch.set_num_threads(threads)
        for r in run_cases(a, device):
            r["threads"] = threads
            if r["model"] not in best or r["gradient_ms"] < best[r["model"]]["gradient_ms"]:
                best[r["model"]] = r
    out = list(best.values())
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    threads = settings if len(settings) > 1 else settings[0]
    print(json.dumps({"torch": torch.__version__, "threads": threads, "device": name, "cases": out}, indent=1))


def run_cases(a, device):
    """Times every requested model once, with the same seeded weights and batches for every thread setting."""
    torch.manual_seed(0)
    models = a.models.split(",")
    out = []
    if "mlp" in models:
        m = mlp([784, 1024, 200, 100, 10], nn.Tanh)
        r = case("mlp:784-1024-200-100-10:tanh", m, torch.randn(1000, 784), torch.randint(0, 10, (1000,)),
                 a.repeat, device, a.gradient_only)
        flops = 2 * 1000 * (784 * 1024 + 1024 * 200 + 200 * 100 + 100 * 10) * 2 \
            + 2 * 1000 * (1024 * 200 + 200 * 100 + 100 * 10)
        r["gradient_gflops"] = flops / r["gradient_ms"] / 1e6
        out.append(r)
    if "lenet5" in models:
        out.append(case("lenet5:3x32x32:tanh", lenet5(), torch.randn(1000, 3, 32, 32),
                        torch.randint(0, 10, (1000,)), a.repeat, device, a.gradient_only))
    if "bigmlp" in models:
        m = mlp([3072] + [1024] * 20 + [10], nn.ELU)
        b = a.bigmlp_batch
        out.append(case("mlp:3072-1024x20-10:elu", m, torch.randn(b, 3072), torch.randint(0, 10, (b,)),
                        a.repeat, device, a.gradient_only))
    return out


if __name__ == "__main__":
    main()
