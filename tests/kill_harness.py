"""Kills at any instant (issue #11): start the real process, SIGKILL it at a uniformly random instant
of its measured duration, then open the dataset and check that nothing was lost or half-written.

Used by tests/test_core_kill_anywhere.py (a few kills of each kind, in `make test`) and by
benchmarks/bench_kills.py (50 or more of each, printing JSON). Each operation keeps one dataset for
all its rounds: what one round leaves, checked, is where the next one starts.

What is killed, and what counts as "reported" (a stage the process said it completed):
- import:    `python -m desktop_app import DATASET FOLDER --label L --json`, a folder of photos the
             dataset never held; reported when its JSON line is printed (after the commit and the
             close). Photos not reported may be absent or under L, never anywhere else, never twice.
- relabel:   `python -m desktop_app label DATASET HASH... --as L --json`; reported by its JSON line.
- trash:     a driver (this file, `drive trash`) that opens the Dataset and calls trash(), restore()
             or empty_trash() (the CLI has no trash command); reported by its JSON line.
- undo_redo: `python -m desktop_app undo|redo DATASET --json`; reported by its JSON line. The step
             it takes is the top of the dataset's undo (redo) history, read here before the start.
- train:     a driver (`drive train`) that registers the tiny test backbone (tests/ml_tiny.py) and
             runs the real `train` command in fast mode (so the feature cache and the runs folder
             are written); reported by its JSON line, which names the run.
- window:    a driver (`drive window`) that opens MainWindow offscreen on the dataset, imports a
             folder through its ImportController, then relabels those photos through the session;
             it prints one line when the import's finished signal came, one when the edit is done.

Every stage maps photos (content hashes) to places: a label, "trash:<label it came from>" or
"absent". A photo's place after a kill must be its place after the last reported stage or after
the stage in flight: the old or the new, nothing else.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve()
CLASSES = ("hot_dog", "not_hot_dog")
LABELS = (*CLASSES, "unlabeled")
ABSENT = "absent"
TRASH_DIR = Path(".studio") / "trash"
STORED_NAME = re.compile(r"^([0-9a-f]{16}|[0-9a-f]{64})\.(jpg|png|gif|bmp)$")
OPERATIONS = ("import", "relabel", "trash", "undo_redo", "train", "window")
TINY_KEY = "tiny_test_48"  # FeatureCache key of the tiny backbone at its own size
TRAIN_EPOCHS = "3"


def photo_bytes(seed: int, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real JPEG whose content depends on seed (blocks of colour plus noise)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    width, height = size
    blocks = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    big = np.kron(blocks, np.ones((height // 4 + 1, width // 4 + 1, 1), dtype=np.uint8))
    pixels = big[:height, :width] // 2 + rng.integers(0, 128, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), "RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def write_photos(folder: Path, seeds: range, size: tuple[int, int] = (64, 48)) -> dict[str, Path]:
    """hash -> path of a new photo per seed (stored as is: a JPEG keeps its bytes and hash)."""
    folder.mkdir(parents=True, exist_ok=True)
    found = {}
    for seed in seeds:
        data = photo_bytes(seed, size)
        path = folder / f"photo_{seed}.jpg"
        path.write_bytes(data)
        found[hashlib.sha256(data).hexdigest()] = path
    return found


# -- what the dataset holds ----------------------------------------------------------------------


def places_of(dataset) -> dict[str, str]:
    """hash -> place, from an open Dataset."""
    places = {item.hash: item.label for item in dataset.items()}
    for item in dataset.trashed():
        places[item.hash] = f"trash:{item.label}"
    return places


def _folders(root: Path) -> dict[str, Path]:
    return {**{label: root / label for label in LABELS}, ".trash": root / TRASH_DIR}


def inspect_files(root: Path) -> tuple[list[str], dict[str, list[str]]]:
    """Problems seen in the class folders and the trash before anything opens the dataset, and
    content hash -> the files holding it."""
    from PIL import Image

    problems: list[str] = []
    holders: dict[str, list[str]] = {}
    for label, folder in _folders(root).items():
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder):
            where = f"{label}/{entry.name}"
            if not entry.is_file(follow_symlinks=False):
                problems.append(f"not a plain file: {where}")
                continue
            if not STORED_NAME.match(entry.name):
                problems.append(f"temporary or foreign file: {where}")
                continue
            data = Path(entry.path).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            holders.setdefault(digest, []).append(where)
            if not data:
                problems.append(f"zero-byte file: {where}")
            elif not digest.startswith(entry.name.split(".")[0]):
                problems.append(f"half-written file (content is not its name): {where}")
            else:
                try:
                    with Image.open(io.BytesIO(data)) as image:
                        image.load()
                except Exception as error:  # noqa: BLE001 - any decoder failure is the finding
                    problems.append(f"undecodable file: {where}: {error}")
    for digest, files in holders.items():
        if len(files) > 1:
            problems.append(f"photo {digest[:16]} stored {len(files)} times: {files}")
    return problems, holders


def index_agrees(root: Path) -> str:
    """'agrees', 'differs' (the next open repairs it) or 'damaged' (rebuilt), before any open."""
    import sqlite3

    from desktop_app.core import reconcile
    from desktop_app.core.index import Index

    path = root / ".studio" / "index.sqlite"
    if not path.exists():
        return "missing"
    index = Index(path)
    try:
        if not index.is_healthy():
            return "damaged"
        return "agrees" if reconcile.plan(index, _folders(root)).empty else "differs"
    except (sqlite3.Error, reconcile.Unsettled):
        return "damaged"
    finally:
        index.close()


@dataclass
class Finding:
    problems: list[str]
    places: dict[str, str]
    info: Counter = field(default_factory=Counter)


def check_dataset(root: Path, allowed: dict[str, set[str]]) -> Finding:
    """Every check after a kill; allowed: hash -> the places it may be in (absent included)."""
    from desktop_app.core.dataset import Dataset

    info: Counter = Counter()
    problems, holders = inspect_files(root)
    info[f"index {index_agrees(root)}"] += 1
    leftovers = list((root / ".studio" / "tmp").glob("*")) if (root / ".studio").is_dir() else []
    if leftovers:
        info["staging leftovers (cleared at open)"] += 1
    try:
        dataset = Dataset.open(root)
    except Exception as error:  # noqa: BLE001
        return Finding([*problems, f"the dataset does not open: {error!r}"], {}, info)
    with dataset:
        places = places_of(dataset)
        if dataset.ignored:
            problems.append(f"files the open left out: {dataset.ignored}")
        indexed = {(it.label, it.path.name) for it in dataset.items()}
        indexed |= {(".trash", it.path.name) for it in dataset.trashed()}
        on_disk = {tuple(where.split("/", 1)) for files in holders.values() for where in files}
        if indexed != on_disk:
            problems.append(
                f"index and folders differ after the open: only indexed {sorted(indexed - on_disk)}"
                f", only on disk {sorted(on_disk - indexed)}"
            )
        if any(list((root / ".studio" / "tmp").glob("*"))):
            problems.append("the writer's open left staged files in .studio/tmp")
    for digest, where in places.items():
        if digest not in allowed:
            problems.append(f"unknown photo {digest[:16]} in {where}")
    for digest, can_be in allowed.items():
        now = places.get(digest, ABSENT)
        if now not in can_be:
            problems.append(f"photo {digest[:16]} is {now}, expected one of {sorted(can_be)}")
    return Finding(problems, places, info)


# -- stages --------------------------------------------------------------------------------------


def allowed_places(before: dict[str, str], stages: list[dict[str, str]], reported: int):
    """hash -> allowed places: the place after `reported` stages, or after the one in flight."""
    states = [dict(before)]
    for stage in stages:
        states.append({**states[-1], **stage})
    done = states[min(reported, len(stages))]
    flight = states[min(reported + 1, len(stages))]
    keys = set(done) | set(flight)
    return {h: {done.get(h, ABSENT), flight.get(h, ABSENT)} for h in keys}


def _after_moves(places: dict[str, str], moves) -> dict[str, str]:
    """Places after an undo step's (hash, target) moves (target a label or the trash)."""
    changed = {}
    for digest, target in moves:
        now = places.get(digest, ABSENT)
        if now == ABSENT:
            continue
        if target == ".trash":
            if not now.startswith("trash:"):
                changed[digest] = f"trash:{now}"
        else:
            changed[digest] = target
    return changed


