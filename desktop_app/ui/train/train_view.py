"""The Train view: settings, Train/Stop, a progress bar with the phase and time left, live curves,
the results of the run, and every earlier run.

The training itself runs in a TrainWorker on its own QThread; this view only paints and reacts.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QCoreApplication, QElapsedTimer, Qt, QThread, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.progress import Progress
from desktop_app.ui.shell.style import HOT_DOG_COLOR, NOT_HOT_DOG_COLOR, label_title
from desktop_app.ui.train.results_panel import ResultsPanel
from desktop_app.ui.train.runs_list import RunsList
from desktop_app.ui.train.split_note import SplitNote
from desktop_app.ui.train.train_settings_panel import TrainSettingsPanel
from desktop_app.ui.train.train_worker import TrainWorker

BAR_STEPS = 1000


def format_duration(seconds: float | None) -> str:
    """0:42, 12:05, 1:02:03."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_text(event: Progress, epochs: int) -> str:
    """What the bar says: "Embedding 120/688 · 0:42 left" or "Fitting epoch 3/30 · 0:12 left"."""
    phase = (event.phase or "working").capitalize()
    if event.kind in ("batch", "epoch") and event.total:
        if event.kind == "batch":
            per_epoch = event.total / max(1, epochs)
            epoch = min(epochs, int((event.done - 1) // per_epoch) + 1) if per_epoch else 1
        else:
            epoch, epochs = event.done, event.total
        text = f"{phase} epoch {epoch}/{epochs}"
    elif event.total:
        text = f"{phase} {event.done}/{event.total}"
    else:
        text = phase
    left = format_duration(event.eta_s)
    return f"{text} · {left} left" if left else text


class TrainView(QWidget):
    """Needs a DatasetSession: the view follows whichever dataset is open."""

    title = "Train"
    model_trained = Signal(object)  # RunRecord: a new current model exists
    status_message = Signal(str)  # the main window shows it in the status bar
    progress_seen = Signal(object)  # every Progress of the running job (Under the hood follows)

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainView")
        self.session = session
        self.worker: TrainWorker | None = None
        self._job = "train"  # or "check": what the worker runs now
        self.train_thread: QThread | None = None
        self._epochs = 1
        self._stopping = False
        self._elapsed = QElapsedTimer()
        self._workers_alive: dict[QThread, TrainWorker] = {}
        self._training_dataset: Any = None

        self.settings_panel = TrainSettingsPanel()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("color: #374151;")
        self.split_note = SplitNote(session)  # near-duplicates and the validation split

        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("trainButton")
        self.train_button.setMinimumHeight(40)
        self.train_button.setStyleSheet(
            f"QPushButton#trainButton {{ font-size: 13pt; font-weight: 700; color: white;"
            f" background: {HOT_DOG_COLOR}; border: none; border-radius: 8px; }}"
            f"QPushButton#trainButton[running='true'] {{ background: {NOT_HOT_DOG_COLOR}; }}"
            "QPushButton#trainButton:disabled { background: #c3c7cd; }"
        )
        self.train_button.setToolTip("Train a model on the labeled photos; press again to stop")
        self.train_button.clicked.connect(self._train_or_stop)

        self.check_button = QPushButton("Check labels")
        self.check_button.setToolTip(
            "Find labeled photos that are probably labeled wrong: each one is judged by a model"
            " that never saw it (5 folds over the cached features). Changes nothing by itself."
        )
        self.check_button.clicked.connect(lambda: self.start_training(job="check"))

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, BAR_STEPS)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("Ready")
        self.progress_bar.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.message = QLabel()
        self.message.setObjectName("trainMessage")
        self.message.setWordWrap(True)

        self.runs_list = RunsList()
        self.runs_list.runs_selected.connect(self._show_selected_runs)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self._heading("Train a model"))
        left_layout.addWidget(self.summary)
        left_layout.addWidget(self.split_note)
        left_layout.addWidget(self.settings_panel)
        left_layout.addWidget(self.train_button)
        left_layout.addWidget(self.check_button)
        left_layout.addWidget(self.progress_bar)
        left_layout.addWidget(self.message)
        left_layout.addWidget(self._heading("Runs"))
        left_layout.addWidget(self.runs_list, 1)

        # pyqtgraph takes a few hundred ms to import: the plots are made when first shown, so
        # the window opens without waiting for them.
        self._curves: Any = None
        self.curves_holder = QWidget()
        holder_layout = QVBoxLayout(self.curves_holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        self.curves_holder.setMinimumHeight(220)
        self.results = ResultsPanel(relabel=self._relabel)
        results_frame = QFrame()
        results_layout = QVBoxLayout(results_frame)
        results_layout.addWidget(self.results)
        # The results scroll where the window is too small for them (a small screen, 2x scale):
        # whatever the fonts measure, every card's buttons and table cells can be reached.
        self.results_scroll = QScrollArea()
        self.results_scroll.setWidget(results_frame)
        self.results_scroll.setWidgetResizable(True)
        self.results_scroll.setFrameShape(QFrame.Shape.NoFrame)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.curves_holder)
        right.addWidget(self.results_scroll)
        self._right_splitter = right
        self.results.height_needed.connect(self._make_room_for_results)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right.setSizes([470, 350])  # the plots arrive later; keep their room meanwhile

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([380, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)

        # Quitting mid-run: stop, and let the worker save the best model before the app exits.
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        session.opened.connect(self._dataset_opened)
        session.closed.connect(self._dataset_closed)
        session.changed.connect(self._dataset_changed)
        if session.dataset is not None:
            self._dataset_opened(session.dataset)
        else:
            self._dataset_closed()

    @property
    def curves(self) -> Any:
        """The CurvesWidget, made (and pyqtgraph imported) on first use."""
        if self._curves is None:
            from desktop_app.ui.train.curves_widget import CurvesWidget

            self._curves = CurvesWidget()
            self.curves_holder.layout().addWidget(self._curves)
        return self._curves

    def showEvent(self, event) -> None:
        self.split_note.refresh()
        if self._curves is None:
            runs = self.runs_list.selected_runs()
            if runs and not self.is_training:
                self.curves.show_runs(runs)
            else:
                _ = self.curves
        super().showEvent(event)

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(text)
        label.setStyleSheet("font-size: 12pt; font-weight: 700; color: #2b2f36;")
        return label

    # -- the dataset -------------------------------------------------------------------

    @property
    def dataset(self) -> Any:
        return self.session.dataset

    def _dataset_opened(self, _dataset: Any) -> None:
        self._update_summary()
        self.refresh_runs(select_current=True)

    def _dataset_closed(self) -> None:
        self.stop()
        self.runs_list.set_runs([], None)
        self.results.clear()
        self._update_summary()

    def _dataset_changed(self, _kind: str, _hashes: list) -> None:
        self._update_summary()
        self.results.prune()

    def _update_summary(self) -> None:
        dataset = self.dataset
        if dataset is None:
            self.summary.setText("Open or create a dataset first.")
            self.train_button.setEnabled(False)
            self.check_button.setEnabled(False)
            return
        counts = dataset.counts()
        labeled = [(c, counts.get(c, 0)) for c in dataset.classes]
        text = " · ".join(f"{n} {label_title(c).lower()}" for c, n in labeled)
        if dataset.readonly:  # a model and the feature cache are saved inside the dataset
            self.summary.setText(
                f"Labeled photos: {text} · read-only here: training and Check labels save"
                " inside the dataset, so they are off"
            )
            self.train_button.setEnabled(False)
            self.check_button.setEnabled(False)
            return
        self.summary.setText(f"Labeled photos: {text}")
        self.train_button.setEnabled(not self._stopping)
        self.check_button.setEnabled(not self.is_training)

    def refresh_runs(self, select_current: bool = False) -> None:
        """Reads the runs from disk (small JSON files) and shows the current model's results."""
        dataset = self.dataset
        if dataset is None:
            return
        from desktop_app.ml.runs import current_run, list_runs  # plain JSON: no Keras

        runs = list_runs(dataset)
        current = current_run(dataset)
        self.runs_list.set_runs(runs, current.id if current else None)
        if select_current:
            if current is not None:
                self.runs_list.select_run_ids([current.id])
            else:
                self.results.clear()

    def _show_selected_runs(self, runs: list) -> None:
        if self.is_training:
            return  # the live curves stay while a run trains
        if runs:
            if self._curves is not None or self.isVisible():
                self.curves.show_runs(runs)  # else drawn by showEvent
            self.results.show_run(runs[0], self.dataset)

    def _make_room_for_results(self, panel_height: int) -> None:
        """Moves the splitter down so the results fit, as far as the plots' own minimum allows;
        what still does not fit scrolls."""
        frame = self.results_scroll.widget()
        margins = frame.layout().contentsMargins()
        needed = panel_height + margins.top() + margins.bottom() + 2 * frame.frameWidth()
        plots, results = self._right_splitter.sizes()
        total = plots + results
        if results >= needed or total <= 0:
            return
        results = min(needed, total - self.curves_holder.minimumHeight())
        if results > self._right_splitter.sizes()[1]:
            self._right_splitter.setSizes([total - results, results])

    def _relabel(self, hashes: list[str], label: str) -> None:
        self.session.set_label(hashes, label)

    # -- training --------------------------------------------------------------------

    @property
    def is_training(self) -> bool:
        return self.worker is not None

    def _train_or_stop(self) -> None:
        if self.is_training:
            self.stop()
        else:
            self.start_training()

    def start_training(self, job: str = "train") -> None:
        """job "train", or "check": list the photos whose labels a model doubts (same thread,
        since both use the kept backbone and Keras models are not thread-safe)."""
        if self.is_training or self.dataset is None:
            return
        values = self.settings_panel.values()
        self._epochs = values["epochs"]
        self._stopping = False
        self._set_message("")
        if job == "train":
            self.curves.start_live(self._epochs)
        self.check_button.setEnabled(False)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("Starting…")
        self.settings_panel.setEnabled(False)
        self._set_button("Stop", running=True)
        self._elapsed.start()

        self._training_dataset = self.dataset
        self._job = job
        self.worker = TrainWorker(self.dataset, values, job)
        self.train_thread = QThread(self)
        self.worker.moveToThread(self.train_thread)
        self.train_thread.started.connect(self.worker.run)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        # Direct: quit() runs in the worker thread, so the thread ends even while the GUI thread
        # blocks in shutdown()'s wait (a queued quit would wait for that very GUI thread).
        for signal in (self.worker.finished, self.worker.failed, self.worker.cancelled):
            signal.connect(self.train_thread.quit, Qt.ConnectionType.DirectConnection)
        self.train_thread.finished.connect(self._thread_ended)
        self._workers_alive[self.train_thread] = self.worker
        self.train_thread.start()

    def stop(self) -> None:
        """Stop: Keras finishes the current batch and validation pass, so the button waits."""
        if self.worker is None or self._stopping:
            return
        self._stopping = True
        self.worker.stop()
        self._set_button("Stopping…", running=True)
        self.train_button.setEnabled(False)

    def wait_until_done(self, msecs: int = 60000) -> bool:
        """Blocks until the worker thread has ended (its last signals then wait in the queue)."""
        return self.train_thread.wait(msecs) if self.train_thread is not None else True

    def shutdown(self) -> None:
        """The window is closing: stop, and wait while the worker saves the best model so far."""
        self.stop()
        self.wait_until_done(120000)

    def _on_progress(self, event: Progress) -> None:
        if self.worker is None:
            return
        self.progress_seen.emit(event)
        if event.kind == "batch":
            self.curves.add_batch(event.done, event.total, event.logs)
        elif event.kind == "epoch":
            self.curves.add_epoch(event.done, event.logs)
        if event.kind == "message":
            return  # a note such as a skipped photo; the bar keeps its phase
        if event.fraction is not None:
            self.progress_bar.setValue(round(event.fraction * BAR_STEPS))
        else:
            self.progress_bar.setValue(0)
        if not self._stopping:
            self.progress_bar.setFormat(progress_text(event, self._epochs).replace("%", "%%"))

    def _on_finished(self, record: Any) -> None:
        self._end_run()
        if self._training_dataset is not self.dataset:
            return  # the dataset was closed while it trained; its run is saved with it
        if self._job == "check":  # the result is a LabelCheck, not a run
            self._show_label_check(record)
            return
        self._set_message(finished_message(record, format_duration(self._elapsed.elapsed() / 1000)))
        self.progress_bar.setValue(BAR_STEPS)
        self.progress_bar.setFormat("Done" if record.status == "complete" else "Stopped")
        self.refresh_runs()
        self.runs_list.blockSignals(True)
        self.runs_list.select_run_ids([record.id])
        self.runs_list.blockSignals(False)
        self.results.show_run(record, self.dataset)
        self.model_trained.emit(record)
        self.status_message.emit(self.message.text())

    def _show_label_check(self, check: Any) -> None:
        doubts = len(check.suspects)
        took = format_duration(self._elapsed.elapsed() / 1000)
        if doubts:
            text = (
                f"Checked {check.checked} labeled photos in {took}: {doubts} may be labeled wrong."
                " They are listed below, most doubtful first."
            )
        else:
            text = f"Checked {check.checked} labeled photos in {took}: every label looks right."
        self._set_message(text)
        self.progress_bar.setValue(BAR_STEPS)
        self.progress_bar.setFormat("Labels checked")
        self.results.show_suspects(check, self.dataset)
        # The status bar shows on every tab: "below" would point nowhere from the Label view.
        self.status_message.emit(
            f"Label check: {doubts} of {check.checked} photos may be labeled wrong"
            " (listed in the Train view)."
            if doubts
            else f"Label check: all {check.checked} labels look right."
        )

    def _on_failed(self, message: str) -> None:
        self._end_run()
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("Not trained" if self._job == "train" else "Not checked")
        self._set_message(message, error=True)

    def _on_cancelled(self) -> None:
        self._end_run()
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("Stopped")
        if self._job == "check":
            self._set_message("The label check was stopped; nothing was changed.")
        else:
            self._set_message("Stopped before a model was trained; nothing was saved.")

    def _end_run(self) -> None:
        self.curves.stop_live()
        self.worker = None  # the thread keeps its own reference until it has ended
        self._stopping = False
        self.settings_panel.setEnabled(True)
        self._set_button("Train", running=False)
        self._update_summary()

    def _thread_ended(self) -> None:
        thread = self.sender()
        if thread is self.train_thread:
            self.train_thread = None
        # The worker has no parent: dropping the last reference deletes it, now that its
        # thread has ended (a deleteLater would wait for that thread's event loop, forever).
        self._workers_alive.pop(thread, None)
        if thread is not None:
            thread.deleteLater()

    def _set_button(self, text: str, running: bool) -> None:
        self.train_button.setText(text)
        self.train_button.setProperty("running", "true" if running else "false")
        self.train_button.style().unpolish(self.train_button)
        self.train_button.style().polish(self.train_button)
        self.train_button.setEnabled(True)

    def _set_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        colour = NOT_HOT_DOG_COLOR if error else "#374151"
        self.message.setStyleSheet(f"color: {colour};")


def finished_message(record: Any, took: str) -> str:
    """The line under the Train button once a run has ended."""
    metrics = record.metrics or {}
    accuracy = metrics.get("val_accuracy")
    result = "" if accuracy is None else f"{float(accuracy):.1%} validation accuracy"
    if record.status == "stopped":
        text = f"Stopped after {took}; the best model so far was kept. {result}"
    else:
        text = f"Trained in {took}: {result}."
    if metrics.get("finetune_improved") is False:
        text += (
            " Fine-tuning did not beat the head alone on the validation photos: the head was kept."
        )
    return text
