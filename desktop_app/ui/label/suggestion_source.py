"""The inbox's suggestions (ml/suggest.py: the model's guess and why each photo comes when it
does), computed on a pool thread for the Label view's order control and Accept all.

Only the newest request counts: asking again (another order, a new model, a closed dataset)
cancels the one computing, and an older answer that still arrives is dropped.

Live update: a request with retrain=N (the Label view asks after every few new labels) first fits
the current fast-mode model's head again on every label (ml/live_update.py), on this same thread,
and the suggestions come from that head; later requests keep using it until another model is
current. A newer request that cancels a retrain retrains itself. A model that cannot be updated
live (not fast mode) is said once, by live_off.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from desktop_app.core.errors import StudioError
from desktop_app.core.progress import CancelToken, Progress
from desktop_app.ui.shell.workers import run_in_pool


class SuggestionSource(QObject):
    ready = Signal(object)  # ml.suggest.Suggestions
    failed = Signal(str)  # one line
    busy = Signal(bool)
    progress = Signal(str)  # "embedding 12/300", from the worker (queued to the GUI thread)
    updating = Signal(str)  # "updating after 5 new labels…" while a live update runs, then ""
    live_off = Signal(str, str)  # run id, the one line why its model cannot be updated live

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.latest: Any = None  # the newest Suggestions, None before the first or after a close
        self._generation = 0
        self._cancel: CancelToken | None = None
        self.live: Any = None  # the newest ml.live_update.LiveHead, used until another model
        self.live_note = ""  # "updated after 5 new labels, 2.1 s" while the guesses are live
        self._dataset: Any = None
        self._retrain = 0  # new labels the request in flight retrains for (0: none)
        self._asked = 0.0
        # One thread of its own that never expires: TensorFlow, when this thread is the first to
        # load it, is not left with state of a thread that has ended (that crashed a later trace).
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pool.setExpiryTimeout(-1)

    def refresh(self, dataset: Any, order: str, *, retrain: int = 0) -> None:
        """Suggestions for dataset in this order; retrain: after so many new labels, fit the head
        again first (live update)."""
        self._generation += 1
        if self._cancel is not None:
            self._cancel.cancel()
        self._cancel = None
        if dataset is None or dataset is not self._dataset:
            self.live, self.live_note, self._retrain = None, "", 0
        self._dataset = dataset
        if dataset is None:
            self.latest = None
            self.busy.emit(False)
            self.updating.emit("")
            return
        self._cancel = cancel = CancelToken()
        generation = self._generation
        retrain = self._retrain = max(retrain, self._retrain)  # an older retrain is taken over
        if retrain:
            self._asked = time.monotonic()
            self.updating.emit(f"updating after {retrain} new label{'s' * (retrain != 1)}…")
        else:
            self.busy.emit(True)
        live = self.live
        # Bound methods, not lambdas: a source deleted meanwhile is simply not called.
        run_in_pool(
            lambda: (
                generation,
                retrain,
                *compute(dataset, order, self._report, cancel, live=live, retrain=bool(retrain)),
            ),
            self._done,
            self._failed,
            pool=self._pool,
        )

    def forget(self) -> None:
        self.refresh(None, "import")

    def _report(self, event: Progress) -> None:
        if event.total:  # worker thread: only the signal crosses over
            self.progress.emit(f"{event.phase} {event.done}/{event.total}")

    def _done(self, result: tuple) -> None:
        generation, retrain, found, error, refused = result
        if generation != self._generation:
            return
        self._retrain = 0
        self.busy.emit(False)
        self.updating.emit("")
        if refused is not None and found is not None and found.run is not None:
            self.live_off.emit(found.run, refused)
        if error is not None:
            self.failed.emit(error)
            return
        self.live = found.live
        if found.live is None:
            self.live_note = ""
        elif retrain and refused is None:
            took = time.monotonic() - self._asked
            self.live_note = (
                f"updated after {retrain} new label{'s' * (retrain != 1)}, {took:.1f} s"
            )
        self.latest = found
        self.ready.emit(found)

    def _failed(self, message: str) -> None:  # a bug, not a refusal: said whichever request
        self._retrain = 0
        self.busy.emit(False)
        self.updating.emit("")
        self.failed.emit(message)


def compute(
    dataset: Any,
    order: str,
    progress,
    cancel: CancelToken,
    *,
    live: Any = None,
    retrain: bool = False,
) -> tuple[Any, str | None, str | None]:
    """On a pool thread: (Suggestions, None, refused), or (None, the one line why not, refused);
    refused: why the head could not be fitted again (None: it was, or was not asked). Never
    downloads: a backbone not on disk yet gives the import order."""
    from desktop_app.ml.runs import current_run

    refused = None
    try:
        if retrain or order == "next" or current_run(dataset) is not None:  # Keras, the app's way
            from desktop_app.ui.shell.ml_warmup import warm_up_ml

            warm_up_ml()
        if retrain:
            from desktop_app.ml.live_update import live_head

            _settle_heap(current_run(dataset), "before")
            try:
                live = live_head(dataset, progress=progress, cancel=cancel, allow_download=False)
            except StudioError as error:
                if cancel.cancelled:
                    raise
                refused = str(error)
            else:
                _settle_heap(current_run(dataset), "after")
        from desktop_app.ml.suggest import suggest

        found = suggest(
            dataset, order, progress=progress, cancel=cancel, allow_download=False, live=live
        )
    except StudioError as error:
        return None, str(error), refused
    return found, None, refused


_settled: set[tuple[str, str]] = set()


def _settle_heap(record: Any, when: str) -> None:
    """Once per model, before and after its first live update: what lives on (the saved head and
    the compiled train step it loads and traces, the suggestions' models) is hidden from the
    garbage collector, as the warm-up hides TensorFlow's heap. A full collection walking it held
    the GIL for 100-300 ms, a stall the GUI felt. The young generations are collected first
    (cheap); garbage already in the oldest is kept, once per model."""
    key = (record.id if record is not None else "", when)
    if key in _settled:
        return
    import gc

    _settled.add(key)
    gc.collect(1)
    gc.freeze()
