"""Pictures from a saved MNIST generator, after training: --generate and --interpolate.

A conditional generator (two inputs: a latent point and a class) draws the classes asked for;
their names are in the run's classes.json.
"""

import json
import os

import keras
import numpy as np

from common import gif, plotting
from common.evaluation import GRID_COLUMNS
from common.errors import BadInput
from common.sampling import generate_fake_samples, generate_latent_points, latent_walk

WALK_COLUMNS, WALK_STOPS = 4, 4  # --interpolate: 4 x 4 digits, through 4 stops and back


def write_pictures(cfg: dict, setup: str) -> None:
    """What --generate N [--digit K] and --interpolate FRAMES ask for, from the generator
    run_folders.reading_generator found (cfg["generator"]), into its run folder. Its first
    line names the folder and `setup` (TensorFlow's version, the device)."""
    print(f"{cfg['run_dir']}: reading it ({setup})", flush=True)
    flag = "--generate" if cfg["generate"] else "--interpolate"
    g_model = load(cfg["generator"], flag, cfg["digit"])  # once, even when both are asked
    if cfg["generate"]:
        folder = os.path.join(cfg["run_dir"], "generated")
        digit = None if cfg["digit"] is None else class_index(g_model, cfg["digit"],
                                                              cfg["run_dir"])
        names = generate(g_model, cfg["generate"], digit, cfg["SEED"], folder,
                         os.path.basename(cfg["generator"]))
        print(f"{len(names)} images from {cfg['generator']} in {folder}/ ({names[0]} ...)")
    if cfg["interpolate"]:
        path = os.path.join(cfg["run_dir"], "interpolation.gif")
        interpolate(g_model, cfg["interpolate"], cfg["SEED"], path)
        print(f"a {cfg['interpolate']}-frame walk with {cfg['generator']}: {path}")


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


def n_classes(g_model) -> int:
    """How many classes a conditional generator (gan_mnist's layout) was trained on."""
    return g_model.get_layer("label_map").layers[0].input_dim


def class_index(g_model, digit: str, run_dir: str) -> int:
    """--digit K: a class's number, or its name in the run's classes.json."""
    n = n_classes(g_model)
    path = os.path.join(run_dir, "classes.json")
    try:
        with open(path, encoding="utf-8") as f:
            names = json.load(f)
    except (OSError, ValueError):
        names = [str(k) for k in range(n)]  # a run from before classes.json: MNIST's digits
    if digit in names:
        return names.index(digit)
    if digit.isdigit() and int(digit) < n:
        return int(digit)
    raise BadInput(f"--digit must be one of the generator's {n} classes: 0 to {n - 1}, or a "
                   f"name in {path} (got {digit})")


def generate(g_model, n: int, digit, seed: int, folder: str, title: str) -> list:
    """The tutorial's last step: n images into `folder` (emptied first: it holds the latest
    --generate), as grid.png and one PNG each. Conditional: all of class `digit`, or cycling
    through the classes when it is None, the class in each file's name. Returns the file
    names."""
    rng = np.random.default_rng(seed)
    latent = generate_latent_points(g_model.inputs[0].shape[1], n, rng)
    if len(g_model.inputs) == 2:
        digits = np.full(n, digit) if digit is not None else np.arange(n) % n_classes(g_model)
        images = generate_fake_samples(g_model, [latent, digits.astype(np.int32)])[0][0]
        names = [f"digit{k}_{i:03d}.png" for i, k in enumerate(digits)]
    else:
        images = generate_fake_samples(g_model, latent)[0]
        names = [f"digit_{i:03d}.png" for i in range(n)]
    os.makedirs(folder, exist_ok=True)
    for old in os.listdir(folder):
        os.remove(os.path.join(folder, old))
    plotting.plot_image_grid(os.path.join(folder, "grid.png"), images, min(n, GRID_COLUMNS),
                             title)
    for name, image in zip(names, images):
        plotting.save_grey_png(os.path.join(folder, name), image)
    return names


def interpolate(g_model, n_frames: int, seed: int, gif_path: str) -> None:
    """A GIF of 4 x 4 digits in `n_frames` frames. Unconditional: each digit glides through
    WALK_STOPS random latent points and back. Conditional: each latent point is held fixed
    while the digit asked for glides from 0 through 9 and back to 0. Smooth changes mean G
    learned a smooth map; sudden jumps mean it did not."""
    cells, latent_dim = WALK_COLUMNS ** 2, g_model.inputs[0].shape[1]
    rng = np.random.default_rng(seed)
    if len(g_model.inputs) == 1:
        stops = WALK_STOPS
        points = generate_latent_points(latent_dim, stops * cells, rng)
        walk = latent_walk(points.reshape(stops, cells, latent_dim), n_frames)
        images, _ = generate_fake_samples(g_model, walk.reshape(-1, latent_dim))
    else:
        stops = n_classes(g_model)
        images = digit_walk(g_model, generate_latent_points(latent_dim, cells, rng), n_frames)
    frames = [plotting.tile_images(frame, WALK_COLUMNS, scale=3)
              for frame in images.reshape(n_frames, cells, 28, 28, 1)]
    # About 1.5 s from one stop (or digit) to the next, however many frames make it.
    gif.write_gif(np.stack(frames), gif_path, max(0.04, 1.5 * stops / n_frames))


def digit_walk(g_model, points: np.ndarray, n_frames: int) -> np.ndarray:
    """Images (n_frames * len(points), 28, 28, 1) of a conditional G (gan_mnist's layout:
    sub-models latent_maps, label_map, upsample) for fixed latent points while the digit's
    embedding glides in a straight line from each class's to the next's, through all of
    them and back to the first."""
    label_map = g_model.get_layer("label_map")
    table = np.asarray(label_map.layers[0].embeddings)  # one vector per class
    position = np.arange(n_frames) * len(table) / n_frames
    k, t = position.astype(int), (position - position.astype(int))[:, None]
    vectors = (1 - t) * table[k] + t * table[(k + 1) % len(table)]
    digit_maps = np.asarray(keras.Sequential(label_map.layers[1:])(vectors))
    maps = np.asarray(g_model.get_layer("latent_maps")(points, training=False))
    both = np.concatenate([np.tile(maps, (n_frames, 1, 1, 1)),
                           np.repeat(digit_maps, len(points), axis=0)], axis=-1)
    return np.asarray(g_model.get_layer("upsample")(both, training=False))
