#!/usr/bin/env bash
# GPU check of jetnewton's CUDA kernels, for any machine with an NVIDIA GPU:
#   1. the GPU and its driver (nvidia-smi); without them it stops at once, saying so
#   2. nvcc (.ci/kernels nvcc: NVCC, CUDA_HOME, PATH, else 13.0 from PyPI), CUDA_ARCH from the
#      GPU's compute capability, and the PTX ISA lowered when the driver is older than nvcc
#   3. the tests of jetnewton-kernels with the `cuda` feature, GPU tests included: every kernel on
#      the device against the oracles of the host tests (JETNEWTON_REQUIRE_GPU=1, so a test that
#      cannot open the device fails rather than skips)
#   4. the GEMM benchmark (kernels/examples/matmul_bench.rs) on the paper's MLP shapes, f32 and f64
#   5. PyTorch's cuBLAS on the same shapes, when python3 has torch with CUDA
#   6. the summaries of the paper's MLP and BigMLP (batch 1000, f32): `jetnewton --device cuda timing` (resident
#      on the GPU, and the engine with its products on the GPU, checked against each other) and on the CPU,
#      against PyTorch's double backward on the same GPU (scripts/torch_peer.py --device cuda), with the speed-up
#      the issue's target is stated in
# and writes it all to gpu-results.md (or the path given as $1). Exit status: 0 when the tests
# pass, 1 otherwise (the results file is written either way once the GPU is found).
#
# Usage: scripts/gpu-check.sh [results.md]        (REPEAT=50 launches per timing by default)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
RESULTS=$(realpath -m "${1:-gpu-results.md}")
REPEAT=${REPEAT:-50}
export CARGO_TERM_COLOR=never

fail() {
    printf 'gpu-check: %s\n' "$*" >&2
    exit 1
}
trim() { sed 's/^ *//; s/ *$//' <<<"$1"; }

# True when version $1 (major.minor) is below $2.
version_lt() {
    [[ "$1" != "$2" && "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" == "$1" ]]
}

# The highest PTX ISA a driver of CUDA version $1 accepts (CUDA 12.x release notes).
isa_of() {
    case "$1" in
    11.8) echo 7.8 ;;
    12.0) echo 8.0 ;;
    12.1) echo 8.1 ;;
    12.2) echo 8.2 ;;
    12.3) echo 8.3 ;;
    12.4) echo 8.4 ;;
    12.5 | 12.6) echo 8.5 ;;
    12.7) echo 8.6 ;;
    12.8) echo 8.7 ;;
    12.9) echo 8.8 ;;
    *) return 1 ;;
    esac
}

echo "=== GPU"
command -v nvidia-smi >/dev/null ||
    fail "nvidia-smi not found: no NVIDIA driver on this machine, so no GPU to check"
gpu=$(nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv,noheader -i 0 2>&1) ||
    fail "nvidia-smi sees no GPU: $gpu"
IFS=',' read -r gpu_name compute_cap driver <<<"$gpu"
gpu_name=$(trim "$gpu_name")
compute_cap=$(trim "$compute_cap")
driver=$(trim "$driver")
driver_cuda=$(nvidia-smi | grep -o 'CUDA Version: *[0-9.]*' | grep -o '[0-9.]*$' || true)
[[ -n "$compute_cap" && -n "$driver_cuda" ]] || fail "cannot read the GPU's compute capability or CUDA version: $gpu"
export CUDA_ARCH="compute_${compute_cap/./}"
echo "$gpu_name, compute capability $compute_cap, driver $driver (CUDA $driver_cuda)"

echo "=== nvcc"
nvcc=$(bash .ci/kernels nvcc) || fail "no nvcc (set NVCC or CUDA_HOME, or let pip reach PyPI)"
export NVCC=$nvcc
nvcc_cuda=$("$nvcc" --version | grep -o 'release [0-9.]*' | grep -o '[0-9.]*$')
echo "$nvcc (CUDA $nvcc_cuda), -arch=$CUDA_ARCH"
if version_lt "$driver_cuda" "$nvcc_cuda"; then
    # The driver would refuse nvcc's PTX (CUDA_ERROR_UNSUPPORTED_PTX_VERSION): declare its ISA.
    isa=$(isa_of "$driver_cuda") ||
        fail "driver CUDA $driver_cuda is older than any PTX ISA this script knows; use an nvcc of CUDA <= $driver_cuda"
    export JETNEWTON_PTX_ISA=$isa
    echo "driver CUDA $driver_cuda < nvcc CUDA $nvcc_cuda: PTX declared as ISA $isa (JETNEWTON_PTX_ISA)"
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "=== tests (cargo test -p jetnewton-kernels --features cuda)"
set +e
JETNEWTON_REQUIRE_GPU=1 cargo test -p jetnewton-kernels --features cuda 2>&1 | tee "$log"
tests_status=${PIPESTATUS[0]}
set -e

