"""Start-up: process start to the main window's first paint, from .venv and from the bundle.

Reference, measured in the same run: `python -c "import tensorflow"` (what start-up would cost if
the window waited for TensorFlow). Also the bundle's size on disk and its ten biggest parts.
Each figure is the median of --repeat runs, timed from just before the process is spawned to
the `first-paint` line the app prints when HOTDOG_STARTUP_PROBE=1 (desktop_app/ui/shell/startup_probe.py).
Prints one JSON object. Run: .venv/bin/python benchmarks/bench_startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
BUNDLE = ROOT / "dist" / "hotdog-studio"
MARKER = "first-paint"
TARGETS_S = {"venv": 1.0, "bundle": 2.0}
PAINT_TIMEOUT_S = 60


def clean_env(home: Path) -> dict[str, str]:
    """A fresh user: no last dataset to reopen, no settings; offscreen unless a display is asked."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTDOG_", "KERAS_", "XDG_"))}
    env.update(HOME=str(home), HOTDOG_STARTUP_PROBE="1")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def time_to_exit(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=300)
    return time.perf_counter() - started


def time_to_first_paint(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Spawn the app and read stdout until its first-paint line; the app quits by itself."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = started + PAINT_TIMEOUT_S
    try:
        while (left := deadline - time.perf_counter()) > 0:
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            if line.startswith(MARKER):
                wall = time.perf_counter() - started
                process.wait(timeout=120)  # it quits after painting (once TF's warm-up ends)
                return {"wall_s": wall, "reported_s": float(line.split()[1])}
        raise RuntimeError(
            f"no '{MARKER}' line from {' '.join(command)} within {PAINT_TIMEOUT_S} s: does "
            "desktop_app/ui/shell/launch.py call startup_probe.install_startup_probe()?"
        )
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def median_of(runs: list[dict[str, float]]) -> dict[str, object]:
    walls = [r["wall_s"] for r in runs]
    return {
        "median_s": round(statistics.median(walls), 3),
        "runs_s": [round(w, 3) for w in walls],
        "reported_by_app_median_s": round(statistics.median(r["reported_s"] for r in runs), 3),
    }


def tree_size(path: Path) -> int:
    if path.is_symlink():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def bundle_parts(bundle: Path, count: int = 10) -> dict[str, object]:
    """Size on disk and the biggest top-level parts (folders summed) of the bundle's contents."""
    inner = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
    parts = sorted(((tree_size(p), p) for p in inner.iterdir()), key=lambda t: t[0], reverse=True)
    files = sorted(
        ((f.stat().st_size, f) for f in bundle.rglob("*") if f.is_file() and not f.is_symlink()),
        key=lambda t: t[0],
        reverse=True,
    )
    mib = 2**20
    return {
        "size_mib": round(tree_size(bundle) / mib, 1),
        "files": len(files),
        "biggest_parts_mib": {
            str(p.relative_to(bundle)): round(s / mib, 1) for s, p in parts[:count]
        },
        "biggest_files_mib": {
            str(f.relative_to(bundle)): round(s / mib, 1) for s, f in files[:count]
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bundle", type=Path, default=BUNDLE, help="the one-folder bundle")
    parser.add_argument(
        "--venv-script",
        type=Path,
        help="run this script with .venv's Python instead of -m desktop_app",
    )
    args = parser.parse_args()
    python = str(VENV_PYTHON if VENV_PYTHON.exists() else sys.executable)
    bundle_exe = args.bundle / "hotdog-studio"
    result: dict[str, object] = {
        "benchmark": "startup",
        "repeat": args.repeat,
        "targets_s": TARGETS_S,
    }
    with tempfile.TemporaryDirectory(prefix="hotdog-bench-startup-") as tmp:
        env = clean_env(Path(tmp))
        # Warm the page cache once for each, so every measured run starts from the same state.
        time_to_exit([python, "-c", "import tensorflow"], env)
        venv_command = (
            [python, str(args.venv_script)] if args.venv_script else [python, "-m", "desktop_app"]
        )
        commands = {"venv": venv_command}
        result["commands"] = {"venv": " ".join(venv_command), "bundle": str(bundle_exe)}
        if bundle_exe.exists():
            commands["bundle"] = [str(bundle_exe)]
        for command in commands.values():
            try:
                time_to_first_paint(command, env)
            except RuntimeError:
                pass  # reported below, per entry
        reference = [
            time_to_exit([python, "-c", "import tensorflow"], env) for _ in range(args.repeat)
        ]
        result["import_tensorflow_s"] = {
            "median_s": round(statistics.median(reference), 3),
            "runs_s": [round(r, 3) for r in reference],
        }
        for name, command in commands.items():
            try:
                runs = [time_to_first_paint(command, env) for _ in range(args.repeat)]
            except RuntimeError as error:
                result[f"first_paint_{name}"] = {"error": str(error)}
                continue
            summary = median_of(runs)
            summary["vs_import_tensorflow"] = round(
                summary["median_s"] / result["import_tensorflow_s"]["median_s"], 3
            )
            summary["within_target"] = summary["median_s"] <= TARGETS_S[name]
            result[f"first_paint_{name}"] = summary
    if bundle_exe.exists():
        result["bundle"] = bundle_parts(args.bundle)
    else:
        result["bundle"] = None
        result["bundle_missing"] = f"{bundle_exe} not found: run `make bundle` first"
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
