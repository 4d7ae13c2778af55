#!/usr/bin/env bash
# One short GPU check for the device machine (JAX backend; TensorFlow is not installed there).
# Needs, carried beside the checkout: .whl/ (keras, namex, optree wheels for its Python) and
# .gpu_carry/ (data/hotdog re-encoded to 256 px and weights/*.h5), both ignored by git.
set -uo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax HOTDOG_SHARED=$PWD/.gpu_carry PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
nvidia-smi -L
python3 -c "import keras, jax; print('keras', keras.__version__, 'jax', jax.__version__, jax.devices())"
python3 -c "from desktop_app.ml.devices import describe_device; print('describe_device:', describe_device())"
# Same training code as the CPU benchmark; the recipe reference needs tf.data, so it is skipped.
python3 benchmarks/bench_train.py --skip-recipe --finetune-epochs "${FT_EPOCHS:-8}" > "$OUT/bench_train_gpu.json" 2> "$OUT/bench_train_gpu.log"
echo "bench exit $?"; tail -5 "$OUT/bench_train_gpu.log"; cat "$OUT/bench_train_gpu.json"
