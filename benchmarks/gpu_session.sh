#!/usr/bin/env bash
# One GPU session (the device tool: one H100/H200, torch preinstalled, no network).
# Carried: .whl (platformdirs, the one dependency the image lacks) and .mnist (the verified
# MNIST cache). Writes everything worth keeping under $OUT.
#   1. every experiment end to end on CUDA at the smoke profile (async saga probes included)
#   2. mirl bench at K = 1, 4, 20 on real MNIST  -> $OUT/bench-cuda.json
#   3. the paper's invertible run, 4 seeds, 3,001 steps, torch probe -> does accuracy rise?
set -u
python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/src MIRL_DATA=$PWD/.mnist PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch, sklearn; print('torch', torch.__version__, 'sklearn', sklearn.__version__, torch.cuda.get_device_name())"
echo "== 1. smoke profile on CUDA"
time timeout 120 python3 -m mirl.cli reproduce --profile smoke --data synthetic --device cuda \
  --out /tmp/smoke --quiet 2>&1 | grep -v "^/tmp/smoke/figures" | tail -5

echo "== 2. bench"
time timeout 300 python3 -m mirl.cli bench --device cuda --seeds 1,4,20 --data mnist \
  --out "$OUT/bench-cuda.json"

echo "== 3. invertible, paper flow"
time timeout 120 python3 -m mirl.cli run invertible --profile paper --seeds 4 --steps 3001 \
  --evals 5 --probe torch --device cuda --out /tmp/invertible --quiet
python3 - <<'PY'
import os
from mirl.results.store import load
frame = load("/tmp/invertible")
print(frame.groupby(["name", "iteration"])[["accuracy", "bound_value"]].agg(["mean", "std"]).round(4))
frame.to_csv(os.environ["OUT"] + "/invertible-paper-flow-3k.csv", index=False)
PY
