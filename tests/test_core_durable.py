"""A new picture reaches the disk before its name does: the file's bytes are synced before the
rename into its class folder, and the folder after, before the index records it."""

from __future__ import annotations

import os
import sys

import pytest
from PIL import Image

from desktop_app.core.dataset import HOT_DOG, Dataset

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads fd paths from /proc")


@pytest.fixture
def synced(monkeypatch):
    """Every path os.fsync is called on, in order (the real fsync still runs)."""
    paths: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        paths.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return paths


def test_a_camera_frame_is_synced_then_its_folder(tmp_path, synced):
    dataset = Dataset.create(tmp_path / "lunch")
    synced.clear()
    result = dataset.add_image(Image.new("RGB", (40, 30), "red"), HOT_DOG, source="live:camera")
    stored = result.item.path
    staged = [p for p in synced if p.startswith(str(dataset.root / ".studio" / "tmp"))]
    assert len(staged) == 1 and staged[0].endswith(".part")  # the bytes, before the rename
    assert synced.index(str(stored.parent)) > synced.index(staged[0])  # then the new name
    assert stored.read_bytes()[:2] == b"\xff\xd8"
    dataset.close()


def test_dataset_settings_are_synced_before_they_replace_the_old_ones(tmp_path, synced):
    dataset = Dataset.create(tmp_path / "lunch")
    assert any(p.endswith("dataset.json.tmp") for p in synced)
    dataset.close()
