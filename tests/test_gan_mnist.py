"""gan_mnist.py: the freeze discipline with BatchNorm (unconditional and conditional), D's
fakes, data loading, tiny runs, --generate, and the digit classifier."""

import json

import imageio.v3 as iio
import keras
import numpy as np
import pytest

from conftest import TINY_LATENT, assert_freeze_discipline, models_txt, run_in_process, same
from conftest import sample_images, snapshot, spy_on_updates, tiny_models, train_mnist
import gan_mnist
from common import verdicts
from common.mnist import digit_classifier, image_data, saved_generator


@pytest.mark.parametrize("conditional", [False, True], ids=["unconditional", "conditional"])
def test_freeze_discipline_in_gan_mnist_train(sample, tmp_path, conditional):
    d, g, gan = tiny_models(conditional=conditional)
    rng = np.random.default_rng(0)
    images = sample_images(sample[0][::50], sample[1][::50])
    for batch_size in (16, 32):  # a batch-size change retraces the train functions
        records = spy_on_updates(d, g, gan)
        train_mnist((d, g, gan), tmp_path / str(batch_size), images, batch_size, rng,
                    conditional)
        assert len(records) == 4
        assert_freeze_discipline(records)
        if conditional:  # D sees images and digits; the composite, latent points and digits
            shown, digits = records[0][1]
            n = batch_size + round(gan_mnist.WRONG_DIGITS * batch_size)  # + wrong-digit pairs
            assert shown.shape == (n, 28, 28, 1) and digits.shape == (n,)
            assert set(digits[:batch_size // 2]) <= set(images.y.tolist())
            assert records[1][1][1].shape == (batch_size,)


def test_d_is_shown_the_fakes_the_composite_trains_g_on(sample, tmp_path):
    """With BatchNorm the tutorial's predict() fakes differ from the composite's; this test
    fails for a loop that draws D's fakes with predict()."""
    d, g, gan = tiny_models()
    half = 16
    images = sample_images(sample[0][::50], sample[1][::50])  # 100 images
    # The loop's draws: the real images' picks, then the fakes' latent points.
    replay = np.random.default_rng(1)
    pick = replay.integers(0, 100, half)
    z_fake = replay.standard_normal((half, TINY_LATENT), dtype=np.float32)
    expected = np.asarray(g(z_fake, training=True))  # what the composite's G computes
    assert not np.allclose(expected, g.predict_on_batch(z_fake), atol=1e-3)
    records = spy_on_updates(d, g, gan)
    train_mnist((d, g, gan), tmp_path, images, 2 * half, np.random.default_rng(1),
                iterations=1)
    shown = records[0][1]
    np.testing.assert_allclose(shown[:half], images.x[pick])
    np.testing.assert_allclose(shown[half:], expected, rtol=1e-4, atol=1e-5)


def test_conditional_d_also_learns_to_call_real_images_with_a_wrong_digit_fake(sample,
                                                                                tmp_path):
    d, g, gan = tiny_models(conditional=True)
    sampled = sample_images(sample[0][::50], sample[1][::50])
    images, digits = sampled.x, sampled.y
    shown, update = [], d.train_on_batch
    d.train_on_batch = lambda x, y: shown.append((x, y)) or update(x, y)
    train_mnist((d, g, gan), tmp_path, sampled, 32, np.random.default_rng(0),
                conditional=True, iterations=1)
    (x, asked), y = shown[0]
    n_wrong = round(gan_mnist.WRONG_DIGITS * 32)
    assert n_wrong > 0 and len(x) == len(asked) == len(y) == 32 + n_wrong

    def true_digits(image):  # the digits of the sample's images equal to this one
        return set(digits[(images == image).all(axis=(1, 2, 3))].tolist())

    for k in range(16):  # real images with their own digits, called real
        assert y[k] == 1 and asked[k] in true_digits(x[k])
    for k in range(16, 32):  # generated images, called fake
        assert y[k] == 0 and not true_digits(x[k])
    for k in range(32, 32 + n_wrong):  # real images with a digit they are not, called fake
        assert y[k] == 0 and true_digits(x[k]) and asked[k] not in true_digits(x[k])
    assert len(set(asked[32:].tolist())) > 1


def test_the_label_reaches_both_players():
    keras.utils.set_random_seed(0)
    d, g, _ = tiny_models(conditional=True)
    z = np.random.default_rng(0).standard_normal((8, TINY_LATENT)).astype(np.float32)
    threes, sevens = (np.asarray(g([z, np.full(8, k, np.int32)], training=False))
                      for k in (3, 7))
    assert np.abs(threes - sevens).max() > 1e-3, "G draws the same for different digits"
    d_threes, d_sevens = (np.asarray(d([threes, np.full(8, k, np.int32)], training=False))
                          for k in (3, 7))
    assert np.abs(d_threes - d_sevens).max() > 1e-4, "D ignores the digit"


def test_the_bundled_sample_is_what_the_readme_says(sample):
    x, y = sample
    assert x.shape == (5000, 28, 28) and x.dtype == np.uint8 and x.max() > 200
    assert (np.bincount(y) == 500).all()


def test_offline_falls_back_to_the_bundled_sample_with_one_warning(monkeypatch, capsys):
    def no_network():
        raise Exception("URL fetch failure: Name or service not known")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    x, y, x_held, y_held, classes, source = image_data.load_images(None)
    out = capsys.readouterr().out
    assert out.count("warning:") == 1 and "bundled" in out and "--data" in out
    assert "bundled" in source
    assert x.shape == (4500, 28, 28) and x_held.shape == (500, 28, 28)
    assert x.dtype == np.uint8 and image_data.scale(x).max() <= 1
    assert len(y) == 4500 and len(y_held) == 500


def test_an_npz_path_is_loaded_and_split(tmp_path, sample):
    path = tmp_path / "digits.npz"
    np.savez(path, x_train=sample[0][::16][:300], y_train=sample[1][::16][:300])  # all ten
    x, y, x_held, y_held, classes, source = image_data.load_images(image_data.read(str(path)))
    assert len(x) == 270 and len(x_held) == 30 and source == "the --data images"
    assert len(y) == 270 and len(y_held) == 30 and classes == [str(k) for k in range(10)]


def bad_files(folder, sample):
    x, y = sample[0][:50], sample[1][:50]
    good = folder / "good.npz"
    np.savez(good, x_train=x, y_train=y)
    cases = {"missing": (folder / "nope.npz", "does not exist"),
             "folder of .npz files": (folder, "has no images")}
    for name, arrays, message in [
            ("wrong shape", dict(x_train=x.reshape(50, 784), y_train=y), "must have shape"),
            ("wrong dtype", dict(x_train=x.astype(np.float64), y_train=y), "must be uint8"),
            ("no x_train", dict(a=x, b=y), "has no x_train array, nor a single array"),
            ("bad labels", dict(x_train=x, y_train=y + 100), "must be 50 class numbers 0 to 99"),
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
        result = run_in_process("gan_mnist.py", "--data", str(path), "--output-dir", str(out))
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
    # A count given is a count: 0 is refused, not read as "not asked" (nothing trains).
    (["--generate", "-1"], "--generate must be a positive number of images (got -1)"),
    (["--generate", "0"], "--generate must be a positive number of images (got 0)"),
    (["--interpolate", "0"], "--interpolate must be at least 2 frames (got 0)"),
    (["--digit", "3"], "--digit goes with --generate (or --interpolate); to go on with a run: "
                       "--resume RUN"),
    (["--epoch-images", "-5"], "--epoch-images must be zero or positive (got -5)"),
    (["--epoch-images", "100", "--batch-size", "128"],
     "--epoch-images must be 0 (all the images) or at least --batch-size (128) (got 100)"),
]


@pytest.mark.parametrize("args, message", BAD_FLAGS, ids=[" ".join(a) for a, _ in BAD_FLAGS])
def test_bad_flags_fail_with_one_line(tmp_path, args, message):
    result = run_in_process("gan_mnist.py", "--output-dir", str(tmp_path / "run"), *args)
    assert result.returncode == 2 and result.stderr == f"error: {message}\n"
    assert not (tmp_path / "run").exists()


def test_generate_without_a_trained_generator_says_so(tmp_path):
    result = run_in_process("gan_mnist.py", "--generate", "5", "--output-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: --generate: no saved generator "
                                    "(generator_epoch_*.keras) in ")


def test_an_epoch_is_capped_at_epoch_images_so_full_mnist_runs_as_long_as_the_sample():
    cfg = {"EPOCH_IMAGES": 4_500, "BATCH_SIZE": 64}
    assert image_data.steps_per_epoch(cfg, 60_000) == 70  # full MNIST
    assert image_data.steps_per_epoch(cfg, 4_500) == 70   # the bundled sample
    assert image_data.steps_per_epoch(cfg, 1_000) == 15   # fewer images: a full pass
    assert image_data.steps_per_epoch({**cfg, "EPOCH_IMAGES": 0}, 60_000) == 937  # the tutorial


@pytest.mark.smoke
def test_a_tiny_mnist_run_writes_every_output(tiny_mnist_run):
    out, result = tiny_mnist_run
    assert "real training images, for reference: score " in result.stdout
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
    # Two epochs of tiny models draw no digits: the verdict says so, beside real images'.
    assert result.stdout.splitlines()[-1] == f"result: {metrics['result']}"
    assert metrics["result"].startswith(f"not learned: G's images score {metrics['score']:.2f} "
                                        f"(real ones: {metrics['real_reference']['score']:.2f}")
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
    result = run_in_process("gan_mnist.py", "--generate", "20", "--output-dir", str(out.parent))
    assert result.returncode == 0, result.stderr
    assert f"{out}/generator_epoch_002.keras" in result.stdout
    digits = sorted((out / "generated").glob("digit_*.png"))
    assert len(digits) == 20
    assert iio.imread(digits[0]).shape[:2] == (28, 28)
    assert iio.imread(out / "generated" / "grid.png").ndim == 3


def test_generate_refuses_a_corrupt_generator_file(tmp_path):
    (tmp_path / "001").mkdir()
    (tmp_path / "001" / "generator_epoch_007.keras").write_bytes(b"not a keras file")
    result = run_in_process("gan_mnist.py", "--generate", "3", "--output-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: --generate: cannot load ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_generate_refuses_a_foreign_keras_model(tmp_path):
    keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)]).save(
        tmp_path / "generator_epoch_003.keras")
    result = run_in_process("gan_mnist.py", "--generate", "3", "--run", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: --generate: ") and \
        "is not an MNIST generator" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "generated").exists()


def test_the_classifier_scores_real_digits_high_and_noise_low(tmp_path, sample):
    x, y = image_data.scale(sample[0]), sample[1]  # the sample is sorted by digit: interleave
    train, real, held = slice(0, None, 4), slice(1, None, 4), slice(3, None, 4)  # 1,250 each
    keras.utils.set_random_seed(0)
    classifier = digit_classifier.train_classifier(x[train], y[train], x[held], y[held],
                                                   str(tmp_path))
    scorer = digit_classifier.scorer(classifier)
    _, held_features = digit_classifier.classify(scorer, x[held])
    real_metrics = digit_classifier.image_metrics(scorer, x[real], held_features, y[real])
    noise = np.random.default_rng(0).uniform(0, 1, (1000, 28, 28, 1)).astype(np.float32)
    noise_metrics = digit_classifier.image_metrics(scorer, noise, held_features,
                                                   np.arange(1000) % 10)
    assert real_metrics["score"] > 8 and real_metrics["confident"] > 0.8
    assert real_metrics["min_class_share"] > 0.05 and real_metrics["label_accuracy"] > 0.9
    assert noise_metrics["score"] < 3 and noise_metrics["fd"] > 10 * real_metrics["fd"]
    assert noise_metrics["label_accuracy"] < 0.3
    # The verdict: real digits (unseen by the classifier) pass the bar set by the real
    # training images' own numbers; noise misses it, and the line says by what.
    reference = digit_classifier.image_metrics(scorer, x[train], held_features, y[train])
    digits = [str(k) for k in range(10)]
    assert verdicts.digits(real_metrics, [], [], reference, digits).startswith(
        "learned digits: G's images score ")
    noise_verdict = verdicts.digits(noise_metrics, [{"epoch": 1, "d_loss": 0.1, "acc_fake": 1.0}],
                                    [], reference, digits)
    assert noise_verdict.startswith(f"not learned: G's images score {noise_metrics['score']:.2f}")
    assert ", under 60% of theirs" in noise_verdict and noise_verdict.endswith(
        "likely cause: D spots G's samples (accuracy 1.00 on them): try a larger --g-filters (G "
        "too weak) or a smaller --learning-rate (steps too big)")
    assert f"the digit asked for in {noise_metrics['label_accuracy']:.0%}" in noise_verdict
    # Wrong digits asked for: label_accuracy sees it.
    wrong = digit_classifier.image_metrics(scorer, x[real], held_features, (y[real] + 1) % 10)
    assert wrong["label_accuracy"] < 0.1
    # Cached: a second call for the same images loads the file instead of training again.
    again = digit_classifier.train_classifier(x[train], y[train], x[held], y[held],
                                              str(tmp_path))
    assert same(snapshot(again), snapshot(classifier))


@pytest.mark.smoke
def test_a_tiny_conditional_run_writes_every_output_with_ten_digit_columns(
        tiny_conditional_run):
    out, result = tiny_conditional_run
    done, verdict = result.stdout.splitlines()[-2:]
    assert "label_accuracy" in done and "the digit asked for in" in verdict
    header = (out / "history.csv").read_text().splitlines()[0].split(",")
    assert "label_accuracy" in header
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0 <= metrics["label_accuracy"] <= 1
    assert json.loads((out / "config.json").read_text())["CONDITIONAL"] is True
    g = keras.models.load_model(out / "generator.keras")
    assert len(g.inputs) == 2 and g.output_shape == (None, 28, 28, 1)
    # The grid: ten columns of digits (each 28 pixels plus a margin), as many rows.
    grid = iio.imread(out / "grid_epoch_002.png")
    assert grid.ndim == 3 and abs(grid.shape[0] - grid.shape[1]) < 0.1 * grid.shape[1]


def test_generate_with_a_digit_writes_images_named_for_it(tiny_conditional_run):
    out, _ = tiny_conditional_run
    result = run_in_process("gan_mnist.py", "--generate", "12", "--digit", "3", "--output-dir",
                        str(out.parent))
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (out / "generated").glob("*.png") if p.name != "grid.png")
    assert names == [f"digit3_{i:03d}.png" for i in range(12)]
    assert iio.imread(out / "generated" / "digit3_000.png").shape[:2] == (28, 28)
    # Without --digit: cycling through 0-9, the digit in each name; the old images are gone.
    result = run_in_process("gan_mnist.py", "--generate", "12", "--run", str(out))
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (out / "generated").glob("*.png") if p.name != "grid.png")
    assert names == sorted(f"digit{i % 10}_{i:03d}.png" for i in range(12))


