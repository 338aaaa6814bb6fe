"""Command-line flags built from a script's hyperparameters block, with one-line errors.

Every constant `NAME = value` between a script's two fence lines, `# --- Hyperparameters`
and `# --- end of hyperparameters`, gets the flag `--name` (lower case, `_` -> `-`), typed
like its default; the comment at the end of its line (else the comment lines right above it)
is its help text. Rules raise BadInput; run_main is the one place that prints the line and
ends the process.
"""

import argparse
import dataclasses
import os
import re
import sys
from typing import Callable, Iterable, Optional

from common.errors import BadInput, RunError

# A rule takes a flag's value and returns what is wrong with it ("must be ...") or None.
Rule = Callable[[object], Optional[str]]

BLOCK_START, BLOCK_END = "# --- Hyperparameters", "# --- end of hyperparameters"
_CONSTANT = re.compile(r"^([A-Z][A-Z0-9_]*) = .+?(?:\s+#\s*(.+))?$")


@dataclasses.dataclass
class Args:
    """What a command line asks for. `config` is the hyperparameters (the block at the top, a
    preset, the flags): what a run saves, restores and prints as its configuration. The rest
    says how to run it."""
    config: dict
    given: set                    # the hyperparameters given as flags
    extra: argparse.Namespace     # the other flags: --resume, --generate ...
    resume: Optional[str] = None  # the folder of the run to go on with (None: a new run)
    preset: Optional[str] = None  # the line that says what a preset set (None: nothing)
    from_preset: list = dataclasses.field(default_factory=list)  # the names it set
    generator: Optional[str] = None  # --generate, --interpolate: the generator to read


def flag_name(name: str) -> str:
    """ITERATIONS -> --iterations, BATCH_SIZE -> --batch-size."""
    return "--" + name.lower().replace("_", "-")


def read_hyperparameter_help(script_path: str) -> dict:
    """NAME -> help text, for every constant inside the script's hyperparameters fence."""
    with open(script_path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(BLOCK_START)]
    ends = [i for i, line in enumerate(lines) if line.startswith(BLOCK_END)]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise ValueError(f"{script_path}: needs one '{BLOCK_START}' line and, below it, one "
                         f"'{BLOCK_END}' line")
    helps, comment = {}, []
    for line in lines[starts[0] + 1:ends[0]]:
        match = _CONSTANT.match(line)
        if match:
            helps[match[1]] = match[2] or " ".join(comment)
        comment = comment + [line.lstrip("# ")] if line.startswith("#") else []
    return helps


def hyperparameter_defaults(module) -> dict:
    """NAME -> value of every hyperparameter, as the script (an imported module) sets it."""
    return {name: getattr(module, name) for name in read_hyperparameter_help(module.__file__)}


def _typed(kind: type) -> Callable[[str], object]:
    """An argparse type that says in plain words what it wanted."""
    article = "an" if kind is int else "a"
    word = {int: "integer", float: "number", str: "string"}[kind]

    def convert(text: str):
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {article} {word} (got {text!r})")

    return convert


def parse_hyperparameters(script_path: str, namespace: dict, description: str,
                          rules: Optional[dict] = None, argv: Optional[list] = None,
                          extra_flags: Iterable[tuple] = ()) -> Args:
    """Parse the flags of the script's hyperparameters, check RULES and `rules`.

    Defaults come from `namespace` (the script's globals()). `rules` maps NAME to a list of
    Rule functions (after RULES' for that name, if any); the first complaint ends the
    program. `extra_flags` are (flag, kwargs) pairs for argparse that are not
    hyperparameters. Raises BadInput.
    """
    helps = read_hyperparameter_help(script_path)
    parser = argparse.ArgumentParser(description=description, allow_abbrev=False)
    for name, help_text in helps.items():
        default = namespace[name]
        kind = type(default)
        # SUPPRESS: a flag not given stays out of the result, so we know which were given.
        kwargs = {"dest": name, "default": argparse.SUPPRESS,
                  "help": f"{help_text} (default: {default!r})" if kind is str else
                          f"{help_text} (default: {default})"}
        if kind is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["type"] = _typed(kind)
            kwargs["metavar"] = name
        parser.add_argument(flag_name(name), **kwargs)
    for flag, kwargs in extra_flags:
        parser.add_argument(flag, **kwargs)

    def one_line_error(message: str):
        # argparse says "argument --x: must be ..."; we say "--x must be ...".
        raise BadInput(re.sub(r"^argument (--[\w-]+): ", r"\1 ", message))

    parser.error = one_line_error
    parsed = vars(parser.parse_args(argv))
    given = set(helps) & set(parsed)
    config = {name: parsed.pop(name, namespace[name]) for name in helps}
    for name in helps:
        for rule in RULES.get(name, []) + (rules or {}).get(name, []):
            check(name, config, rule)
    return Args(config, given, argparse.Namespace(**parsed))


