"""Where runs live: OUTPUT_DIR is a parent, and every fresh run gets the next numbered folder
under it (outputs/gan_1d/001, 002 ...), so running the same command twice keeps both runs.
A run folder, once written, is never overwritten or deleted by a later run.

`--resume` goes on with the newest unfinished run (or the one named); --generate and
--interpolate read the newest run that saved a generator (or the one named with --run).
"""

import os
import re
from typing import Optional

from common import checkpoint, cli
from common.errors import BadInput

NEWEST = "newest"
FLAGS = [
    ("--resume", {"nargs": "?", "const": NEWEST, "default": None, "metavar": "RUN",
                  "help": "go on with the newest unfinished run under --output-dir from its "
                          "last checkpoint, or with RUN (a run's folder name, e.g. 002, or "
                          "its path)"}),
]
# gan_mnist.py's flags that read a finished run's generator instead of training.
GENERATOR_FLAGS = [
    ("--generate", {"type": int, "default": None, "metavar": "N",
                    "help": "instead of training: write N images from the newest saved "
                            "generator (of the run --run names)"}),
    ("--digit", {"metavar": "K",
                 "help": "with --generate and a conditional generator: images of class K, "
                         "its number (a digit, for MNIST) or its name"}),
    ("--interpolate", {"type": int, "default": None, "metavar": "FRAMES",
                       "help": "instead of training: write interpolation.gif, a walk through "
                               "the newest saved generator's latent space (conditional: "
                               "through its classes) in FRAMES frames"}),
    ("--run", {"metavar": "RUN", "help": "the run --generate and --interpolate read: its "
                                         "folder name (e.g. 002) or path; default: newest"}),
]
FINISHED = "metrics.json"  # written last: a run that has it has finished

# Settings that do not change what is computed: --resume takes them from the command line.
MAY_CHANGE = {"OUTPUT_DIR", "TENSORBOARD"}


def runs(parent: str) -> list:
    """The run folders under `parent`, oldest first (by number, not by date)."""
    names = os.listdir(parent) if os.path.isdir(parent) else []
    numbered = [n for n in names if re.fullmatch(r"\d+", n)
                and os.path.isdir(os.path.join(parent, n))]
    return [os.path.join(parent, n) for n in sorted(numbered, key=int)]


def create(parent: str) -> str:
    """Make the next numbered run folder under `parent` and return its path. Two runs started
    at once still get two folders: os.mkdir fails for the second, which takes the next."""
    existing = runs(parent)
    number = int(os.path.basename(existing[-1])) + 1 if existing else 1
    while True:
        path = os.path.join(parent, f"{number:03d}")
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            number += 1


def named(parent: str, run: str, flag: str) -> str:
    """The folder of a run given by name (002, under `parent`) or by path."""
    for path in (os.path.join(parent, run), run):
        if os.path.isdir(path):
            return path
    there = ", ".join(os.path.basename(p) for p in runs(parent)) or "none"
    raise BadInput(f"{flag}: no run {run} (runs in {parent}: {there})")


def to_resume(parent: str, run: str) -> str:
    """The folder --resume goes on with: the named run, or the newest unfinished one."""
    if run != NEWEST:
        folder = named(parent, run, "--resume")
        if not os.path.exists(os.path.join(folder, checkpoint.NAME)):
            raise BadInput(f"--resume: there is no {checkpoint.NAME} in {folder}")
        if os.path.exists(os.path.join(folder, FINISHED)):
            raise BadInput(f"--resume: {folder} has finished; nothing to go on with")
        return folder
    unfinished = [p for p in runs(parent) if os.path.exists(os.path.join(p, checkpoint.NAME))
                  and not os.path.exists(os.path.join(p, FINISHED))]
    if not unfinished:
        raise BadInput(f"--resume: no unfinished run in {parent} to go on with (start a new "
                       f"one without --resume)")
    return unfinished[-1]


def resume(args: cli.Args, script: str) -> None:
    """--resume: check it against the run folder, and take the run's configuration from its
    checkpoint (args.config; args.resume: the folder). Flags given on the command line must
    agree with it. Raises BadInput."""
    if not args.extra.resume:
        return
    folder = to_resume(args.config["OUTPUT_DIR"], args.extra.resume)
    path = os.path.join(folder, checkpoint.NAME)
    try:
        state = checkpoint.read_state(path)
    except ValueError as e:
        raise BadInput(f"--resume: {e}")
    saved = state["config"]
    if state["script"] != script or set(saved) != set(args.config):
        raise BadInput(f"--resume: {path} was written by {state['script']} with other "
                       f"settings than this version of {script} has")
    for name in sorted(args.given - MAY_CHANGE):
        if args.config[name] != saved[name]:
            theirs = flag(name, saved[name]) if isinstance(saved[name], bool) else saved[name]
            raise BadInput(f"--resume: {flag(name, args.config[name])} contradicts the "
                           f"checkpoint's {theirs}; drop the flag to go on with that run, or "
                           f"start a new one without --resume")
    args.config = {**saved, **{name: args.config[name] for name in args.given & MAY_CHANGE}}
    args.resume = folder


def start(parent: str, resume: Optional[str]) -> str:
    """The run's folder, once everything it needs has been read: `resume`'s, or the next
    numbered one under `parent`, made now. Raises BadInput when `parent` is not writable."""
    cli.check("OUTPUT_DIR", {"OUTPUT_DIR": parent}, cli.writable_folder)
    return resume or create(parent)


def flag(name: str, value) -> str:
    """How a user would have typed a setting: --target sine, --no-conditional."""
    if isinstance(value, bool):
        return cli.flag_name(name) if value else "--no-" + cli.flag_name(name)[2:]
    return f"{cli.flag_name(name)} {value}"


def reading_generator(args: cli.Args) -> bool:
    """Check GENERATOR_FLAGS; True when --generate or --interpolate asks to read a generator
    (then args.generator is its path). Raises BadInput."""
    extra = vars(args.extra)
    # Not given: None. Given, a count must be one: 0 is refused, not read as "not asked".
    cli.check("generate", extra, lambda n: None if n is None or n > 0 else
              "must be a positive number of images")
    cli.check("interpolate", extra, lambda n: None if n is None or n >= 2 else
              "must be at least 2 frames")
    if extra["generate"] is None and extra["interpolate"] is None:
        if extra["digit"] is not None or extra["run"]:
            raise BadInput(f"--{'digit' if extra['run'] is None else 'run'} goes with "
                           f"--generate (or --interpolate); to go on with a run: --resume RUN")
        return False
    if extra["resume"]:
        raise BadInput("--generate and --interpolate train nothing: they take no --resume")
    args.generator = with_generator(args.config["OUTPUT_DIR"], extra["run"],
                                    "--generate" if extra["generate"] else "--interpolate")
    return True


def with_generator(parent: str, run: Optional[str], flag_name: str) -> str:
    """The path of the newest saved generator (by the epoch in its name, not by file date):
    of the named run, or of the newest run that saved one."""
    folders = [named(parent, run, flag_name)] if run else runs(parent)[::-1]
    for folder in folders:
        saved = {int(m[1]): m[0] for m in map(
            re.compile(r"generator_epoch_(\d+)\.keras").fullmatch, os.listdir(folder)) if m}
        if saved:
            return os.path.join(folder, saved[max(saved)])
    where = folders[0] if run else parent
    raise BadInput(f"{flag_name}: no saved generator (generator_epoch_*.keras) in {where}; "
                   f"train first (python gan_mnist.py --output-dir {parent})")

