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

from common import cli, image_data, run_folders
from common.errors import BadInput

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
# With CONDITIONAL: Adam's step size, instead of LEARNING_RATE (the digits learn faster)
CONDITIONAL_LEARNING_RATE = 0.002
LABEL_EMBEDDING = 50              # with CONDITIONAL: the digit's vector, before its map
# With CONDITIONAL: D's batch gets this share of BATCH_SIZE more images, real ones with a
# wrong digit, to be called fake (0: the conditional tutorial's D, slower to learn the digits)
WRONG_DIGITS = 0.25
EVAL_EVERY = 4                    # evaluate, draw and save the models every this many epochs
N_EVAL = 1_000                    # generated images scored at each evaluation
DATA = ""                         # mnist, fashion_mnist, an .npz or a folder; empty: MNIST
SEED = 1                          # the same seed on the same machine gives the same run
TENSORBOARD = True                # write TensorBoard logs to the run's tensorboard/ folder
OUTPUT_DIR = "outputs/gan_mnist"  # each run writes to a new numbered folder here: 001, 002 ...
# --- end of hyperparameters ------------------------------------------------------------------

GRID_COLUMNS = 10  # the image grids are 10 x 10 digits (conditional: a column per digit)


# --- The models ------------------------------------------------------------------------------
# The tutorial's DCGAN (https://machinelearningmastery.com/how-to-develop-a-generative-
# adversarial-network-for-an-mnist-handwritten-digits-from-scratch-in-keras/), after the DCGAN
# paper (Radford et al., 2015, https://arxiv.org/abs/1511.06434).

def discriminator_layers(filters: int) -> list:
    """D's body: two strided convolutions, 28x28 -> 14x14 -> 7x7, and a verdict."""
    return [
        keras.layers.Conv2D(filters, (5, 5), strides=(2, 2), padding="same"),  # 14x14
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Dropout(0.3),
        keras.layers.Conv2D(2 * filters, (5, 5), strides=(2, 2), padding="same"),  # 7x7
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Dropout(0.3),
        keras.layers.Flatten(),
        keras.layers.Dense(1, activation="sigmoid"),
    ]


def compiled(model, learning_rate, beta_1: float):
    """D or the composite, compiled as the tutorial does. No metrics=["accuracy"]: Keras would
    reset its variables on every train_on_batch; summarize_performance measures D itself."""
    model.compile(loss="binary_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1))
    return model


def define_discriminator(filters: int, learning_rate, beta_1: float):
    """D: a 28x28 image -> probability that it is a real digit (the tutorial's CNN)."""
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), *discriminator_layers(filters)],
                             name="discriminator")
    return compiled(model, learning_rate, beta_1)


def generator_layers(filters: int) -> tuple:
    """G's body: a latent point -> 7x7 maps, and 7x7 maps -> a 28x28 image in [0, 1]."""
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
    return latent_maps, upsample


def define_generator(latent_dim: int, filters: int):
    """G: a latent point -> a 28x28 image with pixels in [0, 1] (the tutorial's DCGAN)."""
    latent_maps, upsample = generator_layers(filters)
    return keras.Sequential([keras.Input((latent_dim,)), *latent_maps, *upsample],
                            name="generator")


def define_gan(g_model, d_model, learning_rate, beta_1: float):
    """The composite G -> D that trains G to make D say "real". D is frozen here as in the
    tutorial; on Keras 3 that alone is not enough: train() sets D.trainable right before
    each update."""
    d_model.trainable = False
    return compiled(keras.Sequential([g_model, d_model], name="gan"), learning_rate, beta_1)


# The conditional GAN, as in the conditional-GAN tutorial that follows it
# (https://machinelearningmastery.com/how-to-develop-a-conditional-generative-adversarial-
# network-from-scratch/): both players also get the digit, through a learned map.

def label_map(n_classes: int, size: int, embedding: int):
    """A digit -> a size x size map, learned (the conditional tutorial's)."""
    return keras.Sequential([
        keras.Input(shape=(), dtype="int32"),
        keras.layers.Embedding(n_classes, embedding),
        keras.layers.Dense(size * size),
        keras.layers.Reshape((size, size, 1)),
    ], name="label_map")


