"""Fine-tuning over the frozen bottom's outputs, computed once (issue #12, ADR 0012).

Fine-tune mode trains only the backbone's top quarter (model.unfreeze_top). The layers below it
never change, so each photo goes through them once; every epoch then runs only the top and the
head. Measured with `benchmarks/bench_finetune_split.py --accuracy` on the shared photos:
- an epoch over 256 photos: 0.6-1.3 s, against 3.7-5.0 s over the pixels (3.8-5.7x faster);
- a whole fine-tune run (4 epochs, 2,371 photos): 92 s, against 174 s.
The one thing lost is the augmentation layers: random flips, rotations, zooms and contrast act
on pixels, before the bottom. Without them, the fine-tuned model made 14 errors on
bench_train's held-out fifth (609 photos), against 13 with them (one seed each).

Where the activations would not fit in MAX_BYTES, or no single tensor separates the frozen layers
from the trained ones, fine-tuning runs over the pixels with augmentation, as before.
"""

from __future__ import annotations

import numpy as np

from desktop_app.ml.map_history import split_backbone
from desktop_app.ml.runtime import keras_module

MAX_BYTES = 1024 * 2**20  # the training and validation photos' bottom outputs, float32, at most
BATCH = 64


def split_for(spec, backbone, size: int, photos: int):
    """(bottom, top) of a backbone whose top is unfrozen, when `photos` photos' bottom outputs fit
    in MAX_BYTES; else None (fine-tune over the pixels)."""
    split = split_backbone(spec, backbone, size)
    if split is None:
        return None
    bottom, _top = split
    per_photo = int(np.prod(bottom.output.shape[1:])) * 4
    return split if per_photo * photos <= MAX_BYTES else None


def bottom_outputs(bottom, pixels: np.ndarray) -> np.ndarray:
    """The frozen bottom's float32 outputs for uint8 photos (one compiled forward pass)."""
    if not len(pixels):
        return np.zeros((0, *bottom.output.shape[1:]), np.float32)
    return np.asarray(bottom.predict(pixels, batch_size=BATCH, verbose=0), np.float32)


def training_model(top, head, bottom):
    """Bottom outputs -> class probabilities, through the same (shared, trained) top and head."""
    keras = keras_module()
    inputs = keras.Input(bottom.output.shape[1:], name="bottom_outputs")
    return keras.Model(inputs, head(top(inputs)), name="fine_tune_top")
