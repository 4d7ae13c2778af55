"""The longest GUI stall while a training runs in the window. Prints one JSON object.

    .venv/bin/python benchmarks/bench_train_gui.py [--epochs 10] [--limit N]

The real window opens offscreen on a dataset imported from ../shared/data/hotdog (with core's
importer, before the window opens); TensorFlow is warmed up in the background the way the app
does it at launch (the stall during that warm-up is reported on its own); then Train is pressed
in the Train view with the default backbone in fast mode, and a heartbeat timer records how late
the event loop ever was. Reference, same run: the heartbeat over an idle event loop for as long
as the training took. Target: the longest stall while training at most 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from shared_data import PHOTOS, WEIGHTS, scratch_dir, use_shared_weights

TARGET_STALL_MS = 100


def import_photos(root: Path, limit: int | None) -> int:
    from desktop_app.core.dataset import Dataset
    from desktop_app.core.importer import import_paths

    with Dataset.create(root) as dataset:
        total = 0
        for label in ("hot_dog", "not_hot_dog"):
            files = sorted((PHOTOS / label).glob("*.jpg"))
            if limit:
                files = files[: limit // 2]
            total += len(import_paths(dataset, files, label).added)
    return total


def run_loop_until(done, timeout_s: float) -> bool:
    """Runs a real event loop (as app.exec does) until done() or the timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.monotonic() + timeout_s
    check = QTimer()
    check.timeout.connect(lambda: (done() or time.monotonic() > deadline) and loop.quit())
    check.start(50)
    loop.exec()
    check.stop()
    return done()


def idle_loop(app, seconds: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--limit", type=int, default=0, help="import at most N photos (0: all)")
    parser.add_argument("--timeout", type=float, default=1800)
    options = parser.parse_args()
    if not PHOTOS.is_dir() or not WEIGHTS.is_dir():
        print(json.dumps({"skipped": f"needs {PHOTOS} and {WEIGHTS}"}))
        return 0

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = scratch_dir("bench-train-gui-")
    use_shared_weights(scratch)
    images = import_photos(scratch / "dataset", options.limit or None)

    from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(scratch / "settings"))
    QCoreApplication.setOrganizationName("HotDogStudioBench")

    from desktop_app.ui.shell.heartbeat import Heartbeat
    from desktop_app.ui.shell.main_window import MainWindow
    from desktop_app.ui.shell.ml_warmup import MlWarmup

    window = MainWindow()
    window.resize(1280, 820)
    window.show()
    assert window.session.open(scratch / "dataset"), window.session.last_error
    view = window.views["Train"]
    window.tabs.setCurrentWidget(view)
    heartbeat = Heartbeat(interval_ms=10)
    result: dict = {"images": images, "epochs": options.epochs, "cpus": os.cpu_count()}
    result["load_avg_1m_before"] = round(os.getloadavg()[0], 2)  # a shared machine: context

    # TensorFlow warm-up in the background, as launch.py does it after the window is up.
    warmup = MlWarmup(window)
    device: list[str] = []
    warmup.ready.connect(device.append)
    warmup.failed.connect(device.append)
    idle_loop(app, 0.3)
    heartbeat.start()
    started = time.perf_counter()
    warmup.start()
    loop = QEventLoop()
    warmup.finished.connect(loop.quit)
    loop.exec()
    result["tf_warmup_s"] = round(time.perf_counter() - started, 2)
    result["stall_during_tf_warmup_ms"] = round(heartbeat.max_stall_ms, 1)
    result["device"] = device[0] if device else "?"

    # Training, with the stall worst case per phase.
    panel = view.settings_panel
    result["backbone"] = panel.values()["backbone"]
    panel.select_mode("fast")
    panel.epochs.setValue(options.epochs)
    phase_stalls: dict[str, float] = {}
    current = {"phase": "starting"}
    batches = [0]

    def on_progress(event) -> None:
        phase = event.phase if event.kind == "progress" else "fitting"
        batches[0] += event.kind == "batch"
        if phase != current["phase"]:
            phase_stalls[current["phase"]] = max(
                phase_stalls.get(current["phase"], 0.0), heartbeat.max_stall_ms
            )
            current["phase"] = phase
            heartbeat.max_stall_ms = 0.0

    idle_loop(app, 0.3)
    heartbeat.start()
    started = time.perf_counter()
    view.train_button.click()
    view.worker.progress.connect(on_progress)
    finished = run_loop_until(lambda: not view.is_training, options.timeout)
    train_s = time.perf_counter() - started
    phase_stalls[current["phase"]] = max(
        phase_stalls.get(current["phase"], 0.0), heartbeat.max_stall_ms
    )
    heartbeat.stop()
    stall = max(phase_stalls.values())
    result.update(
        {
            "finished": finished,
            "message": view.message.text(),
            "train_s": round(train_s, 2),
            "batch_events": batches[0],
            "max_stall_training_ms": round(stall, 1),
            "max_stall_by_phase_ms": {k: round(v, 1) for k, v in phase_stalls.items()},
        }
    )

    # Reference: the same window, idle, for as long as the training took.
    heartbeat.start()
    idle_loop(app, train_s)
    heartbeat.stop()
    result["max_stall_idle_ms"] = round(heartbeat.max_stall_ms, 1)
    result["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    result["target_ms"] = TARGET_STALL_MS
    result["meets_target"] = finished and stall <= TARGET_STALL_MS

    window.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
