"""The tutorial's sampling helpers that do not depend on the problem: latent points, fakes."""

import numpy as np


def generate_latent_points(latent_dim: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points of the latent space, standard normal, as float32 (what the generator eats)."""
    return rng.standard_normal((n, latent_dim), dtype=np.float32)


def generate_fake_samples(g_model, latent_dim: int, n: int,
                          rng: np.random.Generator) -> tuple:
    """n generated samples with class label 0, for evaluation and pictures (inference mode)."""
    x = np.asarray(g_model.predict_on_batch(generate_latent_points(latent_dim, n, rng)))
    return x, np.zeros((n, 1), dtype=np.float32)
