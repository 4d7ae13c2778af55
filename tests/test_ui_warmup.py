"""The background warm-up: Keras loads off the GUI thread and the status line names the backend."""

from desktop_app.ui.shell.ml_warmup import MlWarmup, backend_title


def test_backend_title_follows_keras_backend(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert backend_title() == "JAX"
    monkeypatch.delenv("KERAS_BACKEND")
    assert backend_title() == "TensorFlow"
    assert backend_title("torch") == "PyTorch"


def test_warm_up_reports_the_backend_and_device(qtbot):
    warmup = MlWarmup()
    with qtbot.waitSignal(warmup.ready, timeout=120_000) as ready:
        warmup.start()
    warmup.wait()
    text = ready.args[0]
    assert text.startswith(f"{backend_title()} ready · ")
    assert "CPU" in text or "GPU" in text
