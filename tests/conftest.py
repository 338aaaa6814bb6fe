"""Shared test helpers: the repo on sys.path, quiet TensorFlow, running a script as a user would,
and a spy on the updates the scripts' own train() makes."""

import contextlib
import importlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run_script(script: str, *args: str, cwd: str = ROOT) -> subprocess.CompletedProcess:
    """Run `python script args...` the way a user would, capturing its output."""
    return subprocess.run([sys.executable, os.path.join(ROOT, script), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def run_in_process(script: str, *args: str) -> subprocess.CompletedProcess:
    """What `python script args...` does, run in this process, for commands that train
    nothing or next to nothing (bad input, --generate, a few iterations): its command line as
    its `__main__` block runs it, with TensorFlow already loaded (a subprocess spends seconds
    loading it). Tests with run_script show the same from real processes."""
    module = importlib.import_module(script[:-len(".py")])
    from common import cli
    out, err, status = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.run_main(lambda: module.main(module.parse_args(list(args))))
        except SystemExit as e:
            status = e.code
    return subprocess.CompletedProcess([script, *args], status, out.getvalue(), err.getvalue())


def interrupted(script: str, args: list, started_file, signum=signal.SIGINT,
                python=(sys.executable,), **popen) -> subprocess.CompletedProcess:
    """Run a script, send it a real SIGINT (Ctrl-C, or `signum`) a moment after
    `started_file` appears (so it lands between two evaluations). `python`: the command
    that runs a script (tests/windows_like.py's, say); `popen`: more for subprocess.Popen."""
    process = subprocess.Popen([*python, os.path.join(ROOT, script), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
    deadline = time.monotonic() + 300
    while not started_file.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


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


def made_once(tmp_path_factory, name: str, make) -> tuple:
    """What `make(folder)` writes into a new folder, made once for the whole test session:
    with pytest-xdist the first worker to ask makes it while the others wait, so a tiny run
    costs one process, not one per worker. Returns the folder and what `make` returned (a
    CompletedProcess or None)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the session's
    folder, done = root / f"made-once-{name}", root / f"made-once-{name}.json"
    try:
        folder.mkdir()
    except FileExistsError:  # another worker makes it
        deadline = time.monotonic() + 900
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    else:
        outcome = None
        try:
            result = make(folder)
            outcome = result and [result.args, result.returncode, result.stdout, result.stderr]
        finally:  # even when `make` fails, so that no worker waits for nothing
            done.with_suffix(".tmp").write_text(json.dumps(outcome), encoding="utf-8")
            os.replace(done.with_suffix(".tmp"), done)
    outcome = json.loads(done.read_text(encoding="utf-8"))
    return folder, outcome and subprocess.CompletedProcess(*outcome)


def finished_run(tmp_path_factory, name: str, script: str, *args: str,
                 classifier_from=None) -> tuple:
    """A finished run of `script args`, made once (made_once), in a copy of its own: (the copy
    of its run folder, the completed process). Tests may write in their copy (--generate,
    --interpolate) without touching another worker's. `classifier_from`: a run whose cached
    digit classifier it reuses (the same images), instead of training one again."""
    def make(folder):
        if classifier_from is not None:
            shutil.copytree(classifier_from.parent, folder / "out",
                            ignore=shutil.ignore_patterns("[0-9][0-9][0-9]"))
        return run_script(script, *args, "--output-dir", str(folder / "out"))

    made, result = made_once(tmp_path_factory, name, make)
    assert result.returncode == 0, result.stderr
    copy = tmp_path_factory.mktemp(name) / "out"
    shutil.copytree(made / "out", copy)
    return run_folder(copy), result


# A gan_1d run long enough that a Ctrl-C sent after its first evaluation lands mid-run.
RUN_1D = ["--iterations", "900", "--eval-every", "300", "--batch-size", "32",
          "--n-eval", "400", "--n-plot", "100", "--seed", "5"]


@pytest.fixture(scope="session")
def whole_1d_run(tmp_path_factory):
    """A finished RUN_1D run, uninterrupted: the folder a resumed one must equal."""
    return finished_run(tmp_path_factory, "gan_1d_whole", "gan_1d.py", *RUN_1D)[0]


@pytest.fixture(scope="session")
def tiny_1d_run(tmp_path_factory):
    """A finished tiny gan_1d run: (its run folder, the completed process)."""
    return finished_run(tmp_path_factory, "gan_1d", "gan_1d.py", *TINY_1D)


@pytest.fixture(scope="session")
def sample():
    """The bundled 5,000-digit sample: (images, digits)."""
    from common import image_data
    return image_data.load_npz(image_data.BUNDLED_SAMPLE)


@pytest.fixture(scope="session")
def tiny_digits(tmp_path_factory, sample):
    """An .npz of 250 of the bundled digits, every 20th (all ten classes); one file for the
    session (the tiny runs' checkpoints name it)."""
    x, y = sample
    folder, _ = made_once(tmp_path_factory, "digits", lambda folder: np.savez(
        folder / "tiny.npz", x_train=x[::20], y_train=y[::20]))
    return folder / "tiny.npz"


@pytest.fixture(scope="session")
def tiny_mnist_run(tmp_path_factory, tiny_digits):
    """A finished tiny gan_mnist run on `tiny_digits`: (its run folder, the process)."""
    return finished_run(tmp_path_factory, "gan_mnist", "gan_mnist.py", "--data",
                        str(tiny_digits), *TINY_MNIST)


@pytest.fixture(scope="session")
def tiny_conditional_run(tmp_path_factory, tiny_digits, tiny_mnist_run):
    """The same, with --conditional."""
    return finished_run(tmp_path_factory, "gan_mnist_conditional", "gan_mnist.py", "--data",
                        str(tiny_digits), *TINY_MNIST, "--conditional",
                        classifier_from=tiny_mnist_run[0])


def gan_1d_config(**changes) -> dict:
    """gan_1d.py's hyperparameters as its block sets them, with `changes`."""
    import gan_1d
    from common import cli
    return {**cli.hyperparameter_defaults(gan_1d), **changes}


# The longest tests first (about 20 to 60 s each), so that pytest-xdist's workers finish
# together instead of one running a long test alone at the end.
LONGEST_FIRST = ("readme_results_script", "interrupted", "classifier_scores_real_digits",
                 "edit_at_the_top", "the_same_command_twice", "named_class_folders")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: not any(words in item.name for words in LONGEST_FIRST))
