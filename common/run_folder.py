"""One run per output folder: start a fresh one, refuse to overwrite, or resume.

A folder that holds a run's files is never overwritten by accident: a fresh run there stops
and names the two ways on, `--resume` (go on from its checkpoint) and `--overwrite` (delete
that run's files and start again). Numpy and the standard library only: all of this is
decided before TensorFlow loads.
"""

import glob
import os
import shutil

from common import checkpoint, cli

FLAGS = [
    ("--resume", {"action": "store_true",
                  "help": "go on with the run in --output-dir from its last checkpoint"}),
    ("--overwrite", {"action": "store_true",
                     "help": "delete the run already in --output-dir and start a new one"}),
]

# Settings that do not change what is computed: --resume takes them from the command line.
MAY_CHANGE = {"OUTPUT_DIR", "TENSORBOARD"}


def run_files(folder: str, patterns: list) -> list:
    """The files (and folders) in `folder` that a run of the script writes, sorted."""
    return sorted(p for pattern in patterns for p in glob.glob(os.path.join(folder, pattern)))


def prepare(cfg: dict, given: set, script: str, patterns: list) -> dict:
    """Check --resume / --overwrite against the folder; return the run's configuration.

    Fresh run: the folder must hold no run, unless --overwrite (then call clear() once all
    other input is checked). --resume: the configuration is the checkpoint's, and flags
    given on the command line must agree with it.
    """
    out = cfg["OUTPUT_DIR"]
    if cfg["resume"] and cfg["overwrite"]:
        cli.fail("--resume and --overwrite contradict each other: choose one")
    if not cfg["resume"]:
        existing = run_files(out, patterns)
        if existing and not cfg["overwrite"]:
            cli.fail(f"{out} already holds a run ({', '.join(map(os.path.basename, existing[:3]))}"
                     f"{' ...' if len(existing) > 3 else ''}): continue it with --resume, or "
                     f"add --overwrite to delete it and start again")
        return cfg
    path = os.path.join(out, checkpoint.NAME)
    if not os.path.exists(path):
        cli.fail(f"--resume: there is no {checkpoint.NAME} in {out} (start a run there "
                 f"without --resume)")
    try:
        state = checkpoint.read_state(path)
    except ValueError as e:
        cli.fail(f"--resume: {e}")
    saved = state["config"]
    if state["script"] != script or set(saved) != set(hyperparameters(cfg)):
        cli.fail(f"--resume: {path} was written by {state['script']} with other settings "
                 f"than this version of {script} has")
    for name in sorted(given):
        if name.isupper() and name not in MAY_CHANGE and cfg[name] != saved[name]:
            cli.fail(f"--resume: {cli.flag_name(name)} {cfg[name]} contradicts the checkpoint's "
                     f"{saved[name]}; drop the flag to go on with that run, or use "
                     f"--overwrite to start a new one")
    return {**cfg, **saved, **{name: cfg[name] for name in given & MAY_CHANGE}, "OUTPUT_DIR": out}


def hyperparameters(cfg: dict) -> dict:
    """The configuration without the flags that steer a run (--resume, --overwrite ...)."""
    return {k: v for k, v in cfg.items() if k.isupper()}


def clear(folder: str, patterns: list) -> None:
    """--overwrite: delete the previous run's files, so none of them mixes with the new run."""
    for path in run_files(folder, patterns):
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
