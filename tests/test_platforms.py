"""Every learner's machine: the scripts start, train, stop on Ctrl-C and resume exactly with
the standard library's POSIX-only names removed, as Windows lacks them (tests/windows_like.py),
and print only what a legacy Windows console's code page (cp1252) can show."""

import os
import subprocess
import sys

from conftest import ROOT, RUN_1D, TINY_MNIST, assert_same_weights, history_without_timing
from conftest import interrupted, run_folder


WINDOWS_LIKE = (sys.executable, os.path.join(ROOT, "tests", "windows_like.py"))
CP1252 = {"env": {**os.environ, "PYTHONIOENCODING": "cp1252:strict"}, "encoding": "cp1252"}


def windows_like(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*WINDOWS_LIKE, os.path.join(ROOT, script), *args], cwd=ROOT,
                          capture_output=True, timeout=600, **CP1252)


def test_help_and_bad_input_on_a_windows_like_python():
    result = windows_like("gan_1d.py", "--help")
    assert result.returncode == 0 and "y = x²" in result.stdout, result.stderr  # cp1252 has ²
    result = windows_like("gan_mnist.py", "--seed", "-1")
    assert result.returncode == 2 and result.stderr == \
        "error: --seed must be zero or positive (got -1)\n"


def test_gan_1d_stopped_with_ctrl_c_and_resumed_on_a_windows_like_python(tmp_path,
                                                                       whole_1d_run):
    parts = tmp_path / "parts"
    stopped = interrupted("gan_1d.py", [*RUN_1D, "--output-dir", str(parts)],
                          parts / "001" / "scatter_000300.png", python=WINDOWS_LIKE, **CP1252)
    assert stopped.returncode == 130, stopped.stderr
    assert "Traceback" not in stopped.stderr and "checkpoint saved" in stopped.stderr
    resumed = windows_like("gan_1d.py", "--resume", "--output-dir", str(parts))
    assert resumed.returncode == 0, resumed.stderr
    assert_same_weights(whole_1d_run / "generator.keras", run_folder(parts) / "generator.keras")
    assert history_without_timing(whole_1d_run) == history_without_timing(run_folder(parts))


def test_a_conditional_gan_mnist_run_on_a_windows_like_python(tmp_path, tiny_digits):
    result = windows_like("gan_mnist.py", "--conditional", "--data", str(tiny_digits),
                          *TINY_MNIST, "--output-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (run_folder(tmp_path) / "metrics.json").exists()
    assert (run_folder(tmp_path) / "models.txt").read_text(encoding="utf-8").count("Model:") == 3


def test_a_gpu_that_tensorflow_cannot_use_is_named_with_the_fix(tmp_path, monkeypatch):
    """A stand-in nvidia-smi on PATH: the first line's device names the GPU and the fix,
    instead of a silent "on the CPU"; no GPU listed, or no nvidia-smi: just the device."""
    from common.quiet_tensorflow import device
    fake = tmp_path / "nvidia-smi"
    fake.write_text('#!/bin/sh\necho "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert device("CPU") == ('on the CPU, though nvidia-smi sees an NVIDIA GPU this TensorFlow '
                             'cannot use: pip install "tensorflow[and-cuda]" brings its CUDA')
    assert device("GPU") == "on the GPU"
    assert device("CPU", "win32").endswith("no TensorFlow GPU build since 2.10: run it in WSL2")
    fake.write_text("#!/bin/sh\necho 'No devices were found'\nexit 6\n")
    assert device("CPU") == "on the CPU"
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert device("CPU") == "on the CPU"
