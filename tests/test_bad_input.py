"""Bad input, both scripts, one table: exit status 2, one line on stderr, no traceback, and
not one byte of the finished runs in the output folders changed. Each case runs the script's
command line in this process (run_in_process); a few run as real processes too, where
TensorFlow's start-up must stay off stderr."""

import hashlib
import os
import shutil

import numpy as np
import pytest

from conftest import run_in_process, run_script

# (script, arguments, what the one line must say). {1d} and {mnist} are OUTPUT_DIRs holding
# a finished run (001); {cond} one holding a finished conditional run; {digits} an .npz of
# 250 digits; {bad} a folder of damaged files.
CASES = [
    ("gan_1d.py", "--output-dir {1d} --iterations 0", "--iterations must be positive"),
    ("gan_1d.py", "--output-dir {1d} --batch-size 7", "--batch-size must be even"),
    ("gan_1d.py", "--output-dir {1d} --target circle", "--target must be one of x2, sine"),
    ("gan_1d.py", "--output-dir {1d} --learning-rate fast", "--learning-rate must be a number"),
    ("gan_1d.py", "--output-dir {1d} --beta-1 1.5", "--beta-1 must be at most 0.999"),
    ("gan_1d.py", "--output-dir {1d} --seed -1", "--seed must be zero or positive"),
    ("gan_1d.py", "--output-dir {1d} --iterations 100 --eval-every 200",
     "--eval-every must be at most --iterations (100)"),
    ("gan_1d.py", "--output-dir {1d} --n-eval 50", "--n-plot must be at most --n-eval (50)"),
    ("gan_1d.py", "--output-dir {1d} --no-such-flag 3", "unrecognized arguments: --no-such-flag"),
    ("gan_1d.py", "--output-dir {1d} --d-layers 0", "--d-layers must be positive"),
    ("gan_1d.py", "--output-dir {1d} --activation swish2", "--activation must be one of relu"),
    ("gan_1d.py", "--output-dir {1d} --pack 5", "--batch-size must be a multiple of 2 x --pack"),
    ("gan_1d.py", "--output-dir {1d} --resume", "--resume: no unfinished run in"),
    ("gan_1d.py", "--output-dir {1d} --resume 001", "has finished; nothing to go on with"),
    ("gan_1d.py", "--output-dir {1d} --resume 007", "--resume: no run 007 (runs in {1d}: 001)"),
    ("gan_1d.py", "--output-dir {1d} --resume {open}/001 --target sine",
     "--resume: --target sine contradicts the checkpoint's x2"),
    ("gan_1d.py", "--output-dir {1d} --resume {open}/001 --latent-dim 5",
     "--resume: --latent-dim 5 contradicts the checkpoint's 1"),
    ("gan_1d.py", "--output-dir {bad} --resume empty", "--resume: there is no checkpoint.npz"),
    ("gan_1d.py", "--resume {bad}/truncated", "is not a readable checkpoint"),
    ("gan_1d.py", "--resume {bad}/foreign", "was written by gan_mnist.py"),
    ("gan_1d.py", "--output-dir {bad}/a_file/run", "--output-dir is not a writable folder"),
    ("gan_mnist.py", "--output-dir {mnist} --epochs 0", "--epochs must be positive"),
    ("gan_mnist.py", "--output-dir {mnist} --latent-dim -3", "--latent-dim must be positive"),
    ("gan_mnist.py", "--output-dir {mnist} --learning-rate 0", "--learning-rate must be positive"),
    ("gan_mnist.py", "--output-dir {mnist} --g-average 1", "--g-average must be at most 0.9999"),
    ("gan_mnist.py", "--output-dir {mnist} --data {bad}/missing.npz", "does not exist"),
    ("gan_mnist.py", "--output-dir {mnist} --data {bad}/empty.npz", "not a readable .npz"),
    ("gan_mnist.py", "--output-dir {mnist} --data {bad}/truncated.npz", "not a readable .npz"),
    ("gan_mnist.py", "--output-dir {mnist} --data {bad}/flat.npz", "must have shape (n, 28, 28)"),
    ("gan_mnist.py", "--output-dir {mnist} --data {bad}/float.npz", "must be uint8 pixels"),
    ("gan_mnist.py", "--output-dir {bad}/new --data {digits} --batch-size 1000",
     "--batch-size must be at most the number of training images (225)"),
    ("gan_mnist.py", "--resume {open}/002 --g-filters 64",
     "--resume: --g-filters 64 contradicts the checkpoint's 4"),
    ("gan_mnist.py", "--resume {open}/002 --data {bad}/other.npz",
     "--resume: --data {bad}/other.npz contradicts the checkpoint's {digits}"),
    ("gan_mnist.py", "--resume {open}/003 --no-conditional",
     "--resume: --no-conditional contradicts the checkpoint's --conditional"),
    ("gan_mnist.py", "--resume {open}/001", "was written by gan_1d.py"),
    ("gan_mnist.py", "--output-dir {mnist} --generate 5 --resume", "take no --resume"),
    ("gan_mnist.py", "--output-dir {bad}/empty --generate 5", "no saved generator"),
    ("gan_mnist.py", "--output-dir {mnist} --interpolate 1",
     "--interpolate must be at least 2 frames"),
    ("gan_mnist.py", "--output-dir {mnist} --generate 0",
     "--generate must be a positive number of images"),
    ("gan_mnist.py", "--output-dir {mnist} --conditional --learning-rate 0.001",
     "--learning-rate is the step size of unconditional runs"),
    ("gan_mnist.py", "--output-dir {mnist} --wrong-digits -1", "--wrong-digits must be zero"),
    ("gan_mnist.py", "--output-dir {bad}/empty --interpolate 20", "no saved generator"),
    ("gan_mnist.py", "--output-dir {mnist} --generate 5 --run 9", "--generate: no run 9"),
    ("gan_mnist.py", "--output-dir {cond} --generate 5 --digit 10",
     "--digit must be one of the generator's 10 classes: 0 to 9, or a name in "),
    ("gan_mnist.py", "--output-dir {cond} --generate 5 --digit -1",
     "--digit must be one of the generator's 10 classes: 0 to 9, or a name in "),
    ("gan_mnist.py", "--output-dir {mnist} --generate 5 --digit 3",
     "--digit: {mnist}/001/generator_epoch_002.keras is not a conditional generator"),
]


