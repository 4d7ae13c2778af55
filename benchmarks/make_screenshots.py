"""Makes the README's screenshots: docs/screenshots/{label,train,live}_view.png, under_the_hood_*.png
(the last one of a fine-tuned run's map replay).

Not a test and not a benchmark: it documents how the pictures were made, so they can be made
again after the views change. A small dataset of real photos from ../shared/data/hotdog (read
from there, never copied into the repository), a fast-mode training with the default backbone
(ImageNet weights linked from ../shared/weights), then the window offscreen at 1280×800.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/make_screenshots.py [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

from shared_data import PHOTOS, REPO, WEIGHTS, scratch_dir, use_shared_weights

WINDOW_SIZE = (1280, 800)
MAX_BYTES = 400_000
LABELED_PER_CLASS = 14
INBOX = 8
FINE_TUNE_EPOCHS = 6  # the head's warm-up, then the backbone's top: a few epochs to replay
WAIT_MS = 600_000


def pick(folder: Path, count: int, offset: int = 0) -> list[Path]:
    """count photos spread evenly over the folder's sorted list (the same ones every time)."""
    photos = sorted(folder.glob("*.jpg"))
    step = max(1, len(photos) // (count + 1))
    return photos[offset::step][:count]


def make_dataset(root: Path) -> Path:
    """Labeled photos of each class, a mixed inbox; returns a photo for the Live view."""
    from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, UNLABELED, Dataset

    hot = pick(PHOTOS / HOT_DOG, LABELED_PER_CLASS + INBOX // 2 + 2)
    not_hot = pick(PHOTOS / NOT_HOT_DOG, LABELED_PER_CLASS + INBOX // 2, offset=3)
    with Dataset.create(root) as dataset:
        for path in hot[:LABELED_PER_CLASS]:
            dataset.add_file(path, HOT_DOG)
        for path in not_hot[:LABELED_PER_CLASS]:
            dataset.add_file(path, NOT_HOT_DOG)
        dataset.add_file(hot[-2], NOT_HOT_DOG)  # a labeling slip, for Check labels to find
        inbox = [
            p
            for pair in zip(hot[LABELED_PER_CLASS:-2], not_hot[LABELED_PER_CLASS:], strict=True)
            for p in pair
        ]
        for path in inbox:
            dataset.add_file(path, UNLABELED)
    return hot[-1]  # not in the dataset: the Live view judges a photo it never saw


def save_small_png(image, path: Path) -> int:
    """PNG under MAX_BYTES: full colour when it fits, else 256 colours (photos dither a little)."""
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    picture = Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.save(path, optimize=True)
    if path.stat().st_size > MAX_BYTES:
        picture.quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    options = parser.parse_args()
    if not PHOTOS.is_dir() or not WEIGHTS.is_dir():
        print(f"needs {PHOTOS} and {WEIGHTS}", file=sys.stderr)
        return 1
    scratch = scratch_dir("screenshots-")
    os.environ.update(HOME=str(scratch / "home"), XDG_CONFIG_HOME=str(scratch / "config"))
    use_shared_weights(scratch)
    sys.path.insert(0, str(REPO))
    live_photo = make_dataset(scratch / "Lunch photos")

    from PySide6.QtCore import QCoreApplication, QElapsedTimer
    from PySide6.QtWidgets import QApplication

    from desktop_app.ui.shell.launch import make_application
    from desktop_app.ui.shell.main_window import MainWindow

    app = make_application()
    window = MainWindow(icon=app.windowIcon())
    window.resize(*WINDOW_SIZE)
    window.show()
    window.device_label.setText("TensorFlow ready · CPU")
    assert window.session.open(scratch / "Lunch photos"), window.session.last_error

    def wait_until(condition, what: str, timeout_ms: int = WAIT_MS) -> None:
        clock = QElapsedTimer()
        clock.start()
        while not condition():
            if clock.elapsed() > timeout_ms:
                raise TimeoutError(f"waited too long for {what}")
            QCoreApplication.processEvents()
            QApplication.instance().thread().msleep(20)

    def settle(ms: int = 400) -> None:
        clock = QElapsedTimer()
        clock.start()
        while clock.elapsed() < ms:
            QCoreApplication.processEvents()

    def shoot(name: str) -> None:
        settle()
        size = save_small_png(window.grab().toImage(), options.out / name)
        print(f"{options.out / name}: {size // 1024} KiB")

    # Train: the default backbone in fast mode, started by the button as a user would.
    train = window.views["Train"]
    window.tabs.setCurrentWidget(train)
    settle()
    finished = []
    train.model_trained.connect(finished.append)
    train.train_button.click()
    wait_until(lambda: finished or not train.is_training, "the training")
    if not finished:
        print(f"training failed: {train.message.text()}", file=sys.stderr)
        return 1
    shoot("train_view.png")

    # Check labels: the slip filed under "not hot dog" should top the list.
    train.check_button.click()
    wait_until(lambda: not train.is_training, "the label check")
    wait_until(
        lambda: all(not c.image.pixmap().isNull() for c in train.results.cards.values()),
        "the suspects' thumbnails",
    )
    shoot("check_labels.png")

    # Label: galleries with thumbnails, the inbox with the new model's guess.
    label = window.label_view
    window.tabs.setCurrentWidget(label)
    inbox = label.inbox
    wait_until(lambda: all(p.thumbnails_shown() for p in label.galleries.values()), "thumbnails")
    wait_until(lambda: inbox.canvas.image is not None, "the inbox image")
    wait_until(lambda: inbox.guess_label.isVisibleTo(inbox), "the model's guess")
    inbox.setFocus()
    shoot("label_view.png")

    # Live: a photo the model never saw, with its verdict.
    live = window.views["Live"]
    window.tabs.setCurrentWidget(live)
    verdicts = []
    live.ensure_worker().verdict.connect(lambda *args: verdicts.append(args))
    live.show_image(live_photo)
    wait_until(lambda: verdicts, "a verdict")
    shoot("live_view.png")

    # Under the hood: the model drawn, a dataset photo's forward pass, a block's explanation.
    hood = window.views["Under the hood"]
    window.tabs.setCurrentWidget(hood)
    wait_until(lambda: hood.forward.drawing is not None, "the forward pass")
    wait_until(lambda: hood.diagram.tree.topLevelItemCount() == 2, "the model's drawing")
    backbone = hood.diagram.tree.topLevelItem(0)
    hood.diagram.tree.setCurrentItem(backbone.child(min(4, backbone.childCount() - 1)))
    shoot("under_the_hood_forward.png")
    titles = [hood.panels.tabText(i) for i in range(hood.panels.count())]

    def panel(title: str, ready, then=None) -> None:
        hood.panels.setCurrentIndex(titles.index(title))
        wait_until(ready, f"the {title} panel")
        if then is not None:
            then()
        shoot(f"under_the_hood_{title.lower().replace(' ', '_')}.png")

    panel("Why this verdict", lambda: hood.votes.drawing is not None)
    hood.panels.setCurrentIndex(titles.index("One step"))
    wait_until(hood.one_step.step_button.isEnabled, "the Take one step button")
    hood.one_step.step_button.click()
    panel("One step", lambda: hood.one_step.drawing is not None)
    weights = hood.weights
    panel(
        "Weights that move",
        lambda: weights.shown_epoch is not None,
        lambda: (weights.slider.setValue(weights.slider.maximum()), settle(600)),
    )
    panel("Your photos on a map", lambda: hood.photo_map.drawing is not None)

    # Fine-tune: a second run, end to end; the map replays its photos moving, at the last epoch.
    from desktop_app.ui.under_the_hood.map_replay import MapReplay

    settings = train.settings_panel
    settings.mode.setCurrentIndex(settings.mode.findData("finetune"))
    settings.epochs.setValue(FINE_TUNE_EPOCHS)
    window.tabs.setCurrentWidget(train)
    finished.clear()
    train.train_button.click()
    wait_until(lambda: finished or not train.is_training, "the fine-tune run")
    if not finished:
        print(f"fine-tuning failed: {train.message.text()}", file=sys.stderr)
        return 1
    window.tabs.setCurrentWidget(hood)
    photo_map = hood.photo_map
    wait_until(lambda: isinstance(photo_map.drawing, MapReplay), "the fine-tune map's replay")
    last = photo_map.drawing.epochs[-1].epoch
    photo_map.bar.slider.setValue(photo_map.bar.slider.maximum())
    wait_until(lambda: photo_map.shown_epoch == last, "the replay's last epoch")
    shoot("under_the_hood_map_across_fine_tune_epochs.png")

    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
