"""A DCGAN that learns handwritten digits: the classic Keras MNIST GAN tutorial, correct on
Keras 3, quick enough for a laptop CPU, with objective numbers instead of eyeballing.

    python gan_mnist.py                    # digits in minutes; each run in outputs/gan_mnist/NNN/
    python gan_mnist.py --generate 20      # 20 digits from the newest saved generator
    python gan_mnist.py --conditional      # feed the digit to both players: choose the digit
    python gan_mnist.py --help             # every hyperparameter below is a flag

D learns to tell real images from generated ones; G learns, through the composite G -> D with
D frozen, to make D call its images real. A small digit classifier scores G's digits.
"""

import math
from functools import partial

import numpy as np

from common.quiet_tensorflow import SETUP  # first: TensorFlow loads here, without its chatter
import keras

from common import cli, diagnoses, run_folders, sampling, saving
from common.clock import Clock
from common.errors import BadInput
from common.mnist import averaging, image_data, saved_generator
from common.mnist.evaluation import Evaluation, grid_path
from common.record import Record
from common.results import save_model_summaries, save_results
from common.sampling import as_the_composite_sees_it, concatenate, generate_latent_points

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
CONDITIONAL_LEARNING_RATE = 0.002  # with CONDITIONAL: Adam's step size, not LEARNING_RATE
LABEL_EMBEDDING = 50              # with CONDITIONAL: the digit's vector, before its map
# With CONDITIONAL: D's batch gets this share of BATCH_SIZE more, real images with a wrong digit
WRONG_DIGITS = 0.25
EVAL_EVERY = 4                    # evaluate, draw and save the models every this many epochs
N_EVAL = 1_000                    # generated images scored at each evaluation
DATA = ""                         # mnist, fashion_mnist, an .npz or a folder; empty: MNIST
SEED = 1                          # the same seed on the same machine gives the same run
TENSORBOARD = True                # write TensorBoard logs to the run's tensorboard/ folder
OUTPUT_DIR = "outputs/gan_mnist"  # each run writes to a new numbered folder here: 001, 002 ...
# --- end of hyperparameters ------------------------------------------------------------------


# --- The models ------------------------------------------------------------------------------
# The tutorial's DCGAN (https://machinelearningmastery.com/how-to-develop-a-generative-adversarial-
# network-for-an-mnist-handwritten-digits-from-scratch-in-keras/, https://arxiv.org/abs/1511.06434).

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
    """D or the composite, compiled as the tutorial does (D's accuracy: summarize_performance)."""
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
    tutorial; on Keras 3 that is not enough: see train()."""
    d_model.trainable = False
    return compiled(keras.Sequential([g_model, d_model], name="gan"), learning_rate, beta_1)


# The conditional GAN of the tutorial that follows (https://machinelearningmastery.com/how-to-
# develop-a-conditional-generative-adversarial-network-from-scratch/): both get the digit too.

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
    return compiled(keras.Model([latent, digit], d_model([g_model([latent, digit]), digit]),
                                name="gan"), learning_rate, beta_1)


def step_size(cfg: dict) -> float:
    """The step size of the mode CONDITIONAL says: each mode has its own."""
    return cfg["CONDITIONAL_LEARNING_RATE" if cfg["CONDITIONAL"] else "LEARNING_RATE"]


def define_models(cfg: dict, iterations: int, classes: list) -> tuple:
    """D, G and the composite for the mode CONDITIONAL says (conditional: of these classes)."""
    lr, beta_1 = step_size(cfg), cfg["BETA_1"]
    if cfg["LR_DECAY"]:  # big steps early, smaller ones along a cosine to zero
        lr = keras.optimizers.schedules.CosineDecay(lr, iterations)
    if cfg["CONDITIONAL"]:
        n_classes, embedding = len(classes), cfg["LABEL_EMBEDDING"]
        d_model = define_conditional_discriminator(cfg["D_FILTERS"], embedding, lr, beta_1,
                                                   n_classes)
        g_model = define_conditional_generator(cfg["LATENT_DIM"], cfg["G_FILTERS"], embedding,
                                               n_classes)
        return d_model, g_model, define_conditional_gan(g_model, d_model, lr, beta_1)
    d_model = define_discriminator(cfg["D_FILTERS"], lr, beta_1)
    g_model = define_generator(cfg["LATENT_DIM"], cfg["G_FILTERS"])
    return d_model, g_model, define_gan(g_model, d_model, lr, beta_1)


# --- The data --------------------------------------------------------------------------------

def generate_real_samples(images, n: int, rng: np.random.Generator) -> tuple:
    """n images picked at random from the training images, with class label 1 (real)."""
    return images.x[rng.integers(0, len(images.x), n)], np.ones((n, 1), dtype=np.float32)


def generate_fake_samples(generator, latent_dim: int, n: int, rng: np.random.Generator) -> tuple:
    """n images that G makes from random latent points, with class label 0 (fake)."""
    return sampling.generate_fake_samples(generator, generate_latent_points(latent_dim, n, rng))


def generate_conditional_real_samples(images, n: int, rng: np.random.Generator) -> tuple:
    """[n images, their digits] picked at random from the training images, class label 1."""
    pick = rng.integers(0, len(images.x), n)
    return [images.x[pick], images.y[pick].astype(np.int32)], np.ones((n, 1), np.float32)


def generate_conditional_latent_points(latent_dim: int, n: int, rng: np.random.Generator,
                                       n_classes: int) -> list:
    """G's input for n images: [latent points, digits], the digits random among n_classes."""
    points = generate_latent_points(latent_dim, n, rng)
    return [points, rng.integers(0, n_classes, n).astype(np.int32)]


