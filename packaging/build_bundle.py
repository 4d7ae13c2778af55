"""Build the one-folder PyInstaller bundle: `make bundle [WEIGHTS=path/to/file.h5]`.

Runs PyInstaller on packaging/hotdog_studio.spec with the project's .venv and puts the app in
dist/hotdog-studio/ (start it with dist/hotdog-studio/hotdog-studio). The bundle carries the
default backbone's ImageNet weights so the app trains offline; they come from --weights, else the
Keras cache ($KERAS_HOME/models, ~/.keras/models). Without them the build stops, unless
--no-weights says a bundle that downloads them on first use is wanted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "hotdog_studio.spec"
VENV_PYTHON = ROOT / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
NAME = "hotdog-studio"


def default_weights_file() -> str:
    sys.path.insert(0, str(ROOT))
    from desktop_app.ml.backbones import BACKBONES, DEFAULT_BACKBONE  # no Keras import here

    return BACKBONES[DEFAULT_BACKBONE].weights_file


def find_weights(explicit: Path | None, file_name: str) -> Path | None:
    if explicit is not None:
        return explicit
    homes = [os.environ.get("KERAS_HOME"), str(Path.home() / ".keras")]
    for home in filter(None, homes):
        candidate = Path(home) / "models" / file_name
        if candidate.is_file():
            return candidate
    return None


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, help="the default backbone's .h5 weights file")
    parser.add_argument(
        "--no-weights", action="store_true", help="build without weights (downloaded on first use)"
    )
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller work folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # Build from the project's environment: what the bundle holds is what .venv has installed.
    if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        return subprocess.call([str(VENV_PYTHON), __file__, *(argv or sys.argv[1:])])
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        print(
            "error: PyInstaller is missing; run: .venv/bin/pip install -e '.[bundle]'",
            file=sys.stderr,
        )
        return 1

    weights_name = default_weights_file()
    weights = None if args.no_weights else find_weights(args.weights, weights_name)
    if not args.no_weights:
        if weights is None:
            print(
                f"error: {weights_name} is not in $KERAS_HOME/models or ~/.keras/models; "
                "pass it: make bundle WEIGHTS=path/to/it (or --no-weights)",
                file=sys.stderr,
            )
            return 1
        if not weights.is_file():
            print(f"error: no such weights file: {weights}", file=sys.stderr)
            return 1
        if weights.name != weights_name:
            # Keras finds weights by their official name; carry the file under that name.
            print(f"error: the weights file must be named {weights_name}", file=sys.stderr)
            return 1

    env = dict(os.environ, HOTDOG_BUNDLE_WEIGHTS=str(weights.resolve()) if weights else "")
    command = [
        sys.executable, "-m", "PyInstaller", str(SPEC), "--noconfirm", "--clean",
        "--log-level", "WARN", "--distpath", str(args.dist), "--workpath", str(args.work),
    ]  # fmt: skip
    print("building:", " ".join(command), file=sys.stderr)
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env)
    if result.returncode != 0:
        print("error: PyInstaller failed (see above)", file=sys.stderr)
        return result.returncode
    bundle = args.dist / NAME
    print(
        f"built {bundle} ({folder_size(bundle) / 2**20:.0f} MiB, "
        f"{time.monotonic() - started:.0f} s); run {bundle / NAME}"
        + (" ; weights: " + weights.name if weights else " ; no weights carried"),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
