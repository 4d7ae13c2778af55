"""Which cached backbone features a dataset check can read, without computing any.

The current run's backbone at its input size when that cache exists (the features the model was
trained on), else the most recently written cache: near-duplicates, outliers and the label-next
order only need some good features, not a particular backbone's. Reading costs no Keras import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_app.ml.features import FeatureCache, cache_key
from desktop_app.ml.runs import current_run


@dataclass(frozen=True)
class CachedFeatures:
    key: str  # "<backbone>_<input size>", the cache file's stem
    vectors: dict[str, np.ndarray]

    def of(self, hashes: Sequence[str]) -> tuple[list[int], np.ndarray]:
        """(positions of the hashes that have features, their float32 features)."""
        have = [i for i, h in enumerate(hashes) if h in self.vectors]
        if not have:
            return [], np.zeros((0, 0), np.float32)
        return have, np.stack([self.vectors[hashes[i]] for i in have]).astype(np.float32)


def cached_features(dataset) -> CachedFeatures | None:
    folder = Path(dataset.studio_dir) / "features"
    record = current_run(dataset)
    keys = [cache_key(record.backbone, record.input_size)] if record is not None else []
    if folder.is_dir():
        newest = sorted(folder.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
        keys += [path.stem for path in newest]
    for key in keys:
        cache = FeatureCache(dataset.studio_dir, key)
        if cache.vectors:
            return CachedFeatures(key, cache.vectors)
    return None


def centered_unit(features: np.ndarray) -> np.ndarray:
    """Rows minus their mean, scaled to length 1: cosine similarity becomes a dot product, and
    pooled (non-negative) features lose the shared offset that makes any two photos look alike."""
    x = np.asarray(features, np.float32)
    x = x - x.mean(0, keepdims=True)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-8)
