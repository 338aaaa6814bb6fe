"""The tutorial's sampling helpers that do not depend on the problem: latent points, fakes."""

import numpy as np


def generate_latent_points(latent_dim: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points of the latent space, standard normal, as float32 (what the generator eats)."""
    return rng.standard_normal((n, latent_dim), dtype=np.float32)


def generate_fake_samples(g_model, latent_points: np.ndarray) -> tuple:
    """Generated samples for the given latent points, with class label 0 (inference mode).

    The tutorial draws the latent points inside; here the caller does, so that evaluations
    can reuse the same fixed points and pictures compare. (Training draws its own fakes:
    see common/training.py.)
    """
    x = np.asarray(g_model.predict_on_batch(latent_points))
    return x, np.zeros((len(x), 1), dtype=np.float32)
