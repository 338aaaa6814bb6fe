"""TensorBoard logs with tf.summary, part of TensorFlow: the scripts need nothing more.

`tf.summary.scalar` and `tf.summary.image` live in the `tensorboard` package, which
TensorFlow 2.21 does not install (TBNotInstalledError). `tf.summary.write` is TensorFlow's
own: each record gets the metadata TensorBoard's dashboards look for, as those would write
it. Only the viewer needs `pip install tensorboard`.
"""

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2

_SCALAR = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
    data_class=summary_pb2.DATA_CLASS_SCALAR)
_TEXT = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="text"),
    data_class=summary_pb2.DATA_CLASS_TENSOR)
_IMAGE = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="images"),
    data_class=summary_pb2.DATA_CLASS_BLOB_SEQUENCE)


def writer(folder: str):
    """A writer of event files in `folder` (`tensorboard --logdir` a parent of it)."""
    return tf.summary.create_file_writer(folder)


def log_scalars(writer, step: int, values: dict, prefix: str = "") -> None:
    """One scalar per number in `values` (tags like 'loss/d' or 'eval/score')."""
    with writer.as_default():
        for name, value in values.items():
            if isinstance(value, (int, float, np.floating)) and not isinstance(value, bool):
                tf.summary.write(prefix + name, tf.constant(float(value), tf.float32),
                                 step=step, metadata=_SCALAR)


def log_png(writer, step: int, tag: str, png_path: str) -> None:
    """A PNG the run has just written (a scatter plot, a digit grid) as an image summary."""
    with open(png_path, "rb") as f:
        png = f.read()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    with writer.as_default():
        tf.summary.write(tag, tf.constant([str(width), str(height), png]), step=step,
                         metadata=_IMAGE)


def log_text(writer, step: int, tag: str, text: str) -> None:
    """A line of text (a run's warnings) for TensorBoard's text dashboard."""
    with writer.as_default():
        tf.summary.write(tag, tf.constant(text), step=step, metadata=_TEXT)