echo "=== GEMM benchmark"
bench() {
    cargo run --quiet --release -p jetnewton-kernels --features cuda --example matmul_bench -- "$@"
}
bench_f32=$(bench --repeat "$REPEAT" 2>&1) || bench_f32="benchmark failed:
$bench_f32"
echo "$bench_f32"
bench_f64=$(bench --f64 --repeat "$(((REPEAT + 4) / 5))" 2>&1) || bench_f64="benchmark failed:
$bench_f64"
echo "$bench_f64"

echo "=== PyTorch"
# The shapes come from the benchmark itself, so the two tables always match.
read -r -d '' TORCH_BENCH <<'PY' || true
import sys, time
import torch

repeat = int(sys.argv[1])
dev = torch.device("cuda")
torch.backends.cuda.matmul.allow_tf32 = False
print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}, "
      f"mean of {repeat} calls after 3 warm-ups\n")
print("| product | m x n x k | f32 ms | f32 GFLOP/s | TF32 GFLOP/s |")
print("|---|---|---:|---:|---:|")
for line in sys.stdin:
    name, m, n, k, ta, tb, products = line.rstrip("\n").split("|")
    m, n, k, ta, tb, products = map(int, (m, n, k, ta, tb, products))
    coeffs = 3 if products > 1 else 1

    def operand(rows, cols, transposed):
        if transposed:
            return torch.rand(coeffs, cols, rows, device=dev).transpose(1, 2)
        return torch.rand(coeffs, rows, cols, device=dev)

    a, b = operand(m, k, ta), operand(k, n, tb)

    def run():
        if products == 1:
            return a[0] @ b[0]
        # The jet rule of the benchmark: C_1 = A_0 B_1 + A_1 B_0, C_2 = A_0 B_2 + A_1 B_1 + A_2 B_0.
        return a[0] @ b[1] + a[1] @ b[0], a[0] @ b[2] + a[1] @ b[1] + a[2] @ b[0]

    def timed():
        for _ in range(3):
            run()
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(repeat):
            run()
        torch.cuda.synchronize()
        return (time.perf_counter() - start) / repeat

    flops = 2.0 * m * n * k * products
    f32 = timed()
    torch.backends.cuda.matmul.allow_tf32 = True
    tf32 = timed()
    torch.backends.cuda.matmul.allow_tf32 = False
    print(f"| {name} | {m} x {n} x {k} | {f32 * 1e3:.3f} | {flops / f32 / 1e9:.0f} | "
          f"{flops / tf32 / 1e9:.0f} |")
PY
if python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    torch_table=$(bench --list | python3 -c "$TORCH_BENCH" "$REPEAT" 2>&1) ||
        torch_table="PyTorch benchmark failed:
$torch_table"
else
    torch_table="(skipped: python3 has no torch with CUDA)"
fi
echo "$torch_table"

echo "=== summaries (jetnewton timing, --device cuda and cpu; PyTorch double backward on cuda)"
SUMMARY_MODELS=(mlp:784-1024-200-100-10:tanh mlp:3072-1024x20-10:elu)
summaries_dir=$(mktemp -d)
trap 'rm -f "$log"; rm -rf "$summaries_dir"' EXIT
if cargo build --quiet --release --features cuda 2>&1; then
    for i in "${!SUMMARY_MODELS[@]}"; do
        for dev in cuda cpu; do
            # Our double backward (the engine's baseline, not a target) of the BigMLP at batch 1000 takes minutes
            # with its elementwise work on the CPU: it runs for the MLP on the GPU only.
            skip=()
            [[ $dev == cpu || $i -gt 0 ]] && skip=(--skip-double-backward)
            target/release/jetnewton --device "$dev" timing --model "${SUMMARY_MODELS[$i]}" --batch-size 1000 \
                --repeat 3 "${skip[@]}" >"$summaries_dir/jetnewton-$dev-$i.json" 2>&1 ||
                echo "jetnewton timing failed on $dev for ${SUMMARY_MODELS[$i]}" >&2
            cat "$summaries_dir/jetnewton-$dev-$i.json"
        done
    done
