"""TensorBoard logs with tf.summary, part of TensorFlow: the scripts need nothing more.

`tf.summary.scalar` and `tf.summary.image` live in the `tensorboard` package, which
TensorFlow 2.21 does not install (they raise TBNotInstalledError). `tf.summary.write` is
TensorFlow's own, so we write with it, tagging each record with the metadata TensorBoard's
scalar and image dashboards look for (what tf.summary.scalar/image would write). Only the
viewer needs `pip install tensorboard`.

The training loop opens a writer on `<output-dir>/tensorboard/` and makes it the default, so
anything called inside the loop (the scripts' summarize_performance) logs to it with the
functions here; with logging off there is no default writer and these calls do nothing.
"""

import os
from typing import Optional

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2

_SCALAR = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
    data_class=summary_pb2.DATA_CLASS_SCALAR)
_IMAGE = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="images"),
    data_class=summary_pb2.DATA_CLASS_BLOB_SEQUENCE)


def log_dir(output_dir: str, on: bool) -> Optional[str]:
    """Where a run's TensorBoard logs go (`tensorboard --logdir` it), or None when off."""
    return os.path.join(output_dir, "tensorboard") if on else None


def log_scalars(step: int, values: dict, prefix: str = "") -> None:
    """One scalar per number in `values` (tags like 'loss/d' or 'eval/score')."""
    for name, value in values.items():
        if isinstance(value, (int, float, np.floating)) and not isinstance(value, bool):
            tf.summary.write(prefix + name, tf.constant(float(value), tf.float32), step=step,
                             metadata=_SCALAR)


def log_png(step: int, tag: str, png_path: str) -> None:
    """A PNG the run has just written (a scatter plot, a digit grid) as an image summary."""
    if tf.summary.should_record_summaries():  # no default writer: do not even read the file
        with open(png_path, "rb") as f:
            png = f.read()
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        tf.summary.write(tag, tf.constant([str(width), str(height), png]), step=step,
                         metadata=_IMAGE)
