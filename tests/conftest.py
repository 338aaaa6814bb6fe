"""Shared test helpers: the repo on sys.path, quiet TensorFlow, running a script as a user would."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run_script(script: str, *args: str, cwd: str = ROOT) -> subprocess.CompletedProcess:
    """Run `python script args...` the way a user would, capturing its output."""
    return subprocess.run([sys.executable, os.path.join(ROOT, script), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def snapshot(model) -> list:
    """Copies of a model's weights, to compare before and after an update."""
    return [w.copy() for w in model.get_weights()]


def same(a: list, b: list) -> bool:
    """Bit-identical weights."""
    return all(x.shape == y.shape and (x == y).all() for x, y in zip(a, b))
