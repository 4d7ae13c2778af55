"""What to label next, with the model's guess for each inbox photo, and accepting guesses in bulk.

The order is ml/label_next.py's; this file gathers what it needs: the inbox, the current model's
guesses (ml/guesses.py), the backbone features and the near-duplicate groups. Given a live head
(ml/live_update.py: the model's head fitted again on the labels since), its guesses stand instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from desktop_app.core.dataset import UNLABELED
from desktop_app.core.errors import StudioError
from desktop_app.core.progress import CancelToken, ProgressCallback
from desktop_app.ml.label_next import guess_reason, label_next_order, no_two_in_a_row
from desktop_app.ml.runs import current_run

ORDERS = ("next", "import")
GROUPED_AHEAD = 500  # the next photos kept apart from their near-duplicates (~0.6 s to group)


@dataclass(frozen=True)
class Suggestion:
    hash: str
    path: str
    guess: str | None  # the model's class, None without a model (or for a photo it could not read)
    confidence: float | None  # its probability for that class
    reason: str

    def to_dict(self) -> dict:
        confidence = None if self.confidence is None else round(self.confidence, 4)
        return {
            "hash": self.hash,
            "path": self.path,
            "guess": self.guess,
            "confidence": confidence,
            "reason": self.reason,
        }


@dataclass
class Suggestions:
    order: str
    suggestions: list[Suggestion]
    model: str | None  # the id of the run whose model guessed, or "live: 7 labels since run X"
    notes: list[str] = field(default_factory=list)  # what the order had to do without
    run: str | None = None  # the id of the saved run behind the guesses (live or not)
    live: Any = None  # the ml.live_update.LiveHead that guessed, None: the saved model did

    def above(self, threshold: float) -> list[Suggestion]:
        """Guesses at least threshold sure, to the 4 decimals shown (so 0.9 accepts a 0.9 shown)."""
        return [
            s
            for s in self.suggestions
            if s.confidence is not None and round(s.confidence, 4) >= threshold
        ]


def suggest(
    dataset,
    order: str = "next",
    *,
    backbone: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    allow_download: bool = True,
    live: Any = None,
) -> Suggestions:
    """Every inbox photo once, in the order asked for. backbone: whose features order a dataset
    that has no model yet (default: the default backbone). live: a LiveHead of this dataset's
    current model, whose guesses are used instead of the saved head's (ignored once another model
    is current)."""
    if order not in ORDERS:
        raise StudioError(f"unknown order {order!r}: use next or import")
    inbox = dataset.items(UNLABELED)
    record = current_run(dataset)
    notes: list[str] = []
    classes = list(dataset.classes)
    probabilities = features = None
    if live is not None and not _live_fits(live, dataset, record):
        live = None  # another model is current, or another dataset is open
    if record is None:
        notes.append("no model yet: train one to get guesses")
    elif inbox:
        from desktop_app.ml.guesses import guess, guess_live

        if live is not None:
            guessed = guess_live(
                dataset,
                inbox,
                live,
                progress=progress,
                cancel=cancel,
                allow_download=allow_download,
            )
        else:
            guessed = guess(
                dataset,
                inbox,
                record,
                progress=progress,
                cancel=cancel,
                allow_download=allow_download,
            )
        classes, probabilities, features = guessed.classes, guessed.probabilities, guessed.features
    if order == "import" or not inbox:
        picks = [(i, "in import order") for i in range(len(inbox))]
    else:
        if features is None:
            features = _features(dataset, inbox, backbone, notes, progress, cancel, allow_download)
        picks = _next_order(dataset, inbox, features, probabilities, classes, progress, cancel)
    run = record.id if record is not None else None
    model = live.describe() if live is not None else run
    suggestions = [_suggestion(inbox[i], i, reason, probabilities, classes) for i, reason in picks]
    return Suggestions(order, suggestions, model, notes, run=run, live=live)


def _live_fits(live, dataset, record) -> bool:
    from pathlib import Path

    return (
        record is not None
        and live.run_id == record.id
        and Path(live.root) == Path(dataset.root)
        and list(live.classes) == list(dataset.classes)
    )


def _next_order(dataset, inbox, features, probabilities, classes, progress, cancel):
    labeled = sum(dataset.counts()[name] for name in dataset.classes)
    known = None
    if probabilities is not None:  # a photo the model could not read counts as a coin toss
        known = np.nan_to_num(probabilities, nan=1.0 / len(classes))
    if features is None and known is None:
        return [
            (i, "in import order (no features or model to order by)") for i in range(len(inbox))
        ]
    picks = label_next_order(features, known, classes, labeled=labeled)
    # Near-duplicates kept apart where the person is about to label: the order is worked out again
    # after every few labels, and grouping the whole inbox costs O(n^2) (13 s for 2,400 photos).
    ahead = [pick.index for pick in picks[:GROUPED_AHEAD]]
    groups = _groups_among(dataset, inbox, ahead, progress, cancel)
    picks = no_two_in_a_row(picks, groups)
    return [(pick.index, pick.reason) for pick in picks]


def _groups_among(dataset, inbox, ahead, progress, cancel) -> list[int]:
    """A near-duplicate group number for every inbox photo (unique for those alone or not ahead)."""
    from desktop_app.ml.near_duplicates import find_near_duplicates

    found = find_near_duplicates(
        dataset, [inbox[i] for i in ahead], progress=progress, cancel=cancel
    )
    group_of = found.group_of()
    return [group_of.get(it.hash, -1 - n) for n, it in enumerate(inbox)]


def _features(dataset, inbox, backbone, notes, progress, cancel, allow_download):
    """The inbox's backbone features, embedding what is not cached (training needs them anyway);
    None, with a note, where no pretrained backbone can run."""
    from desktop_app.ml.backbones import DEFAULT_BACKBONE, get_spec
    from desktop_app.ml.embedding import cached_features

    spec = get_spec(backbone or DEFAULT_BACKBONE)
    if not spec.pretrained:
        raise StudioError(f"{spec.title} has no pretrained features to order photos by.")
    try:
        cache = cached_features(
            dataset, spec, inbox, progress=progress, cancel=cancel, allow_download=allow_download
        )
    except StudioError as error:
        if cancel is not None and cancel.cancelled:
            raise
        notes.append(f"no features ({error}): in import order")
        return None
    features = np.zeros((len(inbox), 0), np.float32)
    have = [it.hash in cache.vectors for it in inbox]
    if any(have):
        dim = len(next(v for v in cache.vectors.values()))
        rows = [cache.vectors.get(it.hash, np.zeros(dim)) for it in inbox]
        features = np.stack(rows).astype(np.float32)
    return features if any(have) else None


def _suggestion(item, index: int, reason: str, probabilities, classes) -> Suggestion:
    row = None if probabilities is None else probabilities[index]
    if row is None or np.isnan(row).any():
        if row is not None:
            reason = f"{reason}; the model could not read it"
        return Suggestion(item.hash, str(item.path), None, None, reason)
    best = int(np.argmax(row))
    if reason == "in import order":
        reason = f"in import order; {guess_reason(row, classes)}"
    return Suggestion(item.hash, str(item.path), classes[best], float(row[best]), reason)


def accept_above(dataset, suggestions: Suggestions, threshold: float) -> list[Suggestion]:
    """Labels every suggestion whose guess is at least that sure with its guess, as one undoable
    step; the ones still in the inbox of a writer's dataset only. Returns those labeled."""
    if suggestions.model is None:
        raise StudioError("there is no model yet to accept guesses from: train one first")
    wanted = [s for s in suggestions.above(threshold) if s.guess in dataset.classes]
    still = {it.hash for it in dataset.items(UNLABELED)}
    wanted = [s for s in wanted if s.hash in still]
    if wanted:
        dataset.set_labels({s.hash: s.guess for s in wanted})
    return wanted
