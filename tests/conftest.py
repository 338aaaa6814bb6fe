"""Shared test helpers: the repo on sys.path, quiet TensorFlow, running a script as a user would,
and a spy on the updates the scripts' own train() makes."""

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
    return len(a) == len(b) and all(x.shape == y.shape and (x == y).all() for x, y in zip(a, b))


def spy_on_updates(d, g, gan) -> list:
    """Make D's and the composite's train_on_batch record, for every call, which model was
    updated, its inputs, and D's and G's weights right before and after. Returns the list the
    records go to, in the order of the calls: (name, inputs, before, after) with before and
    after as {"d": weights, "g": weights}."""
    records = []

    def spying(name, update):
        def train_on_batch(x, y):
            before = {"d": snapshot(d), "g": snapshot(g)}
            loss = update(x, y)
            records.append((name, x, before, {"d": snapshot(d), "g": snapshot(g)}))
            return loss
        return train_on_batch

    d.train_on_batch = spying("d", d.train_on_batch)
    gan.train_on_batch = spying("gan", gan.train_on_batch)
    return records


def assert_freeze_discipline(records: list) -> None:
    """Every D update changed D and not G; every composite update left D bit-identical and
    changed G; the two alternate."""
    assert [name for name, *_ in records] == ["d", "gan"] * (len(records) // 2) and records
    for name, _, before, after in records:
        if name == "d":
            assert not same(before["d"], after["d"]), "D did not learn from its own update"
            assert same(before["g"], after["g"]), "D's update changed G"
        else:
            assert same(before["d"], after["d"]), "the composite update changed D"
            assert not same(before["g"], after["g"]), "G did not learn"


def run_folder(parent, number: int = 1):
    """The folder of the number-th run under an OUTPUT_DIR."""
    return parent / f"{number:03d}"


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
    """A finished tiny gan_1d run: (its run folder, the completed process)."""
    parent = tmp_path_factory.mktemp("run") / "gan_1d"
    result = run_script("gan_1d.py", *TINY_1D, "--output-dir", str(parent))
    assert result.returncode == 0, result.stderr
    return run_folder(parent), result


@pytest.fixture(scope="session")
def tiny_digits(tmp_path_factory):
    """An .npz of 250 of the bundled digits, every 20th (all ten classes)."""
    from common import image_data
    x, y = image_data.load_npz(image_data.BUNDLED_SAMPLE)
    path = tmp_path_factory.mktemp("digits") / "tiny.npz"
    np.savez(path, x_train=x[::20], y_train=y[::20])
    return path


def mnist_run(tmp_path_factory, tiny_digits, *extra):
    parent = tmp_path_factory.mktemp("mnist") / "out"
    result = run_script("gan_mnist.py", "--data", str(tiny_digits), "--output-dir", str(parent),
                        *TINY_MNIST, *extra)
    assert result.returncode == 0, result.stderr
    return run_folder(parent), result


@pytest.fixture(scope="session")
def tiny_mnist_run(tmp_path_factory, tiny_digits):
    """A finished tiny gan_mnist run on `tiny_digits`: (its run folder, the process)."""
    return mnist_run(tmp_path_factory, tiny_digits)


@pytest.fixture(scope="session")
def tiny_conditional_run(tmp_path_factory, tiny_digits):
    """The same, with --conditional."""
    return mnist_run(tmp_path_factory, tiny_digits, "--conditional")


def gan_1d_config(**changes) -> dict:
    """gan_1d.py's hyperparameters as its block sets them, with `changes`."""
    import gan_1d
    from common import cli
    return {**cli.hyperparameter_defaults(gan_1d), **changes}
