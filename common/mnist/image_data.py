"""The images gan_mnist.py learns, from what --data names: nothing (full MNIST, or the bundled
sample offline), a Keras dataset's name, an .npz, or a folder of images, all read and checked
(load_for_training) before a run's folder is made.
"""

import collections
import os

import keras
import numpy as np
from PIL import Image

from common import cli
from common.errors import BadInput

BUNDLED_SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "data", "mnist_5k.npz")
# The 28x28 grayscale sets keras.datasets downloads (once, into ~/.keras/datasets).
KERAS_DATASETS = ("mnist", "fashion_mnist")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
CLASS_NAMES = {"mnist": [str(k) for k in range(10)],
               "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                 "Shirt", "Sneaker", "Bag", "Ankle boot"]}
MAX_CLASSES = 100
# A run's images, split once: x to train on and x_held, held out for the metrics, their labels
# and class names (None: unlabelled), and a phrase saying where they came from.
Images = collections.namedtuple("Images", "x y x_held y_held classes source")


def check_exists(data: str) -> None:
    """Raise BadInput unless --data is empty, a Keras dataset's name or an existing path."""
    if data and not os.path.exists(data) and data not in KERAS_DATASETS:
        raise BadInput(f"--data: {data} does not exist, nor is it a Keras dataset "
                       f"({', '.join(KERAS_DATASETS)})")


def read(data: str):
    """What --data names: None when it is empty; a Keras dataset's name as it is (downloaded
    by load_images); else the (images, labels, class names) of a file or folder, labels and
    names None for an unlabelled set. BadInput, naming the file or folder, if it cannot be
    used."""
    check_exists(data)
    if not data or (data in KERAS_DATASETS and not os.path.exists(data)):
        return data or None
    try:
        if os.path.isdir(data):
            return load_folder(data)
        x, y = load_npz(data)
        return x, y, None if y is None else [str(k) for k in range(y.max() + 1)]
    except ValueError as e:
        raise BadInput(f"--data: {e}")


def load_npz(path: str) -> tuple:
    """x (n, 28, 28) uint8 and y (n,) class numbers (0-9 for digits; at most 0-99), or None,
    from an .npz: MNIST's layout (x_train, y_train), x_train alone, or a single array of
    images (unlabelled).

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
                          y.min() < 0 or y.max() >= MAX_CLASSES):
        raise ValueError(f"y_train in {path} must be {len(x)} class numbers 0 to "
                         f"{MAX_CLASSES - 1}, got shape {y.shape} and dtype {y.dtype}")
    return x, y


def load_folder(path: str) -> tuple:
    """(images, labels, class names) from a folder. With subfolders, each is a class, named
    by the subfolder, as in keras.utils.image_dataset_from_directory: its images, sorted by
    name, get its index. Without, the images directly inside are one unlabelled set (labels
    and names None). Each image becomes 28x28 grayscale (to_28x28); a file that cannot be
    read is skipped with a warning naming it. Raises ValueError, naming the folder, for a
    folder without images, a class folder without any, or more than MAX_CLASSES classes."""
    entries = sorted(os.scandir(path), key=lambda e: e.name)
    classes = [e for e in entries if e.is_dir()]
    if len(classes) > MAX_CLASSES:
        raise ValueError(f"{path} has {len(classes)} class folders; at most {MAX_CLASSES}")
    skipped = []
    if not classes:
        images = read_images(path, skipped)
        labels = names = None
    else:
        if any(image_files(path)):
            print(f"warning: the images directly in {path} are not read: with class folders, "
                  f"every image goes in its class's folder", flush=True)
        per_class = [read_images(folder.path, skipped) for folder in classes]
        empty = [folder.path for folder, found in zip(classes, per_class) if not found]
        if empty:
            raise ValueError(f"class folder {empty[0]} has no readable image; e.g. "
                             f"{skipped[0]}")
        images = [image for found in per_class for image in found]
        labels = np.repeat(np.arange(len(classes)), [len(found) for found in per_class])
        names = [folder.name for folder in classes]
    if skipped:
        print(f"warning: skipped {len(skipped)} unreadable file(s) in {path}: "
              f"{'; '.join(skipped[:3])}{' ...' if len(skipped) > 3 else ''}", flush=True)
    if not images:
        raise ValueError(f"{path} has no readable image; e.g. {skipped[0]}")
    if len(images) < 2:
        raise ValueError(f"{path} has only one readable image")
    return np.stack(images), labels, names


def image_files(folder: str) -> list:
    """The image files directly inside a folder, by name."""
    return sorted(e.path for e in os.scandir(folder)
                  if e.is_file() and os.path.splitext(e.name)[1].lower() in IMAGE_SUFFIXES)


def read_images(folder: str, skipped: list) -> list:
    """The folder's images as 28x28 arrays; each file that cannot be read goes to `skipped`
    with the reason. ValueError when the folder has no image files at all."""
    files = image_files(folder)
    if not files:
        raise ValueError(f"{folder} has no images ({', '.join(IMAGE_SUFFIXES)})")
    images = []
    for file in files:
        try:
            images.append(to_28x28(file))
        except Exception as e:  # not an image, truncated, an odd mode: Pillow raises many kinds
            skipped.append(f"{file} ({(str(e).splitlines() or [type(e).__name__])[0]})")
    return images


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


def load_images(data) -> Images:
    """The Images (uint8) of what read() returned.

    `data` is what read() returned. None: full MNIST (downloaded once by Keras, cached under
    ~/.keras/datasets), or the bundled 5,000-image sample when it cannot be downloaded. A
    Keras dataset's name: that set, or BadInput when it can be neither downloaded nor found
    in the cache. Keras' sets hold out their test set; a file or folder a fixed 10 %.
    """
    if data is None or isinstance(data, str):
        name = data or "mnist"
        try:
            (x, y), (x_held, y_held) = getattr(keras.datasets, name).load_data()
            return Images(x, y, x_held, y_held, CLASS_NAMES[name],
                          f"{name} ({len(x):,} training images; {len(x_held):,} held out)")
        except Exception as e:  # no network, a proxy, a broken cache: all mean the same here
            reason = (str(e).splitlines() or [type(e).__name__])[0][-80:]
            if data:
                raise BadInput(f"--data {name}: cannot download it (...{reason}) and it is "
                               f"not in Keras' cache; run once online, or pass --data PATH "
                               f"to an .npz or a folder of images")
            print(f"warning: could not get full MNIST (...{reason}); using the bundled "
                  f"5,000-image sample. For the full set run once with internet access, or "
                  f"pass --data PATH to an mnist.npz.", flush=True)
            return load_images((*load_npz(BUNDLED_SAMPLE), CLASS_NAMES["mnist"]))._replace(
                source="the bundled 5,000-image MNIST sample")
    x, y, names = data
    order = np.random.default_rng(0).permutation(len(x))  # fixed: independent of SEED
    held, train = np.split(order, [len(x) // 10])  # 10 % held out for the metrics
    labels = (None, None) if y is None else (y[train], y[held])
    return Images(x[train], labels[0], x[held], labels[1], names, "the --data images")


def scale(x: np.ndarray) -> np.ndarray:
    """uint8 pixels 0-255 -> float32 in [0, 1] with a channel axis, as the models expect."""
    return (x.astype(np.float32) / 255.0)[..., np.newaxis]


def steps_per_epoch(cfg: dict, n_train: int) -> int:
    """Iterations per epoch: the tutorial's n_images // batch size, n_images capped at
    EPOCH_IMAGES: full MNIST's 60,000 images give the same run as the bundled 4,500."""
    n_images = min(n_train, cfg["EPOCH_IMAGES"]) if cfg["EPOCH_IMAGES"] else n_train
    return n_images // cfg["BATCH_SIZE"]


def load_for_training(config: dict) -> Images:
    """The images --data (config["DATA"]) names, read, checked against the run and scaled, all
    before the run's folder is made. Refuses (BadInput) fewer training images than a batch,
    and --conditional without labels or with one class."""
    images = load_images(read(config["DATA"]))
    cli.check("BATCH_SIZE", config, cli.at_most(len(images.x), "the number of training images"))
    if config["CONDITIONAL"] and images.y is None:
        raise BadInput(f"--conditional needs labelled images, and {config['DATA']} has no "
                       f"labels (class folders, or an .npz with y_train, have them)")
    if config["CONDITIONAL"] and len(images.classes) < 2:
        raise BadInput(f"--conditional needs at least two classes, and {config['DATA']} has "
                       f"one ({images.classes[0]})")
    return images._replace(x=scale(images.x), x_held=scale(images.x_held))


def describe(images: Images, config: dict, step_size: float) -> int:
    """Say which images a run trains on, how many, and what an epoch is (with `step_size`);
    return the iterations per epoch."""
    n, classes = len(images.x), images.classes
    print(f"data: {images.source}: {n} training images, {len(images.x_held)} held out, " + (
        f"{len(classes)} classes ({', '.join(classes[:10])}{' ...' * (len(classes) > 10)})"
        if classes else "no labels"), flush=True)
    steps = steps_per_epoch(config, n)
    print(f"training: {config['EPOCHS']} epochs of {steps} iterations (an epoch: " + (
        f"{steps * config['BATCH_SIZE']:,} of the {n:,} training images; --epoch-images 0 "
        f"for full passes)" if steps < n // config["BATCH_SIZE"] else
        f"a pass over the {n:,} training images)") + f", step size {step_size:g}", flush=True)
    return steps