else
    echo "cargo build --release --features cuda failed" >&2
fi
if python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    python3 scripts/torch_peer.py --device cuda --models mlp,bigmlp --bigmlp-batch 1000 --repeat 5 \
        >"$summaries_dir/torch.json" 2>&1 || echo "torch_peer.py failed" >&2
    cat "$summaries_dir/torch.json"
fi
read -r -d '' SUMMARY_TABLE <<'PY' || true
import json, pathlib, sys

d = pathlib.Path(sys.argv[1])
def load(name):
    try:
        return json.loads((d / name).read_text())
    except (OSError, ValueError):
        return None
torch = load("torch.json")
peer = {c["model"]: c for c in torch["cases"]} if torch else {}
if torch:
    print(f"PyTorch {torch['torch']} on {torch['device']}\n")
print("| model (batch 1000, f32) | resident jets, cuda ms | engine jets (GEMMs on cuda) ms | engine jets, cpu ms "
      "| PyTorch double backward, cuda ms | PyTorch / resident (target >= 3) | resident vs engine, rel. diff |")
print("|---|---:|---:|---:|---:|---:|---:|")
i = 0
while (d / f"jetnewton-cuda-{i}.json").exists():
    g, c = load(f"jetnewton-cuda-{i}.json"), load(f"jetnewton-cpu-{i}.json")
    i += 1
    if g is None:
        print("| (jetnewton failed: see the log) | | | | | | |")
        continue
    p = peer.get(g["model"], {}).get("double_backward_ms")
    r = g.get("resident_jet_summaries_ms")
    fmt = lambda v: "-" if v is None else f"{v:.1f}"
    ratio = "-" if p is None or r is None else f"{p / r:.2f}"
    diff = g.get("resident_relative_difference")
    diff = "-" if diff is None else f"{diff:.1e}"
    cpu = None if c is None else c["jet_summaries_ms"]
    print(f"| {g['model']} | {fmt(r)} | {fmt(g['jet_summaries_ms'])} | {fmt(cpu)} | {fmt(p)} | {ratio} | {diff} |")
PY
summary_table=$(python3 -c "$SUMMARY_TABLE" "$summaries_dir" 2>&1) || summary_table="(no table: $summary_table)"
echo "$summary_table"

{
    echo "# GPU check of the CUDA kernels"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(hostname), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "$(git status --porcelain 2>/dev/null | grep -q . && echo '(with uncommitted changes)')"
    echo
    echo "- GPU: $gpu_name, compute capability $compute_cap, driver $driver (CUDA $driver_cuda)"
    echo "- nvcc: CUDA $nvcc_cuda, \`-arch=$CUDA_ARCH\`${JETNEWTON_PTX_ISA:+, PTX declared as ISA $JETNEWTON_PTX_ISA}"
    echo "- command: \`scripts/gpu-check.sh\` (REPEAT=$REPEAT)"
    echo
    echo "## Tests: $([[ $tests_status == 0 ]] && echo passed || echo FAILED)"
    echo
    echo '```'
    grep -E '^test |^test result|panicked|JETNEWTON_REQUIRE_GPU|running on|skipped' "$log" || true
    echo '```'
    echo
    echo "## GEMM, jetnewton's tiled kernel, f32"
    echo
    echo "$bench_f32"
    echo
    echo "## GEMM, jetnewton's tiled kernel, f64"
    echo
    echo "$bench_f64"
    echo
    echo "## GEMM, PyTorch (cuBLAS)"
    echo
    echo "$torch_table"
    echo
    echo "## Summaries: jetnewton (products on the GPU) vs PyTorch double backward on the GPU"
    echo
    echo "$summary_table"
} >"$RESULTS"
echo "=== wrote $RESULTS"
[[ $tests_status == 0 ]] || fail "the tests failed (see $RESULTS)"
