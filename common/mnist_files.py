"""The digits gan_mnist.py learns: full MNIST, the bundled sample, or an .npz like MNIST's,
read and checked (numpy only, so --data is checked before TensorFlow loads)."""

import os

import numpy as np

from common.errors import BadInput

BUNDLED_SAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "data", "mnist_5k.npz")


def read(path: str):
    """The (images, digits) of --data, or None when it is empty; BadInput if it is bad."""
    try:
        return load_npz(path) if path else None
    except ValueError as e:
        raise BadInput(f"--data: {e}")


def load_npz(path: str) -> tuple:
    """x_train (n, 28, 28) uint8 and y_train (n,) digits 0-9 from an MNIST-style .npz.

    Raises ValueError with a sentence that says what is wrong with the file.
    """
    if not os.path.exists(path):
        raise ValueError(f"{path} does not exist")
    if os.path.isdir(path):
        raise ValueError(f"{path} is a folder, not an .npz file")
    try:
        loaded = np.load(path, allow_pickle=False)  # never unpickle: a file may carry code
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("it holds one array, not named arrays")
        with loaded:
            names = loaded.files
            arrays = {k: loaded[k] for k in ("x_train", "y_train") if k in names}
    except Exception as e:  # truncated, not a zip, pickled objects: numpy raises many kinds
        reason = (str(e).splitlines() or [type(e).__name__])[0]
        raise ValueError(f"{path} is not a readable .npz file ({reason})")
    if len(arrays) < 2:
        raise ValueError(f"{path} has no x_train and y_train arrays "
                         f"(it has: {', '.join(names) or 'nothing'})")
    x, y = arrays["x_train"], arrays["y_train"]
    if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) < 2:
        raise ValueError(f"x_train in {path} must have shape (n, 28, 28), got {x.shape}")
    if x.dtype != np.uint8:
        raise ValueError(f"x_train in {path} must be uint8 pixels 0-255, got {x.dtype}")
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or \
            y.min() < 0 or y.max() > 9:
        raise ValueError(f"y_train in {path} must be {len(x)} digits 0-9, "
                         f"got shape {y.shape} and dtype {y.dtype}")
    return x, y


def held_out_size(n_images: int) -> int:
    """How many images of an .npz are held out for the metrics: a fixed 10 %."""
    return n_images // 10


def load_digits(data) -> tuple:
    """x, y, x_held, y_held (uint8 images, digits) and a phrase saying where they came from.

    `data` is the (x, y) of --data, or None: then full MNIST (downloaded once by Keras,
    cached under ~/.keras/datasets), or the bundled 5,000-image sample when it cannot be
    downloaded. Full MNIST holds out its test set; an .npz holds out a fixed 10 %.
    """
    source = "the --data file"
    if data is None:
        import keras  # here, not above: the checks of --data run before TensorFlow loads
        try:
            (x, y), (x_held, y_held) = keras.datasets.mnist.load_data()
            return x, y, x_held, y_held, "MNIST (60,000 training images; 10,000 held out)"
        except Exception as e:  # no network, a proxy, a broken cache: all mean the same here
            reason = (str(e).splitlines() or [type(e).__name__])[0][-80:]
            print(f"warning: could not get full MNIST (...{reason}); using the bundled "
                  f"5,000-image sample. For the full set run once with internet access, or "
                  f"pass --data PATH to an mnist.npz.", flush=True)
            data, source = load_npz(BUNDLED_SAMPLE), "the bundled 5,000-image MNIST sample"
    x, y = data
    order = np.random.default_rng(0).permutation(len(x))  # fixed: independent of SEED
    held, train = np.split(order, [held_out_size(len(x))])
    return x[train], y[train], x[held], y[held], source
