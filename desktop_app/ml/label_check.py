"""Finding labels that are probably wrong, before they teach the model the wrong thing.

Every labeled photo is predicted by a model that never saw it: k-fold over the cached backbone
features (the ones fast-mode training already made), with near-duplicates kept in one fold so a
copy cannot vouch for its twin. A photo whose out-of-fold prediction disagrees with its label is a
suspect; the most confident disagreements come first. The judge is a linear probe fitted in NumPy
(ml/linear_probe.py, ADR 0010): k fits take about a second, no backbone pass for photos already
embedded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_app.core.errors import StudioError
from desktop_app.core.progress import CancelToken, EtaClock, Progress, ProgressCallback, emit
from desktop_app.ml.backbones import DEFAULT_BACKBONE, get_spec
from desktop_app.ml.label_check_record import save_check
from desktop_app.ml.linear_probe import fit_linear_probe
from desktop_app.ml.split import near_duplicate_groups

FOLDS = 5


@dataclass(frozen=True)
class Suspect:
    hash: str
    path: Path
    label: str  # what it is labeled
    predicted: str  # what a model that never saw it says
    confidence: float  # that model's probability for `predicted`

    def to_dict(self) -> dict:
        return {
            "hash": self.hash,
            "path": str(self.path),
            "label": self.label,
            "predicted": self.predicted,
            "confidence": round(self.confidence, 4),
        }


@dataclass
class LabelCheck:
    checked: int  # labeled photos predicted out of fold
    suspects: list[Suspect]  # most confident disagreement first
    backbone: str
    skipped: int = 0  # photos that could not be decoded

    @property
    def agreement(self) -> float:
        return 1 - len(self.suspects) / self.checked if self.checked else 1.0

    def to_dict(self) -> dict:
        return {
            "checked": self.checked,
            "agreement": round(self.agreement, 4),
            "backbone": self.backbone,
            "skipped": self.skipped,
            "suspects": [s.to_dict() for s in self.suspects],
        }


def check_labels(
    dataset,
    backbone: str = DEFAULT_BACKBONE,
    *,
    folds: int = FOLDS,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    allow_download: bool = True,
) -> LabelCheck:
    from desktop_app.ml.embedding import cached_features

    spec = get_spec(backbone)
    if not spec.pretrained:
        raise StudioError(f"{spec.title} has no pretrained features to check labels with.")
    classes = list(dataset.classes)
    items = [item for name in classes for item in dataset.items(name)]
    short = [name for name in classes if sum(it.label == name for it in items) < folds]
    if short:
        raise StudioError(
            f"Label at least {folds} photos of each class to check labels (too few: "
            f"{', '.join(short)})."
        )
    cache = cached_features(
        dataset, spec, items, progress=progress, cancel=cancel, allow_download=allow_download
    )
    usable = [it for it in items if it.hash in cache.vectors]
    x = cache.get([it.hash for it in usable])
    y = np.array([classes.index(it.label) for it in usable], dtype="int32")
    fold = _folds(usable, folds)
    probabilities = np.zeros((len(usable), len(classes)), dtype="float32")
    clock = EtaClock()
    for k in range(folds):
        if cancel is not None:
            cancel.raise_if_cancelled()
        message = f"fold {k + 1} of {folds}"
        emit(progress, Progress("checking", k, folds, message=message, eta_s=clock.eta(k, folds)))
        held = fold == k
        if not held.any():  # a small set can leave a fold empty
            continue
        probe = fit_linear_probe(x[~held], y[~held], len(classes))
        probabilities[held] = probe.probabilities(x[held])
    if cancel is not None:
        cancel.raise_if_cancelled()  # stopped during the last fold: no half-made verdicts
    emit(progress, Progress("checking", folds, folds))
    predicted = probabilities.argmax(1)
    suspects = [
        Suspect(it.hash, it.path, it.label, classes[p], float(probabilities[i, p]))
        for i, (it, p) in enumerate(zip(usable, predicted, strict=True))
        if p != y[i]
    ]
    suspects.sort(key=lambda s: -s.confidence)
    result = LabelCheck(len(usable), suspects, spec.name, skipped=len(items) - len(usable))
    save_check(dataset, result)  # the health check reports it later
    return result


def _folds(items, folds: int) -> np.ndarray:
    """A fold per photo, by its near-duplicate group's first hash: stable, and twins stay together."""
    groups = near_duplicate_groups([it.phash for it in items])
    first: dict[int, str] = {}
    for it, group in zip(items, groups, strict=True):
        first.setdefault(group, it.hash)
    return np.array([int(first[g][:8], 16) % folds for g in groups])
