"""Shared test helpers: the repo on sys.path, quiet TensorFlow, running a script as a user would."""

import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run_script(script: str, *args: str, cwd: str = ROOT) -> subprocess.CompletedProcess:
    """Run `python script args...` the way a user would, capturing its output."""
    return subprocess.run([sys.executable, os.path.join(ROOT, script), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def snapshot(model) -> list:
    """Copies of a model's weights, to compare before and after an update."""
    return [w.copy() for w in model.get_weights()]


def same(a: list, b: list) -> bool:
    """Bit-identical weights."""
    return all(x.shape == y.shape and (x == y).all() for x, y in zip(a, b))


def watched_train_step(d, g, gan, x_real, latent_dim: int, rng) -> tuple:
    """One common.training.train_step (batch: twice the real images), recording D's and G's
    weights right before and after the composite update. Returns (losses, records)."""
    from common import training
    from common.sampling import generate_latent_points
    seen = {}
    real_gan_update = gan.train_on_batch

    def spying_gan_update(x, y):
        seen["d_before"], seen["g_before"] = snapshot(d), snapshot(g)
        result = real_gan_update(x, y)
        seen["d_after"], seen["g_after"] = snapshot(d), snapshot(g)
        return result

    gan.train_on_batch = spying_gan_update
    half = len(x_real)
    try:
        losses = training.train_step(
            d, gan, training.fakes_as_the_composite_sees_them(g), x_real,
            generate_latent_points(latent_dim, half, rng),
            generate_latent_points(latent_dim, 2 * half, rng),
            np.concatenate([np.ones((half, 1)), np.zeros((half, 1))]).astype(np.float32),
            np.ones((2 * half, 1), dtype=np.float32))
    finally:
        gan.train_on_batch = real_gan_update
    return losses, seen
