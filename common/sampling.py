"""The tutorial's sampling helpers that do not depend on the problem: latent points, fakes."""

import numpy as np


def generate_latent_points(latent_dim: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points of the latent space, standard normal, as float32 (what the generator eats)."""
    return rng.standard_normal((n, latent_dim), dtype=np.float32)


def latent_walk(waypoints: np.ndarray, n_frames: int) -> np.ndarray:
    """`n_frames` steps of a loop through the waypoints and back to the first.

    `waypoints` has shape (stops, n, latent_dim): n walks at once. Between two stops the
    points move along a great circle (spherical interpolation), not a straight line: a
    straight line between two normal points passes near the origin, where the generator
    was rarely trained, and the images fade in the middle. Returns (n_frames, n, latent_dim).
    """
    stops = len(waypoints)
    position = np.arange(n_frames) * stops / n_frames
    stop = position.astype(int)
    t = (position - stop)[:, None, None]
    a, b = waypoints[stop], waypoints[(stop + 1) % stops]
    cos = np.sum(a * b, axis=-1, keepdims=True) / (
        np.linalg.norm(a, axis=-1, keepdims=True) * np.linalg.norm(b, axis=-1, keepdims=True))
    angle = np.arccos(np.clip(cos, -1.0, 1.0))
    sin = np.maximum(np.sin(angle), 1e-6)  # equal points: the formula tends to a, fine
    walk = (np.sin((1 - t) * angle) * a + np.sin(t * angle) * b) / sin
    return walk.astype(np.float32)


def generate_fake_samples(g_model, latent_points: np.ndarray) -> tuple:
    """Generated samples for the given latent points, with class label 0 (inference mode).

    The tutorial draws the latent points inside; here the caller does, so that evaluations
    can reuse the same fixed points and pictures compare. (Training draws its own fakes:
    see common/training.py.)
    """
    # A direct call, not predict_on_batch(): that one traces a tf.function for each new
    # batch shape (the evaluation set, the grid) and TensorFlow then warns about retracing.
    x = np.asarray(g_model(latent_points, training=False))
    return x, np.zeros((len(x), 1), dtype=np.float32)
