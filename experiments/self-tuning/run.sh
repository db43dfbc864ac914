#!/usr/bin/env bash
# Issue 8's study: every setup here over 5 seeds, two runs at a time on one thread each.
# Usage (from the repository root): experiments/self-tuning/run.sh [SETUP...]   (default: mlp-mnist lenet-fashion deep-mlp stress-mlp-mnist)
# Runs go to runs/self-tuning/SETUP/seed-N/, each seed with its own `jetnewton compare` report.
set -euo pipefail
bin=${JETNEWTON:-target/release/jetnewton}
setups=("$@")
[ ${#setups[@]} -gt 0 ] || setups=(mlp-mnist lenet-fashion deep-mlp stress-mlp-mnist)
for setup in "${setups[@]}"; do
  for seed in 1 2 3 4 5; do
    "$bin" compare experiments/self-tuning/"$setup"-*.toml --out runs/self-tuning/"$setup"/seed-"$seed" \
      --set seed="$seed" --threads 1 --log quiet &
    # Two at a time: this machine has two cores.
    if (( seed % 2 == 0 )); then wait; fi
  done
  wait
done
