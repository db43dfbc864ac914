#!/usr/bin/env bash
# Gradient timings of two jetnewton binaries and PyTorch in one run (docs/speed.md).
# usage: scripts/speed_compare.sh BEFORE_BIN AFTER_BIN [REPEAT]
set -euo pipefail
before=$1; after=$2; repeat=${3:-7}
for m in "lenet5:3x32x32:tanh 1000" "bigmlp 100" "mlp:784-1024-200-100-10:tanh 1000"; do
  set -- $m
  for bin in "$before" "$after"; do
    echo "== $bin $1 batch $2"
    "$bin" timing --model "$1" --batch-size "$2" --repeat "$repeat" --skip-double-backward 2>&1 | grep -E "\"(gradient_ms|jet_summaries_ms|threads)\""
  done
done
/usr/bin/python3 scripts/torch_peer.py --threads 1,2 --repeat "$repeat" --gradient-only
