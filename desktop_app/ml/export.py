"""Exporting a saved model: a `.keras` copy, a TensorFlow SavedModel, or a TFLite flatbuffer.

SavedModel and TFLite are TensorFlow formats: they need the TensorFlow backend, and say so otherwise.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from desktop_app.core.errors import StudioError
from desktop_app.core.progress import Progress, ProgressCallback, emit

FORMATS = ("keras", "savedmodel", "tflite")


def export_model(
    model_path: Path, fmt: str, out: Path, progress: ProgressCallback | None = None
) -> Path:
    """Writes the model at `model_path` to `out` in `fmt`; returns `out`."""
    from desktop_app.ml.predict import Predictor, sidecar_for
    from desktop_app.ml.runtime import backend_name

    model_path, out = Path(model_path), Path(out)
    if fmt not in FORMATS:
        raise StudioError(f"Unknown format {fmt!r}; use one of: {', '.join(FORMATS)}.")
    if fmt != "keras" and backend_name() != "tensorflow":
        raise StudioError(
            f"Exporting to {fmt} needs the TensorFlow backend (KERAS_BACKEND=tensorflow);"
            f" this run uses {backend_name()}."
        )
    predictor = Predictor(model_path)  # refuses unsafe files before anything is written
    emit(progress, Progress("exporting", 0, 1, message=fmt))  # after: a refusal is its only line
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "keras":
        if out.suffix != ".keras":
            raise StudioError("A Keras export's file name must end in .keras.")
        if out.resolve() != model_path.resolve():
            shutil.copyfile(model_path, out)
        _write_sidecar(sidecar_for(model_path), out.with_suffix(".json"))
    elif fmt == "savedmodel":
        _replace_dir(
            out,
            lambda tmp: predictor.model.export(str(tmp), format="tf_saved_model", verbose=False),
        )
    else:
        _export_tflite(predictor.model, out)
    emit(progress, Progress("exporting", 1, 1, message=str(out)))
    return out


def _write_sidecar(info: dict, path: Path) -> None:
    if info:
        from desktop_app.ml.runs import write_json_atomic

        write_json_atomic(path, info)


def _replace_dir(out: Path, write) -> None:
    """Writes a folder next to `out`, then swaps it in: a failed export leaves nothing half-made."""
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".export-") as scratch:
        tmp = Path(scratch) / "model"
        write(tmp)
        if out.exists():
            shutil.rmtree(out) if out.is_dir() else out.unlink()
        tmp.rename(out)


def _export_tflite(model, out: Path) -> None:
    import tensorflow as tf  # TFLite conversion is TensorFlow's own tool

    with tempfile.TemporaryDirectory(prefix="hotdog-tflite-") as scratch:
        saved = Path(scratch) / "saved"
        model.export(str(saved), format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(str(saved))
        flatbuffer = converter.convert()
    tmp = out.with_name(out.name + ".partial")
    tmp.write_bytes(flatbuffer)
    tmp.replace(out)
