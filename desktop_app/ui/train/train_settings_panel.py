"""The training settings a user can change, with defaults that work and tooltips that say why."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)

MODES = [
    (
        "fast",
        "Fast (frozen backbone)",
        "Runs the pretrained backbone once per photo and trains a small head on the result.\n"
        "Retraining after a few new labels takes seconds. The right choice almost always.",
    ),
    (
        "finetune",
        "Fine-tune (slower, end to end)",
        "Also trains the top of the backbone, with augmentation (flip, rotation, zoom, contrast)\n"
        "and a lower learning rate. Slower; can help when fast mode plateaus.",
    ),
]


def _backbone_choices() -> tuple[list[tuple[str, str]], str]:
    """(name, title) of every registered backbone, and the default. Cheap: no Keras import."""
    from desktop_app.ml.backbones import BACKBONES, DEFAULT_BACKBONE

    return [(name, spec.title) for name, spec in BACKBONES.items()], DEFAULT_BACKBONE


class TrainSettingsPanel(QWidget):
    """A form of training settings; `values()` gives keyword arguments for TrainSettings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)

        self.backbone = QComboBox()
        self.backbone.setToolTip(
            "The pretrained network that turns a photo into features.\n"
            "Smaller ones train and predict faster; larger ones can be a little more accurate.\n"
            "The small CNN needs no downloaded weights but many more photos."
        )
        choices, default = _backbone_choices()
        for name, title in choices:
            self.backbone.addItem(title, name)
        self.backbone.setCurrentIndex(max(0, self.backbone.findData(default)))
        self._default_backbone = default

        self.mode = QComboBox()
        for name, title, tip in MODES:
            self.mode.addItem(title, name)
            self.mode.setItemData(self.mode.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.mode.setToolTip("\n\n".join(f"{title}: {tip}" for _, title, tip in MODES))

        self.epochs = QSpinBox()
        self.epochs.setRange(1, 500)
        self.epochs.setValue(30)
        self.epochs.setToolTip(
            "How many times training goes over every photo. Training stops early when the\n"
            "validation loss stops improving, and keeps the best epoch, so a generous number is fine."
        )

        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 1024)
        self.batch_size.setValue(32)
        self.batch_size.setToolTip(
            "Photos per training step. Larger batches are faster on a GPU and use more memory;\n"
            "32 suits most machines."
        )

        self.learning_rate = QDoubleSpinBox()
        self.learning_rate.setDecimals(5)
        self.learning_rate.setRange(0.00001, 1.0)
        self.learning_rate.setSingleStep(0.0001)
        self.learning_rate.setValue(0.001)
        self.learning_rate.setToolTip(
            "How big each training step is. Too high and the loss jumps around; too low and\n"
            "it falls slowly. 0.001 suits fast mode; fine-tuning divides it by ten by itself."
        )

        self.val_share = QSpinBox()
        self.val_share.setRange(5, 50)
        self.val_share.setSuffix(" %")
        self.val_share.setValue(20)
        self.val_share.setToolTip(
            "The share of labeled photos kept aside to check the model on photos it never\n"
            "trained on. The split is fixed by each photo's content, so it stays the same\n"
            "from run to run and results can be compared."
        )

        form.addRow("Backbone", self.backbone)
        form.addRow("Mode", self.mode)
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Validation", self.val_share)

    def values(self) -> dict[str, Any]:
        """Keyword arguments for ml.training.TrainSettings."""
        return {
            "backbone": self.backbone.currentData() or self._default_backbone,
            "mode": self.mode.currentData(),
            "epochs": self.epochs.value(),
            "batch_size": self.batch_size.value(),
            "learning_rate": self.learning_rate.value(),
            "val_share": self.val_share.value() / 100.0,
        }

    def select_backbone(self, name: str) -> None:
        index = self.backbone.findData(name)
        if index >= 0:
            self.backbone.setCurrentIndex(index)

    def select_mode(self, name: str) -> None:
        index = self.mode.findData(name)
        if index >= 0:
            self.mode.setCurrentIndex(index)
