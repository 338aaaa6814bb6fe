"""gan_mnist.py: the freeze discipline with BatchNorm, D's fakes, data loading, a tiny run,
--generate, and the digit classifier."""

import json

import imageio.v3 as iio
import keras
import numpy as np
import pytest

from conftest import run_script, same, snapshot, watched_train_step
import gan_mnist
from common import training
from common.sampling import generate_latent_points

LATENT_DIM = 16


def tiny_models(seed: int = 0):
    keras.utils.set_random_seed(seed)
    d = gan_mnist.define_discriminator(filters=4, learning_rate=0.002, beta_1=0.5)
    g = gan_mnist.define_generator(LATENT_DIM, filters=4)
    gan = gan_mnist.define_gan(g, d, learning_rate=0.002, beta_1=0.5)
    return d, g, gan


@pytest.fixture(scope="module")
def sample():
    x, y = gan_mnist.load_npz(gan_mnist.BUNDLED_SAMPLE)
    return x, y


def test_freeze_discipline_with_the_convolutional_models(sample):
    d, g, gan = tiny_models()
    rng = np.random.default_rng(0)
    x = gan_mnist.scale(sample[0][:64])
    for half in (8, 16):  # a batch-size change retraces the train functions
        d_start = snapshot(d)
        losses, seen = watched_train_step(d, g, gan, x[:half], LATENT_DIM, rng)
        assert all(np.isfinite(losses))
        assert not same(d_start, seen["d_before"]), "D did not learn from its own update"
        assert same(seen["d_before"], seen["d_after"]), "the composite update changed D"
        assert not same(seen["g_before"], seen["g_after"]), "G did not learn"


def test_d_is_shown_the_fakes_the_composite_trains_g_on(sample, tmp_path):
    """With BatchNorm the tutorial's predict() fakes differ from the composite's; this test
    fails for a loop that draws D's fakes with predict()."""
    d, g, gan = tiny_models()
    half = 16
    x_real = gan_mnist.scale(sample[0][:half])
    # The loop's first draw from its generator, after the real images (which use none here).
    z_fake = generate_latent_points(LATENT_DIM, half, np.random.default_rng(1))
    expected = np.asarray(g(z_fake, training=True))  # what the composite's G computes
    inference_mode = g.predict_on_batch(z_fake)
    assert not np.allclose(expected, inference_mode, atol=1e-3)
    shown = {}
    real_d_update = d.train_on_batch

    def spying_d_update(x, y):
        shown["x"] = np.asarray(x)
        return real_d_update(x, y)

    d.train_on_batch = spying_d_update
    training.train(d, g, gan, lambda n: (x_real, None), LATENT_DIM, iterations=1,
                   batch_size=2 * half, eval_every=1, summarize_performance=lambda i: {},
                   rng=np.random.default_rng(1), checkpoint_path=str(tmp_path / "ckpt.npz"),
                   run_info={"script": "test"})
    d.train_on_batch = real_d_update
    np.testing.assert_allclose(shown["x"][:half], x_real)
    np.testing.assert_allclose(shown["x"][half:], expected, rtol=1e-4, atol=1e-5)


def test_the_bundled_sample_is_what_the_readme_says(sample):
    x, y = sample
    assert x.shape == (5000, 28, 28) and x.dtype == np.uint8 and x.max() > 200
    assert (np.bincount(y) == 500).all()


def test_offline_falls_back_to_the_bundled_sample_with_one_warning(monkeypatch, capsys):
    def no_network():
        raise Exception("URL fetch failure: Name or service not known")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    x, y, x_held, y_held, source = gan_mnist.load_real_samples(None)
    out = capsys.readouterr().out
    assert out.count("warning:") == 1 and "bundled" in out and "--data" in out
    assert "bundled" in source
    assert x.shape == (4500, 28, 28, 1) and x_held.shape == (500, 28, 28, 1)
    assert x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert len(y) == 4500 and len(y_held) == 500


def test_an_npz_path_is_loaded_and_split(tmp_path, sample):
    path = tmp_path / "digits.npz"
    np.savez(path, x_train=sample[0][:300], y_train=sample[1][:300])
    x, y, x_held, y_held, source = gan_mnist.load_real_samples(gan_mnist.load_npz(str(path)))
    assert len(x) == 270 and len(x_held) == 30 and source == "the --data file"


