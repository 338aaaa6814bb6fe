"""A DCGAN that learns handwritten digits: the classic Keras MNIST GAN tutorial, correct on
Keras 3, quick enough for a laptop CPU, with objective numbers instead of eyeballing.

    python gan_mnist.py                    # digits in minutes; outputs in outputs/gan_mnist/
    python gan_mnist.py --generate 20      # 20 digits from the newest saved generator
    python gan_mnist.py --help             # every hyperparameter below is a flag

The discriminator D (two strided convolutions) learns to tell MNIST images from generated ones;
the generator G (a dense layer and two transposed convolutions) learns, through the composite
model G -> D with D frozen, to make D call its images real. At every evaluation a small digit
classifier, trained once on the real images, scores the generated digits.
"""

import hashlib
import json
import math
import os
import re

import numpy as np

from common import cli, run_folder

# --- Hyperparameters: every line with a comment is also a flag (BATCH_SIZE <-> --batch-size) ---
EPOCHS = 20                       # epochs of training: EPOCH_IMAGES // BATCH_SIZE iterations each
EPOCH_IMAGES = 4_500              # images per epoch (0: all of them, the tutorial's epoch)
BATCH_SIZE = 64                   # images per update; D's batch is half real, half fake
LATENT_DIM = 100                  # size of the generator's random input
D_FILTERS = 64                    # D's first convolution's filters (the second has twice as many)
G_FILTERS = 32                    # G's filters in its dense map and transposed convolutions
LEARNING_RATE = 0.001             # Adam's step size, for both models (the tutorial: 0.0002)
BETA_1 = 0.5                      # Adam's momentum, as in the DCGAN paper
LR_DECAY = False                  # anneal the step size to zero over the run (cosine schedule)
G_AVERAGE = 0.999                 # show, score and save a moving average of G's weights (0: off)
EVAL_EVERY = 4                    # evaluate, draw and save the models every this many epochs
N_EVAL = 1_000                    # generated images scored at each evaluation
DATA = ""                         # an .npz like MNIST's (x_train, y_train); empty: full MNIST
SEED = 1                          # the same seed on the same machine gives the same run
TENSORBOARD = True                # write TensorBoard logs to <output-dir>/tensorboard/
OUTPUT_DIR = "outputs/gan_mnist"  # where every file of the run goes

BUNDLED_SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                              "mnist_5k.npz")
# The image grids are 10 x 10 digits; --interpolate walks 4 x 4 digits through 4 stops.
GRID_COLUMNS = 10
WALK_COLUMNS, WALK_STOPS = 4, 4
# What a run writes in its output folder: a fresh run refuses to start where these exist.
# (The digit classifier, classifier.keras/.json, is a cache that runs share: never deleted.)
RUN_FILES = ["checkpoint.npz", "config.json", "history.csv", "metrics.json", "curves.png",
             "progress.gif", "generator.keras", "discriminator.keras", "tensorboard",
             "grid_epoch_*.png",
             "generator_epoch_*.keras", "discriminator_epoch_*.keras", "generated",
             "interpolation.gif"]


# --- Reading and checking an .npz of digits (numpy only: runs before TensorFlow loads) ---------

