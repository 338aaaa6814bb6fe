"""TensorFlow, loaded once without its start-up chatter. A script imports this before keras:

    from common.quiet_tensorflow import SETUP  # first: TensorFlow loads here, quietly
    import keras

TensorFlow's C++ side writes lines such as "Could not find cuda drivers" to stderr while it
loads, whatever TF_CPP_MIN_LOG_LEVEL says; a learner's terminal, and an error line for bad
input, should not start with them. Python's own errors still show.
"""

import contextlib
import os
import shutil
import subprocess
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


def device(found: str, platform: str = sys.platform) -> str:
    """Where a run runs, said in its first line: `found` ("GPU" or "CPU", TensorFlow's word),
    and when an NVIDIA GPU is here (nvidia-smi lists it) that TensorFlow cannot use, the fix
    for the `platform`: the start-up lines that would say so are hidden above."""
    smi = shutil.which("nvidia-smi")
    try:  # a driver that sees a GPU lists it, exit status 0
        unused = found == "CPU" and smi is not None and subprocess.run(
            [smi, "-L"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):  # a driver that hangs or cannot start
        unused = False
    fix = ("native Windows has had no TensorFlow GPU build since 2.10: run it in WSL2"
           if platform == "win32" else 'pip install "tensorflow[and-cuda]" brings its CUDA')
    return (f"on the CPU, though nvidia-smi sees an NVIDIA GPU this TensorFlow cannot use: "
            f"{fix}") if unused else f"on the {found}"


# What a run says it runs on, in its first line.
SETUP = f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {device(DEVICE)}"
