#!/usr/bin/env bash
# One short GPU check for the device machine (JAX backend; TensorFlow is not installed there).
# Needs, carried beside the checkout: .whl/ (keras, namex, optree wheels for its Python) and
# .gpu_carry/ (data/hotdog re-encoded to 256 px and weights/*.h5), both ignored by git.
set -uo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax HOTDOG_SHARED=$PWD/.gpu_carry PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
nvidia-smi -L
# Where the time of one training goes (timestamped progress), mixed precision first, then float32.
N=400 EPOCHS=10 timeout "${T1:-100}" python3 benchmarks/train_trace.py 2>&1 | grep -v "^I0000\|^W0000" | tee "$OUT/trace_mixed.log"
HOTDOG_MIXED_PRECISION=0 N=400 EPOCHS=10 timeout "${T2:-70}" python3 benchmarks/train_trace.py 2>&1 | grep -v "^I0000\|^W0000" | tee "$OUT/trace_fp32.log"