def undo_tops(root: Path) -> tuple[list | None, list | None]:
    """The tops of the undo and redo stacks as the dataset's index keeps them (read, not opened)."""
    from desktop_app.core.index import Index
    from desktop_app.core.undo_journal import UndoJournal

    index = Index(root / ".studio" / "index.sqlite")
    try:
        undo, redo = UndoJournal(index).load()
    finally:
        index.close()
    return (
        [list(m) for m in undo[-1].moves] if undo else None,
        [list(m) for m in redo[-1].moves] if redo else None,
    )


def _target(place: str) -> str:
    return ".trash" if place.startswith("trash:") else place


def check_history(
    plan: Plan, before: dict[str, str], after: dict[str, str], tops_before, tops_after
):
    """The undo history says what the folders say: a change that happened is the step Ctrl+Z
    takes back (or, for an undo, the step Ctrl+Shift+Z makes again); one that did not left the
    history as it was. Only asked when the index agreed with the folders (a repair clears it)."""
    if plan.history is None or not plan.stages:
        return []
    wanted = {h: p for h, p in plan.stages[-1].items() if before.get(h, ABSENT) != p}
    if not wanted:
        return []
    happened = {h: p for h, p in wanted.items() if after.get(h, ABSENT) == p}
    untouched = all(after.get(h, ABSENT) == before.get(h, ABSENT) for h in wanted)
    (undo0, redo0), (undo1, redo1) = tops_before, tops_after
    if untouched:
        if tops_after != tops_before:
            return [f"a {plan.history} that did not happen changed the undo history"]
        return []
    if plan.history == "push":  # an import's committed batches too: what is there is undoable
        steps = {(h, a) for h, _b, a in undo1 or []}
        if steps != {(h, _target(p)) for h, p in happened.items()} or redo1 is not None:
            return [f"a change that happened is not the undo step: top is {undo1}"]
        return []
    if len(happened) < len(wanted):
        return []  # half done: the open repaired the index (checked elsewhere)
    elif plan.history == "clear" and (undo1, redo1) != (None, None):
        return ["the trash was emptied but the undo history was not cleared"]
    elif plan.history == "undo" and redo1 != undo0:
        return ["an undo that happened is not on the redo stack"]
    elif plan.history == "redo" and undo1 != redo0:
        return ["a redo that happened is not back on the undo stack"]
    return []


