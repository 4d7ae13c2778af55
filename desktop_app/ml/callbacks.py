"""Keras callbacks that turn fit()'s logs into Progress events, record curves, and honour Stop."""

from __future__ import annotations

from desktop_app.core.progress import CancelToken, EtaClock, Progress, ProgressCallback, emit
from desktop_app.ml.runtime import keras_module
from desktop_app.ml.weight_history import WeightHistory

keras = keras_module()


class Curves:
    """Per-epoch loss/accuracy (training and validation) and per-batch loss, across fit() calls."""

    def __init__(self) -> None:
        self.epochs: dict[str, list[float]] = {
            "loss": [],
            "accuracy": [],
            "val_loss": [],
            "val_accuracy": [],
        }
        self.batch_loss: list[float] = []
        self.weights = WeightHistory()  # filled by weight_history.recorder; not in as_dict()
        self.map = None  # fine-tune mode's ml.map_history.MapHistory; not in as_dict()

    def as_dict(self) -> dict:
        return {**self.epochs, "batch_loss": self.batch_loss}


class ProgressReporter(keras.callbacks.Callback):
    """Emits kind="batch" and kind="epoch" events, numbering epochs after `epoch_offset`."""

    def __init__(
        self,
        progress: ProgressCallback | None,
        curves: Curves,
        steps_per_epoch: int,
        epochs: int,
        epoch_offset: int = 0,
        total_epochs: int | None = None,
        phase: str = "fitting",
    ) -> None:
        super().__init__()
        self.progress = progress
        self.curves = curves
        self.steps = max(1, steps_per_epoch)
        self.epochs = epochs
        self.offset = epoch_offset
        self.total_epochs = total_epochs or epochs
        self.phase = phase
        self.clock = EtaClock()
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        loss = float(logs.get("loss", float("nan")))
        self.curves.batch_loss.append(loss)
        # With steps_per_execution, Keras reports the last step the call could have run
        # (255 for the head's whole-epoch calls) even when the epoch has only a few steps.
        batch = min(batch, self.steps - 1)
        step = (self.epoch + self.offset) * self.steps + batch + 1
        total = self.total_epochs * self.steps
        emit(
            self.progress,
            Progress(
                self.phase,
                step,
                total,
                kind="batch",
                eta_s=self.clock.eta(
                    step - self.offset * self.steps, total - self.offset * self.steps
                ),
                logs={
                    "epoch": self.epoch + self.offset,
                    "batch": batch,
                    "steps": self.steps,  # per epoch: a plot places the batch inside its epoch
                    "loss": loss,
                    "accuracy": float(logs.get("accuracy", float("nan"))),
                },
            ),
        )

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        values = {key: float(logs.get(key, float("nan"))) for key in self.curves.epochs}
        for key, value in values.items():
            self.curves.epochs[key].append(value)
        done = epoch + self.offset + 1
        emit(
            self.progress,
            Progress(
                self.phase,
                done,
                self.total_epochs,
                kind="epoch",
                eta_s=self.clock.eta(epoch + 1, self.total_epochs - self.offset),
                logs={"epoch": epoch + self.offset, **values},
                weights=self.curves.weights.take_new(),  # the recorder runs before this callback
            ),
        )


class FeatureValidation(keras.callbacks.Callback):
    """val_loss and val_accuracy of a model on arrays held in memory, put into each epoch's logs
    for the callbacks after it (early stopping, the curves): a few eager calls an epoch instead
    of fit()'s evaluate, whose iterator and steps cost ~50 ms an epoch for a few hundred cached
    features, most of a small head's epoch. The same loss as evaluate: the compiled loss plus
    the regularisation losses. For one-hot targets (the head's label smoothing needs them)."""

    CHUNK = 4096  # rows a call: memory stays small for a big validation set

    def __init__(self, x, y) -> None:
        super().__init__()
        self.x, self.y = x, y

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or not len(self.x):
            return
        ops = keras.ops
        loss, right = 0.0, 0
        for start in range(0, len(self.x), self.CHUNK):
            x, y = self.x[start : start + self.CHUNK], self.y[start : start + self.CHUNK]
            probabilities = self.model(x, training=False)
            loss += float(ops.convert_to_numpy(self.model.loss(y, probabilities))) * len(x)
            right += int((ops.convert_to_numpy(ops.argmax(probabilities, 1)) == y.argmax(1)).sum())
        penalty = sum(float(ops.convert_to_numpy(term)) for term in self.model.losses)
        logs["val_loss"] = loss / len(self.x) + penalty
        logs["val_accuracy"] = right / len(self.x)


class StopOnCancel(keras.callbacks.Callback):
    """Stop: asks Keras to end after this batch (it still runs the epoch's validation pass)."""

    def __init__(self, cancel: CancelToken | None) -> None:
        super().__init__()
        self.cancel = cancel
        self.stopped = False

    def _check(self) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            self.model.stop_training = True
            self.stopped = True

    def on_train_batch_end(self, batch, logs=None):
        self._check()

    def on_epoch_end(self, epoch, logs=None):
        self._check()