@pytest.fixture(scope="module")
def folders(tmp_path_factory, tiny_1d_run, tiny_mnist_run, tiny_conditional_run, tiny_digits):
    # Unfinished runs to resume: copies of the finished ones without their metrics.json.
    unfinished = tmp_path_factory.mktemp("open")
    for name, (run, _) in {"001": tiny_1d_run, "002": tiny_mnist_run,
                           "003": tiny_conditional_run}.items():
        shutil.copytree(run, unfinished / name)
        (unfinished / name / "metrics.json").unlink()
    bad = tmp_path_factory.mktemp("bad")
    (bad / "empty").mkdir()
    (bad / "a_file").write_text("keep me")
    checkpoint = (tiny_1d_run[0] / "checkpoint.npz").read_bytes()
    (bad / "truncated").mkdir()
    (bad / "truncated" / "checkpoint.npz").write_bytes(checkpoint[: len(checkpoint) // 2])
    (bad / "foreign").mkdir()
    shutil.copy(tiny_mnist_run[0] / "checkpoint.npz", bad / "foreign")
    digits = tiny_digits.read_bytes()
    (bad / "empty.npz").write_bytes(b"")
    (bad / "truncated.npz").write_bytes(digits[: len(digits) // 3])
    with np.load(tiny_digits) as loaded:
        x, y = loaded["x_train"], loaded["y_train"]
    np.savez(bad / "flat.npz", x_train=x.reshape(len(x), -1), y_train=y)
    np.savez(bad / "float.npz", x_train=x.astype(np.float32), y_train=y)
    shutil.copy(tiny_digits, bad / "other.npz")
    return {"1d": tiny_1d_run[0].parent, "mnist": tiny_mnist_run[0].parent,
            "cond": tiny_conditional_run[0].parent, "open": unfinished, "digits": tiny_digits,
            "bad": bad}


def fingerprint(*roots) -> dict:
    """Every file under the folders: path -> (size, modification time, content hash)."""
    seen = {}
    for root in roots:
        for folder, _, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                with open(path, "rb") as f:
                    digest = hashlib.sha1(f.read()).hexdigest()
                seen[path] = (os.path.getsize(path), os.stat(path).st_mtime_ns, digest)
    return seen


def test_the_table_has_at_least_twenty_cases_for_both_scripts():
    assert len(CASES) >= 20
    assert {script for script, _, _ in CASES} == {"gan_1d.py", "gan_mnist.py"}


def refused(run, folders, script, args, message) -> None:
    roots = [folders[name] for name in ("1d", "mnist", "cond", "open", "bad")]
    before = fingerprint(*roots)
    result = run(script, *args.format(**folders).split())
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert message.format(**folders) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert fingerprint(*roots) == before
    assert not (folders["bad"] / "new").exists()


@pytest.mark.parametrize("script, args, message", CASES,
                         ids=[f"{s} {a.split(' ', 2)[-1]}" for s, a, _ in CASES])
def test_bad_input_gets_one_line_exit_2_and_changes_nothing(folders, script, args, message):
    refused(run_in_process, folders, script, args, message)


# One of each kind, as a real process: a flag, a checkpoint, a data file, a generator.
PROCESS_CASES = [CASES[0], CASES[18], CASES[27], CASES[-1]]


@pytest.mark.smoke
@pytest.mark.parametrize("script, args, message", PROCESS_CASES,
                         ids=[f"{s} {a.split(' ', 2)[-1]}" for s, a, _ in PROCESS_CASES])
def test_a_real_process_refuses_bad_input_the_same_way(folders, script, args, message):
    refused(run_script, folders, script, args, message)
