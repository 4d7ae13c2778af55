"""Section 1: the model drawn from the Keras model itself, blocks and neurons, click for what each
computes. Frozen parts are grey; what trains on the user's photos is in colour."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

FROZEN = QColor("#7a7a7a")
TRAINED = QColor("#2e7bd6")


def params_text(count: int) -> str:
    return f"{count:,}".replace(",", " ")


class ModelDiagram(QWidget):
    part_chosen = Signal(str)  # the part's name

    def __init__(self) -> None:
        super().__init__()
        self.title = QLabel("No model yet: train one in the Train view.")
        self.title.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Part", "Output", "Parameters"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.itemSelectionChanged.connect(self._chosen)
        self.detail = QLabel("Click a block or a layer to see what it computes.")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setMinimumHeight(90)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.detail)
        self.parts: dict[str, object] = {}

    def show_anatomy(self, anatomy) -> None:
        self.tree.clear()
        self.parts = {}
        if anatomy is None:
            self.title.setText("No model yet: train one in the Train view.")
            return
        total = anatomy.total_params()
        trained = sum(p.trainable_params for p in anatomy.parts)
        self.title.setText(
            f"<b>{anatomy.backbone}</b> at {anatomy.input_size} px: {params_text(total)} parameters,"
            f" {params_text(trained)} of them learned from your photos"
        )
        groups = [
            ("Backbone: the pretrained feature extractor", anatomy.backbone_parts),
            ("Head: the neurons trained on your photos", anatomy.head_parts),
        ]
        for title, parts in groups:
            top = QTreeWidgetItem([f"{title} ({params_text(sum(p.params for p in parts))})"])
            self.tree.addTopLevelItem(top)
            top.setFirstColumnSpanned(True)  # a heading: its long text does not widen column 0
            for part in parts:
                item = QTreeWidgetItem([_row_name(part), part.output, _row_params(part)])
                colour = TRAINED if part.trainable_params else FROZEN
                item.setForeground(0, QBrush(colour))
                item.setData(0, Qt.ItemDataRole.UserRole, part.name)
                top.addChild(item)
                self.parts[part.name] = part
            top.setExpanded(True)
        for column in range(3):
            self.tree.resizeColumnToContents(column)

    def _chosen(self) -> None:
        items = self.tree.selectedItems()
        name = items[0].data(0, Qt.ItemDataRole.UserRole) if items else None
        part = self.parts.get(name)
        if part is None:
            return
        state = (
            "frozen: kept as ImageNet taught it"
            if not part.trainable_params
            else f"{params_text(part.trainable_params)} parameters trained here"
        )
        neurons = (
            f" {part.units} neurons: {params_text(part.weights)} weights and {part.biases} biases."
            if part.units
            else ""
        )
        layers = ", ".join(part.layers[:12]) + (" …" if len(part.layers) > 12 else "")
        self.detail.setText(
            f"<b>{part.name}</b> ({state}).{neurons}<br>{part.computes}<br>"
            f"<span style='color:#777'>Keras layers: {layers}</span>"
        )
        self.part_chosen.emit(name)


def _row_name(part) -> str:
    return f"{part.name}  ({part.units} neurons)" if part.units else part.name


def _row_params(part) -> str:
    if part.units:
        return f"{params_text(part.weights)} w + {part.biases} b"
    return params_text(part.params)