def bad_files(folder, sample):
    x, y = sample[0][:50], sample[1][:50]
    good = folder / "good.npz"
    np.savez(good, x_train=x, y_train=y)
    cases = {"missing": (folder / "nope.npz", "does not exist"),
             "folder": (folder, "is a folder")}
    for name, arrays, message in [
            ("wrong shape", dict(x_train=x.reshape(50, 784), y_train=y), "must have shape"),
            ("wrong dtype", dict(x_train=x.astype(np.float64), y_train=y), "must be uint8"),
            ("no labels", dict(x_train=x), "has no x_train and y_train"),
            ("bad labels", dict(x_train=x, y_train=y + 10), "must be 50 digits 0-9"),
            ("object array", dict(x_train=np.array([None] * 50), y_train=y), "not a readable")]:
        np.savez(folder / f"{name}.npz", **arrays)
        cases[name] = (folder / f"{name}.npz", message)
    truncated = folder / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:2000])
    cases["truncated"] = (truncated, "not a readable .npz")
    text = folder / "text.npz"
    text.write_text("not numpy")
    cases["not an npz"] = (text, "not a readable .npz")
    return cases


def test_bad_data_files_fail_with_one_line_and_write_nothing(tmp_path, sample):
    for name, (path, message) in bad_files(tmp_path, sample).items():
        out = tmp_path / "run"
        result = run_script("gan_mnist.py", "--data", str(path), "--output-dir", str(out))
        assert result.returncode == 2, name
        assert result.stderr.startswith("error: --data: ") and message in result.stderr, \
            (name, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, name
        assert not out.exists(), name


BAD_FLAGS = [
    (["--epochs", "0"], "--epochs must be positive (got 0)"),
    (["--batch-size", "33"], "--batch-size must be even (half real, half fake) (got 33)"),
    (["--epochs", "2", "--eval-every", "3"], "--eval-every must be at most --epochs (2) (got 3)"),
    (["--beta-1", "1.5"], "--beta-1 must be at most 0.999 (0.999) (got 1.5)"),
    (["--g-filters", "many"], "--g-filters must be an integer (got 'many')"),
    (["--generate", "-1"], "--generate must be zero or positive (got -1)"),
    (["--epoch-images", "-5"], "--epoch-images must be zero or positive (got -5)"),
    (["--epoch-images", "100", "--batch-size", "128"],
     "--epoch-images must be 0 (all the images) or at least --batch-size (128) (got 100)"),
]


@pytest.mark.parametrize("args, message", BAD_FLAGS, ids=[" ".join(a) for a, _ in BAD_FLAGS])
def test_bad_flags_fail_with_one_line(tmp_path, args, message):
    result = run_script("gan_mnist.py", "--output-dir", str(tmp_path / "run"), *args)
    assert result.returncode == 2 and result.stderr == f"error: {message}\n"
    assert not (tmp_path / "run").exists()


def test_generate_without_a_trained_generator_says_so(tmp_path):
    result = run_script("gan_mnist.py", "--generate", "5", "--output-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: --generate: no generator_epoch_*.keras in ")


def test_an_epoch_is_capped_at_epoch_images_so_full_mnist_runs_as_long_as_the_sample():
    cfg = {"EPOCH_IMAGES": 4_500, "BATCH_SIZE": 64}
    assert gan_mnist.steps_per_epoch(cfg, 60_000) == 70  # full MNIST
    assert gan_mnist.steps_per_epoch(cfg, 4_500) == 70   # the bundled sample
    assert gan_mnist.steps_per_epoch(cfg, 1_000) == 15   # fewer images: a full pass
    assert gan_mnist.steps_per_epoch({**cfg, "EPOCH_IMAGES": 0}, 60_000) == 937  # the tutorial


def test_a_tiny_mnist_run_writes_every_output(tiny_mnist_run):
    out, result = tiny_mnist_run
    assert "real training images, for reference: score=" in result.stdout
    assert "training: 2 epochs of 5 iterations (an epoch: 160 of the 225 training images; " \
        "--epoch-images 0 for full passes)" in result.stdout
    for epoch in (1, 2):
        assert iio.imread(out / f"grid_epoch_{epoch:03d}.png").ndim == 3
        for model in ("generator", "discriminator"):
            assert (out / f"{model}_epoch_{epoch:03d}.keras").stat().st_size > 0
    assert iio.imread(out / "progress.gif", index=None).shape[0] == 2
    assert iio.imread(out / "curves.png").ndim == 3
    lines = (out / "history.csv").read_text().splitlines()
    assert len(lines) == 3 and lines[0].startswith("iteration,d_loss,g_loss,")
    assert [line.split(",")[0] for line in lines[1:]] == ["5", "10"]  # 2 epochs of 160 images
    assert "score" in lines[0] and "class_9" in lines[0]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epoch"] == 2 and 1 <= metrics["score"] <= 10 and metrics["fd"] >= 0
    assert json.loads((out / "config.json").read_text())["EPOCHS"] == 2
    g = keras.models.load_model(out / "generator.keras")
    assert g.output_shape == (None, 28, 28, 1)
    d = keras.models.load_model(out / "discriminator.keras")
    assert d.trainable_weights, "discriminator.keras was saved frozen"


def test_the_saved_generator_is_gs_moving_average_not_g_itself(tiny_mnist_run):
    out, _ = tiny_mnist_run
    with np.load(out / "checkpoint.npz") as saved:
        group = {name: [saved[k] for k in sorted(saved.files) if k.startswith(name + "/")]
                 for name in ("g", "g_average")}
    g = keras.models.load_model(out / "generator.keras")
    assert same(g.get_weights(), group["g_average"])
    assert not same(g.get_weights(), group["g"])


def test_generate_writes_the_images_from_the_newest_generator_by_epoch(tiny_mnist_run):
    out, _ = tiny_mnist_run
    # Make the older generator the most recently touched file: order must come from the name.
    (out / "generator_epoch_001.keras").touch()
    result = run_script("gan_mnist.py", "--generate", "20", "--output-dir", str(out))
    assert result.returncode == 0, result.stderr
    assert "generator_epoch_002.keras" in result.stdout
    digits = sorted((out / "generated").glob("digit_*.png"))
    assert len(digits) == 20
    assert iio.imread(digits[0]).shape[:2] == (28, 28)
    assert iio.imread(out / "generated" / "grid.png").ndim == 3


def test_generate_refuses_a_corrupt_generator_file(tiny_mnist_run, tmp_path):
    (tmp_path / "generator_epoch_007.keras").write_bytes(b"not a keras file")
    result = run_script("gan_mnist.py", "--generate", "3", "--output-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: --generate: cannot load ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_generate_refuses_a_foreign_keras_model(tmp_path):
    keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)]).save(
        tmp_path / "generator_epoch_003.keras")
    result = run_script("gan_mnist.py", "--generate", "3", "--output-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: --generate: ") and \
        "is not an MNIST generator" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "generated").exists()


