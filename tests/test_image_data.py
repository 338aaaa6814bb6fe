"""Your own images: --data as a folder of images (any size, colour, PNG, JPEG, BMP, GIF; class
folders or one unlabelled set), an .npz without labels, or a Keras dataset's name; bad ones
refused in one line; an unlabelled set trains without the classifier's numbers; a
conditional run on named class folders."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

from conftest import TINY_MNIST, run_folder, run_in_process
from common.mnist import image_data
from common.errors import BadInput


@pytest.fixture(scope="module")
def digits():
    return image_data.load_npz(image_data.BUNDLED_SAMPLE)


def write_folder(folder, images) -> None:
    """The images as files of several kinds: dark digits on white paper (MNIST inverted),
    PNG, JPEG, BMP and GIF, some grown to 56x40, one in colour."""
    folder.mkdir(parents=True)
    kinds = ["png", "jpg", "bmp", "gif"]
    for i, image in enumerate(images):
        picture = Image.fromarray(255 - image)
        if i % 3 == 1:
            picture = picture.resize((40, 56))
        if i == 0:
            picture = picture.convert("RGB")
        picture.save(folder / f"{i:03d}.{kinds[i % 4]}")


def test_an_image_becomes_28x28_gray_padded_with_its_own_background(tmp_path):
    # A wide colour image: white paper with a black bar in the middle.
    pixels = np.full((20, 60, 3), 255, dtype=np.uint8)
    pixels[8:12, 20:40] = (0, 0, 0)
    Image.fromarray(pixels).save(tmp_path / "wide.jpg", quality=95)
    image = image_data.to_28x28(str(tmp_path / "wide.jpg"))
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert (image[:5] > 240).all() and (image[-5:] > 240).all()  # white margins, not black
    assert image[14, 14] < 60  # the bar, still dark in the middle


def test_a_gif_is_read_at_its_first_frame(tmp_path):
    frames = [Image.fromarray(np.full((28, 28), value, dtype=np.uint8)) for value in (10, 200)]
    frames[0].save(tmp_path / "two.gif", save_all=True, append_images=frames[1:])
    assert abs(int(image_data.to_28x28(str(tmp_path / "two.gif")).mean()) - 10) <= 2


def test_a_folder_of_mixed_images_is_one_unlabelled_set_and_a_broken_file_is_skipped(
        tmp_path, digits, capsys):
    folder = tmp_path / "mine"
    write_folder(folder, digits[0][:40])
    (folder / "broken.png").write_bytes((folder / "000.png").read_bytes()[:40])
    (folder / "notes.txt").write_text("not an image, not read")
    x, y, classes = image_data.read(str(folder))
    assert x.shape == (40, 28, 28) and x.dtype == np.uint8 and y is None and classes is None
    out = capsys.readouterr().out
    assert out.count("warning: skipped 1 unreadable file(s)") == 1 and "broken.png" in out
    # Dark digits on white paper stay so: the margins are white, the strokes dark.
    assert np.median(x[:, 0, :]) > 200 and x.min() < 60


def test_an_npz_without_labels_is_an_unlabelled_set(tmp_path, digits):
    np.savez(tmp_path / "x_only.npz", x_train=digits[0][:30])
    np.savez(tmp_path / "one_array.npz", digits[0][:30])
    for name in ("x_only.npz", "one_array.npz"):
        x, y, classes = image_data.read(str(tmp_path / name))
        assert x.shape == (30, 28, 28) and y is None and classes is None


def test_a_keras_dataset_name_loads_that_set_or_says_it_cannot(monkeypatch):
    local = (np.zeros((12, 28, 28), np.uint8), np.arange(12) % 10), \
        (np.ones((4, 28, 28), np.uint8), np.arange(4))
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", lambda: local)
    assert image_data.read("fashion_mnist") == "fashion_mnist"  # loaded after TensorFlow
    x, y, x_held, y_held, classes, source = image_data.load_images("fashion_mnist")
    assert x.shape == (12, 28, 28) and len(x_held) == 4 and source.startswith("fashion_mnist")
    assert classes[0] == "T-shirt/top" and len(classes) == 10

    def offline():
        raise Exception("URL fetch failure: Name or service not known")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    with pytest.raises(BadInput, match="--data fashion_mnist: cannot download it .* not in "
                                       "Keras' cache; run once online, or pass --data PATH"):
        image_data.load_images("fashion_mnist")


def test_a_keras_set_that_cannot_be_downloaded_leaves_no_run_folder(tmp_path, monkeypatch):
    """Offline, `--data fashion_mnist` is one line and exit 2, before any folder is made or
    any "a new run" is said: the run's folder appears only once its images are read."""
    def offline():
        raise Exception("URL fetch failure: Name or service not known")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    (tmp_path / "001").mkdir()  # an earlier run
    result = run_in_process("gan_mnist.py", "--data", "fashion_mnist", "--output-dir",
                            str(tmp_path))
    assert result.returncode == 2 and result.stderr.startswith(
        "error: --data fashion_mnist: cannot download it")
    assert result.stderr.count("\n") == 1 and "a new run" not in result.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["001"]