def define_conditional_discriminator(filters: int, embedding: int, learning_rate,
                                     beta_1: float, n_classes: int = 10):
    """D: an image and a digit -> probability that it is a real image of that digit. The
    digit's 28x28 map is the image's second channel."""
    body = keras.Sequential([keras.Input(shape=(28, 28, 2)), *discriminator_layers(filters)],
                            name="discriminator")
    image, digit = keras.Input((28, 28, 1)), keras.Input((), dtype="int32")
    both = keras.layers.Concatenate()([image, label_map(n_classes, 28, embedding)(digit)])
    return compiled(keras.Model([image, digit], body(both), name="discriminator"),
                    learning_rate, beta_1)


def define_conditional_generator(latent_dim: int, filters: int, embedding: int,
                                 n_classes: int = 10):
    """G: a latent point and a digit -> a 28x28 image of that digit. The digit's 7x7 map
    goes beside the latent point's 7x7 maps."""
    latent_maps, upsample = generator_layers(filters)
    latent, digit = keras.Input((latent_dim,)), keras.Input((), dtype="int32")
    maps = keras.Sequential([keras.Input((latent_dim,)), *latent_maps], name="latent_maps")
    both = keras.layers.Concatenate()([maps(latent), label_map(n_classes, 7, embedding)(digit)])
    image = keras.Sequential([keras.Input((7, 7, filters + 1)), *upsample], name="upsample")
    return keras.Model([latent, digit], image(both), name="generator")


def define_conditional_gan(g_model, d_model, learning_rate, beta_1: float):
    """The composite: the same digit goes to G and to the frozen D."""
    d_model.trainable = False
    latent, digit = keras.Input(g_model.inputs[0].shape[1:]), keras.Input((), dtype="int32")
    model = keras.Model([latent, digit], d_model([g_model([latent, digit]), digit]),
                        name="gan")
    return compiled(model, learning_rate, beta_1)


def step_size(cfg: dict) -> float:
    """The step size of the mode CONDITIONAL says: each mode has its own."""
    return cfg["CONDITIONAL_LEARNING_RATE" if cfg["CONDITIONAL"] else "LEARNING_RATE"]


def define_models(cfg: dict, iterations: int) -> tuple:
    """D, G and the composite for the mode CONDITIONAL says, with its own step size;
    conditional ones for the classes of the images, cfg["classes"]."""
    learning_rate = step_size(cfg)
    if cfg["LR_DECAY"]:  # big steps early, smaller ones along a cosine to zero
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, iterations)
    if cfg["CONDITIONAL"]:
        n_classes = len(cfg["classes"])
        d_model = define_conditional_discriminator(cfg["D_FILTERS"], cfg["LABEL_EMBEDDING"],
                                                   learning_rate, cfg["BETA_1"], n_classes)
        g_model = define_conditional_generator(cfg["LATENT_DIM"], cfg["G_FILTERS"],
                                               cfg["LABEL_EMBEDDING"], n_classes)
        return d_model, g_model, define_conditional_gan(g_model, d_model, learning_rate,
                                                        cfg["BETA_1"])
    d_model = define_discriminator(cfg["D_FILTERS"], learning_rate, cfg["BETA_1"])
    g_model = define_generator(cfg["LATENT_DIM"], cfg["G_FILTERS"])
    return d_model, g_model, define_gan(g_model, d_model, learning_rate, cfg["BETA_1"])


# --- The data --------------------------------------------------------------------------------

def scale(x: np.ndarray) -> np.ndarray:
    """uint8 pixels 0-255 -> float32 in [0, 1] with a channel axis, as the models expect."""
    return (x.astype(np.float32) / 255.0)[..., np.newaxis]


def generate_real_samples(images: np.ndarray, n: int, rng: np.random.Generator) -> tuple:
    """n images picked at random, with class label 1 (as in the tutorial)."""
    return images[rng.integers(0, len(images), n)], np.ones((n, 1), dtype=np.float32)


