"""What every gan_mnist evaluation reuses, built once: the fixed latent points (so that numbers
and grids compare from one evaluation to the next), held-out real images for D's accuracies,
and the digit classifier with the real images' own numbers, for reference."""

import functools
import os

import numpy as np

from common import digit_classifier, plotting, verdicts
from common.metrics import d_accuracies
from common.sampling import generate_fake_samples, generate_latent_points


GRID_COLUMNS = 10  # the image grids are 10 x 10 images (conditional: a column per class)


def prepare(cfg: dict, x, y, x_held, y_held, rng: np.random.Generator,
            grid_columns: int = GRID_COLUMNS) -> dict:
    """The evaluation set-up for cfg's mode and the images' classes (cfg["classes"]; None:
    unlabelled, then no classifier: "scorer" is None). Prints the real images' own numbers;
    they are under "reference". "show" and "panels" name the numbers of the printed lines
    and of curves.png; "verdict" judges the final numbers against the reference."""
    n_eval, conditional = cfg["N_EVAL"], cfg["CONDITIONAL"]
    layout = grid_layout(cfg["classes"], conditional, grid_columns)
    latent, digits, grid = fixed_points(cfg, n_eval, rng, layout["columns"], grid_columns)
    real = [x_held[:n_eval], y_held[:n_eval].astype(np.int32)] if conditional else \
        x_held[:n_eval]
    setup = {**layout, "latent": latent, "digits": digits, "grid": grid, "real": real,
             "scorer": None, "reference": {}, "show": ("epoch", "acc_real", "acc_fake"),
             "verdict": functools.partial(verdicts.digits, real={}, classes=None),
             "panels": [("mean losses since the previous evaluation", ["d_loss", "g_loss"], False),
                        ("discriminator accuracy", ["acc_real", "acc_fake"], False)]}
    if y is None:
        print("no labels: the classifier's numbers (score, fd, spread, class shares) are left "
              "out; D's accuracies remain", flush=True)
        return setup
    # The classifier is shared by the runs under OUTPUT_DIR: trained once, about 25 s.
    scorer = digit_classifier.scorer(digit_classifier.train_classifier(
        x, y, x_held, y_held, cfg["OUTPUT_DIR"], len(cfg["classes"])))
    held_features = digit_classifier.classify(scorer, x_held)[1]
    reference = digit_classifier.image_metrics(scorer, x[:n_eval], held_features,
                                               y[:n_eval] if conditional else None)
    reference = {k: v for k, v in reference.items() if not k.startswith("class_")}
    print("real training images, for reference: " + " ".join(
        f"{k} {v:.3g}" for k, v in reference.items()), flush=True)
    shares = ["confident", "min_class_share"] + ["label_accuracy"] * conditional
    return {**setup, "scorer": scorer, "held_features": held_features, "reference": reference,
            "verdict": functools.partial(verdicts.digits, real=reference,
                                         classes=cfg["classes"]),
            "show": setup["show"] + ("score", "fd", *shares[1:]),
            "panels": setup["panels"] + [
                ("classifier score (10 at best)", ["score"], False),
                ("Fréchet distance to held-out real images", ["fd"], True),
                ("shares: confident, smallest class, right digit", shares, False)]}


def grid_layout(classes, conditional: bool, grid_columns: int) -> dict:
    """The grids' columns: grid_columns images a row; conditional: one class a column (the
    first grid_columns classes), named."""
    if not conditional:
        return {"columns": grid_columns, "column_names": None}
    names = classes[:grid_columns]
    return {"columns": len(names), "column_names": names}


def fixed_points(cfg: dict, n: int, rng: np.random.Generator, columns: int,
                 rows: int) -> tuple:
    """G's n inputs at every evaluation, the classes they ask for (conditional: each equally
    often; else None), and the grid's inputs: rows x columns latent points, or (conditional)
    `rows` latent points, one a row, each asked for the class of its column."""
    latent_dim = cfg["LATENT_DIM"]
    if not cfg["CONDITIONAL"]:
        return (generate_latent_points(latent_dim, n, rng), None,
                generate_latent_points(latent_dim, rows * columns, rng))
    digits = np.arange(n) % len(cfg["classes"])
    latent = [generate_latent_points(latent_dim, n, rng), digits.astype(np.int32)]
    points = generate_latent_points(latent_dim, rows * rows, rng)  # drawn as a square grid
    grid = [np.repeat(points[:rows], columns, axis=0),
            np.tile(np.arange(columns, dtype=np.int32), rows)]
    return latent, digits, grid


def measure(g_model, d_model, evaluation: dict) -> dict:
    """The numbers of an evaluation: D's accuracies, and the classifier's scores of the images
    G makes from the fixed latent points (conditional: and if each is the class asked)."""
    fakes, _ = generate_fake_samples(g_model, evaluation["latent"])
    acc_real, acc_fake = d_accuracies(d_model, evaluation["real"], fakes)
    if evaluation["scorer"] is None:  # unlabelled images: no classifier to score with
        return {"acc_real": acc_real, "acc_fake": acc_fake}
    digits = evaluation["digits"]  # what each image was asked to be (None: unconditional)
    return {"acc_real": acc_real, "acc_fake": acc_fake, **digit_classifier.image_metrics(
        evaluation["scorer"], fakes if digits is None else fakes[0],
        evaluation["held_features"], digits)}


def grid_path(folder: str, epoch: int) -> str:
    return os.path.join(folder, f"grid_epoch_{epoch:03d}.png")


def draw_grid(g_model, evaluation: dict, folder: str, row: dict) -> str:
    """The images G makes from the grid's fixed inputs, as grid_epoch_NNN.png (conditional:
    a column per class, named), titled with the evaluation's `row`. Returns its path."""
    grid, _ = generate_fake_samples(g_model, evaluation["grid"])
    path = grid_path(folder, row["epoch"])
    title = f"epoch {row['epoch']}" + (
        f": score {row['score']:.2f}, FD {row['fd']:.1f}" if "score" in row else "")
    plotting.plot_image_grid(path, grid if evaluation["digits"] is None else grid[0],
                             evaluation["columns"], title,
                             column_names=evaluation["column_names"])
    return path
