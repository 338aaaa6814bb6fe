"""Shared test helpers, each written once: the repo on sys.path, quiet TensorFlow, running a
script as a user would, tiny models and their training through the scripts' own train(), a spy
on its updates, and readers of a run's files. No test module imports another."""

import contextlib
import csv
import glob
import importlib
import importlib.util
import io
import json
import os
import re
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

import common.quiet_tensorflow  # noqa: E402,F401  (first: TensorFlow loads here, quietly)
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import gan_1d  # noqa: E402
import gan_mnist  # noqa: E402
from common import diagnoses  # noqa: E402
from common.clock import Clock  # noqa: E402
from common.freeze_check import same, snapshot  # noqa: E402,F401  (the tests' weight checks)
from common.mnist import digit_classifier, image_data  # noqa: E402
from common.mnist.evaluation import Evaluation  # noqa: E402
from common.record import Record  # noqa: E402

TIMING = {"ms_per_iteration", "train_seconds"}  # the columns two runs may differ in


def run_script(script: str, *args: str, cwd: str = ROOT) -> subprocess.CompletedProcess:
    """Run `python script args...` the way a user would, capturing its output."""
    return subprocess.run([sys.executable, os.path.join(ROOT, script), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def run_in_process(script, *args: str) -> subprocess.CompletedProcess:
    """What `python script args...` does, run in this process: its command line as its
    `__main__` block runs it (stdout not a terminal, as in a log file or a notebook), with
    TensorFlow already loaded (a new process spends about 6 s of a core loading it). `script`:
    a script's name, or a module (an edited copy, imported). Tests that need a real process
    (Ctrl-C, another Python, a few refusals) use run_script."""
    module = importlib.import_module(script[:-len(".py")]) if isinstance(script, str) else script
    from common import cli
    out, err, status = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.run_main(lambda: module.main(module.parse_args(list(args))))
        except SystemExit as e:
            status = e.code
    return subprocess.CompletedProcess([str(script), *args], status, out.getvalue(),
                                       err.getvalue())


def imported(path, name: str):
    """The script at `path` (an edited copy) as a module named `name`; its command line does
    not run (run_in_process runs it)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def clock_and_record(folder, models: tuple, rng, iterations: int, eval_every: int,
                     g_average=None, diagnose=lambda history: []) -> tuple:
    """A run's clock and record in `folder`, as main() makes them (no TensorBoard): they go on
    from a checkpoint there, if there is one."""
    os.makedirs(folder, exist_ok=True)
    record = Record(str(folder), iterations, eval_every, diagnose=diagnose, tensorboard=False)
    return Clock(record, "test", {}, models, rng, g_average), record


def train_1d(folder, cfg: dict, models: tuple = None, rng=None, seed: int = 1, train=None,
             n_eval: int = 2000, stop_at: int = None):
    """gan_1d's train() (or `train`, an edited copy's) as main() calls it, with the diagnoses,
    on `cfg` (the hyperparameters it reads, ITERATIONS and EVAL_EVERY among them) and the
    `models` (D, G, composite; default: cfg's, at `seed`); `stop_at`: a run cut short there,
    to be resumed. Returns the record."""
    if models is None:
        keras.utils.set_random_seed(seed)
        models = gan_1d.define_models(cfg)
    rng = np.random.default_rng(seed) if rng is None else rng
    eval_real, _ = gan_1d.generate_real_samples(cfg["TARGET"], n_eval, np.random.default_rng(0))
    eval_latent = np.random.default_rng(1).standard_normal(
        (n_eval, cfg["LATENT_DIM"])).astype(np.float32)
    clock, record = clock_and_record(folder, models, rng, stop_at or cfg["ITERATIONS"],
                                     cfg["EVAL_EVERY"], diagnose=diagnoses.curve_troubles)
    d, g, gan = models
    (train or gan_1d.train)(g, d, gan, clock, record, cfg, rng, eval_real, eval_latent)
    return record


TINY_LATENT = 16  # the tiny MNIST models' latent size


def tiny_models(seed: int = 0, conditional: bool = False, script=gan_mnist):
    """Tiny D, G and composite, defined by `script` (gan_mnist, or an edited copy of it)."""
    keras.utils.set_random_seed(seed)
    if conditional:
        embedding = script.LABEL_EMBEDDING
        d = script.define_conditional_discriminator(4, embedding, learning_rate=0.002,
                                                    beta_1=0.5)
        g = script.define_conditional_generator(TINY_LATENT, 4, embedding)
        return d, g, script.define_conditional_gan(g, d, learning_rate=0.002, beta_1=0.5)
    d = script.define_discriminator(4, learning_rate=0.002, beta_1=0.5)
    g = script.define_generator(TINY_LATENT, 4)
    return d, g, script.define_gan(g, d, learning_rate=0.002, beta_1=0.5)


def sample_images(x, y) -> image_data.Images:
    """Digits (uint8) as a run's images, the same ones held out (the tests' evaluations)."""
    x = image_data.scale(x)
    return image_data.Images(x, y, x, y, image_data.CLASS_NAMES["mnist"], "the test's digits")


def train_mnist(models: tuple, folder, images, batch_size: int, rng, conditional=False,
                iterations: int = 2, script=gan_mnist):
    """`script`.train as main() calls it (no moving average), on a clock and record in
    `folder`, with a real, untrained digit classifier for the one evaluation at the end."""
    d, g, gan = models
    folder.mkdir(parents=True, exist_ok=True)
    cfg = {"BATCH_SIZE": batch_size, "LATENT_DIM": TINY_LATENT, "CONDITIONAL": conditional,
           "EPOCH_IMAGES": 0, "G_AVERAGE": 0, "WRONG_DIGITS": gan_mnist.WRONG_DIGITS,
           "N_EVAL": 20, "OUTPUT_DIR": str(folder)}
    evaluation = Evaluation(cfg, images, np.random.default_rng(99),  # as in main(): not rng
                            classifier=digit_classifier.define_classifier())
    clock, record = clock_and_record(folder, models, rng, iterations, iterations)
    return script.train(g, d, gan, None, clock, record, cfg, images, rng, evaluation,
                        iterations)


def history_without_timing(out) -> list:
    """A run's history.csv, without the timing columns."""
    with open(out / "history.csv") as f:
        return [{k: v for k, v in row.items() if k not in TIMING} for row in csv.DictReader(f)]


def assert_same_weights(a, b) -> None:
    """Two saved models with bit-identical weights."""
    assert same(keras.models.load_model(a).get_weights(), keras.models.load_model(b).get_weights())


def models_txt(out) -> dict:
    """models.txt's summaries: model name -> {"total", "trainable", "non-trainable"}."""
    text = (out / "models.txt").read_text(encoding="utf-8")
    found = {}
    for block in text.split('Model: "')[1:]:
        counts = dict(re.findall(r"^ (Total|Trainable|Non-trainable) params: ([\d,]+)", block,
                                 re.M))
        found[block.split('"')[0]] = {k.lower(): int(v.replace(",", ""))
                                      for k, v in counts.items()}
    return found


def logged(folder) -> dict:
    """tag -> (plugin name, number of records) of every event file under folder/tensorboard."""
    seen = {}
    for path in glob.glob(os.path.join(folder, "tensorboard", "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                plugin = value.metadata.plugin_data.plugin_name
                seen[value.tag] = (plugin, seen.get(value.tag, (plugin, 0))[1] + 1)
    return seen


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
        return run_in_process(script, *args, "--output-dir", str(folder / "out"))

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
    from common import cli
    return {**cli.hyperparameter_defaults(gan_1d), **changes}


# The longest tests first (about 20 to 60 s each), so that pytest-xdist's workers finish
# together instead of one running a long test alone at the end.
LONGEST_FIRST = ("readme_results_script", "interrupted", "result_learned", "provoked",
                 "windows_like", "warnings_are_printed", "classifier_scores_real_digits",
                 "short_run_at_the_defaults", "keeps_the_warnings", "edit_at_the_top")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: not any(words in item.name for words in LONGEST_FIRST))