def load_npz(path: str) -> tuple:
    """x_train (n, 28, 28) uint8 and y_train (n,) digits 0-9 from an MNIST-style .npz.

    Raises ValueError with a sentence that says what is wrong with the file.
    """
    if not os.path.exists(path):
        raise ValueError(f"{path} does not exist")
    if os.path.isdir(path):
        raise ValueError(f"{path} is a folder, not an .npz file")
    try:
        loaded = np.load(path, allow_pickle=False)  # never unpickle: a file may carry code
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("it holds one array, not named arrays")
        with loaded:
            names = loaded.files
            arrays = {k: loaded[k] for k in ("x_train", "y_train") if k in names}
    except Exception as e:  # truncated, not a zip, pickled objects: numpy raises many kinds
        reason = (str(e).splitlines() or [type(e).__name__])[0]
        raise ValueError(f"{path} is not a readable .npz file ({reason})")
    if len(arrays) < 2:
        raise ValueError(f"{path} has no x_train and y_train arrays "
                         f"(it has: {', '.join(names) or 'nothing'})")
    x, y = arrays["x_train"], arrays["y_train"]
    if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) < 2:
        raise ValueError(f"x_train in {path} must have shape (n, 28, 28), got {x.shape}")
    if x.dtype != np.uint8:
        raise ValueError(f"x_train in {path} must be uint8 pixels 0-255, got {x.dtype}")
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or \
            y.min() < 0 or y.max() > 9:
        raise ValueError(f"y_train in {path} must be {len(x)} digits 0-9, "
                         f"got shape {y.shape} and dtype {y.dtype}")
    return x, y


def parse_args(argv=None) -> tuple:
    """The hyperparameters above, overridden by flags and checked before TensorFlow loads.

    Returns the configuration and the --data images (None when DATA is empty). With --resume,
    the configuration is the one saved in the output folder's checkpoint.
    """
    cfg, given = cli.parse_hyperparameters(
        __file__, globals(), description=__doc__.split("\n\n")[0], argv=argv,
        rules={"EPOCHS": [cli.positive],
               "EPOCH_IMAGES": [cli.non_negative],
               "BATCH_SIZE": [cli.positive, cli.even],
               "LATENT_DIM": [cli.positive],
               "D_FILTERS": [cli.positive],
               "G_FILTERS": [cli.positive],
               "LEARNING_RATE": [cli.positive],
               "BETA_1": [cli.non_negative, cli.at_most(0.999, "0.999")],
               "G_AVERAGE": [cli.non_negative, cli.at_most(0.9999, "0.9999")],
               "EVAL_EVERY": [cli.positive],
               "N_EVAL": [cli.positive],
               "SEED": [cli.non_negative, cli.at_most(2 ** 32 - 1, "2**32 - 1")]},
        extra_flags=run_folder.FLAGS + [("--generate", {
            "type": int, "default": 0, "metavar": "N",
            "help": "instead of training: write N images from the newest saved generator"}),
        ("--interpolate", {
            "type": int, "default": 0, "metavar": "FRAMES",
            "help": "instead of training: write interpolation.gif, a walk through the "
                    "latent space of the newest saved generator in FRAMES frames"})])
    cli.check("EVAL_EVERY", cfg, cli.at_most(cfg["EPOCHS"], "--epochs"))
    cli.check("EPOCH_IMAGES", cfg, lambda n: None if n == 0 or n >= cfg["BATCH_SIZE"] else
              f"must be 0 (all the images) or at least --batch-size ({cfg['BATCH_SIZE']})")
    cli.check("generate", cfg, cli.non_negative)
    cli.check("interpolate", cfg,
              lambda n: None if n == 0 or n >= 2 else "must be 0 (off) or at least 2 frames")
    if cfg["generate"] or cfg["interpolate"]:
        if cfg["resume"] or cfg["overwrite"]:
            cli.fail("--generate and --interpolate train nothing: they take neither --resume "
                     "nor --overwrite")
        newest_generator(cfg["OUTPUT_DIR"])  # fails now if there is nothing to load
        cli.check("OUTPUT_DIR", cfg, cli.writable_folder)
        return cfg, None
    data = read_data(cfg["DATA"])
    cfg = run_folder.prepare(cfg, given, "gan_mnist.py", RUN_FILES)
    if cfg["resume"] and "DATA" not in given:
        data = read_data(cfg["DATA"])  # the file the run was started with
    if data is not None:
        n_train = len(data[0]) - held_out_size(len(data[0]))
        cli.check("BATCH_SIZE", cfg, cli.at_most(n_train, "the number of training images"))
    cli.check("OUTPUT_DIR", cfg, cli.writable_folder)
    if cfg["overwrite"]:  # last of all: no bad input may stop us once the old run is gone
        run_folder.clear(cfg["OUTPUT_DIR"], RUN_FILES)
    return cfg, data