def generate_conditional_fake_samples(generator, latent_dim: int, n: int,
                                      rng: np.random.Generator, n_classes: int, images,
                                      n_wrong: int) -> tuple:
    """[images, digits]: n that G makes for random digits, then n_wrong real images each with
    a digit it is not, all labelled 0. So a real-looking image no longer passes whatever digit
    was asked, and G learns the digits faster (Reed et al., https://arxiv.org/abs/1605.05396)."""
    x_fake, y_fake = sampling.generate_fake_samples(
        generator, generate_conditional_latent_points(latent_dim, n, rng, n_classes))
    (real, digits), _ = generate_conditional_real_samples(images, n_wrong, rng)
    wrong = (digits + rng.integers(1, n_classes, n_wrong)) % n_classes  # any digit but its own
    return (concatenate(x_fake, [real, wrong.astype(np.int32)]),
            np.concatenate([y_fake, np.zeros((n_wrong, 1), dtype=np.float32)]))


def sampling_functions(cfg: dict, images) -> tuple:
    """The loop's three draws for the mode CONDITIONAL says: real samples, fake samples, G's
    input, chosen once so that the loop is one sequence in either mode. The conditional ones
    take the plain ones' arguments (their extras bound here) and return [images, digits]."""
    if not cfg["CONDITIONAL"]:
        return generate_real_samples, generate_fake_samples, generate_latent_points
    n_classes, n_wrong = len(images.classes), round(cfg["WRONG_DIGITS"] * cfg["BATCH_SIZE"])
    return (generate_conditional_real_samples,
            partial(generate_conditional_fake_samples, n_classes=n_classes, images=images,
                    n_wrong=n_wrong),
            partial(generate_conditional_latent_points, n_classes=n_classes))


# --- The evaluation --------------------------------------------------------------------------

def summarize_performance(epoch: int, g_model, d_model, evaluation, folder: str) -> tuple:
    """Measure the models (common/mnist/evaluation.py), draw the grid of the fixed latent
    points, save the models (`g_model`: G's moving average, if kept). Returns row and grid."""
    row = {"epoch": epoch, **evaluation.measure(g_model, d_model)}
    picture = evaluation.draw_grid(g_model, folder, row)  # grid_epoch_NNN.png
    saving.save_models(folder, g_model, d_model, f"_epoch_{epoch:03d}")  # generator_epoch_...
    return row, picture


# --- Training ---------------------------------------------------------------------------------

def train(g_model, d_model, gan_model, g_average, clock, record, cfg: dict, images,
          rng: np.random.Generator, evaluation, steps: int) -> list:
    """The tutorial's train(): EPOCHS epochs of `steps` batches, D's and G's updates in turn,
    evaluating every EVAL_EVERY epochs; `g_average` (or None) follows G's weights, smoothed."""
    half, n_batch, latent_dim = cfg["BATCH_SIZE"] // 2, cfg["BATCH_SIZE"], cfg["LATENT_DIM"]
    real_samples, fake_samples, latent_points = sampling_functions(cfg, images)
    draw_fakes = as_the_composite_sees_it(g_model)
    average = averaging.updater(g_average, g_model, cfg["G_AVERAGE"])  # nothing if None
    for i in clock.iterations():
        # D learns from a batch that is half real images, half generated ones (conditional:
        # each with its digit, and real images with a wrong digit, called fake too); it
        # maximises log D(x) + log(1 - D(G(z))) (labels 1 for real, 0 for fake)...
        x_real, y_real = real_samples(images, half, rng)
        x_fake, y_fake = fake_samples(draw_fakes, latent_dim, half, rng)
        d_model.trainable = True  # Keras 3 reads this when it traces an update: set it each time
        d_loss = d_model.train_on_batch(concatenate(x_real, x_fake),
                                        np.concatenate([y_real, y_fake]))
        clock.check_d_learned()  # first iteration: the weights say if D learned (README)
        # ...then G learns, through the composite with D frozen, to make D say "real" (1):
        # G maximises log D(G(z)), the non-saturating form (the DCGAN paper's, the tutorial's).
        x_gan = latent_points(latent_dim, n_batch, rng)
        y_gan = np.ones((n_batch, 1), dtype=np.float32)
        d_model.trainable = False
        g_loss = gan_model.train_on_batch(x_gan, y_gan)
        clock.check_only_g_learned()  # ...and if D stayed frozen here while G learned
        average(i)  # the generator we show follows G's weights, smoothed
        record.losses(i, d_loss, g_loss)  # a loss that is not a number stops the run
        if clock.evaluating(i):
            row, picture = summarize_performance(math.ceil(i / steps), g_average or g_model,
                                                 d_model, evaluation, record.folder)
            record.evaluation(i, row, picture)
    return record.history


