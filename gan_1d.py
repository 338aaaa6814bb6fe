"""A GAN that learns a curve such as y = x² from samples: the classic 1D Keras GAN tutorial
(https://machinelearningmastery.com/how-to-develop-a-generative-adversarial-network-for-a-1-
dimensional-function-from-scratch-in-keras/), correct on Keras 3, with objective numbers.

    python gan_1d.py                        # learn y = x²; each run writes to outputs/gan_1d/NNN/
    python gan_1d.py --target sine --seed 3
    python gan_1d.py --help                 # every hyperparameter below is a flag

D learns to tell real points (x, f(x)) from generated ones; G turns random latent points into
points and learns, through the composite G -> D with D frozen, to make D call them real.
"""

import os

import numpy as np

from common.quiet_tensorflow import SETUP  # first: TensorFlow loads here, without its chatter
import keras

from common import cli, diagnoses, plotting, run_folders, sampling, saving, verdicts
from common.clock import Clock
from common.metrics import d_accuracies, ks_to_uniform, mean_abs_error
from common.record import Record
from common.results import save_model_summaries, save_results
from common.sampling import as_the_composite_sees_it, generate_fake_samples
from common.sampling import generate_latent_points

# --- Hyperparameters: each one is also a flag (BATCH_SIZE <-> --batch-size) -----------------
TARGET = "x2"                  # the curve to learn: x2, sine, gaussian, cubic or poly
ITERATIONS = 5_000             # training iterations: one D update and one G update each
BATCH_SIZE = 512               # points per update; D's batch is half real, half fake
LATENT_DIM = 1                 # size of the generator's random input (the curve is 1D)
PACK = 2                       # D judges packs of this many points at once (1: one by one)
D_LAYERS = 1                   # hidden layers in the discriminator
D_HIDDEN = 512                 # units in each of them
G_LAYERS = 2                   # hidden layers in the generator
G_HIDDEN = 64                  # units in each of them
ACTIVATION = "relu"            # the hidden layers' activation: relu, leaky_relu or tanh
G_OUTPUT = "linear"            # the generator's output activation: linear or tanh
LEARNING_RATE = 0.002          # Adam's step size at the start, for both models
BETA_1 = 0.5                   # Adam's momentum (0.9 is Keras' default; GANs like 0.5)
LR_DECAY = True                # anneal the step size to zero over the run (cosine schedule)
EVAL_EVERY = 1_000             # evaluate, plot and print every this many iterations
N_EVAL = 10_000                # generated points measured at each evaluation
N_PLOT = 500                   # real and generated points drawn in each scatter plot
SEED = 1                       # the same seed on the same machine gives the same run
TENSORBOARD = True             # write TensorBoard logs to the run's tensorboard/ folder
OUTPUT_DIR = "outputs/gan_1d"  # each run writes to a new numbered folder here: 001, 002 ...
# --- end of hyperparameters ------------------------------------------------------------------

# The curves: name -> (f, domain of x, preset). Real samples are (x, f(x)), x uniform on the
# domain. All share the tutorial's domain and a height of 0.25 to 0.5, so one error bar fits
# them all. A preset is the target's own settings: they replace the block above (the run says
# so), and a flag replaces them. poly's steep walls need a deeper D and a longer run.
TARGETS = {
    "x2": (lambda x: x ** 2, (-0.5, 0.5), {}),                           # the tutorial's parabola
    "sine": (lambda x: 0.25 * np.sin(2 * np.pi * x), (-0.5, 0.5), {}),   # one full period
    "gaussian": (lambda x: 0.25 * np.exp(-x ** 2 / (2 * 0.15 ** 2)), (-0.5, 0.5), {}),  # a bump
    "cubic": (lambda x: 2 * x ** 3, (-0.5, 0.5), {}),
    "poly": (lambda x: 0.25 * (128 * x ** 4 - 32 * x ** 2 + 1), (-0.5, 0.5),  # two valleys
             {"D_LAYERS": 2, "D_HIDDEN": 128, "ITERATIONS": 15_000, "EVAL_EVERY": 3_000}),
}
# The hidden layers' activations, each with the weight initialiser that suits it.
ACTIVATIONS = {"relu": "he_uniform", "leaky_relu": "he_uniform", "tanh": "glorot_uniform"}
# D's view, the background of every frame, is D's verdict on VIEW_SIZE x VIEW_SIZE points.
VIEW_SIZE = 200