def test_the_classifier_scores_real_digits_high_and_noise_low(tmp_path, sample):
    x, y = gan_mnist.scale(sample[0]), sample[1]  # the sample is sorted by digit: interleave
    train, real, held = slice(0, None, 2), slice(1, None, 4), slice(3, None, 4)
    keras.utils.set_random_seed(0)
    classifier = gan_mnist.train_classifier(x[train], y[train], x[held], y[held], str(tmp_path))
    scorer = gan_mnist.probs_and_features(classifier)
    _, held_features = gan_mnist.classify(scorer, x[held])
    real_metrics = gan_mnist.image_metrics(scorer, x[real], held_features)
    noise = np.random.default_rng(0).uniform(0, 1, (1000, 28, 28, 1)).astype(np.float32)
    noise_metrics = gan_mnist.image_metrics(scorer, noise, held_features)
    assert real_metrics["score"] > 8 and real_metrics["confident"] > 0.8
    assert real_metrics["min_class_share"] > 0.05
    assert noise_metrics["score"] < 3 and noise_metrics["fd"] > 10 * real_metrics["fd"]
    # Cached: a second call for the same images loads the file instead of training again.
    again = gan_mnist.train_classifier(x[train], y[train], x[held], y[held], str(tmp_path))
    assert same(snapshot(again), snapshot(classifier))