def test_interpolate_on_a_conditional_generator_goes_through_the_digits(
        tiny_conditional_run):
    out, _ = tiny_conditional_run
    result = run_in_process("gan_mnist.py", "--interpolate", "20", "--run", out.name,
                        "--output-dir", str(out.parent))
    assert result.returncode == 0, result.stderr
    frames = iio.imread(out / "interpolation.gif", index=None)
    assert frames.shape == (20, 4 * 28 * 3, 4 * 28 * 3, 3)
    assert len({frame.tobytes() for frame in frames}) > 1  # it moves


def test_the_plain_and_the_conditional_loop_are_one_sequence():
    """No branch on the mode inside train()'s loop: the conditional draws are chosen once,
    before it, with the plain ones' arguments."""
    import ast
    import inspect
    loop = next(node for node in ast.walk(ast.parse(inspect.getsource(gan_mnist.train)))
                if isinstance(node, ast.For))
    source = ast.unparse(loop)
    assert "CONDITIONAL" not in source and "conditional" not in source.lower()
    assert source.count("train_on_batch(") == 2
    plain = gan_mnist.sampling_functions({"CONDITIONAL": False}, None)
    assert plain == (gan_mnist.generate_real_samples, gan_mnist.generate_fake_samples,
                     gan_mnist.generate_latent_points)
    images = image_data.Images(None, None, None, None, list("abc"), "three classes")
    conditional = gan_mnist.sampling_functions(
        {"CONDITIONAL": True, "WRONG_DIGITS": 0.25, "BATCH_SIZE": 8}, images)
    assert conditional[0] is gan_mnist.generate_conditional_real_samples
    assert conditional[1].keywords == {"n_classes": 3, "images": images, "n_wrong": 2}
    assert conditional[2].keywords == {"n_classes": 3}


