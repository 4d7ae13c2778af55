"""Near-duplicate groups of a dataset: the perceptual-hash matches (core/near_duplicates.py),
refined and extended by the cached backbone features where they exist.

A pair the hashes find close but not quite (a heavier edit, a burst shot taken a moment later) is
a match when the features agree it is the same scene; a pair the hashes miss (a crop and a
brightness change together) is one when the features are all but identical; and a hash match at
the edge of MATCH_BITS is dropped when the features say these are different things (plain objects
on white hash alike: two glasses of milk, pears and oranges). Costs no Keras.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from desktop_app.core import near_duplicates as hashes
from desktop_app.core.dataset import UNLABELED
from desktop_app.core.photo_scan import Scan, scan
from desktop_app.core.progress import CancelToken, ProgressCallback
from desktop_app.ml.feature_lookup import CachedFeatures, cached_features, centered_unit

CLOSE_SIMILARITY = 0.85  # centered cosine for a pair the hashes already find close
SAME_SIMILARITY = 0.96  # centered cosine alone
MIN_FOR_FEATURES = 8  # centering needs a few photos to mean anything
# A hash match this many bits or more apart needs the features' word too. benchmarks/
# bench_quality.py: edited copies sit at 0-10 bits with similarity >= 0.72 (the edits far in
# bits are crops and mirrors, >= 0.87); the distinct photos the hashes matched, at 9-11 bits, had
# 0.42-0.77. Calibrated on that same set of 2,990 photos: no held-out check yet.
VETO_FROM_BITS = 8
VETO_BELOW_SIMILARITY = 0.8


@dataclass
class NearDuplicates:
    groups: list[hashes.DuplicateGroup]
    features: str | None  # the feature cache that refined the pairs, None when hashes alone did
    scan: Scan

    @property
    def conflicts(self) -> list[hashes.DuplicateGroup]:
        return [group for group in self.groups if group.conflict]

    def group_of(self) -> dict[str, int]:
        """hash -> number of its group, for photos in a group."""
        return {h: n for n, group in enumerate(self.groups) for h in group.hashes}


def find_near_duplicates(
    dataset,
    items: Sequence | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    scanned: Scan | None = None,
) -> NearDuplicates:
    """Groups among items (every photo of the dataset when None), largest first."""
    items = list(dataset.items() if items is None else items)
    scanned = scanned if scanned is not None else scan(dataset, items, progress, cancel)
    usable = [it for it in items if it.hash in scanned.signatures]
    if not usable:
        return NearDuplicates([], None, scanned)
    signatures = np.stack([scanned.signatures[it.hash] for it in usable])
    close = hashes.closeness(signatures, hashes.LOOSE_BITS)
    features = cached_features(dataset)
    if features is not None:
        pairs = feature_pairs(usable, close, features)
    else:
        pairs = [(i, j) for i, j, bits in close if bits <= hashes.MATCH_BITS]
    groups = hashes.union_groups(len(usable), pairs)
    found = hashes.make_groups(usable, signatures, groups, UNLABELED)
    return NearDuplicates(found, features.key if features else None, scanned)


def feature_pairs(items: Sequence, close, features: CachedFeatures) -> list[tuple[int, int]]:
    """The hash matches the features do not veto, the close pairs they confirm, and the pairs
    they find alone; the hash matches as they are where too few photos have features."""
    have, x = features.of([it.hash for it in items])
    if len(have) < MIN_FOR_FEATURES:
        return [(i, j) for i, j, bits in close if bits <= hashes.MATCH_BITS]
    unit = centered_unit(x)
    row = {item_index: r for r, item_index in enumerate(have)}

    def similarity(i: int, j: int) -> float | None:
        if i not in row or j not in row:
            return None
        return float(unit[row[i]] @ unit[row[j]])

    pairs = []
    for i, j, bits in close:
        seen = similarity(i, j)
        if bits <= hashes.MATCH_BITS:
            vetoed = bits >= VETO_FROM_BITS and seen is not None and seen < VETO_BELOW_SIMILARITY
            if not vetoed:
                pairs.append((i, j))
        elif seen is not None and seen >= CLOSE_SIMILARITY:
            pairs.append((i, j))
    for start in range(0, len(have), 512):  # all pairs, a block of rows at a time
        similar = unit[start : start + 512] @ unit.T
        rows, cols = np.nonzero(similar >= SAME_SIMILARITY)
        pairs += [
            (have[start + r], have[c])
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
            if c > start + r
        ]
    return pairs