def read_data(path: str):
    """The images and labels of --data, or None when it is empty; bad files end the program."""
    if not path:
        return None
    try:
        return load_npz(path)
    except ValueError as e:
        cli.fail(f"--data: {e}")


def held_out_size(n_images: int) -> int:
    """How many images of an .npz are held out for the metrics: a fixed 10 %."""
    return n_images // 10


def steps_per_epoch(cfg: dict, n_train: int) -> int:
    """Iterations per epoch: the tutorial's n_images // batch size, with n_images capped at
    EPOCH_IMAGES. The cap makes full MNIST's 60,000 images give the same few-minute run as
    the bundled sample's 4,500 (a full pass of 60,000 is 937 iterations, about 4 minutes at
    the default's 250 ms each)."""
    n_images = min(n_train, cfg["EPOCH_IMAGES"]) if cfg["EPOCH_IMAGES"] else n_train
    return n_images // cfg["BATCH_SIZE"]


def newest_generator(out_dir: str) -> str:
    """The path of the generator saved at the latest evaluation (by epoch, not by file date)."""
    saved = {}
    if os.path.isdir(out_dir):
        for name in os.listdir(out_dir):
            match = re.fullmatch(r"generator_epoch_(\d+)\.keras", name)
            if match:
                saved[int(match[1])] = os.path.join(out_dir, name)
    if not saved:
        cli.fail(f"--generate: no generator_epoch_*.keras in {out_dir}; train first "
                 f"(python gan_mnist.py --output-dir {out_dir})")
    return saved[max(saved)]


if __name__ == "__main__":
    CONFIG, DATA_ARRAYS = parse_args()  # bad input fails here, before TensorFlow loads

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow: warnings and errors only
with cli.native_stderr_hidden():  # ...and not its start-up chatter on machines without a GPU
    import keras  # noqa: E402
    import tensorflow as tf  # noqa: E402
    DEVICE = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"

from common import averaging, checkpoint, gif, metrics, plotting  # noqa: E402
from common import saving, summaries, training  # noqa: E402
from common.sampling import generate_fake_samples, generate_latent_points  # noqa: E402
from common.sampling import latent_walk  # noqa: E402


# --- The models ------------------------------------------------------------------------------

