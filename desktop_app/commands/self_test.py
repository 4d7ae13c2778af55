"""`hotdog-studio self-test`: the whole app end to end, headless, in a temporary folder.

Creates a dataset, imports pictures it draws, trains a small CNN from scratch, trains the default
pretrained backbone offline when its weights are on this machine (always, in the bundle), predicts
and runs the Live pipeline on a short video. One line per step ("ok  ...", "skip  ...",
"FAIL  ..."); exit 0 when no step failed. The bundle's smoke test in CI.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from desktop_app.core.errors import StudioError

HELP = "Check the app end to end, headless: dataset, import, training, prediction, Live pipeline."
PICTURES_PER_CLASS = 24


class Skip(Exception):
    """A step that cannot run on this machine and says why (not a failure)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="work in DIR and keep it (default: a temporary folder)",
    )
    parser.add_argument(
        "--epochs", type=int, default=3, help="epochs for the small CNN (default 3)"
    )
    parser.add_argument(
        "--gui",
        action="store_true",
        help="open the real window on this display and drive a user's whole journey in it",
    )
    parser.add_argument(
        "--shots",
        type=Path,
        metavar="DIR",
        help="with --gui: keep a screenshot of each view in DIR",
    )


class SelfTest:
    def __init__(self, work: Path, epochs: int, out) -> None:
        self.work, self.epochs, self.out = work, epochs, out
        self.dataset = None
        self.pictures: dict[str, list[Path]] = {}
        self.models: dict[str, Path] = {}
        self.failed = self.skipped = self.passed = 0

    def step(self, name: str, action: Callable[[], str | None]) -> None:
        if self.failed:
            self._line("skip", name, "an earlier step failed")
            self.skipped += 1
            return
        started = time.monotonic()
        try:
            detail = action()
        except Skip as why:
            self._line("skip", name, str(why))
            self.skipped += 1
            return
        except StudioError as error:
            self._line("FAIL", name, str(error))
            self.failed += 1
            return
        except Exception as error:  # a bug: show where, since this is what self-test is for
            traceback.print_exc(file=sys.stderr)
            self._line("FAIL", name, f"{type(error).__name__}: {error}")
            self.failed += 1
            return
        elapsed = time.monotonic() - started
        self._line("ok", name, f"{detail + ', ' if detail else ''}{elapsed:.1f} s")
        self.passed += 1

    def _line(self, status: str, name: str, detail: str) -> None:
        print(
            f"{status:<4}  {name}" + (f" ({detail})" if detail else ""), file=self.out, flush=True
        )

    # -- the steps --------------------------------------------------------------------------
    def create_dataset(self) -> str:
        from desktop_app.core.dataset import Dataset

        self.dataset = Dataset.create(self.work / "dataset")
        return str(self.dataset.root)

    def import_pictures(self) -> str:
        from desktop_app.commands._selftest_images import make_pictures

        self.pictures = make_pictures(self.work / "pictures", PICTURES_PER_CLASS)
        for label, paths in self.pictures.items():
            for path in paths:
                self.dataset.add_file(path, label)
        counts = self.dataset.counts()
        wanted = {label: len(paths) for label, paths in self.pictures.items()}
        got = {label: counts.get(label, 0) for label in wanted}
        if got != wanted:
            raise StudioError(f"expected {wanted} in the dataset, found {got}")
        return ", ".join(f"{n} {label}" for label, n in got.items())

    def train_small_cnn(self) -> str:
        from desktop_app.ml.training import TrainSettings, train

        settings = TrainSettings(backbone="small_cnn", epochs=self.epochs, allow_download=False)
        record = train(self.dataset, settings)
        return self._keep_model("small_cnn", record)

    def train_pretrained(self) -> str:
        from desktop_app.core.resources import is_frozen
        from desktop_app.ml.backbones import DEFAULT_BACKBONE, get_spec
        from desktop_app.ml.training import TrainSettings, train
        from desktop_app.ml.weights import WeightsMissing, resolve_weights

        try:
            resolve_weights(get_spec(DEFAULT_BACKBONE), allow_download=False)
        except WeightsMissing as missing:
            if is_frozen():  # the bundle carries them: missing is a broken bundle
                raise
            raise Skip(f"{DEFAULT_BACKBONE} weights not on this machine: {missing}") from None
        settings = TrainSettings(
            backbone=DEFAULT_BACKBONE, mode="fast", epochs=10, allow_download=False
        )
        record = train(self.dataset, settings)
        _check_runtime(record.runtime)
        return f"{self._keep_model(DEFAULT_BACKBONE, record)} · {record.runtime}"

    def _keep_model(self, name: str, record) -> str:
        if not Path(record.model_path).is_file():
            raise StudioError(f"training reported {record.model_path}, which does not exist")
        self.models[name] = Path(record.model_path)
        accuracy = record.metrics.get("val_accuracy")
        return f"validation accuracy {accuracy:.2f}" if accuracy is not None else record.status

    def best_model(self) -> tuple[str, Path]:
        name = next((n for n in self.models if n != "small_cnn"), "small_cnn")
        return name, self.models[name]

    def predict(self) -> str:
        from desktop_app.ml.predict import Predictor

        name, model = self.best_model()
        truth = {str(p): label for label, paths in self.pictures.items() for p in paths}
        answers = list(Predictor(model).predict_paths(list(truth)))
        broken = [a for a in answers if "error" in a or not 0.0 <= a["score"] <= 1.0]
        if len(answers) != len(truth) or broken:
            raise StudioError(
                f"{len(answers)} answers for {len(truth)} pictures; bad: {broken[:2]}"
            )
        accuracy = sum(a["label"] == truth[a["path"]] for a in answers) / len(answers)
        # A pretrained backbone separates these pictures easily; a 3-epoch CNN need not.
        if name != "small_cnn" and accuracy < 0.9:
            raise StudioError(f"{name} got only {accuracy:.0%} of its own training pictures right")
        return f"{name}: {accuracy:.0%} of {len(answers)} right"

    def live_pipeline(self) -> str:
        from desktop_app.commands._mjpeg_avi import write_mjpeg_avi
        from desktop_app.commands._selftest_images import video_frames
        from desktop_app.ui.live.video_cli import predict_video

        clip = write_mjpeg_avi(self.work / "clip.avi", video_frames(20), fps=10)
        _name, model = self.best_model()
        out = io.StringIO()
        printed = predict_video(model, clip, out=out)
        verdicts = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
        if printed < 1 or not all(v["label"] in ("hot_dog", "not_hot_dog") for v in verdicts):
            raise StudioError(f"the Live pipeline gave {printed} verdicts for a 20-frame clip")
        return f"{printed} verdicts on a 2 s clip"

    def near_duplicates(self) -> str:
        """A mirrored, shrunk copy dropped in unlabeled must join its original's group."""
        from PIL import Image, ImageOps

        from desktop_app.ml.health import health
        from desktop_app.ml.near_duplicates import find_near_duplicates

        original = self.pictures["hot_dog"][0]
        copy = self.work / "copy.png"
        with Image.open(original) as image:
            ImageOps.mirror(image).resize((80, 80)).save(copy)
        planted = {self.dataset.add_file(copy).item.hash, self.dataset.add_file(original).item.hash}
        found = find_near_duplicates(self.dataset)
        if not any(planted <= set(group.hashes) for group in found.groups):
            raise StudioError(f"a mirrored copy was not found ({len(found.groups)} groups)")
        checks = health(self.dataset)
        return f"{len(found.groups)} group(s), {len(checks)} health lines"

    def run_all(self) -> None:
        self.step("create dataset", self.create_dataset)
        self.step(f"import {2 * PICTURES_PER_CLASS} pictures", self.import_pictures)
        self.step(f"train small CNN from scratch ({self.epochs} epochs)", self.train_small_cnn)
        self.step("train default pretrained backbone offline (fast mode)", self.train_pretrained)
        self.step("predict", self.predict)
        self.step("Live pipeline on a video", self.live_pipeline)
        self.step("near-duplicates and health", self.near_duplicates)
        if self.dataset is not None:
            self.dataset.close()