# -- the operations ------------------------------------------------------------------------------


@dataclass
class Plan:
    argv: list[str]
    stages: list[dict[str, str]]
    env: dict[str, str] = field(default_factory=dict)
    history: str | None = None  # what the change does to the undo history: push, clear, undo, redo
    history_gap_known: bool = False  # a history problem is counted as known, not as a failure


def _cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "desktop_app", *map(str, args)]


def _driver(*args: object) -> list[str]:
    return [sys.executable, str(HERE), "drive", *map(str, args)]


class Operation:
    name = ""

    def __init__(self, work: Path, rng: random.Random) -> None:
        self.work = work
        self.root = work / "dataset"
        self.rng = rng
        self.round = 0
        self.seed_base = 1_000_000 * (OPERATIONS.index(self.name) + 1)

    def env(self) -> dict[str, str]:
        return {}

    def setup(self) -> None:
        """A dataset of a few labeled, unlabeled and trashed photos."""
        from desktop_app.core.dataset import Dataset
        from desktop_app.core.importer import import_paths

        with Dataset.create(self.root) as dataset:
            for i, label in enumerate(LABELS):
                photos = write_photos(self.work / "seed" / label, self._seeds(i * 10, 10))
                import_paths(dataset, list(photos.values()), label)
            dataset.trash([it.hash for it in dataset.items()[::7]])
        shutil.rmtree(self.work / "seed")

    def _seeds(self, start: int, count: int) -> range:
        return range(self.seed_base + start, self.seed_base + start + count)

    def new_photos(self, count: int) -> dict[str, Path]:
        self.round += 1
        folder = self.work / "in" / f"round{self.round}"
        shutil.rmtree(folder, ignore_errors=True)
        return write_photos(folder, self._seeds(1000 + self.round * count, count))

    def plan(self, places: dict[str, str]) -> Plan:
        raise NotImplementedError

    def reported(self, stdout: str) -> int:
        """How many stages the process said it completed: one JSON line each."""
        count = 0
        for line in stdout.splitlines():
            try:
                json.loads(line)
            except ValueError:
                continue
            count += 1
        return count

    def extra_checks(self, stdout: str, reported: int) -> tuple[list[str], Counter]:
        return [], Counter()


class ImportOp(Operation):
    name = "import"

    def plan(self, places):
        photos = self.new_photos(40)
        label = self.rng.choice(LABELS)
        folder = next(iter(photos.values())).parent
        return Plan(
            _cli("import", self.root, folder, "--label", label, "--json"),
            [{h: label for h in photos}],
            history="push",
        )