def main(args: cli.Args) -> dict:
    """Train, write every output file, return the final numbers (--generate: just pictures)."""
    if args.generator:  # --generate, --interpolate: pictures from a saved generator, no training
        return saved_generator.write_pictures(args, SETUP)
    cfg, images = args.config, image_data.load_for_training(args.config)  # read and checked
    out = run_folders.start(cfg["OUTPUT_DIR"], args.resume)  # made now: all input was good
    print(f"{out}: {'resuming' if args.resume else 'a new run'} ({SETUP})", flush=True)
    steps = image_data.describe(images, cfg, step_size(cfg))  # iterations per epoch
    saving.save_config(out, cfg, classes=images.classes)  # config.json, classes.json
    keras.utils.set_random_seed(cfg["SEED"])  # initial weights, dropout
    rng, eval_rng = sampling.random_streams(cfg["SEED"])  # training's, and the evaluations'
    evaluation = Evaluation(cfg, images, eval_rng)
    d_model, g_model, gan_model = define_models(cfg, cfg["EPOCHS"] * steps, images.classes)
    save_model_summaries(out, d_model, g_model, gan_model)  # models.txt: each summary()
    g_average = averaging.average_copy(g_model) if cfg["G_AVERAGE"] else None  # shown, saved
    record = Record(out, cfg["EPOCHS"] * steps, cfg["EVAL_EVERY"] * steps, show=evaluation.show,
                    diagnose=diagnoses.digit_troubles, tensorboard=cfg["TENSORBOARD"])
    clock = Clock(record, "gan_mnist.py", cfg, (d_model, g_model, gan_model), rng, g_average)
    history = train(g_model, d_model, gan_model, g_average, clock, record, cfg, images, rng,
                    evaluation, steps)
    generator = save_results(out, g_average or g_model, d_model, history, evaluation.panels,
                             [grid_path(out, row["epoch"]) for row in history])
    # The final numbers come from the saved file, which proves it holds the trained generator.
    final = {"epoch": history[-1]["epoch"],
             **evaluation.measure(keras.models.load_model(generator), d_model)}
    print(f"{out}: done; from its generator.keras, on {cfg['N_EVAL']} images: " + " ".join(
        f"{k} {final[k]:.3g}" for k in evaluation.show[3:] or ("acc_real", "acc_fake")))
    return record.finish(final, evaluation.judge, real_reference=evaluation.reference)


# --- The command line ------------------------------------------------------------------------

def parse_args(argv=None) -> cli.Args:
    """The hyperparameters above, overridden by flags and checked (args.config; --resume: the
    checkpoint's). Raises BadInput. Writes nothing, reads no image: main() does."""
    args = cli.parse_hyperparameters(
        __file__, globals(), description=__doc__.split("\n\n")[0], argv=argv,
        extra_flags=run_folders.FLAGS + run_folders.GENERATOR_FLAGS)  # rules: cli.RULES
    cfg = args.config
    # Each mode has its own step size: a flag for the other mode's would be silently unused.
    if {"LEARNING_RATE" if cfg["CONDITIONAL"] else "CONDITIONAL_LEARNING_RATE"} & args.given:
        raise BadInput("--learning-rate is the step size of unconditional runs; with "
                       "--conditional, set --conditional-learning-rate" if cfg["CONDITIONAL"]
                       else "--conditional-learning-rate goes with --conditional; without "
                       "it, set --learning-rate")
    cli.check("EVAL_EVERY", cfg, cli.at_most(cfg["EPOCHS"], "--epochs"))
    cli.check("EPOCH_IMAGES", cfg, lambda n: None if n == 0 or n >= cfg["BATCH_SIZE"] else
              f"must be 0 (all the images) or at least --batch-size ({cfg['BATCH_SIZE']})")
    if not run_folders.reading_generator(args):  # --generate, --interpolate: nothing to train
        run_folders.resume(args, "gan_mnist.py")  # --resume: the checkpoint's configuration
        image_data.check_exists(args.config["DATA"])  # read in main(), before the run's folder
    return args


if __name__ == "__main__":
    cli.run_main(lambda: main(parse_args()))  # bad input: one line on stderr, exit status 2