def define_discriminator(filters: int, learning_rate, beta_1: float):
    """D: a 28x28 image -> probability that it is a real digit (the tutorial's CNN)."""
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(filters, (5, 5), strides=(2, 2), padding="same"),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Dropout(0.3),
        keras.layers.Conv2D(2 * filters, (5, 5), strides=(2, 2), padding="same"),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Dropout(0.3),
        keras.layers.Flatten(),
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="discriminator")
    # No metrics=["accuracy"]: Keras would reset its variables on every train_on_batch;
    # summarize_performance measures D's accuracy itself.
    model.compile(loss="binary_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1))
    return model


def define_generator(latent_dim: int, filters: int):
    """G: a latent point -> a 28x28 image with pixels in [0, 1] (the tutorial's DCGAN)."""
    return keras.Sequential([
        keras.Input(shape=(latent_dim,)),
        keras.layers.Dense(7 * 7 * filters),     # a 7x7 map of `filters` channels
        keras.layers.BatchNormalization(),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Reshape((7, 7, filters)),
        keras.layers.Conv2DTranspose(filters, (4, 4), strides=(2, 2), padding="same"),  # 14x14
        keras.layers.BatchNormalization(),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Conv2DTranspose(filters, (4, 4), strides=(2, 2), padding="same"),  # 28x28
        keras.layers.BatchNormalization(),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Conv2D(1, (7, 7), activation="sigmoid", padding="same"),
    ], name="generator")


def define_gan(g_model, d_model, learning_rate, beta_1: float):
    """The composite G -> D that trains G to make D say "real".

    D is frozen here as in the tutorial; on Keras 3 the training loop (common/training.py)
    also sets D.trainable right before each update, which is what really keeps it right.
    """
    d_model.trainable = False
    model = keras.Sequential([g_model, d_model], name="gan")
    model.compile(loss="binary_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1))
    return model


# --- The data --------------------------------------------------------------------------------

def load_real_samples(data) -> tuple:
    """Training and held-out images as float32 in [0, 1], shape (n, 28, 28, 1), labels, source.

    `data` is the (x, y) of --data, or None: then full MNIST (downloaded once by Keras, cached
    under ~/.keras/datasets), or the bundled 5,000-image sample when it cannot be downloaded.
    Full MNIST holds out its test set; an .npz holds out a fixed 10 %.
    """
    if data is None:
        try:
            (x, y), (x_held, y_held) = keras.datasets.mnist.load_data()
            source = "MNIST (60,000 training images; its 10,000 test images held out)"
            return scale(x), y, scale(x_held), y_held, source
        except Exception as e:  # no network, a proxy, a broken cache: all mean the same here
            reason = (str(e).splitlines() or [type(e).__name__])[0][-80:]
            print(f"warning: could not get full MNIST (...{reason}); using the bundled "
                  f"5,000-image sample. For the full set run once with internet access, or "
                  f"pass --data PATH to an mnist.npz.", flush=True)
            data, source = load_npz(BUNDLED_SAMPLE), "the bundled 5,000-image MNIST sample"
    else:
        source = "the --data file"
    x, y = data
    order = np.random.default_rng(0).permutation(len(x))  # fixed: independent of SEED
    held, train = np.split(order, [held_out_size(len(x))])
    return scale(x[train]), y[train], scale(x[held]), y[held], source


def scale(x: np.ndarray) -> np.ndarray:
    """uint8 pixels 0-255 -> float32 in [0, 1] with a channel axis, as the models expect."""
    return (x.astype(np.float32) / 255.0)[..., np.newaxis]


def generate_real_samples(dataset: np.ndarray, n: int, rng: np.random.Generator) -> tuple:
    """n images picked at random from the dataset, with class label 1 (as in the tutorial)."""
    return dataset[rng.integers(0, len(dataset), n)], np.ones((n, 1), dtype=np.float32)


# --- The evaluation --------------------------------------------------------------------------

def define_classifier():
    """A small CNN that reads digits; its 128-unit layer gives the features for the FD."""
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(128, activation="relu", name="features"),
        keras.layers.Dense(10, activation="softmax"),
    ], name="digit_classifier")
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam",
                  metrics=["accuracy"])
    return model