class RelabelOp(Operation):
    name = "relabel"

    def plan(self, places):
        live = sorted(h for h, p in places.items() if p in LABELS)
        picked = self.rng.sample(live, min(len(live), self.rng.randint(1, 12)))
        label = self.rng.choice(LABELS)
        return Plan(
            _cli("label", self.root, *picked, "--as", label, "--json"),
            [{h: label for h in picked}],
            history="push",
        )


class TrashOp(Operation):
    name = "trash"
    action: str | None = None  # "trash", "restore" or "empty" every round (default: by chance)

    def plan(self, places):
        live = sorted(h for h, p in places.items() if p in LABELS)
        trashed = sorted(h for h, p in places.items() if p.startswith("trash:"))
        roll = {"empty": 0.0, "restore": 0.3, "trash": 0.9}.get(self.action, self.rng.random())
        if len(live) < 15:  # keep something to trash: a few photos come in, unkilled
            self._top_up()
            self.places_now = self._places()
            return self.plan(self.places_now)
        if trashed and roll < 0.2:
            return Plan(
                _driver("trash", self.root, "empty"),
                [{h: ABSENT for h in trashed}],
                history="clear",
            )
        if trashed and roll < 0.55:
            picked = self.rng.sample(trashed, min(len(trashed), self.rng.randint(1, 6)))
            stage = {h: places[h].removeprefix("trash:") for h in picked}
            return Plan(_driver("trash", self.root, "restore", *picked), [stage], history="push")
        picked = self.rng.sample(live, min(len(live), self.rng.randint(1, 6)))
        return Plan(
            _driver("trash", self.root, "trash", *picked),
            [{h: f"trash:{places[h]}" for h in picked}],
            history="push",
        )

    def _top_up(self) -> None:
        from desktop_app.core.dataset import Dataset
        from desktop_app.core.importer import import_paths

        with Dataset.open(self.root) as dataset:
            import_paths(dataset, list(self.new_photos(15).values()), self.rng.choice(LABELS))

    def _places(self):
        from desktop_app.core.dataset import Dataset

        with Dataset.open(self.root) as dataset:
            return places_of(dataset)


class UndoRedoOp(Operation):
    name = "undo_redo"
    direction: str | None = None  # "undo" or "redo" every round (default: by chance)

    def plan(self, places):
        from desktop_app.core.dataset import Dataset

        with Dataset.open(self.root) as dataset:
            if not dataset.can_undo or self.rng.random() < 0.25:  # give it steps to take back
                for _ in range(self.rng.randint(1, 3)):
                    live = [it.hash for it in dataset.items()]
                    picked = self.rng.sample(live, min(len(live), self.rng.randint(1, 6)))
                    if self.rng.random() < 0.3:
                        dataset.trash(picked)
                    else:
                        dataset.set_label(picked, self.rng.choice(LABELS))
                if self.rng.random() < 0.5:
                    dataset.undo()
            if self.direction == "redo" and not dataset.can_redo:
                dataset.undo()
            direction = self.direction or (
                "redo" if dataset.can_redo and (self.rng.random() < 0.4 or not dataset.can_undo)
                else "undo"
            )  # fmt: skip
            step = dataset._undo.peek_redo() if direction == "redo" else dataset._undo.peek_undo()
            moves = step.forward() if direction == "redo" else step.backward()
            places = places_of(dataset)
        self.places_now = places
        return Plan(
            _cli(direction, self.root, "--json"), [_after_moves(places, moves)], history=direction
        )


class TrainOp(Operation):
    name = "train"

    def env(self):
        return {
            "KERAS_HOME": str(self.work / "keras_home"),
            "HOTDOG_LITERT_CACHE": str(self.work / "litert"),
        }

    def setup(self):
        from desktop_app.core.dataset import Dataset
        from desktop_app.core.importer import import_paths

        with Dataset.create(self.root) as dataset:
            for i, label in enumerate(CLASSES):
                photos = write_photos(self.work / "seed" / label, self._seeds(i * 10, 8), (48, 48))
                import_paths(dataset, list(photos.values()), label)
        shutil.rmtree(self.work / "seed")

    def plan(self, places):
        from desktop_app.core.dataset import Dataset
        from desktop_app.core.importer import import_paths

        # Two new photos a round: the training has features to embed and a cache to save.
        with Dataset.open(self.root) as dataset:
            import_paths(dataset, list(self.new_photos(2).values()), self.rng.choice(CLASSES))
            self.places_now = places_of(dataset)
        return Plan(_driver("train", self.root, self.work / "keras_home"), [])

    def extra_checks(self, stdout, reported):
        return check_training(self.root, stdout if reported else None)


