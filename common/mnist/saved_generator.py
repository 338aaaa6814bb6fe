"""Pictures from a saved generator: --generate and --interpolate, through its inputs and
outputs alone; a conditional one's classes are named in the run's classes.json beside it."""

import json
import os

import keras
import numpy as np

from common import gif
from common.errors import BadInput
from common.mnist.evaluation import GRID_COLUMNS
from common.mnist.pictures import plot_image_grid, save_grey_png, tile_images
from common.sampling import generate_fake_samples, generate_latent_points

WALK_COLUMNS, WALK_STOPS = 4, 4  # --interpolate: 4 x 4 digits, through 4 stops and back


def write_pictures(args, setup: str) -> None:
    """What --generate N [--digit K] and --interpolate FRAMES ask for (args.extra), from the
    generator run_folders.reading_generator found (args.generator), into its run folder. Its
    first line names the folder and `setup` (TensorFlow's version, the device)."""
    path, asked, seed = args.generator, args.extra, args.config["SEED"]
    folder = os.path.dirname(path)
    print(f"{folder}: reading it ({setup})", flush=True)
    flag = "--generate" if asked.generate else "--interpolate"
    g_model = load(path, flag, asked.digit)  # once, even when both are asked
    classes = class_names(folder) if len(g_model.inputs) == 2 else None
    if asked.generate:
        out = os.path.join(folder, "generated")
        digit = None if asked.digit is None else class_index(classes, asked.digit, folder)
        names = generate(g_model, asked.generate, digit, classes, seed, out,
                         os.path.basename(path))
        print(f"{len(names)} images from {path} in {out}/ ({names[0]} ...)")
    if asked.interpolate:
        gif_path = os.path.join(folder, "interpolation.gif")
        interpolate(g_model, asked.interpolate, classes, seed, gif_path)
        print(f"a {asked.interpolate}-frame walk with {path}: {gif_path}")


def load(path: str, flag: str, digit=None):
    """The generator saved at `path`; a corrupt or foreign file, or --digit for an
    unconditional generator, raises BadInput."""
    try:
        g_model = keras.models.load_model(path, safe_mode=True)
    except Exception as e:  # a corrupt or foreign file: say so, in one line
        raise BadInput(f"{flag}: cannot load {path} ({type(e).__name__}: {e})".splitlines()[0])
    if g_model.output_shape[1:] != (28, 28, 1):
        raise BadInput(f"{flag}: {path} is not an MNIST generator (its output shape is "
                       f"{g_model.output_shape}, not (None, 28, 28, 1))")
    if digit is not None and len(g_model.inputs) == 1:
        raise BadInput(f"--digit: {path} is not a conditional generator; train one with "
                       f"--conditional")
    return g_model


