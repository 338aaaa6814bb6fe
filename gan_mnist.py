"""A DCGAN that learns handwritten digits: the classic Keras MNIST GAN tutorial, correct on
Keras 3, quick enough for a laptop CPU, with objective numbers instead of eyeballing.

    python gan_mnist.py                    # digits in minutes; each run in outputs/gan_mnist/NNN/
    python gan_mnist.py --generate 20      # 20 digits from the newest saved generator
    python gan_mnist.py --conditional      # feed the digit to both players: choose the digit
    python gan_mnist.py --help             # every hyperparameter below is a flag

The discriminator D (two strided convolutions) learns to tell MNIST images from generated ones;
the generator G (a dense layer and two transposed convolutions) learns, through the composite
model G -> D with D frozen, to make D call its images real. At every evaluation a small digit
classifier, trained once on the real images, scores the generated digits.
"""

import math
import os

import numpy as np

from common import cli, mnist_files, run_folders

# --- Hyperparameters: each one is also a flag (BATCH_SIZE <-> --batch-size) -----------------
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
CONDITIONAL = False               # give both players the digit, so you can ask G for a 7
EVAL_EVERY = 4                    # evaluate, draw and save the models every this many epochs
N_EVAL = 1_000                    # generated images scored at each evaluation
DATA = ""                         # an .npz like MNIST's (x_train, y_train); empty: full MNIST
SEED = 1                          # the same seed on the same machine gives the same run
TENSORBOARD = True                # write TensorBoard logs to the run's tensorboard/ folder
OUTPUT_DIR = "outputs/gan_mnist"  # each run writes to a new numbered folder here: 001, 002 ...
# --- end of hyperparameters ------------------------------------------------------------------

# Conditional models: the digit becomes a vector of this size, then a map beside the image's;
# their own step size (unless --learning-rate is given) learns the digits faster (docs/trials.md).
LABEL_EMBEDDING = 50
CONDITIONAL_LEARNING_RATE = 0.002
# ...and D's batch gets this share of BATCH_SIZE more images: real ones paired with a wrong
# digit, to be called fake, so that D judges whether image and digit match (docs/trials.md;
# 0: the conditional tutorial's D, which learns the digits far more slowly).
WRONG_DIGITS = 0.25
# The image grids are 10 x 10 digits (conditional: one column per digit); not a flag.
GRID_COLUMNS = 10


def parse_args(argv=None) -> tuple:
    """The hyperparameters above, overridden by flags and checked before TensorFlow loads.

    Returns the configuration (cfg["run_dir"]: the run's folder) and the --data images (None
    when DATA is empty). With --resume, the configuration is the one saved in the run's
    checkpoint. Raises BadInput (common/errors.py) for bad input.
    """
    cfg, given = cli.parse_hyperparameters(
        __file__, globals(), description=__doc__.split("\n\n")[0], argv=argv,
        rules={**{name: [cli.positive] for name in ("EPOCHS", "LATENT_DIM", "D_FILTERS",
                  "G_FILTERS", "LEARNING_RATE", "EVAL_EVERY", "N_EVAL")},
               "EPOCH_IMAGES": [cli.non_negative],
               "BATCH_SIZE": [cli.positive, cli.even],
               "BETA_1": [cli.non_negative, cli.at_most(0.999, "0.999")],
               "G_AVERAGE": [cli.non_negative, cli.at_most(0.9999, "0.9999")],
               "SEED": [cli.non_negative, cli.at_most(2 ** 32 - 1, "2**32 - 1")]},
        extra_flags=run_folders.FLAGS + run_folders.GENERATOR_FLAGS)
    if cfg["CONDITIONAL"] and "LEARNING_RATE" not in given:
        cfg["LEARNING_RATE"] = CONDITIONAL_LEARNING_RATE
    cli.check("EVAL_EVERY", cfg, cli.at_most(cfg["EPOCHS"], "--epochs"))
    cli.check("EPOCH_IMAGES", cfg, lambda n: None if n == 0 or n >= cfg["BATCH_SIZE"] else
              f"must be 0 (all the images) or at least --batch-size ({cfg['BATCH_SIZE']})")
    if run_folders.reading_generator(cfg):  # --generate, --interpolate: nothing to train
        return cfg, None
    data = mnist_files.read(cfg["DATA"])
    cfg = run_folders.prepare(cfg, given, "gan_mnist.py")
    if cfg["resume"] and "DATA" not in given:
        data = mnist_files.read(cfg["DATA"])  # the file the run was started with
    if data is not None:
        n_train = len(data[0]) - mnist_files.held_out_size(len(data[0]))
        cli.check("BATCH_SIZE", cfg, cli.at_most(n_train, "the number of training images"))
    return run_folders.ready(cfg), data  # last: it makes the run's folder


