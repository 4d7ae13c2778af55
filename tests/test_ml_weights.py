"""Weights resolution as Keras does it: $KERAS_HOME/models/, a download, or a clear message."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest
from ml_tiny import TINY_FILE, register_tiny

from desktop_app.ml.backbones import BACKBONES, build_backbone, get_spec
from desktop_app.ml.weights import WeightsMissing, resolve_weights

SHARED_WEIGHTS = Path(__file__).resolve().parent.parent.parent / "shared" / "weights"


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv("HOTDOG_WEIGHTS_URL", raising=False)
    return home


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path):
    """A local HTTP server on 127.0.0.1 standing in for the official download site."""
    root = tmp_path / "site"
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/keras-applications"
    server.shutdown()
    server.server_close()


def test_registry_has_the_promised_backbones():
    assert {
        "mobilenet_v2_0.35",
        "mobilenet_v2_0.5",
        "mobilenet_v2_1.0",
        "mobilenet_v1_0.25",
        "mobilenet_v3_small",
        "efficientnet_b0",
        "small_cnn",
    } <= set(BACKBONES)
    assert get_spec("mobilenet_v2_0.35").weights_file == (
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"
    )
    assert resolve_weights(get_spec("small_cnn")) is None  # from scratch: nothing to find


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_WEIGHTS.is_dir(), reason="../shared/weights is absent")
def test_present_weights_are_used_offline(keras_home):
    spec = get_spec("mobilenet_v2_0.35")
    (keras_home / "models").mkdir(parents=True)
    (keras_home / "models" / spec.weights_file).symlink_to(SHARED_WEIGHTS / spec.weights_file)
    path = resolve_weights(spec, allow_download=False)
    assert path == keras_home / "models" / spec.weights_file
    backbone = build_backbone(spec, path)
    random_init = build_backbone(spec, None)
    loaded = backbone.get_layer("Conv1").get_weights()[0]
    assert not np.allclose(loaded, random_init.get_layer("Conv1").get_weights()[0])


def test_absent_weights_name_the_file_the_folder_and_the_way_out(keras_home):
    spec = get_spec("mobilenet_v2_0.5")
    with pytest.raises(WeightsMissing) as caught:
        resolve_weights(spec, allow_download=False)
    message = str(caught.value)
    assert spec.weights_file in message
    assert str(keras_home / "models") in message
    assert "small_cnn" in message
    assert "\n" not in message


def test_unreachable_download_is_the_same_clear_message(keras_home):
    spec = get_spec("mobilenet_v2_0.5")
    with pytest.raises(WeightsMissing, match="small_cnn"):
        resolve_weights(spec, base_url="http://127.0.0.1:9/nothing-listens-here", timeout_s=5)
    assert not list((keras_home / "models").glob("*"))  # no half file left behind


def test_download_from_a_local_server(keras_home, tmp_path, served, monkeypatch):
    site, base_url = served
    name = register_tiny(tmp_path / "maker")  # writes a real weights file to serve
    source = tmp_path / "maker" / "models" / TINY_FILE
    (site / "keras-applications").mkdir()
    (site / "keras-applications" / TINY_FILE).write_bytes(source.read_bytes())
    monkeypatch.setenv("HOTDOG_WEIGHTS_URL", base_url)
    events = []
    path = resolve_weights(get_spec(name), progress=events.append)
    assert path == keras_home / "models" / TINY_FILE
    assert path.read_bytes() == source.read_bytes()
    assert events and events[-1].done == events[-1].total == source.stat().st_size
    assert {e.phase for e in events} == {"downloading weights"}
    build_backbone(get_spec(name), path)  # and Keras loads it


def test_a_missing_file_on_the_server_is_a_clear_message(keras_home, served):
    _site, base_url = served
    with pytest.raises(WeightsMissing, match="HTTP 404"):
        resolve_weights(get_spec("mobilenet_v1_0.25"), base_url=base_url)