def class_names(folder: str) -> list:
    """The class names the run saved in classes.json (a run from before it: MNIST's digits)."""
    try:
        with open(os.path.join(folder, "classes.json"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return [str(k) for k in range(10)]


def class_index(names: list, digit: str, folder: str) -> int:
    """--digit K: a class's number, or its name in the run's classes.json."""
    if digit in names:
        return names.index(digit)
    if digit.isdigit() and int(digit) < len(names):
        return int(digit)
    raise BadInput(f"--digit must be one of the generator's {len(names)} classes: 0 to "
                   f"{len(names) - 1}, or a name in {os.path.join(folder, 'classes.json')} "
                   f"(got {digit})")


def generate(g_model, n: int, digit, classes, seed: int, folder: str, title: str) -> list:
    """The tutorial's last step: n images into `folder` (emptied first: it holds the latest
    --generate), as grid.png and one PNG each. Conditional (`classes` given): all of class
    `digit`, or cycling through the classes when it is None, the class in each file's name.
    Returns the file names."""
    rng = np.random.default_rng(seed)
    latent = generate_latent_points(g_model.inputs[0].shape[1], n, rng)
    if classes:
        digits = np.full(n, digit) if digit is not None else np.arange(n) % len(classes)
        images = generate_fake_samples(g_model, [latent, digits.astype(np.int32)])[0][0]
        names = [f"digit{k}_{i:03d}.png" for i, k in enumerate(digits)]
    else:
        images = generate_fake_samples(g_model, latent)[0]
        names = [f"digit_{i:03d}.png" for i in range(n)]
    os.makedirs(folder, exist_ok=True)
    for old in os.listdir(folder):
        os.remove(os.path.join(folder, old))
    plot_image_grid(os.path.join(folder, "grid.png"), images, min(n, GRID_COLUMNS), title)
    for name, image in zip(names, images):
        save_grey_png(os.path.join(folder, name), image)
    return names


def interpolate(g_model, n_frames: int, classes, seed: int, gif_path: str) -> None:
    """A GIF of 4 x 4 digits in `n_frames` frames. Unconditional: each digit glides through
    WALK_STOPS random latent points and back; smooth changes mean G learned a smooth map,
    sudden jumps that it did not. Conditional (`classes` given): each latent point is held
    fixed while the class asked for goes from the first through all of them and back, each
    image fading into the next: one handwriting, every digit."""
    cells, latent_dim = WALK_COLUMNS ** 2, g_model.inputs[0].shape[1]
    rng = np.random.default_rng(seed)
    if classes:
        stops = len(classes)
        images = class_walk(g_model, generate_latent_points(latent_dim, cells, rng), stops,
                            n_frames)
    else:
        stops = WALK_STOPS
        points = generate_latent_points(latent_dim, stops * cells, rng)
        walk = latent_walk(points.reshape(stops, cells, latent_dim), n_frames)
        images, _ = generate_fake_samples(g_model, walk.reshape(-1, latent_dim))
    frames = [tile_images(frame, WALK_COLUMNS, scale=3)
              for frame in images.reshape(n_frames, cells, 28, 28, 1)]
    # About 1.5 s from one stop (or class) to the next, however many frames make it.
    gif.write_gif(np.stack(frames), gif_path, max(0.04, 1.5 * stops / n_frames))


def class_walk(g_model, points: np.ndarray, n_classes: int, n_frames: int) -> np.ndarray:
    """Images (n_frames * len(points), 28, 28, 1) of a conditional G for fixed latent points,
    asked for each class in turn and back to the first: each frame blends G's image of one
    class into its image of the next."""
    cells = len(points)
    every = np.repeat(np.arange(n_classes, dtype=np.int32), cells)  # each class, every point
    images, _ = generate_fake_samples(g_model, [np.tile(points, (n_classes, 1)), every])
    images = images[0].reshape(n_classes, cells, 28, 28, 1)
    position = np.arange(n_frames) * n_classes / n_frames
    k, t = position.astype(int), (position - position.astype(int))[:, None, None, None, None]
    return ((1 - t) * images[k] + t * images[(k + 1) % n_classes]).reshape(-1, 28, 28, 1)


def latent_walk(waypoints: np.ndarray, n_frames: int) -> np.ndarray:
    """`n_frames` steps (n_frames, n, latent_dim) of n loops at once through the waypoints
    (stops, n, latent_dim) and back to the first, along great circles (spherical
    interpolation): a straight line between two normal points passes near the origin, where G
    was rarely trained, and the images fade in the middle."""
    stops = len(waypoints)
    position = np.arange(n_frames) * stops / n_frames
    stop, t = position.astype(int), (position - position.astype(int))[:, None, None]
    a, b = waypoints[stop], waypoints[(stop + 1) % stops]
    cos = np.sum(a * b, axis=-1, keepdims=True) / (
        np.linalg.norm(a, axis=-1, keepdims=True) * np.linalg.norm(b, axis=-1, keepdims=True))
    angle = np.arccos(np.clip(cos, -1.0, 1.0))
    sin = np.maximum(np.sin(angle), 1e-6)  # equal points: the formula tends to a, fine
    walk = (np.sin((1 - t) * angle) * a + np.sin(t * angle) * b) / sin
    return walk.astype(np.float32)
