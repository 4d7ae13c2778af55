"""Backend set-up that must happen before Keras (and TensorFlow) load.

Every ml/ module gets Keras through `keras_module()`, so TensorFlow's C++ log spam is silenced and
GPU memory growth is switched on before the first tensor exists.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading

_lock = threading.Lock()
_ready = False


# TensorFlow's native start-up notices (abseil-format info/warning lines and a few loose ones).
_NOTICE = re.compile(
    rb"^(?:[IW]\d{4} [\d:.]+ +\d+ \S+:\d+\] "
    rb"|E\d{4} .*cuInit"
    rb"|WARNING: All log messages before absl::InitializeLog"
    rb"|To enable the following instructions:)"
)


def is_native_notice(line: bytes) -> bool:
    return _NOTICE.match(line) is not None


@contextlib.contextmanager
def _filtered_native_stderr(enabled: bool):
    """TensorFlow writes oneDNN/CUDA notices to fd 2 before its log level applies. Route fd 2
    through a pipe that drops those lines and passes everything else on: the GUI imports Keras on
    a background thread, and what other threads print meanwhile must not be lost."""
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    read_end, write_end = os.pipe()
    forwarder = threading.Thread(
        target=_forward_lines, args=(read_end, saved), name="stderr-filter", daemon=True
    )
    forwarder.start()
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end unless native code kept a copy
        forwarder.join(timeout=1.0)  # a kept copy keeps the (daemon) forwarder running: fine


def _forward_lines(read_end: int, target: int) -> None:
    with os.fdopen(read_end, "rb", buffering=0) as pipe, os.fdopen(target, "wb", 0) as out:
        pending = b""
        while chunk := pipe.read(65536):
            *lines, pending = (pending + chunk).split(b"\n")
            _write_kept(out, lines)
        if pending:
            _write_kept(out, [pending])


def _write_kept(out, lines: list[bytes]) -> None:
    kept = [line + b"\n" for line in lines if not is_native_notice(line)]
    if kept:
        out.write(b"".join(kept))


def keras_module():
    """Import Keras once, after quietening TensorFlow; returns the module."""
    global _ready
    with _lock:
        if not _ready:
            # A user who set the level wants those logs: keep their choice and show them.
            user_chose = "TF_CPP_MIN_LOG_LEVEL" in os.environ
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            with _filtered_native_stderr(not user_chose):
                import keras

                from desktop_app.ml.devices import configure_devices

                configure_devices()
            # Retracing notices name internals a user cannot act on.
            logging.getLogger("tensorflow").setLevel(logging.ERROR)
            _ready = True
    import keras

    return keras


def backend_name() -> str:
    return keras_module().backend.backend()