def apply_preset(args: Args, preset: dict, source: str) -> dict:
    """Give args.config `preset`'s settings for the names not given as flags (a flag wins),
    checked by RULES, and return it. args.preset becomes the line a run prints about them,
    naming the top-of-file values they replace; args.from_preset the names, for config.json."""
    taken = {name: value for name, value in preset.items() if name not in args.given}
    replaced = [f"{name} = {args.config[name]!r}" for name in taken
                if args.config[name] != taken[name]]
    args.config, args.from_preset = {**args.config, **taken}, sorted(taken)
    for name in taken:
        for rule in RULES.get(name, []):
            check(name, args.config, rule)
    if taken:
        args.preset = (f"{source} sets " + " ".join(
            f"{flag_name(name)} {value}" for name, value in taken.items()) + (
            f", instead of the top of the file's {', '.join(replaced)}" if replaced else "") +
            " (TARGETS at the top; a flag wins)")
    return args.config


def run_main(function: Callable, *args):
    """Call a script's parse_args or main; every way it can fail that is not a bug becomes
    one line on stderr and an exit status: a RunError (bad input 2, divergence 1, a signal
    128 + its number), a disk that fills up or a folder that goes away while saving (1),
    Ctrl-C outside the training loop (130). Returns what the function returns.
    """
    try:
        return function(*args)
    except RunError as e:
        message, status = str(e), e.status
    except OSError as e:
        where = f" ({e.filename})" if e.filename else ""
        message, status = f"{e.strerror or e}{where}; the files saved before are kept", 1
    except KeyboardInterrupt:
        message, status = "interrupted", 130
    print(f"error: {message}", file=sys.stderr)
    sys.exit(status)


def check(name: str, values: dict, rule: Rule) -> None:
    """Raise BadInput, naming the flag, if `rule` finds fault with values[name]."""
    problem = rule(values[name])
    if problem:
        raise BadInput(f"{flag_name(name)} {problem} (got {values[name]!r})")


# --- Rules ---------------------------------------------------------------------------------

def positive(value) -> Optional[str]:
    return None if value > 0 else "must be positive"


def non_negative(value) -> Optional[str]:
    return None if value >= 0 else "must be zero or positive"


def even(value) -> Optional[str]:
    return None if value % 2 == 0 else "must be even (half real, half fake)"


def at_most(limit, what: str) -> Rule:
    return lambda value: None if value <= limit else f"must be at most {what} ({limit})"


def one_of(choices: Iterable[str]) -> Rule:
    choices = list(choices)
    return lambda value: None if value in choices else "must be one of " + ", ".join(choices)


def writable_folder(path: str) -> Optional[str]:
    """Create the folder if needed and prove we can write in it; say what is wrong if not."""
    if os.path.exists(path) and not os.path.isdir(path):
        return "must be a folder, but a file of that name exists"
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, ".write-test")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as e:
        return f"is not a writable folder ({e.strerror})"
    return None


def multiple_of(unit: int, what: str, why: str = "") -> Rule:
    return lambda value: None if value % unit == 0 else \
        f"must be a multiple of {what} ({unit}){why}"


# The rules of the scripts' hyperparameters, by name: parse_hyperparameters checks those of
# the names a script has (a script adds its own, such as the choices of its tables).
RULES = {
    **{name: [positive] for name in (
        "LATENT_DIM", "LEARNING_RATE", "EVAL_EVERY", "N_EVAL",  # both scripts
        "ITERATIONS", "PACK", "D_LAYERS", "D_HIDDEN", "G_LAYERS", "G_HIDDEN", "N_PLOT",  # 1D
        "EPOCHS", "D_FILTERS", "G_FILTERS", "CONDITIONAL_LEARNING_RATE", "LABEL_EMBEDDING")},
    "BATCH_SIZE": [positive, even],
    "BETA_1": [non_negative, at_most(0.999, "0.999")],
    "SEED": [non_negative, at_most(2 ** 32 - 1, "2**32 - 1")],
    "G_OUTPUT": [one_of(("linear", "tanh"))],
    "EPOCH_IMAGES": [non_negative],
    "WRONG_DIGITS": [non_negative, at_most(1.0, "1, a whole batch more")],
    "G_AVERAGE": [non_negative, at_most(0.9999, "0.9999")],
}