class WindowOp(Operation):
    name = "window"

    def plan(self, places):
        photos = self.new_photos(12)
        folder = next(iter(photos.values())).parent
        label = self.rng.choice(CLASSES)
        return Plan(
            _driver("window", self.root, folder, label, self.work / "settings"),
            [{h: "unlabeled" for h in photos}, {h: label for h in photos}],
            {"QT_QPA_PLATFORM": "offscreen"},
        )


OPERATION_CLASSES = {
    op.name: op for op in (ImportOp, RelabelOp, TrashOp, UndoRedoOp, TrainOp, WindowOp)
}


def check_training(root: Path, reported_stdout: str | None) -> tuple[list[str], Counter]:
    """The feature cache loads whole (or not at all) and holds only finite vectors; the current
    model, if any, loads; a reported run is the current one."""
    import numpy as np

    from desktop_app.core.dataset import Dataset
    from desktop_app.ml.features import FeatureCache
    from desktop_app.ml.predict import Predictor
    from desktop_app.ml.runs import current_run

    problems: list[str] = []
    info: Counter = Counter()
    studio = root / ".studio"
    cache_file = studio / "features" / f"{TINY_KEY}.npz"
    cache = FeatureCache(studio, TINY_KEY)
    if cache_file.exists() and not cache.vectors:
        problems.append("the feature cache file exists but does not load")
    shapes = {v.shape for v in cache.vectors.values()}
    if len(shapes) > 1:
        problems.append(f"feature vectors of several shapes: {shapes}")
    if cache.vectors and not all(np.isfinite(v).all() for v in cache.vectors.values()):
        problems.append("a cached feature is not finite")
    if list((studio / "features").glob("*.tmp")):
        info["feature cache temporary files left"] += 1
    runs = studio / "runs"
    unlisted = (
        [d for d in runs.iterdir() if not (d / "run.json").is_file()] if runs.is_dir() else []
    )
    if unlisted:
        info["run folders without run.json (unlisted)"] += 1
    with Dataset.open(root, readonly=True) as dataset:
        record = current_run(dataset)
        labeled = [it.hash for label in CLASSES for it in dataset.items(label)]
    if record is not None:
        try:
            Predictor(record.model_path)
            info["current model loads"] += 1
        except Exception as error:  # noqa: BLE001
            problems.append(f"the current model {record.model_path} does not load: {error!r}")
    if reported_stdout is not None:
        line = json.loads(reported_stdout.strip().splitlines()[-1])
        if record is None or record.id != line["run"]:
            problems.append(f"reported run {line['run']} is not the current one")
        if cache.missing(labeled):
            problems.append(f"a reported training left {len(cache.missing(labeled))} uncached")
    return problems, info


# -- one kill ------------------------------------------------------------------------------------


