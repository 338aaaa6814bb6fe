"""gan_mnist's evaluation, set up once: fixed latent points (numbers and grids compare from one
evaluation to the next), held-out images for D, the scoring classifier and real images' numbers."""

import os

import numpy as np

from common import verdicts
from common.metrics import d_accuracies
from common.mnist import digit_classifier
from common.mnist.pictures import plot_image_grid
from common.sampling import generate_fake_samples, generate_latent_points

GRID_COLUMNS = 10  # the image grids are 10 x 10 images (conditional: a column per class)
LOSSES_AND_D = [("mean losses since the previous evaluation", ["d_loss", "g_loss"], False),
                ("discriminator accuracy", ["acc_real", "acc_fake"], False)]


def grid_path(folder: str, epoch: int) -> str:
    return os.path.join(folder, f"grid_epoch_{epoch:03d}.png")


class Evaluation:
    """What every evaluation of a run measures and draws, and how the run is judged at its end.
    `images` (common/mnist/image_data.py) are the run's; without labels there is no classifier
    and only D's accuracies are measured (`classifier`: one to use instead of the run's own).
    `show` names the numbers of the printed lines, `panels` those of curves.png; `reference`
    holds the real images' own numbers."""

    def __init__(self, config: dict, images, rng: np.random.Generator, classifier=None):
        self.conditional, self.classes = config["CONDITIONAL"], images.classes
        n_eval, latent_dim = config["N_EVAL"], config["LATENT_DIM"]
        # The grids' columns: GRID_COLUMNS images a row; conditional: one class a column.
        self.columns, self.column_names = GRID_COLUMNS, None
        self.latent, self.digits = generate_latent_points(latent_dim, n_eval, rng), None
        if self.conditional:  # each class equally often; a grid row per latent point
            self.column_names = self.classes[:GRID_COLUMNS]
            self.columns = len(self.column_names)
            self.digits = np.arange(n_eval) % len(self.classes)
            self.latent = [self.latent, self.digits.astype(np.int32)]
            points = generate_latent_points(latent_dim, GRID_COLUMNS ** 2, rng)
            self.grid = [np.repeat(points[:GRID_COLUMNS], self.columns, axis=0),
                         np.tile(np.arange(self.columns, dtype=np.int32), GRID_COLUMNS)]
        else:
            self.grid = generate_latent_points(latent_dim, GRID_COLUMNS ** 2, rng)
        self.real = images.x_held[:n_eval]
        if self.conditional:
            self.real = [self.real, images.y_held[:n_eval].astype(np.int32)]
        self.scorer, self.reference = None, {}
        self.show, self.panels = ("epoch", "acc_real", "acc_fake"), LOSSES_AND_D
        if images.y is None:
            print("no labels: the classifier's numbers (score, fd, spread, class shares) are "
                  "left out; D's accuracies remain", flush=True)
            return
        # The classifier is shared by the runs under OUTPUT_DIR: trained once, about 25 s.
        self.scorer = digit_classifier.scorer(classifier or digit_classifier.train_classifier(
            images.x, images.y, images.x_held, images.y_held, config["OUTPUT_DIR"],
            len(self.classes)))
        self.held_features = digit_classifier.classify(self.scorer, images.x_held)[1]
        reference = digit_classifier.image_metrics(
            self.scorer, images.x[:n_eval], self.held_features,
            images.y[:n_eval] if self.conditional else None)
        self.reference = {k: v for k, v in reference.items() if not k.startswith("class_")}
        print("real training images, for reference: " + " ".join(
            f"{k} {v:.3g}" for k, v in self.reference.items()), flush=True)
        shares = ["confident", "min_class_share"] + ["label_accuracy"] * self.conditional
        self.show += ("score", "fd", *shares[1:])
        self.panels = LOSSES_AND_D + [
            ("classifier score (10 at best)", ["score"], False),
            ("Fréchet distance to held-out real images", ["fd"], True),
            ("shares: confident, smallest class, right digit", shares, False)]

    def measure(self, g_model, d_model) -> dict:
        """D's accuracies, and the classifier's numbers for the images G makes from the fixed
        latent points (conditional: and whether each is the class asked for)."""
        fakes, _ = generate_fake_samples(g_model, self.latent)
        acc_real, acc_fake = d_accuracies(d_model, self.real, fakes)
        if self.scorer is None:  # unlabelled images: no classifier to score with
            return {"acc_real": acc_real, "acc_fake": acc_fake}
        return {"acc_real": acc_real, "acc_fake": acc_fake, **digit_classifier.image_metrics(
            self.scorer, fakes[0] if self.conditional else fakes, self.held_features,
            self.digits)}

    def draw_grid(self, g_model, folder: str, row: dict) -> str:
        """The images G makes from the grid's fixed inputs, as grid_epoch_NNN.png
        (conditional: a column per class, named), titled with the evaluation's `row`."""
        grid, _ = generate_fake_samples(g_model, self.grid)
        path = grid_path(folder, row["epoch"])
        title = f"epoch {row['epoch']}" + (
            f": score {row['score']:.2f}, FD {row['fd']:.1f}" if "score" in row else "")
        plot_image_grid(path, grid[0] if self.conditional else grid, self.columns, title,
                        column_names=self.column_names)
        return path

    def judge(self, final: dict, history: list, warnings: list) -> str:
        """The verdict on the final numbers, beside the real images' (common/verdicts.py)."""
        return verdicts.digits(final, history, warnings, self.reference, self.classes)
