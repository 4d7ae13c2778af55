"""Keras: backbones and weights, feature cache, training, prediction, export, devices. No Qt.

Imported lazily: nothing here may be imported at start-up, so the window opens before TensorFlow.
"""