# --- The models ------------------------------------------------------------------------------

def hidden_layers(n_layers: int, units: int, activation: str) -> list:
    """The body of either player: n_layers Dense layers of `units` units each."""
    return [keras.layers.Dense(units, activation=activation,
                               kernel_initializer=ACTIVATIONS[activation])
            for _ in range(n_layers)]


def define_discriminator(pack: int, n_layers: int, hidden: int, activation: str,
                         learning_rate, beta_1: float):
    """D: a pack of `pack` points (x, y) -> the probability that the pack is real. Judging a
    few points at once (PacGAN, https://arxiv.org/abs/1712.04086) shows D what no single point
    can: generated packs whose points all come from one part of the curve. So D notices a G
    that drops part of the curve. PACK = 1 is the tutorial's D, one point at a time."""
    model = keras.Sequential([
        keras.Input(shape=(pack, 2)),
        keras.layers.Flatten(),  # the pack's points side by side: x1, y1, x2, y2, ...
        *hidden_layers(n_layers, hidden, activation),
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="discriminator")
    # No metrics=["accuracy"] as in the tutorial: it costs ~0.5 ms per update (Keras resets
    # metric variables every train_on_batch); summarize_performance measures accuracy itself.
    model.compile(loss="binary_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1))
    return model


def define_generator(latent_dim: int, n_layers: int, hidden: int, activation: str,
                     output: str):
    """G: a latent point -> a point (x, y). Not compiled: it only learns inside the composite.
    `output` "tanh" keeps x and y inside (-1, 1), which holds every target here (x within
    +-0.5, y within +-0.5); a curve outside it would need its data scaled to fit."""
    return keras.Sequential([
        keras.Input(shape=(latent_dim,)),
        *hidden_layers(n_layers, hidden, activation),
        keras.layers.Dense(2, activation=output),
    ], name="generator")


def define_gan(g_model, d_model, learning_rate, beta_1: float):
    """The composite G -> D that trains G to make D say "real", on packs of latent points. D is
    frozen here as in the tutorial; on Keras 3 that is not enough: see train()."""
    d_model.trainable = False
    model = keras.Sequential([
        keras.Input(shape=(d_model.input_shape[1], g_model.input_shape[1])),
        keras.layers.TimeDistributed(g_model),  # G makes each point of a pack on its own
        d_model,
    ], name="gan")
    model.compile(loss="binary_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1))
    return model


def define_models(cfg: dict) -> tuple:
    """D, G and the composite, as the hyperparameters say."""
    # LR_DECAY: big steps early, smaller ones along a cosine to zero, so the players settle.
    lr = keras.optimizers.schedules.CosineDecay(cfg["LEARNING_RATE"], cfg["ITERATIONS"]) \
        if cfg["LR_DECAY"] else cfg["LEARNING_RATE"]
    d_model = define_discriminator(cfg["PACK"], cfg["D_LAYERS"], cfg["D_HIDDEN"],
                                   cfg["ACTIVATION"], lr, cfg["BETA_1"])
    g_model = define_generator(cfg["LATENT_DIM"], cfg["G_LAYERS"], cfg["G_HIDDEN"],
                               cfg["ACTIVATION"], cfg["G_OUTPUT"])
    return d_model, g_model, define_gan(g_model, d_model, lr, cfg["BETA_1"])


# --- The data --------------------------------------------------------------------------------

def generate_real_samples(target: str, n: int, rng: np.random.Generator) -> tuple:
    """n real points (x, f(x)), x uniform on the target's domain, with class label 1."""
    f, (lo, hi), _ = TARGETS[target]
    x = rng.uniform(lo, hi, n).astype(np.float32)
    return np.stack([x, f(x)], axis=1), np.ones((n, 1), dtype=np.float32)


def in_packs(samples: np.ndarray, pack: int) -> np.ndarray:
    """Samples (n, ...) as n / pack packs of `pack` consecutive ones: (n / pack, pack, ...)."""
    return samples.reshape(-1, pack, *samples.shape[1:])


# --- The evaluation --------------------------------------------------------------------------

def measure(g_model, d_model, target: str, eval_real: np.ndarray,
            eval_latent: np.ndarray) -> tuple:
    """The four numbers of an evaluation (ks: how evenly the points' x covers the domain),
    and the generated points they were measured on."""
    pack = d_model.input_shape[1]
    (f, domain, _), (fake, _) = TARGETS[target], generate_fake_samples(g_model, eval_latent)
    acc_real, acc_fake = d_accuracies(d_model, in_packs(eval_real, pack), in_packs(fake, pack))
    return {"acc_real": acc_real, "acc_fake": acc_fake, "mae": mean_abs_error(fake, f),
            "ks": ks_to_uniform(fake[:, 0], *domain)}, fake


def frame_path(out_dir: str, iteration: int) -> str:
    return os.path.join(out_dir, f"scatter_{iteration:06d}.png")


def summarize_performance(iteration: int, g_model, d_model, target: str,
                          eval_real: np.ndarray, eval_latent: np.ndarray, n_plot: int,
                          out_dir: str) -> dict:
    """Measure the models and save a frame (D's view behind the curve, real and generated
    points), always of the same points, so that frames compare. Returns the metrics, with
    d_range: how far D's verdict varies over the view (near 0: the same everywhere)."""
    metrics, fake = measure(g_model, d_model, target, eval_real, eval_latent)
    curve, company = plotting.curve(*TARGETS[target][:2]), eval_real[:d_model.input_shape[1] - 1]
    view = plotting.discriminator_view(d_model, curve, company, VIEW_SIZE)
    plotting.plot_scatter(
        frame_path(out_dir, iteration), eval_real, fake, curve,
        f"{target}, iteration {iteration}: mean |y - f(x)| = {metrics['mae']:.4f}, "
        f"KS = {metrics['ks']:.3f}", n_plot, d_view=view)
    return {**metrics, "d_range": float(view.max() - view.min())}


# --- Training ---------------------------------------------------------------------------------

def train(g_model, d_model, gan_model, clock, record, cfg: dict, rng: np.random.Generator,
          eval_real: np.ndarray, eval_latent: np.ndarray) -> list:
    """The tutorial's train(): alternate D's and G's updates, evaluate every EVAL_EVERY
    iterations; the `clock` counts them, the `record` keeps the numbers (common/)."""
    half, latent_dim, pack = cfg["BATCH_SIZE"] // 2, cfg["LATENT_DIM"], cfg["PACK"]
    draw_fakes = as_the_composite_sees_it(g_model)
    for i in clock.iterations():  # from 1, or after a checkpoint's; a checkpoint per evaluation
        # D learns from a batch of packs, half of real points, half of generated ones;
        # y[::pack] is one label per pack. D maximises log D(real) + log(1 - D(fake))...
        x_real, y_real = generate_real_samples(cfg["TARGET"], half, rng)
        x_fake, y_fake = generate_fake_samples(draw_fakes,
                                               generate_latent_points(latent_dim, half, rng))
        d_model.trainable = True  # Keras 3 reads this when it traces an update: set it each time
        d_loss = d_model.train_on_batch(in_packs(np.concatenate([x_real, x_fake]), pack),
                                        np.concatenate([y_real, y_fake])[::pack])
        clock.check_d_learned()  # first iteration: the weights say if D learned (README)
        # ...then G learns, through the composite with D frozen, to make D say "real" (1):
        # G maximises log D(G(z)), the tutorial's non-saturating form.
        x_gan = generate_latent_points(latent_dim, cfg["BATCH_SIZE"], rng)
        y_gan = np.ones((cfg["BATCH_SIZE"] // pack, 1), dtype=np.float32)
        d_model.trainable = False
        g_loss = gan_model.train_on_batch(in_packs(x_gan, pack), y_gan)
        clock.check_only_g_learned()  # ...and if D stayed frozen here while G learned
        record.losses(i, d_loss, g_loss)  # a loss that is not a number stops the run
        if clock.evaluating(i):
            record.evaluation(i, summarize_performance(i, g_model, d_model, cfg["TARGET"],
                                                       eval_real, eval_latent, cfg["N_PLOT"],
                                                       record.folder),
                              picture=frame_path(record.folder, i))
    return record.history


def main(args: cli.Args) -> dict:
    """Train on the configuration, write every output file, return the final metrics."""
    cfg, out = args.config, run_folders.start(args.config["OUTPUT_DIR"], args.resume)
    print(f"{out}: {'resuming' if args.resume else 'a new run'} ({SETUP})", flush=True)
    if args.preset:  # the settings that came from the target's preset (TARGETS)
        print(args.preset, flush=True)
    saving.save_config(out, cfg, args.from_preset)  # config.json
    keras.utils.set_random_seed(cfg["SEED"])  # the models' initial weights
    rng, eval_rng = sampling.random_streams(cfg["SEED"])  # training's, and the evaluations'
    eval_real, _ = generate_real_samples(cfg["TARGET"], cfg["N_EVAL"], eval_rng)
    eval_latent = generate_latent_points(cfg["LATENT_DIM"], cfg["N_EVAL"], eval_rng)

    d_model, g_model, gan_model = define_models(cfg)
    save_model_summaries(out, d_model, g_model, gan_model)  # models.txt: each summary()
    record = Record(out, cfg["ITERATIONS"], cfg["EVAL_EVERY"], diagnose=diagnoses.curve_troubles,
                    show=("acc_real", "acc_fake", "mae", "ks"), tensorboard=cfg["TENSORBOARD"])
    clock = Clock(record, "gan_1d.py", cfg, (d_model, g_model, gan_model), rng)  # resumes
    history = train(g_model, d_model, gan_model, clock, record, cfg, rng, eval_real, eval_latent)

    generator = save_results(out, g_model, d_model, history, [
        ("mean losses since the previous evaluation", ["d_loss", "g_loss"], False),
        ("discriminator accuracy", ["acc_real", "acc_fake"], False),
        ("mean |y - f(x)| of generated points", ["mae"], True),
        ("KS distance of generated x to the uniform domain", ["ks"], True),
    ], [frame_path(out, row["iteration"]) for row in history])
    # The final numbers come from the saved file, which proves it holds the trained generator.
    final, _ = measure(keras.models.load_model(generator), d_model, cfg["TARGET"], eval_real,
                       eval_latent)
    print(f"{out}: done; from its generator.keras, on {cfg['N_EVAL']} points: "
          f"mae {final['mae']:.4f} ks {final['ks']:.4f}", flush=True)
    return record.finish(final, verdicts.curve)  # metrics.json, and the verdict: "result: ..."


# --- The command line ------------------------------------------------------------------------

def parse_args(argv=None) -> cli.Args:
    """The hyperparameters above, overridden by a preset and flags, and checked (args.config;
    --resume: the checkpoint's). Raises BadInput (common/errors.py); writes nothing."""
    args = cli.parse_hyperparameters(
        __file__, globals(), description=__doc__.split("\n\n")[0], argv=argv,
        extra_flags=run_folders.FLAGS,
        rules={"TARGET": [cli.one_of(TARGETS)], "ACTIVATION": [cli.one_of(ACTIVATIONS)]})
    target = args.config["TARGET"]  # its preset, unless flagged (the other rules: cli.RULES)
    cfg = cli.apply_preset(args, TARGETS[target][2], f"--target {target}")
    cli.check("BATCH_SIZE", cfg, cli.multiple_of(2 * cfg["PACK"], "2 x --pack", ": D's batch is "
                                                 "half real packs, half fake packs"))
    cli.check("EVAL_EVERY", cfg, cli.at_most(cfg["ITERATIONS"], "--iterations"))
    cli.check("N_PLOT", cfg, cli.at_most(cfg["N_EVAL"], "--n-eval"))
    cli.check("N_EVAL", cfg, cli.multiple_of(cfg["PACK"], "--pack"))
    run_folders.resume(args, "gan_1d.py")  # --resume: the checkpoint's configuration
    return args


if __name__ == "__main__":
    cli.run_main(lambda: main(parse_args()))  # bad input: one line on stderr, exit status 2