if __name__ == "__main__":
    CONFIG, DATA_ARRAYS = cli.run_main(parse_args)  # bad input fails here, before TensorFlow

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow: warnings and errors only
with cli.native_stderr_hidden():  # ...and not its start-up chatter on machines without a GPU
    import keras  # noqa: E402
    import tensorflow as tf  # noqa: E402
    DEVICE = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"

from common import averaging, digit_classifier, plotting, sampling  # noqa: E402
from common import saved_generator, saving  # noqa: E402
from common.metrics import d_accuracies  # noqa: E402
from common.results import save_results  # noqa: E402
from common.run import Run  # noqa: E402
from common.sampling import as_the_composite_sees_it, concatenate  # noqa: E402
from common.sampling import generate_fake_samples  # noqa: E402


# --- The models ------------------------------------------------------------------------------

def label_map(n_classes: int, size: int):
    """Conditional models: a digit -> a size x size map, learned (the conditional tutorial's)."""
    return keras.Sequential([
        keras.Input(shape=(), dtype="int32"),
        keras.layers.Embedding(n_classes, LABEL_EMBEDDING),
        keras.layers.Dense(size * size),
        keras.layers.Reshape((size, size, 1)),
    ], name="label_map")


def define_discriminator(filters: int, learning_rate, beta_1: float, n_classes: int = 0):
    """D: a 28x28 image -> probability that it is a real digit (the tutorial's CNN).
    Conditional (n_classes > 0): an image and its digit, the digit's map a second channel."""
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 2 if n_classes else 1)),
        keras.layers.Conv2D(filters, (5, 5), strides=(2, 2), padding="same"),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Dropout(0.3),
        keras.layers.Conv2D(2 * filters, (5, 5), strides=(2, 2), padding="same"),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Dropout(0.3),
        keras.layers.Flatten(),
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="discriminator")
    if n_classes:
        image, digit = keras.Input((28, 28, 1)), keras.Input((), dtype="int32")
        both = keras.layers.Concatenate()([image, label_map(n_classes, 28)(digit)])
        model = keras.Model([image, digit], model(both), name="discriminator")
    # No metrics=["accuracy"]: Keras would reset its variables on every train_on_batch;
    # summarize_performance measures D's accuracy itself.
    model.compile(loss="binary_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1))
    return model


def define_generator(latent_dim: int, filters: int, n_classes: int = 0):
    """G: a latent point -> a 28x28 image with pixels in [0, 1] (the tutorial's DCGAN).
    Conditional: a latent point and a digit, the digit's map beside the 7x7 maps."""
    latent_maps = [
        keras.layers.Dense(7 * 7 * filters),     # a 7x7 map of `filters` channels
        keras.layers.BatchNormalization(),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Reshape((7, 7, filters))]
    upsample = [
        keras.layers.Conv2DTranspose(filters, (4, 4), strides=(2, 2), padding="same"),  # 14x14
        keras.layers.BatchNormalization(),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Conv2DTranspose(filters, (4, 4), strides=(2, 2), padding="same"),  # 28x28
        keras.layers.BatchNormalization(),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Conv2D(1, (7, 7), activation="sigmoid", padding="same")]
    if not n_classes:
        return keras.Sequential([keras.Input((latent_dim,)), *latent_maps, *upsample],
                                name="generator")
    latent, digit = keras.Input((latent_dim,)), keras.Input((), dtype="int32")
    maps = keras.Sequential([keras.Input((latent_dim,)), *latent_maps], name="latent_maps")
    both = keras.layers.Concatenate()([maps(latent), label_map(n_classes, 7)(digit)])
    image = keras.Sequential([keras.Input((7, 7, filters + 1)), *upsample], name="upsample")
    return keras.Model([latent, digit], image(both), name="generator")


def define_gan(g_model, d_model, learning_rate, beta_1: float):
    """The composite G -> D that trains G to make D say "real" (conditional: the same digit
    goes to G and to D). D is frozen here as in the tutorial; on Keras 3 that alone is not
    enough: train() sets D.trainable right before each update."""
    d_model.trainable = False
    if len(g_model.inputs) == 1:
        model = keras.Sequential([g_model, d_model], name="gan")
    else:
        latent, digit = keras.Input(g_model.inputs[0].shape[1:]), keras.Input((), dtype="int32")
        model = keras.Model([latent, digit], d_model([g_model([latent, digit]), digit]),
                            name="gan")
    model.compile(loss="binary_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1))
    return model


# --- The data --------------------------------------------------------------------------------

def scale(x: np.ndarray) -> np.ndarray:
    """uint8 pixels 0-255 -> float32 in [0, 1] with a channel axis, as the models expect."""
    return (x.astype(np.float32) / 255.0)[..., np.newaxis]


def generate_real_samples(dataset: tuple, n: int, rng: np.random.Generator,
                          conditional: bool = False) -> tuple:
    """n images (conditional: [images, their digits]) picked at random from the dataset
    (images, digits), with class label 1 (as in the tutorial)."""
    images, digits = dataset
    pick = rng.integers(0, len(images), n)
    x = [images[pick], digits[pick].astype(np.int32)] if conditional else images[pick]
    return x, np.ones((n, 1), dtype=np.float32)


def generate_mismatched_samples(dataset: tuple, n: int, rng: np.random.Generator) -> tuple:
    """Conditional: n real images, each paired with a digit it is not, with class label 0.
    D learns to call these fake too; otherwise a real-looking image passes whatever digit was
    asked, and G learns the digits slowly (the matching-aware D of Reed et al., 2016)."""
    (images, digits), _ = generate_real_samples(dataset, n, rng, conditional=True)
    wrong = (digits + rng.integers(1, 10, n)) % 10  # any digit but the right one
    return [images, wrong.astype(np.int32)], np.zeros((n, 1), dtype=np.float32)


def generate_latent_points(latent_dim: int, n: int, rng: np.random.Generator,
                           n_classes: int = 0, digits=None):
    """G's input for n images: latent points, or, conditional, [points, digits] with random
    digits unless given (the conditional tutorial's way)."""
    points = sampling.generate_latent_points(latent_dim, n, rng)
    if not n_classes:
        return points
    digits = rng.integers(0, n_classes, n) if digits is None else np.broadcast_to(digits, n)
    return [points, digits.astype(np.int32)]


def steps_per_epoch(cfg: dict, n_train: int) -> int:
    """Iterations per epoch: the tutorial's n_images // batch size, with n_images capped at
    EPOCH_IMAGES, so that full MNIST's 60,000 images give the same few-minute run as the
    bundled sample's 4,500."""
    n_images = min(n_train, cfg["EPOCH_IMAGES"]) if cfg["EPOCH_IMAGES"] else n_train
    return n_images // cfg["BATCH_SIZE"]


# --- The evaluation --------------------------------------------------------------------------

def grid_path(folder: str, epoch: int) -> str:
    return os.path.join(folder, f"grid_epoch_{epoch:03d}.png")


def measure(g_model, d_model, evaluation: dict) -> dict:
    """The numbers of an evaluation: D's accuracies, and the classifier's scores of the
    digits G makes from the fixed latent points (conditional: and if each is the one asked)."""
    fakes, _ = generate_fake_samples(g_model, evaluation["latent"])
    acc_real, acc_fake = d_accuracies(d_model, evaluation["real"], fakes)
    digits = evaluation["digits"]  # what each image was asked to be (None: unconditional)
    return {"acc_real": acc_real, "acc_fake": acc_fake, **digit_classifier.image_metrics(
        evaluation["scorer"], fakes if digits is None else fakes[0],
        evaluation["held_features"], digits)}


def summarize_performance(epoch: int, g_model, d_model, evaluation: dict, folder: str) -> dict:
    """Measure the models, draw the grid of fixed latent points, save the models. `g_model`
    is the generator to show: G's moving average when the run keeps one. Returns the row."""
    row = {"epoch": epoch, **measure(g_model, d_model, evaluation)}
    grid, _ = generate_fake_samples(g_model, evaluation["grid"])
    plotting.plot_image_grid(grid_path(folder, epoch), grid[0] if isinstance(grid, list) else
                             grid, GRID_COLUMNS, f"epoch {epoch}: score {row['score']:.2f}, "
                                                 f"FD {row['fd']:.1f}")
    saving.save_model(g_model, os.path.join(folder, f"generator_epoch_{epoch:03d}.keras"))
    saving.save_discriminator(d_model,
                              os.path.join(folder, f"discriminator_epoch_{epoch:03d}.keras"))
    return row


# --- Training ---------------------------------------------------------------------------------

def train(g_model, d_model, gan_model, g_average, run, cfg: dict, dataset: tuple,
          rng: np.random.Generator, evaluation: dict) -> list:
    """The tutorial's train(): EPOCHS epochs of batches, alternating D's and G's updates, and
    an evaluation every EVAL_EVERY epochs. `run` (common/run.py) counts the iterations,
    resumes, keeps the history and the checkpoint. `g_average` (or None) follows the moving
    average of G's weights. Returns the history: one row of numbers per evaluation."""
    half, latent_dim = cfg["BATCH_SIZE"] // 2, cfg["LATENT_DIM"]
    n_wrong = round(WRONG_DIGITS * cfg["BATCH_SIZE"])
    n_classes, steps = 10 if cfg["CONDITIONAL"] else 0, steps_per_epoch(cfg, len(dataset[0]))
    draw_fakes = as_the_composite_sees_it(g_model)
    average = averaging.updater(g_average, g_model, cfg["G_AVERAGE"]) if g_average else None
    for i in run.iterations():
        # D learns from a batch that is half real images, half generated ones...
        x_real, y_real = generate_real_samples(dataset, half, rng, cfg["CONDITIONAL"])
        x_fake, y_fake = generate_fake_samples(
            draw_fakes, generate_latent_points(latent_dim, half, rng, n_classes))
        if cfg["CONDITIONAL"]:  # ...and, to be called fake too, real images with a wrong digit
            x_wrong, y_wrong = generate_mismatched_samples(dataset, n_wrong, rng)
            x_fake, y_fake = concatenate(x_fake, x_wrong), np.concatenate([y_fake, y_wrong])
        d_model.trainable = True  # Keras 3 reads this when it traces an update: set it each time
        d_loss = d_model.train_on_batch(concatenate(x_real, x_fake),
                                        np.concatenate([y_real, y_fake]))
        # ...then G learns, through the composite with D frozen, to make D say "real" (1).
        x_gan = generate_latent_points(latent_dim, cfg["BATCH_SIZE"], rng, n_classes)
        y_gan = np.ones((cfg["BATCH_SIZE"], 1), dtype=np.float32)
        d_model.trainable = False
        g_loss = gan_model.train_on_batch(x_gan, y_gan)
        if average:
            average(i)  # the generator we show follows G's weights, smoothed
        run.record(d_loss, g_loss)
        if run.evaluating(i):
            epoch = math.ceil(i / steps)
            run.end_of_interval(summarize_performance(epoch, g_average or g_model, d_model,
                                                      evaluation, run.folder),
                                picture=grid_path(run.folder, epoch))
    return run.history


def main(cfg: dict, data) -> dict:
    """Train on the configuration, write every output file, return the final metrics (or,
    with --generate / --interpolate, write those pictures and return None)."""
    out = cfg["run_dir"]
    what = "reading it" if cfg["generate"] or cfg["interpolate"] else \
        "resuming" if cfg["resume"] else "a new run"
    print(f"{out}: {what} (TensorFlow {tf.__version__}, Keras {keras.__version__}, on the "
          f"{DEVICE})", flush=True)
    if cfg["generate"] or cfg["interpolate"]:
        return saved_generator.write_pictures(cfg)
    x, y, x_held, y_held, source = mnist_files.load_digits(data)
    x, x_held = scale(x), scale(x_held)
    print(f"data: {source}: {len(x)} training images, {len(x_held)} held out", flush=True)
    cli.check("BATCH_SIZE", cfg, cli.at_most(len(x), "the number of training images"))
    saving.save_json(os.path.join(out, "config.json"), run_folders.hyperparameters(cfg))

    keras.utils.set_random_seed(cfg["SEED"])  # initial weights, dropout
    train_seed, eval_seed = np.random.SeedSequence(cfg["SEED"]).spawn(2)
    rng, eval_rng = np.random.default_rng(train_seed), np.random.default_rng(eval_seed)
    n_classes, n_eval = (10 if cfg["CONDITIONAL"] else 0), cfg["N_EVAL"]
    eval_digits = np.arange(n_eval) % 10 if n_classes else None  # asked for equally often
    eval_latent = generate_latent_points(cfg["LATENT_DIM"], n_eval, eval_rng, n_classes,
                                         eval_digits)
    grid = sampling.generate_latent_points(cfg["LATENT_DIM"], GRID_COLUMNS ** 2, eval_rng)
    if n_classes:  # ten latent points, one per row; column k asks each of them for digit k
        grid = [np.repeat(grid[:GRID_COLUMNS], GRID_COLUMNS, axis=0),
                np.tile(np.arange(10, dtype=np.int32), GRID_COLUMNS)]
    # The classifier is shared by the runs under OUTPUT_DIR: trained once, about 25 s.
    scorer = digit_classifier.scorer(digit_classifier.train_classifier(
        x, y, x_held, y_held, cfg["OUTPUT_DIR"]))
    held_features = digit_classifier.classify(scorer, x_held)[1]
    real = digit_classifier.image_metrics(scorer, x[:n_eval], held_features,
                                          y[:n_eval] if n_classes else None)
    print("real training images, for reference: " + " ".join(
        f"{k} {real[k]:.3g}" for k in real if not k.startswith("class_")), flush=True)
    evaluation = {"latent": eval_latent, "digits": eval_digits, "grid": grid,
                  "real": [x_held[:n_eval], y_held[:n_eval].astype(np.int32)] if n_classes
                  else x_held[:n_eval], "scorer": scorer, "held_features": held_features}

    steps = steps_per_epoch(cfg, len(x))
    print(f"training: {cfg['EPOCHS']} epochs of {steps} iterations (an epoch: " + (
        f"{steps * cfg['BATCH_SIZE']:,} of the {len(x):,} training images; --epoch-images 0 "
        f"for full passes)" if steps < len(x) // cfg["BATCH_SIZE"] else
        f"a pass over the {len(x):,} training images)"), flush=True)
    lr = keras.optimizers.schedules.CosineDecay(cfg["LEARNING_RATE"], cfg["EPOCHS"] * steps) \
        if cfg["LR_DECAY"] else cfg["LEARNING_RATE"]
    d_model = define_discriminator(cfg["D_FILTERS"], lr, cfg["BETA_1"], n_classes)
    g_model = define_generator(cfg["LATENT_DIM"], cfg["G_FILTERS"], n_classes)
    gan_model = define_gan(g_model, d_model, lr, cfg["BETA_1"])
    # The generator we show, score and save: G's moving average, or G itself.
    g_average = averaging.average_copy(g_model) if cfg["G_AVERAGE"] else None
    scores = ("score", "fd", "min_class_share", *(("label_accuracy",) if n_classes else ()))
    run = Run(out, d_model, g_model, gan_model, rng, cfg["EPOCHS"] * steps,
              cfg["EVAL_EVERY"] * steps,
              {"script": "gan_mnist.py", "config": run_folders.hyperparameters(cfg)},
              show=("epoch", "acc_real", "acc_fake", *scores), tensorboard=cfg["TENSORBOARD"],
              g_average=g_average)
    history = train(g_model, d_model, gan_model, g_average, run, cfg, (x, y), rng, evaluation)

    generator = save_results(out, g_average or g_model, d_model, history, [
        ("mean losses since the previous evaluation", ["d_loss", "g_loss"], False),
        ("discriminator accuracy", ["acc_real", "acc_fake"], False),
        ("classifier score (10 at best)", ["score"], False),
        ("Fréchet distance to held-out real images", ["fd"], True),
        ("shares: confident, smallest class" + (", right digit" if n_classes else ""),
         ["confident", "min_class_share", *(["label_accuracy"] if n_classes else [])], False),
    ], [grid_path(out, row["epoch"]) for row in history])
    # The final numbers come from the saved file, which proves it holds the trained generator.
    final = {"epoch": history[-1]["epoch"], "iteration": history[-1]["iteration"],
             **measure(keras.models.load_model(generator), d_model, evaluation),
             "train_seconds": history[-1]["train_seconds"],
             "real_reference": {k: v for k, v in real.items() if not k.startswith("class_")}}
    saving.save_json(os.path.join(out, "metrics.json"), final)
    print(f"{out}: done; from its generator.keras, on {n_eval} images: " + " ".join(
        f"{k} {final[k]:.3g}" for k in scores), flush=True)
    return final


if __name__ == "__main__":
    cli.run_main(main, CONFIG, DATA_ARRAYS)
