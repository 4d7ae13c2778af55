"""The dataset's health check: what is wrong with the data, each finding with the photos it counts.

Counts and class balance, overall and on each side of the validation split training will use;
photos that are tiny, huge, grayscale, very dark or very blurry (core/photo_quality.py); near-
duplicate groups, and those whose copies carry different labels; the labels the last Check labels
found suspect; and outliers, the photos least like their class by cached backbone features. Every
finding is a HealthLine whose hashes a view can open in one click. Costs one small decode per photo
the first time (cached), and no Keras.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from desktop_app.core import photo_quality
from desktop_app.core.dataset import UNLABELED
from desktop_app.core.progress import CancelToken, ProgressCallback
from desktop_app.ml.feature_lookup import cached_features
from desktop_app.ml.label_check_record import last_check
from desktop_app.ml.near_duplicates import NearDuplicates, find_near_duplicates
from desktop_app.ml.split import split_items

VAL_SHARE = 0.2  # TrainSettings' default share, read from the current run when there is one
IMBALANCE = 0.5  # the smallest class under half the largest: say so
OUTLIER_MADS = 3.5  # distance to the class centroid beyond median + this many (scaled) MADs
OUTLIER_MAX_SHARE = 0.05
OUTLIER_MIN_CLASS = 10


@dataclass(frozen=True)
class HealthLine:
    check: str  # a stable name: "photos", "class", "balance", "split", "dark", "outliers", ...
    message: str  # one line a person reads
    hashes: tuple[str, ...]  # the photos this line counts
    warning: bool = False  # something to fix (otherwise for information)
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "check": self.check,
            "warning": self.warning,
            "count": len(self.hashes),
            "message": self.message,
            "hashes": list(self.hashes),
            **self.details,
        }


def health(
    dataset, *, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
) -> list[HealthLine]:
    items = dataset.items()
    near = find_near_duplicates(dataset, items, progress=progress, cancel=cancel)
    lines = counts(dataset, items)
    lines += split_lines(dataset, items, near)
    lines += quality_lines(items, near)
    lines += duplicate_lines(near)
    lines.append(suspect_line(dataset))
    lines.append(outlier_line(dataset, items))
    return lines


def counts(dataset, items) -> list[HealthLine]:
    by_label = {label: [it.hash for it in items if it.label == label] for label in dataset.labels}
    labeled = sum(len(by_label[name]) for name in dataset.classes)
    summary = ", ".join(f"{len(by_label[name])} {name}" for name in dataset.labels)
    lines = [
        HealthLine("photos", f"{len(items)} photos: {summary}", tuple(it.hash for it in items))
    ]
    for label in dataset.labels:
        share = f" ({len(by_label[label]) / labeled:.0%} of the labeled)" if labeled else ""
        share = share if label != UNLABELED else ""
        lines.append(
            HealthLine(
                label if label == UNLABELED else "class",
                f"{label}: {len(by_label[label])}{share}",
                tuple(by_label[label]),
                details={"label": label},
            )
        )
    sizes = {name: len(by_label[name]) for name in dataset.classes}
    smallest, largest = min(sizes, key=sizes.get), max(sizes, key=sizes.get)
    if sizes[largest] and sizes[smallest] < IMBALANCE * sizes[largest]:
        message = (
            f"unbalanced: {smallest} has {sizes[smallest]} photos, {largest} {sizes[largest]}"
            f" (label more {smallest} photos; training weighs the classes meanwhile)"
        )
        lines.append(HealthLine("balance", message, tuple(by_label[smallest]), warning=True))
    else:
        lines.append(HealthLine("balance", "the classes are balanced", ()))
    return lines


def split_lines(dataset, items, near: NearDuplicates) -> list[HealthLine]:
    """Both sides of the split training makes (ml/split.py), and whether any near-duplicate group
    straddles it: split.py groups by its own dHash within each class, which misses a mirrored or
    cropped copy, and a copy filed under the other class."""
    from desktop_app.ml.runs import current_run

    record = current_run(dataset)
    share = float((record.settings or {}).get("val_share", VAL_SHARE)) if record else VAL_SHARE
    labeled = [it for it in items if it.label in dataset.classes]
    train, val = split_items(labeled, share)
    lines = []
    for side, members in (("train", train), ("validation", val)):
        per_class = {name: sum(it.label == name for it in members) for name in dataset.classes}
        text = ", ".join(f"{n} {name}" for name, n in per_class.items())
        lines.append(
            HealthLine(
                "split",
                f"{side}: {len(members)} photos ({text})",
                tuple(it.hash for it in members),
                details={"side": side, "by_class": per_class},
            )
        )
    in_val = {it.hash for it in val}
    in_train = {it.hash for it in train}
    straddling = [
        g for g in near.groups if in_val.intersection(g.hashes) and in_train.intersection(g.hashes)
    ]
    hashes = tuple(h for g in straddling for h in g.hashes if h in in_val or h in in_train)
    if straddling:
        message = (
            f"{len(straddling)} near-duplicate group(s) sit on both sides of the validation split:"
            " the validation score is flattered (a copy of a training photo is easy)"
        )
    else:
        message = "the validation split keeps every near-duplicate group on one side"
    lines.append(
        HealthLine(
            "split_leaks",
            message,
            hashes,
            warning=bool(straddling),
            details={"groups": len(straddling)},
        )
    )
    return lines


QUALITY_TEXT = {
    "tiny": f"tiny (under {photo_quality.TINY_SIDE} px on the short side)",
    "huge": f"huge (over {photo_quality.HUGE_PIXELS // 1_000_000} megapixels or"
    f" {photo_quality.HUGE_BYTES // 1_000_000} MB)",
    "grayscale": "grayscale",
    "dark": "very dark",
    "blurry": "very blurry",
}


def quality_lines(items, near: NearDuplicates) -> list[HealthLine]:
    found: dict[str, list[str]] = {flag: [] for flag in photo_quality.FLAGS}
    for it in items:
        measures = near.scan.measures.get(it.hash)
        for flag in photo_quality.flags(it.width, it.height, it.size, measures):
            found[flag].append(it.hash)
    lines = [
        HealthLine(
            flag,
            f"{len(found[flag])} {QUALITY_TEXT[flag]}",
            tuple(found[flag]),
            warning=bool(found[flag]),
        )
        for flag in photo_quality.FLAGS
    ]
    failed = [it.hash for it in items if it.hash in near.scan.failed]
    if failed:
        lines.append(
            HealthLine("unreadable", f"{len(failed)} would not decode", tuple(failed), True)
        )
    return lines


def duplicate_lines(near: NearDuplicates) -> list[HealthLine]:
    groups, conflicts = near.groups, near.conflicts
    by = f" (hashes and {near.features} features)" if near.features else " (perceptual hashes)"
    return [
        HealthLine(
            "near_duplicates",
            f"{len(groups)} near-duplicate group(s), {sum(len(g.hashes) for g in groups)} photos"
            + by,
            tuple(h for g in groups for h in g.hashes),
            warning=bool(groups),
            details={"groups": [list(g.hashes) for g in groups]},
        ),
        HealthLine(
            "label_conflicts",
            f"{len(conflicts)} near-duplicate group(s) whose copies carry different labels",
            tuple(h for g in conflicts for h in g.hashes),
            warning=bool(conflicts),
            details={"groups": [list(g.hashes) for g in conflicts]},
        ),
    ]


def suspect_line(dataset) -> HealthLine:
    record = last_check(dataset)
    if record is None:
        return HealthLine(
            "suspected_labels",
            "suspected wrong labels: not checked yet",
            (),
            details={"checked": False},
        )
    # Only the suspects still there under the label they were suspected with.
    still = [
        s["hash"]
        for s in record["suspects"]
        if (item := dataset.get(s.get("hash", ""))) is not None and item.label == s.get("label")
    ]
    stale = record.get("fingerprint") != dataset.fingerprint()
    when = " (checked before the latest changes: check again)" if stale else ""
    message = f"{len(still)} suspected wrong label(s) from the last Check labels{when}"
    return HealthLine(
        "suspected_labels",
        message,
        tuple(still),
        warning=bool(still),
        details={"checked": True, "stale": stale, "created": record.get("created")},
    )


def outlier_line(dataset, items) -> HealthLine:
    features = cached_features(dataset)
    if features is None:
        return HealthLine(
            "outliers",
            "outliers: no backbone features cached yet (train once)",
            (),
            details={"features": None},
        )
    found: list[tuple[float, str]] = []
    for name in dataset.classes:
        members = [it.hash for it in items if it.label == name]
        have, x = features.of(members)
        if len(have) >= OUTLIER_MIN_CLASS:
            found += [(d, members[i]) for d, i in class_outliers(x, have)]
    found.sort(reverse=True)
    hashes = tuple(h for _d, h in found)
    message = f"{len(hashes)} outlier(s): the photos least like the rest of their class"
    return HealthLine(
        "outliers", message, hashes, warning=bool(hashes), details={"features": features.key}
    )


def class_outliers(x: np.ndarray, positions: list[int]) -> list[tuple[float, int]]:
    """(cosine distance to the class centroid, position) for the few far beyond the class's own
    spread (median + OUTLIER_MADS robust deviations), at most OUTLIER_MAX_SHARE of it."""
    # Not centered: the class's own mean is what a photo is compared with.
    unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-8)
    centroid = unit.mean(0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-8)
    distance = 1 - unit @ centroid
    median = float(np.median(distance))
    spread = 1.4826 * float(np.median(np.abs(distance - median))) or 1e-6
    far = np.nonzero(distance > median + OUTLIER_MADS * spread)[0]
    far = far[np.argsort(-distance[far])][: max(1, int(len(x) * OUTLIER_MAX_SHARE))]
    return [(float(distance[i]), positions[i]) for i in far]
