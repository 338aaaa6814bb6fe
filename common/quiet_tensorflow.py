"""TensorFlow, loaded once without its start-up chatter. A script imports this before keras:

    from common.quiet_tensorflow import SETUP  # first: TensorFlow loads here, quietly
    import keras

TensorFlow's C++ side writes lines such as "Could not find cuda drivers" to stderr while it
loads, whatever TF_CPP_MIN_LOG_LEVEL says; a learner's terminal, and an error line for bad
input, should not start with them. Python's own errors still show.
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def native_stderr_hidden():
    """Hide what C++ code writes to stderr (file descriptor 2) inside the block."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow: warnings and errors only
with native_stderr_hidden():
    import keras
    import tensorflow as tf

    DEVICE = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"

# What a run says it runs on, in its first line.
SETUP = f"TensorFlow {tf.__version__}, Keras {keras.__version__}, on the {DEVICE}"