def bad_folders(tmp_path, digits) -> dict:
    """name -> (--data, further flags, the line's start, a phrase of it)."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "unreadable").mkdir()
    (tmp_path / "unreadable" / "a.png").write_text("not a png")
    write_folder(tmp_path / "classes" / "cats", digits[0][:100])
    for k in range(101):
        (tmp_path / "many" / f"class{k:03d}").mkdir(parents=True)
    write_folder(tmp_path / "few", digits[0][:20])  # 18 training images
    np.savez(tmp_path / "unlabelled.npz", x_train=digits[0][:200])
    return {
        "empty folder": (tmp_path / "empty", [], "--data: ", "has no images"),
        "no readable image": (tmp_path / "unreadable", [], "--data: ",
                              "has no readable image; e.g. "),
        "more than 100 classes": (tmp_path / "many", [], "--data: ",
                                  "has 101 class folders; at most 100"),
        "one class, --conditional": (tmp_path / "classes", ["--conditional"],
                                     "--conditional needs at least two classes", "(cats)"),
        "unknown dataset": ("fashion", [], "--data: ", "does not exist, nor is it a Keras "
                                                        "dataset (mnist, fashion_mnist)"),
        "fewer images than a batch": (tmp_path / "few", [], "--batch-size must be at most ",
                                      "the number of training images (18)"),
        "--conditional without labels": (tmp_path / "unlabelled.npz", ["--conditional"],
                                         "--conditional needs labelled images", "no labels"),
    }


def test_bad_image_sets_fail_with_one_line_and_write_nothing(tmp_path, digits):
    for name, (data, flags, start, phrase) in bad_folders(tmp_path, digits).items():
        out = tmp_path / "run"
        result = run_in_process("gan_mnist.py", "--data", str(data), "--output-dir", str(out),
                                *flags)
        assert result.returncode == 2, (name, result.stderr)
        line = result.stderr.splitlines()[-1]
        assert line.startswith(f"error: {start}") and phrase in line, (name, result.stderr)
        assert "Traceback" not in result.stderr and not out.exists(), name


@pytest.mark.parametrize("form", ["folder", "npz"])
def test_an_unlabelled_set_trains_draws_and_saves_without_the_classifier(form, tmp_path,
                                                                         digits):
    data = tmp_path / "mine"  # 250 images: 225 to train on
    if form == "folder":
        write_folder(data, digits[0][::20])
    else:
        data = tmp_path / "mine.npz"
        np.savez(data, digits[0][::20])
    out = tmp_path / "out"
    result = run_in_process("gan_mnist.py", "--data", str(data), "--output-dir", str(out),
                        *TINY_MNIST)
    assert result.returncode == 0, result.stderr
    assert "225 training images, 25 held out, no labels" in result.stdout
    assert result.stdout.count("no labels: the classifier's numbers") == 1
    run = run_folder(out)
    history = (run / "history.csv").read_text().splitlines()
    assert len(history) == 3 and "acc_real" in history[0] and "score" not in history[0]
    metrics = json.loads((run / "metrics.json").read_text())
    assert "acc_fake" in metrics and "score" not in metrics
    assert result.stdout.splitlines()[-1] == f"result: {metrics['result']}" == \
        "result: no verdict: unlabelled images have no classifier to judge them by; see the grids"
    for name in ("grid_epoch_002.png", "generator.keras", "progress.gif", "curves.png"):
        assert (run / name).stat().st_size > 0, name
    assert not list(out.glob("classifier_*.keras"))  # no labels: no classifier trained


def class_tree(folder, digits, names=("zero", "one", "two"), per_class=80) -> None:
    """Class folders named `names`, each with images of its digit (0, 1, 2 ...)."""
    x, y = digits
    for k, name in enumerate(names):
        write_folder(folder / name, x[y == k][:per_class])


def test_class_folders_are_the_classes_in_name_order(tmp_path, digits, capsys):
    class_tree(tmp_path / "tree", digits, per_class=12)
    (tmp_path / "tree" / "stray.png").write_bytes((tmp_path / "tree" / "one" / "000.png")
                                                  .read_bytes())
    x, y, classes = image_data.read(str(tmp_path / "tree"))
    assert classes == ["one", "two", "zero"]  # sorted, as image_dataset_from_directory does
    assert x.shape == (36, 28, 28) and list(np.bincount(y)) == [12, 12, 12]
    # The folder "one" holds ones: its images are label 0 now, and look like the ones.
    ones = 255 - digits[0][digits[1] == 1][:12]
    assert np.abs(x[y == 0][2].astype(int) - ones[2]).mean() < 20  # a PNG, unresized
    assert "are not read: with class folders" in capsys.readouterr().out


def test_a_conditional_run_on_named_class_folders_draws_and_generates_by_name(tmp_path,
                                                                             digits):
    class_tree(tmp_path / "tree", digits)  # 240 images: 216 to train on
    out = tmp_path / "out"
    result = run_in_process("gan_mnist.py", "--data", str(tmp_path / "tree"), "--output-dir",
                        str(out), "--conditional", *TINY_MNIST)
    assert result.returncode == 0, result.stderr
    assert "3 classes (one, two, zero)" in result.stdout
    run = run_folder(out)
    assert json.loads((run / "classes.json").read_text()) == ["one", "two", "zero"]
    header = (run / "history.csv").read_text().splitlines()[0].split(",")
    assert {"label_accuracy", "class_2"} <= set(header) and "class_3" not in header
    with Image.open(run / "grid_epoch_002.png") as grid:
        assert grid.width < 400  # three columns, not ten
    result = run_in_process("gan_mnist.py", "--generate", "4", "--digit", "zero", "--output-dir",
                        str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (run / "generated").glob("digit*.png")) == \
        [f"digit2_{i:03d}.png" for i in range(4)]
    result = run_in_process("gan_mnist.py", "--generate", "4", "--digit", "3", "--output-dir",
                        str(out))
    assert result.returncode == 2 and "one of the generator's 3 classes: 0 to 2" in \
        result.stderr