def generate_latent_points(latent_dim: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """G's input for n images: standard normal latent points."""
    return sampling.generate_latent_points(latent_dim, n, rng)


def generate_conditional_real_samples(dataset: tuple, n: int,
                                      rng: np.random.Generator) -> tuple:
    """Conditional: [n images, their digits] picked at random from (images, digits), label 1."""
    images, digits = dataset
    pick = rng.integers(0, len(images), n)
    return [images[pick], digits[pick].astype(np.int32)], np.ones((n, 1), dtype=np.float32)


def generate_mismatched_samples(dataset: tuple, n: int, rng: np.random.Generator,
                                n_classes: int) -> tuple:
    """Conditional: n real images, each paired with a digit it is not, with class label 0.
    D learns to call these fake too; otherwise a real-looking image passes whatever digit was
    asked, and G learns the digits slowly (the matching-aware D of Reed et al., 2016,
    https://arxiv.org/abs/1605.05396)."""
    (images, digits), _ = generate_conditional_real_samples(dataset, n, rng)
    wrong = (digits + rng.integers(1, n_classes, n)) % n_classes  # any digit but the right one
    return [images, wrong.astype(np.int32)], np.zeros((n, 1), dtype=np.float32)


def generate_conditional_latent_points(latent_dim: int, n: int, rng: np.random.Generator,
                                       n_classes: int, digits=None) -> list:
    """Conditional G's input for n images: [latent points, digits], the digits random among
    n_classes unless given (the conditional tutorial's way)."""
    points = sampling.generate_latent_points(latent_dim, n, rng)
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


def fixed_points(cfg: dict, n: int, rng: np.random.Generator) -> tuple:
    """The latent points every evaluation reuses, so that numbers and grids compare: G's n
    inputs, the digits they ask for (conditional: each equally often; else None), and the
    grid's inputs."""
    latent_dim = cfg["LATENT_DIM"]
    if not cfg["CONDITIONAL"]:
        return (generate_latent_points(latent_dim, n, rng), None,
                generate_latent_points(latent_dim, GRID_COLUMNS ** 2, rng))
    n_classes = len(cfg["classes"])
    digits = np.arange(n) % n_classes
    latent = generate_conditional_latent_points(latent_dim, n, rng, n_classes, digits)
    # Ten latent points, one per row; column k asks each of them for class k (the first ten).
    points = sampling.generate_latent_points(latent_dim, GRID_COLUMNS ** 2, rng)
    columns = grid_layout(cfg)["columns"]
    grid = [np.repeat(points[:GRID_COLUMNS], columns, axis=0),
            np.tile(np.arange(columns, dtype=np.int32), GRID_COLUMNS)]
    return latent, digits, grid


def prepare_evaluation(cfg: dict, x, y, x_held, y_held, rng: np.random.Generator) -> dict:
    """What every evaluation reuses: the fixed points, held-out real images for D's accuracy,
    and the scoring classifier with the held-out images' features. Prints the real images'
    own numbers, for reference; they are under "reference". Unlabelled images (y None) get
    no classifier: "scorer" is None."""
    n_eval = cfg["N_EVAL"]
    latent, digits, grid = fixed_points(cfg, n_eval, rng)
    real = [x_held[:n_eval], y_held[:n_eval].astype(np.int32)] if cfg["CONDITIONAL"] else \
        x_held[:n_eval]
    if y is None:
        print("no labels: the classifier's numbers (score, fd, spread, class shares) are left "
              "out; D's accuracies remain", flush=True)
        return {**grid_layout(cfg), "latent": latent, "digits": digits, "grid": grid,
                "real": real, "scorer": None, "reference": {}}
    # The classifier is shared by the runs under OUTPUT_DIR: trained once, about 25 s.
    scorer = digit_classifier.scorer(digit_classifier.train_classifier(
        x, y, x_held, y_held, cfg["OUTPUT_DIR"], len(cfg["classes"])))
    held_features = digit_classifier.classify(scorer, x_held)[1]
    reference = digit_classifier.image_metrics(scorer, x[:n_eval], held_features,
                                               y[:n_eval] if cfg["CONDITIONAL"] else None)
    print("real training images, for reference: " + " ".join(
        f"{k} {reference[k]:.3g}" for k in reference if not k.startswith("class_")), flush=True)
    return {**grid_layout(cfg), "latent": latent, "digits": digits, "grid": grid, "real": real,
            "scorer": scorer, "held_features": held_features,
            "reference": {k: v for k, v in reference.items() if not k.startswith("class_")}}


def grid_layout(cfg: dict) -> dict:
    """The grids' columns: ten images a row; conditional: one class a column (the first
    ten), named."""
    if not cfg["CONDITIONAL"]:
        return {"columns": GRID_COLUMNS, "column_names": None}
    names = cfg["classes"][:GRID_COLUMNS]
    return {"columns": len(names), "column_names": names}


def measure(g_model, d_model, evaluation: dict) -> dict:
    """The numbers of an evaluation: D's accuracies, and the classifier's scores of the
    digits G makes from the fixed latent points (conditional: and if each is the one asked)."""
    fakes, _ = generate_fake_samples(g_model, evaluation["latent"])
    acc_real, acc_fake = d_accuracies(d_model, evaluation["real"], fakes)
    if evaluation["scorer"] is None:  # unlabelled images: no classifier to score with
        return {"acc_real": acc_real, "acc_fake": acc_fake}
    digits = evaluation["digits"]  # what each image was asked to be (None: unconditional)
    return {"acc_real": acc_real, "acc_fake": acc_fake, **digit_classifier.image_metrics(
        evaluation["scorer"], fakes if digits is None else fakes[0],
        evaluation["held_features"], digits)}


def summarize_performance(epoch: int, g_model, d_model, evaluation: dict, folder: str) -> dict:
    """Measure the models, draw the grid of fixed latent points, save the models. `g_model`
    is the generator to show: G's moving average when the run keeps one. Returns the row."""
    row = {"epoch": epoch, **measure(g_model, d_model, evaluation)}
    grid, _ = generate_fake_samples(g_model, evaluation["grid"])
    images = grid if evaluation["digits"] is None else grid[0]  # conditional: [images, digits]
    plotting.plot_image_grid(
        grid_path(folder, epoch), images, evaluation["columns"], f"epoch {epoch}" + (
            f": score {row['score']:.2f}, FD {row['fd']:.1f}" if "score" in row else ""),
        column_names=evaluation["column_names"])
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
    half, latent_dim, conditional = cfg["BATCH_SIZE"] // 2, cfg["LATENT_DIM"], cfg["CONDITIONAL"]
    n_wrong = round(cfg["WRONG_DIGITS"] * cfg["BATCH_SIZE"])
    n_classes = len(cfg["classes"] or ())  # conditional: the classes of the images
    steps = steps_per_epoch(cfg, len(dataset[0]))
    draw_fakes = as_the_composite_sees_it(g_model)
    average = averaging.updater(g_average, g_model, cfg["G_AVERAGE"]) if g_average else None
    for i in run.iterations():
        # D learns from a batch that is half real images, half generated ones; it maximises
        # log D(x) + log(1 - D(G(z))) (labels 1 for real, 0 for fake)...
        if not conditional:
            x_real, y_real = generate_real_samples(dataset[0], half, rng)
            x_fake, y_fake = generate_fake_samples(
                draw_fakes, generate_latent_points(latent_dim, half, rng))
        else:  # ...each image with its digit, and real images with a wrong digit, called fake
            x_real, y_real = generate_conditional_real_samples(dataset, half, rng)
            x_fake, y_fake = generate_fake_samples(
                draw_fakes, generate_conditional_latent_points(latent_dim, half, rng, n_classes))
            x_wrong, y_wrong = generate_mismatched_samples(dataset, n_wrong, rng, n_classes)
            x_fake, y_fake = concatenate(x_fake, x_wrong), np.concatenate([y_fake, y_wrong])
        d_model.trainable = True  # Keras 3 reads this when it traces an update: set it each time
        d_loss = d_model.train_on_batch(concatenate(x_real, x_fake),
                                        np.concatenate([y_real, y_fake]))
        run.check_d_learned()  # first iteration: the weights say if D learned (README)
        # ...then G learns, through the composite with D frozen, to make D say "real" (1):
        # G maximises log D(G(z)), the non-saturating form (the DCGAN paper's, the tutorial's).
        x_gan = generate_conditional_latent_points(latent_dim, cfg["BATCH_SIZE"], rng,
                                                   n_classes) if conditional else \
            generate_latent_points(latent_dim, cfg["BATCH_SIZE"], rng)
        y_gan = np.ones((cfg["BATCH_SIZE"], 1), dtype=np.float32)
        d_model.trainable = False
        g_loss = gan_model.train_on_batch(x_gan, y_gan)
        run.check_only_g_learned()  # ...and if D stayed frozen here while G learned
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
    out, reading = cfg["run_dir"], cfg["generate"] or cfg["interpolate"]
    print(f"{out}: {'reading it' if reading else 'resuming' if cfg['resume'] else 'a new run'} "
          f"(TensorFlow {tf.__version__}, Keras {keras.__version__}, on the {DEVICE})",
          flush=True)
    if reading:
        return saved_generator.write_pictures(cfg)
    x, y, x_held, y_held, classes = read_digits(cfg, data)
    cfg = {**cfg, "classes": classes}  # the images' class names (None: unlabelled)
    saving.save_json(os.path.join(out, "config.json"), run_folders.hyperparameters(cfg))
    if classes:  # --generate --digit NAME reads them
        saving.save_json(os.path.join(out, "classes.json"), classes)
    keras.utils.set_random_seed(cfg["SEED"])  # initial weights, dropout
    # Separate random streams: training draws never shift the fixed evaluation sets.
    train_seed, eval_seed = np.random.SeedSequence(cfg["SEED"]).spawn(2)
    rng, eval_rng = np.random.default_rng(train_seed), np.random.default_rng(eval_seed)
    evaluation = prepare_evaluation(cfg, x, y, x_held, y_held, eval_rng)
    steps = steps_per_epoch(cfg, len(x))
    d_model, g_model, gan_model = define_models(cfg, cfg["EPOCHS"] * steps)
    # The generator we show, score and save: G's moving average, or G itself.
    g_average = averaging.average_copy(g_model) if cfg["G_AVERAGE"] else None
    labelled = y is not None  # else no classifier numbers
    scores = ("score", "fd", "min_class_share", *(("label_accuracy",) * cfg["CONDITIONAL"])) \
        if labelled else ()
    run = Run(out, d_model, g_model, gan_model, rng, cfg["EPOCHS"] * steps,
              cfg["EVAL_EVERY"] * steps,
              {"script": "gan_mnist.py", "config": run_folders.hyperparameters(cfg)},
              show=("epoch", "acc_real", "acc_fake", *scores), tensorboard=cfg["TENSORBOARD"],
              g_average=g_average, diagnose=diagnoses.digit_troubles)
    history = train(g_model, d_model, gan_model, g_average, run, cfg, (x, y), rng, evaluation)

    generator = save_results(out, g_average or g_model, d_model, history, [
        ("mean losses since the previous evaluation", ["d_loss", "g_loss"], False),
        ("discriminator accuracy", ["acc_real", "acc_fake"], False),
        *[("classifier score (10 at best)", ["score"], False),
          ("Fréchet distance to held-out real images", ["fd"], True),
          ("shares: confident, smallest class, right digit", ["confident", "min_class_share",
                                                              *scores[3:]], False)] * labelled,
    ], [grid_path(out, row["epoch"]) for row in history])
    # The final numbers come from the saved file, which proves it holds the trained generator.
    final = {"epoch": history[-1]["epoch"], "iteration": history[-1]["iteration"],
             **measure(keras.models.load_model(generator), d_model, evaluation),
             "train_seconds": history[-1]["train_seconds"],
             "real_reference": evaluation["reference"], "warnings": run.warnings}
    saving.save_json(os.path.join(out, "metrics.json"), final)
    print(f"{out}: done; from its generator.keras, on {cfg['N_EVAL']} images: " + " ".join(
        f"{k} {final[k]:.3g}" for k in scores or ("acc_real", "acc_fake")), flush=True)
    return final


def read_digits(cfg: dict, data) -> tuple:
    """The training and held-out images (scaled to [0, 1]) and digits; says which and how
    many, and what an epoch is. Refuses a batch larger than the training images."""
    x, y, x_held, y_held, classes, source = image_data.load_images(data)
    x, x_held = scale(x), scale(x_held)
    print(f"data: {source}: {len(x)} training images, {len(x_held)} held out, " + (
        f"{len(classes)} classes ({', '.join(classes[:10])}{' ...' * (len(classes) > 10)})"
        if classes else "no labels"), flush=True)
    cli.check("BATCH_SIZE", cfg, cli.at_most(len(x), "the number of training images"))
    steps = steps_per_epoch(cfg, len(x))
    print(f"training: {cfg['EPOCHS']} epochs of {steps} iterations (an epoch: " + (
        f"{steps * cfg['BATCH_SIZE']:,} of the {len(x):,} training images; --epoch-images 0 "
        f"for full passes)" if steps < len(x) // cfg["BATCH_SIZE"] else
        f"a pass over the {len(x):,} training images)") + f", step size {step_size(cfg):g}",
          flush=True)
    return x, y, x_held, y_held, classes


# --- The command line ------------------------------------------------------------------------

def parse_args(argv=None) -> tuple:
    """The hyperparameters above, overridden by flags and checked before TensorFlow loads.

    Returns the configuration (cfg["run_dir"]: the run's folder) and what --data names
    (image_data.read: None when DATA is empty, a Keras dataset's name, or images, labels
    and class names). With --resume, the configuration is the one saved in the run's
    checkpoint. Raises BadInput (common/errors.py) for bad input.
    """
    cfg, given = cli.parse_hyperparameters(
        __file__, globals(), description=__doc__.split("\n\n")[0], argv=argv,
        rules={**{name: [cli.positive] for name in ("EPOCHS", "LATENT_DIM", "D_FILTERS",
                  "G_FILTERS", "LEARNING_RATE", "CONDITIONAL_LEARNING_RATE", "LABEL_EMBEDDING",
                  "EVAL_EVERY", "N_EVAL")},
               "EPOCH_IMAGES": [cli.non_negative],
               "WRONG_DIGITS": [cli.non_negative, cli.at_most(1.0, "1, a whole batch more")],
               "BATCH_SIZE": [cli.positive, cli.even],
               "BETA_1": [cli.non_negative, cli.at_most(0.999, "0.999")],
               "G_AVERAGE": [cli.non_negative, cli.at_most(0.9999, "0.9999")],
               "SEED": [cli.non_negative, cli.at_most(2 ** 32 - 1, "2**32 - 1")]},
        extra_flags=run_folders.FLAGS + run_folders.GENERATOR_FLAGS)
    # Each mode has its own step size: a flag for the other mode's would be silently unused.
    if cfg["CONDITIONAL"] and "LEARNING_RATE" in given:
        raise BadInput("--learning-rate is the step size of unconditional runs; with "
                       "--conditional, set --conditional-learning-rate")
    if not cfg["CONDITIONAL"] and "CONDITIONAL_LEARNING_RATE" in given:
        raise BadInput("--conditional-learning-rate goes with --conditional; without it, set "
                       "--learning-rate")
    cli.check("EVAL_EVERY", cfg, cli.at_most(cfg["EPOCHS"], "--epochs"))
    cli.check("EPOCH_IMAGES", cfg, lambda n: None if n == 0 or n >= cfg["BATCH_SIZE"] else
              f"must be 0 (all the images) or at least --batch-size ({cfg['BATCH_SIZE']})")
    if run_folders.reading_generator(cfg):  # --generate, --interpolate: nothing to train
        return cfg, None
    cfg = run_folders.prepare(cfg, given, "gan_mnist.py")
    data = image_data.read(cfg["DATA"])  # resuming: the images the run was started with
    if isinstance(data, tuple):  # a file or a folder, read already
        n_train = len(data[0]) - image_data.held_out_size(len(data[0]))
        cli.check("BATCH_SIZE", cfg, cli.at_most(n_train, "the number of training images"))
        if cfg["CONDITIONAL"] and data[1] is None:
            raise BadInput(f"--conditional needs labelled images, and {cfg['DATA']} has no "
                           f"labels (class folders, or an .npz with y_train, have them)")
        if cfg["CONDITIONAL"] and len(data[2]) < 2:
            raise BadInput(f"--conditional needs at least two classes, and {cfg['DATA']} has "
                           f"one ({data[2][0]})")
    return run_folders.ready(cfg), data  # last: it makes the run's folder


if __name__ == "__main__":
    CONFIG, DATA_ARRAYS = cli.run_main(parse_args)  # bad input fails here, before TensorFlow

# TensorFlow loads only now, once the flags are checked; the functions above find these names
# when they run.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow: warnings and errors only
with cli.native_stderr_hidden():  # ...and not its start-up chatter on machines without a GPU
    import keras  # noqa: E402
    import tensorflow as tf  # noqa: E402
    DEVICE = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"

from common import averaging, diagnoses, digit_classifier, plotting, sampling  # noqa: E402
from common import saved_generator, saving  # noqa: E402
from common.metrics import d_accuracies  # noqa: E402
from common.results import save_results  # noqa: E402
from common.run import Run  # noqa: E402
from common.sampling import as_the_composite_sees_it, concatenate  # noqa: E402
from common.sampling import generate_fake_samples  # noqa: E402

if __name__ == "__main__":
    cli.run_main(main, CONFIG, DATA_ARRAYS)
