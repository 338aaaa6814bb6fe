"""Shared test helpers: the repo on sys.path, quiet TensorFlow, running a script as a user would."""

import os
import subprocess
import sys

import numpy as np
import pytest

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
        draw_fakes = training.fakes_as_the_composite_sees_them(g)
        losses = training.train_step(
            d, gan, x_real, draw_fakes(generate_latent_points(latent_dim, half, rng)),
            generate_latent_points(latent_dim, 2 * half, rng),
            np.concatenate([np.ones((half, 1)), np.zeros((half, 1))]).astype(np.float32),
            np.ones((2 * half, 1), dtype=np.float32))
    finally:
        gan.train_on_batch = real_gan_update
    return losses, seen


# A gan_1d run small enough for tests: evaluations at 25, 50 and the last iteration, 60.
TINY_1D = ["--iterations", "60", "--eval-every", "25", "--batch-size", "32", "--n-eval", "400",
           "--n-plot", "100", "--seed", "7"]
# A gan_mnist run on 250 bundled images (225 train, 25 held out) with tiny models; an epoch
# capped at 160 of the 225 images: 5 iterations of 32.
TINY_MNIST = ["--epochs", "2", "--eval-every", "1", "--batch-size", "32", "--n-eval", "100",
              "--epoch-images", "160", "--d-filters", "4", "--g-filters", "4",
              "--latent-dim", "16"]


@pytest.fixture(scope="session")
def tiny_1d_run(tmp_path_factory):
    """A finished tiny gan_1d run: (output folder, the completed process)."""
    out = tmp_path_factory.mktemp("run") / "gan_1d"
    result = run_script("gan_1d.py", *TINY_1D, "--output-dir", str(out))
    assert result.returncode == 0, result.stderr
    return out, result


@pytest.fixture(scope="session")
def tiny_digits(tmp_path_factory):
    """An .npz of 250 of the bundled digits, every 20th (all ten classes)."""
    import gan_mnist
    x, y = gan_mnist.load_npz(gan_mnist.BUNDLED_SAMPLE)
    path = tmp_path_factory.mktemp("digits") / "tiny.npz"
    np.savez(path, x_train=x[::20], y_train=y[::20])
    return path


@pytest.fixture(scope="session")
def tiny_mnist_run(tmp_path_factory, tiny_digits):
    """A finished tiny gan_mnist run on `tiny_digits`: (output folder, the process)."""
    out = tmp_path_factory.mktemp("mnist") / "out"
    result = run_script("gan_mnist.py", "--data", str(tiny_digits), "--output-dir", str(out),
                        *TINY_MNIST)
    assert result.returncode == 0, result.stderr
    return out, result
