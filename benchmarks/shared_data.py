"""Where the benchmarks find the real photos and ImageNet weights, and a KERAS_HOME that uses them.

HOTDOG_SHARED points at another copy (e.g. one carried to a GPU machine); the default is the
`../shared` folder beside the checkout. Nothing is ever copied: the weights are linked.
"""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("HOTDOG_SHARED", REPO.parent / "shared"))
PHOTOS = SHARED / "data" / "hotdog"
WEIGHTS = SHARED / "weights"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def scratch_dir(prefix: str) -> Path:
    """A temporary folder for one benchmark run, removed when the process exits (each run writes
    ~100 MB of datasets, features and models). HOTDOG_KEEP_SCRATCH=1 keeps it for a post-mortem."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if not os.environ.get("HOTDOG_KEEP_SCRATCH"):
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def use_shared_weights(scratch: Path) -> Path:
    """Makes scratch/keras_home/models link to the shared weights and points KERAS_HOME at it."""
    models = scratch / "keras_home" / "models"
    models.mkdir(parents=True, exist_ok=True)
    for weights in WEIGHTS.glob("*.h5"):
        link = models / weights.name
        if not link.exists():
            link.symlink_to(weights.resolve())
    os.environ["KERAS_HOME"] = str(models.parent)
    return models.parent