def train_classifier(x, y, x_held, y_held, out_dir: str):
    """The digit classifier for these images: loaded from the output folder when it was
    trained on exactly them, else trained now (about 50,000 images' worth) and saved there."""
    fingerprint = hashlib.sha1(x.tobytes()).hexdigest()[:16]
    path, info_path = (os.path.join(out_dir, f"classifier.{ext}") for ext in ("keras", "json"))
    try:
        with open(info_path) as f:
            if json.load(f)["fingerprint"] == fingerprint:
                return keras.models.load_model(path)
    except (OSError, ValueError, KeyError):
        pass  # no usable cache: train one
    model = define_classifier()
    model.fit(x, y, batch_size=128, epochs=min(20, max(1, 50_000 // len(x))), verbose=0)
    accuracy = float(np.mean(model.predict(x_held, verbose=0).argmax(axis=1) == y_held))
    print(f"digit classifier trained on {len(x)} images: {accuracy:.1%} right on "
          f"{len(x_held)} held-out images", flush=True)
    saving.save_model(model, path)
    saving.save_json(info_path, {"fingerprint": fingerprint, "held_out_accuracy": accuracy})
    return model


def probs_and_features(classifier):
    """A model that gives, for each image, the classifier's probabilities and 128 features."""
    return keras.Model(classifier.inputs,
                       [classifier.outputs[0], classifier.get_layer("features").output])


def classify(scorer, images: np.ndarray) -> tuple:
    """Probabilities (n, 10) and features (n, 128) of the images."""
    probs, features = scorer.predict(images, batch_size=500, verbose=0)
    return probs, features


def image_metrics(scorer, images: np.ndarray, held_features: np.ndarray) -> dict:
    """Classifier score, Fréchet distance to held-out real images, confident share, the
    smallest class's share and each class's share."""
    probs, features = classify(scorer, images)
    shares = metrics.class_shares(probs)
    return {"score": metrics.classifier_score(probs),
            "fd": metrics.frechet_distance(features, held_features),
            "confident": metrics.confident_share(probs),
            "min_class_share": float(shares.min()),
            **{f"class_{digit}": float(share) for digit, share in enumerate(shares)}}


def grid_path(out_dir: str, epoch: int) -> str:
    return os.path.join(out_dir, f"grid_epoch_{epoch:03d}.png")


def summarize_performance(epoch: int, g_model, d_model, scorer, eval_latent, grid_latent,
                          x_held, held_features, out_dir: str) -> dict:
    """Score the generated digits, draw the grid of fixed latent points, save the models.

    `g_model` is the generator to show: G's moving average when the run keeps one. D's
    accuracy on fakes is measured on its images too. Returns the row of numbers.
    """
    fakes, _ = generate_fake_samples(g_model, eval_latent)
    # As many real images as fakes: full MNIST's 10,000 held-out ones would cost D seconds.
    acc_real, acc_fake = training.d_accuracies(d_model, x_held[:len(fakes)], fakes)
    row = {"epoch": epoch, "acc_real": acc_real, "acc_fake": acc_fake,
           **image_metrics(scorer, fakes, held_features)}
    plotting.plot_image_grid(grid_path(out_dir, epoch),
                             generate_fake_samples(g_model, grid_latent)[0], GRID_COLUMNS,
                             f"epoch {epoch}: score {row['score']:.2f}, FD {row['fd']:.1f}")
    saving.save_model(g_model, os.path.join(out_dir, f"generator_epoch_{epoch:03d}.keras"))
    saving.save_discriminator(d_model,
                              os.path.join(out_dir, f"discriminator_epoch_{epoch:03d}.keras"))
    return row


# --- Training and the run ----------------------------------------------------------------------

def train(g_model, d_model, gan_model, g_average, cfg: dict, x_train, rng, evaluate) -> list:
    """The tutorial's train(): EPOCHS epochs of batches, alternating D and G updates, and an
    evaluation and a checkpoint every EVAL_EVERY epochs. `evaluate(iteration, epoch)` returns
    a row of numbers. `g_average` (or None) follows the moving average of G's weights."""
    steps = steps_per_epoch(cfg, len(x_train))
    return training.train(
        d_model, g_model, gan_model,
        generate_real_samples=lambda n: generate_real_samples(x_train, n, rng),
        latent_dim=cfg["LATENT_DIM"], iterations=cfg["EPOCHS"] * steps,
        batch_size=cfg["BATCH_SIZE"], eval_every=cfg["EVAL_EVERY"] * steps,
        summarize_performance=lambda i: evaluate(i, math.ceil(i / steps)),
        rng=rng, checkpoint_path=os.path.join(cfg["OUTPUT_DIR"], checkpoint.NAME),
        run_info={"script": "gan_mnist.py", "config": run_folder.hyperparameters(cfg)},
        resume=cfg["resume"], log_dir=summaries.log_dir(cfg["OUTPUT_DIR"], cfg["TENSORBOARD"]),
        g_average=g_average, average_decay=cfg["G_AVERAGE"])


def load_newest_generator(out_dir: str, flag: str) -> tuple:
    """The newest saved generator and its path; a corrupt or foreign file ends the program."""
    path = newest_generator(out_dir)
    try:
        g_model = keras.models.load_model(path, safe_mode=True)
    except Exception as e:  # a corrupt or foreign file: say so, in one line
        cli.fail(f"{flag}: cannot load {path} ({type(e).__name__}: {e})".splitlines()[0])
    if g_model.output_shape[1:] != (28, 28, 1):
        cli.fail(f"{flag}: {path} is not an MNIST generator (its output shape is "
                 f"{g_model.output_shape}, not (None, 28, 28, 1))")
    return g_model, path


def generate(cfg: dict, g_model, path: str) -> None:
    """The tutorial's last step: --generate digits from the saved generator at `path`."""
    n = cfg["generate"]
    latent = generate_latent_points(g_model.input_shape[1], n,
                                    np.random.default_rng(cfg["SEED"]))
    images, _ = generate_fake_samples(g_model, latent)
    folder = os.path.join(cfg["OUTPUT_DIR"], "generated")
    os.makedirs(folder, exist_ok=True)
    plotting.plot_image_grid(os.path.join(folder, "grid.png"), images, min(n, GRID_COLUMNS),
                             f"{n} digits from {os.path.basename(path)}")
    for i, image in enumerate(images):
        plotting.save_grey_png(os.path.join(folder, f"digit_{i:03d}.png"), image)
    print(f"{n} digits from {path} in {folder}/ (grid.png, digit_000.png ...)")


def interpolate(cfg: dict, g_model, path: str) -> None:
    """A walk through the latent space: 4 x 4 digits, each gliding through WALK_STOPS random
    latent points and back, one GIF of --interpolate frames. Smooth changes mean G learned a
    smooth map; sudden jumps or one digit everywhere mean it did not."""
    n_frames, cells, latent_dim = cfg["interpolate"], WALK_COLUMNS ** 2, g_model.input_shape[1]
    stops = generate_latent_points(latent_dim, WALK_STOPS * cells,
                                   np.random.default_rng(cfg["SEED"]))
    walk = latent_walk(stops.reshape(WALK_STOPS, cells, latent_dim), n_frames)
    images, _ = generate_fake_samples(g_model, walk.reshape(-1, latent_dim))
    frames = [plotting.tile_images(frame, WALK_COLUMNS, scale=3)
              for frame in images.reshape(n_frames, cells, 28, 28, 1)]
    gif_path = os.path.join(cfg["OUTPUT_DIR"], "interpolation.gif")
    # About 1.5 s from one stop to the next, however many frames make it.
    gif.write_gif(np.stack(frames), gif_path, max(0.04, 1.5 * WALK_STOPS / n_frames))
    print(f"a {n_frames}-frame walk through the latent space of {path}: {gif_path}")


def main(cfg: dict, data) -> dict:
    """Train on the configuration, write every output file, return the final metrics."""
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, running on the {DEVICE}",
          flush=True)
    if cfg["generate"] or cfg["interpolate"]:  # loaded once, even when both are asked for
        g_model, path = load_newest_generator(
            cfg["OUTPUT_DIR"], "--generate" if cfg["generate"] else "--interpolate")
        if cfg["generate"]:
            generate(cfg, g_model, path)
        if cfg["interpolate"]:
            interpolate(cfg, g_model, path)
        return None
    out = cfg["OUTPUT_DIR"]
    x_train, y_train, x_held, y_held, source = load_real_samples(data)
    print(f"data: {source}: {len(x_train)} training images, {len(x_held)} held out", flush=True)
    cli.check("BATCH_SIZE", cfg, cli.at_most(len(x_train), "the number of training images"))
    saving.save_json(os.path.join(out, "config.json"), run_folder.hyperparameters(cfg))

    keras.utils.set_random_seed(cfg["SEED"])  # initial weights, dropout
    train_seed, eval_seed = np.random.SeedSequence(cfg["SEED"]).spawn(2)
    rng, eval_rng = np.random.default_rng(train_seed), np.random.default_rng(eval_seed)
    eval_latent = generate_latent_points(cfg["LATENT_DIM"], cfg["N_EVAL"], eval_rng)
    grid_latent = generate_latent_points(cfg["LATENT_DIM"], GRID_COLUMNS ** 2, eval_rng)

    scorer = probs_and_features(train_classifier(x_train, y_train, x_held, y_held, out))
    _, held_features = classify(scorer, x_held)
    real = image_metrics(scorer, x_train[:cfg["N_EVAL"]], held_features)
    print(f"real training images, for reference: score={real['score']:.2f} "
          f"fd={real['fd']:.2f} confident={real['confident']:.2f} "
          f"min_class_share={real['min_class_share']:.3f}", flush=True)

    steps = steps_per_epoch(cfg, len(x_train))
    iterations = cfg["EPOCHS"] * steps
    epoch = (f"{cfg['EPOCH_IMAGES']:,} of the {len(x_train):,} training images; "
             f"--epoch-images 0 for full passes"
             if steps < len(x_train) // cfg["BATCH_SIZE"] else  # shorter than a full pass
             f"a pass over the {len(x_train):,} training images")
    print(f"training: {cfg['EPOCHS']} epochs of {steps} iterations (an epoch: {epoch})",
          flush=True)
    lr = training.learning_rate(cfg["LEARNING_RATE"], cfg["LR_DECAY"], iterations)
    d_model = define_discriminator(cfg["D_FILTERS"], lr, cfg["BETA_1"])
    g_model = define_generator(cfg["LATENT_DIM"], cfg["G_FILTERS"])
    gan_model = define_gan(g_model, d_model, lr, cfg["BETA_1"])
    # The generator we show, score and save: G's moving average, or G itself.
    g_average = averaging.average_copy(g_model) if cfg["G_AVERAGE"] else None
    shown = g_average or g_model

    def evaluate(iteration: int, epoch: int) -> dict:
        row = summarize_performance(epoch, shown, d_model, scorer, eval_latent, grid_latent,
                                    x_held, held_features, out)
        summaries.log_png(iteration, "digits", grid_path(out, epoch))
        return row

    history = train(g_model, d_model, gan_model, g_average, cfg, x_train, rng, evaluate)

    saving.save_model(shown, os.path.join(out, "generator.keras"))
    saving.save_discriminator(d_model, os.path.join(out, "discriminator.keras"))
    saving.save_history_csv(os.path.join(out, "history.csv"), history)
    plotting.plot_history(os.path.join(out, "curves.png"), history, [
        ("mean losses since the previous evaluation", ["d_loss", "g_loss"], False),
        ("discriminator accuracy", ["acc_real", "acc_fake"], False),
        ("classifier score (10 at best)", ["score"], False),
        ("Fréchet distance to held-out real images", ["fd"], True),
        ("confident share, smallest class's share", ["confident", "min_class_share"], False),
    ])
    gif.make_gif([grid_path(out, row["epoch"]) for row in history],
                 os.path.join(out, "progress.gif"))

    # The final numbers come from the saved file, which proves it holds the trained generator.
    saved_g = keras.models.load_model(os.path.join(out, "generator.keras"))
    final = {"epoch": history[-1]["epoch"], "iteration": history[-1]["iteration"],
             **image_metrics(scorer, generate_fake_samples(saved_g, eval_latent)[0],
                             held_features),
             "train_seconds": history[-1]["train_seconds"],
             "real_reference": {k: real[k] for k in ("score", "fd", "confident",
                                                     "min_class_share")}}
    saving.save_json(os.path.join(out, "metrics.json"), final)
    print(f"final (from {out}/generator.keras, {cfg['N_EVAL']} images): "
          f"score={final['score']:.2f} fd={final['fd']:.2f} confident={final['confident']:.2f} "
          f"min_class_share={final['min_class_share']:.3f}; outputs in {out}/")
    return final


if __name__ == "__main__":
    cli.run_main(main, CONFIG, DATA_ARRAYS)
