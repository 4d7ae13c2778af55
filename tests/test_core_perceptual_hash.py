"""The app's own pHash and dHash agree bit for bit with imagehash's, without SciPy in the process.

imagehash needs SciPy for its DCT, which the bundle leaves out; its answers are computed in a
process of their own (HOTDOG_ALLOW_EXCLUDED=1) and compared with the app's, computed here, where
SciPy cannot be imported (tests/bundle_like).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import HOTDOG_PHOTOS, picture
from PIL import Image, ImageOps

from desktop_app.core.perceptual_hash import dhash, phash

IMAGEHASH = """
import json, sys
import imagehash
from PIL import Image
out = {}
for path in sys.argv[1:]:
    with Image.open(path) as image:
        out[path] = [str(imagehash.phash(image)), str(imagehash.dhash(image))]
print(json.dumps(out))
"""


def imagehash_answers(paths) -> dict[str, list[str]]:
    env = {**os.environ, "HOTDOG_ALLOW_EXCLUDED": "1"}
    result = subprocess.run(
        [sys.executable, "-c", IMAGEHASH, *map(str, paths)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def ours(path) -> list[str]:
    with Image.open(path) as image:
        return [f"{phash(image):016x}", f"{dhash(image):016x}"]


def test_scipy_cannot_be_imported_in_the_tests_as_in_the_bundle():
    with pytest.raises(ModuleNotFoundError, match="the bundle leaves it out"):
        import scipy.fftpack  # noqa: F401


def test_hashes_match_imagehash_on_made_pictures(tmp_path):
    paths = []
    for seed in range(40):
        image = picture(seed, size=(40 + 7 * seed, 30 + 5 * seed))
        if seed % 3 == 0:
            image = ImageOps.grayscale(image)
        if seed % 5 == 0:
            image = image.convert("RGBA")
        path = tmp_path / f"{seed}.png"
        image.save(path)
        paths.append(path)
    expected = imagehash_answers(paths)
    assert {str(p): ours(p) for p in paths} == expected


@pytest.mark.slow
@pytest.mark.skipif(not HOTDOG_PHOTOS.is_dir(), reason="../shared/data absent")
def test_hashes_match_imagehash_on_real_photos():
    paths = sorted(HOTDOG_PHOTOS.rglob("*.jpg"))[::40][:60]
    assert len(paths) >= 30
    expected = imagehash_answers(paths)
    assert {str(p): ours(p) for p in paths} == expected


def test_a_photo_and_its_edits_hash_close_and_another_photo_far():
    base = picture(7, size=(160, 120))
    resized = base.resize((80, 60))
    other = picture(8, size=(160, 120))
    differ = lambda a, b: bin(a ^ b).count("1")  # noqa: E731
    assert differ(phash(base), phash(resized)) <= 6
    assert differ(dhash(base), dhash(resized)) <= 6
    assert differ(phash(base), phash(other)) > 12
