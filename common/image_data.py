"""The images gan_mnist.py learns, from what --data names: nothing (full MNIST, or the bundled
sample offline), a Keras dataset's name, an .npz, or a folder of images. Files and folders
are read and checked with numpy and Pillow only, so --data is checked before TensorFlow loads.
"""

import os

import numpy as np
from PIL import Image

from common.errors import BadInput

BUNDLED_SAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "data", "mnist_5k.npz")
# The 28x28 grayscale sets keras.datasets downloads (once, into ~/.keras/datasets).
KERAS_DATASETS = ("mnist", "fashion_mnist")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def read(data: str):
    """What --data names: None when it is empty; a Keras dataset's name as it is (downloaded
    by load_images, once TensorFlow has loaded); else the (images, labels) of a file or
    folder, labels None for an unlabelled set. BadInput, naming the file or folder, if it
    cannot be used."""
    if not data:
        return None
    if data in KERAS_DATASETS and not os.path.exists(data):
        return data
    try:
        if os.path.isdir(data):
            return load_folder(data)
        if os.path.exists(data):
            return load_npz(data)
    except ValueError as e:
        raise BadInput(f"--data: {e}")
    raise BadInput(f"--data: {data} does not exist, nor is it a Keras dataset "
                   f"({', '.join(KERAS_DATASETS)})")


def load_npz(path: str) -> tuple:
    """x (n, 28, 28) uint8 and y (n,) labels 0-9, or None, from an .npz: MNIST's layout
    (x_train, y_train), x_train alone, or a single array of images (unlabelled).

    Raises ValueError with a sentence that says what is wrong with the file.
    """
    try:
        loaded = np.load(path, allow_pickle=False)  # never unpickle: a file may carry code
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("it is not an .npz archive")
        with loaded:
            names = loaded.files
            arrays = {k: loaded[k] for k in names if k in ("x_train", "y_train")
                      or len(names) == 1}
    except Exception as e:  # truncated, not a zip, pickled objects: numpy raises many kinds
        reason = (str(e).splitlines() or [type(e).__name__])[0]
        raise ValueError(f"{path} is not a readable .npz file ({reason})")
    if "x_train" not in arrays and len(arrays) != 1:
        raise ValueError(f"{path} has no x_train array, nor a single array of images "
                         f"(it has: {', '.join(names) or 'nothing'})")
    name = "x_train" if "x_train" in arrays else names[0]
    x, y = arrays[name], arrays.get("y_train")
    if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) < 2:
        raise ValueError(f"{name} in {path} must have shape (n, 28, 28), got {x.shape}")
    if x.dtype != np.uint8:
        raise ValueError(f"{name} in {path} must be uint8 pixels 0-255, got {x.dtype}")
    if y is not None and (y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or
                          y.min() < 0 or y.max() > 9):
        raise ValueError(f"y_train in {path} must be {len(x)} digits 0-9, "
                         f"got shape {y.shape} and dtype {y.dtype}")
    return x, y


def load_folder(path: str) -> tuple:
    """The images directly inside a folder, as one unlabelled set: (x, None). Each image
    becomes 28x28 grayscale (see to_28x28). A file that cannot be read is skipped with a
    warning naming it. Raises ValueError for a folder without images, or with class folders
    (not read yet: put the images directly in the folder)."""
    entries = sorted(os.scandir(path), key=lambda e: e.name)
    if any(e.is_dir() for e in entries):
        raise ValueError(f"{path} holds folders; class folders are not read yet: put the "
                         f"images directly in {path} (one unlabelled set)")
    files = [e.path for e in entries
             if e.is_file() and os.path.splitext(e.name)[1].lower() in IMAGE_SUFFIXES]
    if not files:
        raise ValueError(f"{path} has no images ({', '.join(IMAGE_SUFFIXES)})")
    images, skipped = [], []
    for file in files:
        try:
            images.append(to_28x28(file))
        except Exception as e:  # not an image, truncated, an odd mode: Pillow raises many kinds
            skipped.append(f"{file} ({(str(e).splitlines() or [type(e).__name__])[0]})")
    if not images:
        raise ValueError(f"{path} has no readable image; e.g. {skipped[0]}")
    if skipped:
        print(f"warning: skipped {len(skipped)} unreadable file(s) in {path}: "
              f"{'; '.join(skipped[:3])}{' ...' if len(skipped) > 3 else ''}", flush=True)
    if len(images) < 2:
        raise ValueError(f"{path} has only one readable image")
    return np.stack(images), None


def to_28x28(path: str) -> np.ndarray:
    """An image file as 28x28 uint8 grayscale: the first frame of a GIF, colour to gray,
    padded to a square with its own background (the median of its border pixels, so a dark
    digit on white paper gets white margins and MNIST's light-on-dark gets dark ones), then
    shrunk (or grown) to 28x28. The aspect ratio is kept."""
    with Image.open(path) as image:
        gray = np.asarray(image.convert("L"))  # a GIF opens at its first frame
    height, width = gray.shape
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    side = max(height, width)
    square = np.full((side, side), np.median(border), dtype=np.uint8)
    top, left = (side - height) // 2, (side - width) // 2
    square[top:top + height, left:left + width] = gray
    resample = Image.Resampling.BOX if side >= 28 else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(square).resize((28, 28), resample))


def held_out_size(n_images: int) -> int:
    """How many images of a file or folder are held out for the metrics: a fixed 10 %."""
    return n_images // 10


def load_images(data) -> tuple:
    """x, y, x_held, y_held (uint8 images; labels, or None for an unlabelled set) and a
    phrase saying where they came from.

    `data` is what read() returned. None: full MNIST (downloaded once by Keras, cached under
    ~/.keras/datasets), or the bundled 5,000-image sample when it cannot be downloaded. A
    Keras dataset's name: that set, or BadInput when it can be neither downloaded nor found
    in the cache. Keras' sets hold out their test set; a file or folder a fixed 10 %.
    """
    if data is None or isinstance(data, str):
        import keras  # here, not above: the checks of --data run before TensorFlow loads
        name = data or "mnist"
        try:
            (x, y), (x_held, y_held) = getattr(keras.datasets, name).load_data()
            return x, y, x_held, y_held, (f"{name} ({len(x):,} training images; "
                                          f"{len(x_held):,} held out)")
        except Exception as e:  # no network, a proxy, a broken cache: all mean the same here
            reason = (str(e).splitlines() or [type(e).__name__])[0][-80:]
            if data:
                raise BadInput(f"--data {name}: cannot download it (...{reason}) and it is "
                               f"not in Keras' cache; run once online, or pass --data PATH "
                               f"to an .npz or a folder of images")
            print(f"warning: could not get full MNIST (...{reason}); using the bundled "
                  f"5,000-image sample. For the full set run once with internet access, or "
                  f"pass --data PATH to an mnist.npz.", flush=True)
            return load_images(load_npz(BUNDLED_SAMPLE))[:4] + (
                "the bundled 5,000-image MNIST sample",)
    x, y = data
    order = np.random.default_rng(0).permutation(len(x))  # fixed: independent of SEED
    held, train = np.split(order, [held_out_size(len(x))])
    labels = (None, None) if y is None else (y[train], y[held])
    return x[train], labels[0], x[held], labels[1], "the --data images"
