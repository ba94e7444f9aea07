#!/usr/bin/env bash
# One GPU session: a machine with one NVIDIA GPU and torch, no network. Run from the
# repository root with the platformdirs wheel in .whl/ (the one dependency such an image
# may lack) and the verified MNIST cache in .mnist/ (mnist.npz.gz, mnist.json); see
# benchmarks/README.md. Writes everything worth keeping under $OUT:
#   1. captured steps against eager ones       -> capture-check-cuda.json
#   2. mirl bench at K = 1 and 20, with TF32    -> bench-cuda.json
#   3. the paper profile of critic_impact and noniid, 20 seeds, saga probes, --jobs auto,
#      timed end to end                          -> reproduce-paper-cuda.json, report.html
set -u
OUT=${OUT:-benchmarks/results}
python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/src PYTHONUNBUFFERED=1 MIRL_DATA=/tmp/mirl-data
mkdir -p "$MIRL_DATA" && gunzip -c .mnist/mnist.npz.gz > "$MIRL_DATA/mnist.npz"
cp .mnist/mnist.json "$MIRL_DATA/"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch, sklearn; print('torch', torch.__version__, 'sklearn', sklearn.__version__)"
section() { echo "== $1 ($(date +%T))"; }

section "1. captured vs eager"
timeout 120 python3 benchmarks/capture_check.py --out "$OUT/capture-check-cuda.json"

section "2. bench"
timeout 290 python3 -m mirl.cli bench --device cuda --group-sizes 1,20 --tf32 --steps 5 \
  --out "$OUT/bench-cuda.json" --quiet

section "3. paper profile: critic_impact and noniid"
python3 benchmarks/reproduce_timed.py --timeout "${REPRODUCE_SECONDS:-150}" \
  --out "$OUT/reproduce-paper-cuda.json" -- --profile paper --device cuda \
  --experiments critic_impact,noniid --out /tmp/paper --quiet
cp /tmp/paper/report.html "$OUT/report-paper-cuda.html" 2>/dev/null
section "done"