def _run(plan: Plan, env: dict[str, str], kill_at: float | None, timeout: float = 300):
    """Start the process; SIGKILL it kill_at seconds after the start (None: let it finish).
    Returns (stdout, stderr, return code, wall seconds, killed)."""
    full_env = {**os.environ, **env, **plan.env}
    started = time.monotonic()
    process = subprocess.Popen(
        plan.argv,
        cwd=REPO,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killed = False
    if kill_at is not None:
        try:
            process.wait(timeout=max(0.0, kill_at - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            killed = True
    stdout, stderr = process.communicate(timeout=timeout)
    return stdout, stderr, process.returncode, time.monotonic() - started, killed


@dataclass
class OperationResult:
    operation: str
    kills: int = 0
    finished_before_kill: int = 0
    duration_s: float = 0.0
    failures: list[dict] = field(default_factory=list)
    found: Counter = field(default_factory=Counter)
    reported_stages: Counter = field(default_factory=Counter)
    wall_s: float = 0.0

    def to_json(self) -> dict:
        return {
            "kills": self.kills,
            "finished_before_kill": self.finished_before_kill,
            "measured_duration_s": round(self.duration_s, 3),
            "failures": self.failures,
            "found": dict(self.found),
            "reported_stages": {str(k): v for k, v in sorted(self.reported_stages.items())},
            "wall_s": round(self.wall_s, 1),
        }


@dataclass
class Round:
    finding: Finding
    reported: int
    killed: bool
    code: int
    wall_s: float
    stderr: str


def one_round(op: Operation, plan: Plan, places: dict[str, str], kill_at: float | None) -> Round:
    """Run the plan's process (killed kill_at seconds in, or not), then check the dataset."""
    tops_before = undo_tops(op.root)
    agreed_before = index_agrees(op.root) == "agrees"
    stdout, stderr, code, wall, killed = _run(plan, op.env(), kill_at)
    reported = op.reported(stdout)
    agreed = index_agrees(op.root) == "agrees"
    finding = check_dataset(op.root, allowed_places(places, plan.stages, reported))
    if agreed and agreed_before and finding.places:
        history = check_history(plan, places, finding.places, tops_before, undo_tops(op.root))
        if plan.history_gap_known:
            finding.info.update({f"known, not fixed: {problem}": 1 for problem in history})
        else:
            finding.problems += history
    extra, info = op.extra_checks(stdout, reported)
    finding.problems += extra
    finding.info.update(info)
    if "Traceback" in stderr:
        finding.problems.append(f"traceback: {stderr[-2000:]}")
    return Round(finding, reported, killed, code, wall, stderr)


def _next_plan(op: Operation, places: dict[str, str]) -> tuple[Plan, dict[str, str]]:
    op.places_now = None
    plan = op.plan(places)
    return plan, op.places_now or places


def run_operation(
    name: str, work: Path, kills: int, seed: int, final_training: bool = True, log=None
) -> OperationResult:
    """Measure the operation once unkilled, then kill it `kills` times at uniform instants."""
    started = time.monotonic()
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    op = OPERATION_CLASSES[name](work, rng)
    op.setup()
    result = OperationResult(name)
    places = _current_places(op.root)
    for attempt in range(kills + 1):
        plan, places = _next_plan(op, places)
        kill_at = None if attempt == 0 else rng.uniform(0, result.duration_s)
        done = one_round(op, plan, places, kill_at)
        finding = done.finding
        if attempt == 0:
            result.duration_s = done.wall_s
            if done.code != 0 or done.reported != len(plan.stages or [None]):
                raise RuntimeError(
                    f"{name} does not finish unkilled (exit {done.code}):\n{done.stderr}"
                )
        else:
            result.kills += 1
            result.finished_before_kill += not done.killed
            result.reported_stages[done.reported] += 1
            if not done.killed and done.code != 0:
                finding.problems.append(f"exited {done.code} unkilled: {done.stderr[-500:]}")
        result.found.update(finding.info)
        if finding.problems:
            failure = {
                "seed": seed,
                "attempt": attempt,
                "kill_at_s": None if kill_at is None else round(kill_at, 4),
                "reported_stages": done.reported,
                "problems": finding.problems[:10],
                "replay": f"run_operation({name!r}, work, kills={attempt}, seed={seed})",
            }
            result.failures.append(failure)
            if log is not None:
                log(f"{name}: FAILED {json.dumps(failure)}")
        if not finding.places:
            try:
                places = _current_places(op.root)
            except Exception as error:  # noqa: BLE001 - reported, and the rounds stop here
                result.failures.append({"seed": seed, "attempt": attempt, "stopped": repr(error)})
                break
        else:
            places = finding.places
    if name == "train" and final_training:  # a later training after all those kills
        plan = Plan(_driver("train", op.root, work / "keras_home"), [])
        stdout, stderr, code, _wall, _killed = _run(plan, op.env(), None)
        problems = [] if code == 0 else [f"the training after the kills failed: {stderr[-2000:]}"]
        if code == 0:
            problems += check_training(op.root, stdout)[0]
        result.found["final training completes"] += not problems
        if problems:
            result.failures.append({"seed": seed, "attempt": "final", "problems": problems})
    result.wall_s = time.monotonic() - started
    return result


def kill_at_point(name: str, points: str, work: Path, seed: int = 1, **forced) -> Round:
    """One round of the operation SIGKILLed the moment it enters one of points (comma-separated
    "module:Class.method"): an instant a uniform kill rarely hits, made certain."""
    work.mkdir(parents=True, exist_ok=True)
    op = OPERATION_CLASSES[name](work, random.Random(seed))
    op.setup()
    for key, value in forced.items():
        setattr(op, key, value)
    plan, places = _next_plan(op, _current_places(op.root))
    at = plan.argv[3:] if plan.argv[1:3] == ["-m", "desktop_app"] else ["drive", *plan.argv[3:]]
    plan.argv = _driver("at", points, *at)
    return one_round(op, plan, places, None)


def _current_places(root: Path) -> dict[str, str]:
    from desktop_app.core.dataset import Dataset

    with Dataset.open(root) as dataset:
        return places_of(dataset)


# -- drivers: the processes that are killed where the CLI has no command -----------------------------


def _drive_trash(root: str, action: str, *hashes: str) -> int:
    from desktop_app.core.dataset import Dataset

    with Dataset.open(root) as dataset:
        if action == "trash":
            dataset.trash(hashes)
        elif action == "restore":
            dataset.restore(hashes)
        else:
            dataset.empty_trash()
    print(json.dumps({"done": action, "hashes": list(hashes)}), flush=True)
    return 0


def _drive_train(root: str, keras_home: str) -> int:
    os.environ["KERAS_HOME"] = keras_home
    sys.path.insert(0, str(HERE.parent))
    from ml_tiny import register_tiny

    from desktop_app.cli import run_command

    backbone = register_tiny(Path(keras_home))
    return run_command(
        ["train", root, "--backbone", backbone, "--epochs", TRAIN_EPOCHS, "--json", "--no-download"]
    )


def _drive_window(root: str, folder: str, label: str, settings_dir: str) -> int:
    from PySide6.QtCore import QCoreApplication, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_app.core.dataset import UNLABELED
    from desktop_app.ui.shell.main_window import VIEW_FACTORIES, MainWindow

    app = QApplication([])
    Path(settings_dir).mkdir(parents=True, exist_ok=True)
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, settings_dir)
    QCoreApplication.setOrganizationName("HotDogStudioKills")
    QCoreApplication.setApplicationName("Hot Dog Studio Kills")
    window = MainWindow(views=[(t, target) for t, target in VIEW_FACTORIES if t == "Label"])
    window.imports.show_reports = False
    window.show()
    if not window.session.open(root):
        print(window.session.last_error, file=sys.stderr)
        return 1

    def imported(report) -> None:
        hashes = [item.hash for item in report.added]
        print(json.dumps({"stage": "imported", "hashes": hashes}), flush=True)
        window.session.set_label(hashes, label)
        window.session.wait_for_edits()
        print(json.dumps({"stage": "labeled", "label": label}), flush=True)
        # Both stages are reported: end here. A clean close waits for the background Keras
        # import the inbox started (~30 s on a busy machine), which writes nothing to the dataset.
        os._exit(0)

    def failed(message: str) -> None:
        print(message, file=sys.stderr)
        os._exit(1)

    window.imports.finished.connect(imported)
    window.imports.failed.connect(failed)
    QTimer.singleShot(0, lambda: window.imports.import_paths([folder], UNLABELED))
    app.exec()
    return 1


def _drive_at(point: str, *argv: str) -> int:
    """Run a command (a CLI command, or another driver after `drive`), SIGKILLed the moment it
    enters one of point's comma-separated "package.module:Class.method" (or its #N-th call):
    the worst instant, made certain. "package.module:NAME=N" sets a constant first."""
    import importlib

    def dying(original, nth: int):
        calls = [0]

        def die(*args, **kwargs):
            calls[0] += 1
            if calls[0] >= nth:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(*args, **kwargs)

        return die

    for where in point.split(","):
        module_name, _, attribute = where.partition(":")
        attribute, _, value = attribute.partition("=")
        attribute, _, nth = attribute.partition("#")
        owner = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        if value:  # "module:NAME=3" sets a number (a batch size) instead
            setattr(owner, name, int(value))
        else:  # "module:Class.method#2" dies on the second call, after the first one ran
            setattr(owner, name, dying(getattr(owner, name), int(nth or 1)))
    if argv[0] == "drive":
        return drive(list(argv[1:]))
    from desktop_app.cli import run_command

    return run_command(list(argv))


def drive(argv: list[str]) -> int:
    kind, *args = argv
    drivers = {
        "trash": _drive_trash,
        "train": _drive_train,
        "window": _drive_window,
        "at": _drive_at,
    }
    return drivers[kind](*args)


if __name__ == "__main__" and sys.argv[1:2] == ["drive"]:
    sys.exit(drive(sys.argv[2:]))
