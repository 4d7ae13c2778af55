"""PyInstaller runtime hook: make the bundled ImageNet weights visible where Keras looks.

desktop_app.ml.weights (like Keras itself) looks in $KERAS_HOME/models (default ~/.keras/models).
The bundle carries the default backbone's file in resources/weights/, which is read-only inside
an installed app, so copy it into the user's Keras cache once. A Keras home that cannot be written
is replaced by a per-user cache folder. HOTDOG_BUNDLED_WEIGHTS names the bundled folder for any
code that wants to read it directly.
"""

import os
import shutil
import sys
from pathlib import Path


def _writable_keras_home() -> Path:
    chosen = os.environ.get("KERAS_HOME")
    home = Path(chosen) if chosen else Path.home() / ".keras"
    try:
        (home / "models").mkdir(parents=True, exist_ok=True)
        if os.access(home / "models", os.W_OK):
            return home
    except OSError:
        pass
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    fallback = cache / "hotdog-studio" / "keras"
    (fallback / "models").mkdir(parents=True, exist_ok=True)
    os.environ["KERAS_HOME"] = str(fallback)
    return fallback


def _seed() -> None:
    bundled = Path(sys._MEIPASS) / "resources" / "weights"
    if not bundled.is_dir():
        return
    os.environ.setdefault("HOTDOG_BUNDLED_WEIGHTS", str(bundled))
    models = _writable_keras_home() / "models"
    for source in bundled.glob("*.h5"):
        target = models / source.name
        if target.is_file() and target.stat().st_size == source.stat().st_size:
            continue
        partial = target.with_name(target.name + ".seeding")
        shutil.copyfile(source, partial)
        os.replace(partial, target)  # never a half file under the name Keras trusts


try:
    _seed()
except (
    OSError
) as error:  # a read-only home must not stop the app; training will say what is missing
    print(f"hotdog-studio: could not seed the Keras weights cache: {error}", file=sys.stderr)