@pytest.mark.parametrize("fixture", ["tiny_mnist_run", "tiny_conditional_run"])
def test_models_txt_shows_each_model_as_it_is_trained(fixture, request):
    """D's summary counts all its weights trainable; the composite's counts D's weights as
    non-trainable (the freeze, in Keras' words); the run prints the three counts."""
    out, result = request.getfixturevalue(fixture)
    summaries = models_txt(out)
    assert list(summaries) == ["discriminator", "generator", "gan"]
    d, g, gan = summaries.values()
    assert d["trainable"] == d["total"] > 0 and d["non-trainable"] == 0
    assert gan["total"] == d["total"] + g["total"]
    assert gan["trainable"] == g["trainable"] and gan["non-trainable"] >= d["total"]
    line = next(line for line in result.stdout.splitlines() if line.startswith("models ("))
    assert f"D {d['total']:,} parameters, G {g['total']:,}, the composite {gan['total']:,} " \
        f"of which {gan['trainable']:,} train" in line



def test_the_class_walk_holds_the_handwriting_and_asks_g_for_each_class_in_turn():
    """Through G's inputs and outputs only: every n_frames / n_classes frames, G's own image
    of the next class for the same latent points; between them, one fading into the next."""
    _, g, _ = tiny_models(conditional=True)
    points = np.random.default_rng(0).standard_normal((3, TINY_LATENT)).astype(np.float32)
    frames = saved_generator.class_walk(g, points, 10, 20).reshape(20, 3, 28, 28, 1)
    for k in range(10):
        asked = np.asarray(g([points, np.full(3, k, np.int32)], training=False))
        np.testing.assert_allclose(frames[2 * k], asked, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(frames[1], (frames[0] + frames[2]) / 2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(frames[19], (frames[18] + frames[0]) / 2, rtol=1e-5, atol=1e-6)