def _check_runtime(runtime: str) -> None:
    """On a CPU the frozen backbone must have run on XNNPACK; a bundle without it is broken."""
    from desktop_app.core.resources import is_frozen
    from desktop_app.ml.litert_backbone import XNNPACK, unavailable_reason

    why = unavailable_reason()
    if why is None and XNNPACK not in runtime:
        raise StudioError(f"the backbone ran on {runtime}, not XNNPACK (see ml/litert_backbone.py)")
    if why is not None and is_frozen() and "not installed" in why:
        raise StudioError(f"the bundle lacks its XNNPACK runtime: {why}")


def _headless() -> None:
    """No display (a server, CI, a clean environment): Qt draws offscreen."""
    has_display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if sys.platform.startswith("linux") and not has_display:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Qt Multimedia lists every optional library it did not find (VA-API, PipeWire): noise here.
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")


def run(args: argparse.Namespace) -> int:
    if args.gui:
        return run_gui(args)
    _headless()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hotdog-self-test-", ignore_cleanup_errors=True) as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        test = SelfTest(work, args.epochs, sys.stdout)
        test.run_all()
    elapsed = time.monotonic() - started
    verdict = "passed" if not test.failed else "FAILED"
    print(
        f"self-test {verdict}: {test.passed} ok, {test.skipped} skipped, {test.failed} failed "
        f"({elapsed:.0f} s)",
        flush=True,
    )
    return 0 if not test.failed else 1


def run_gui(args: argparse.Namespace) -> int:
    """The journey in the real window; needs a display (unlike the headless self-test)."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
            print(
                "error: self-test --gui needs a display (DISPLAY or WAYLAND_DISPLAY)",
                file=sys.stderr,
            )
            return 2
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
    from desktop_app.ui.journey.journey import run_journey
    from desktop_app.ui.journey.session import journey_application

    with tempfile.TemporaryDirectory(prefix="hotdog-gui-test-", ignore_cleanup_errors=True) as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        shots = args.shots or work / "screenshots"
        _app, warmup = journey_application(work)
        code = run_journey(work, shots)
        warmup.wait()
        return code
