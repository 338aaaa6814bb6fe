"""Flags mirror the hyperparameters block; bad input gets one line on stderr and exit 2."""

import ast
import json
import os
import re

import keras
import pytest

from conftest import ROOT, TINY_MNIST, gan_1d_config, imported, run_in_process, run_script
from common import cli

GAN_1D_FLAGS = ["--target", "--iterations", "--batch-size", "--latent-dim", "--pack",
                "--d-layers", "--d-hidden", "--g-layers", "--g-hidden", "--activation",
                "--g-output", "--learning-rate", "--beta-1", "--lr-decay", "--eval-every",
                "--n-eval", "--n-plot", "--seed", "--tensorboard", "--output-dir"]


def test_every_constant_inside_the_fence_is_a_flag():
    helps = cli.read_hyperparameter_help(os.path.join(ROOT, "gan_1d.py"))
    assert [cli.flag_name(name) for name in helps] == GAN_1D_FLAGS
    assert helps["BATCH_SIZE"].startswith("points per update")


def test_where_a_constant_stands_makes_it_a_flag_not_its_comment(tmp_path):
    script = tmp_path / "script.py"
    script.write_text("\n".join([
        "OUTSIDE = 1  # a comment does not make this a flag",
        "# --- Hyperparameters ---",
        "WITH_COMMENT = 2  # help at the end of the line",
        "# help on the line above",
        "COMMENT_ABOVE = 3",
        "",
        "NO_COMMENT = 4",
        "# --- end of hyperparameters ---",
        "AFTER = 5  # nor this",
    ]))
    assert cli.read_hyperparameter_help(str(script)) == {
        "WITH_COMMENT": "help at the end of the line", "COMMENT_ABOVE": "help on the line above",
        "NO_COMMENT": ""}


@pytest.mark.parametrize("script", ["gan_1d.py", "gan_mnist.py"])
def test_the_flags_are_the_flag_table_s_rows_no_more_no_less(script):
    # A comment at the end of a constant's line makes it a flag; one added by mistake (an
    # unchecked --grid-columns once) shows up here as a flag docs/flags.md does not list.
    readme = open(os.path.join(ROOT, "docs", "flags.md"), encoding="utf-8").read()
    section = readme.split(f"\n## {script}\n")[1].split("\n## ")[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    in_readme = {name for row in rows for name in re.findall(r"`([A-Z_0-9]+)`", row)}
    assert set(cli.read_hyperparameter_help(os.path.join(ROOT, script))) == in_readme


@pytest.mark.parametrize("script", ["gan_1d.py", "gan_mnist.py"])
def test_the_flag_table_gives_each_constant_s_default_as_the_script_has_it(script):
    readme = open(os.path.join(ROOT, "docs", "flags.md"), encoding="utf-8").read()
    section = readme.split(f"\n## {script}\n")[1].split("\n## ")[0]
    source = open(os.path.join(ROOT, script), encoding="utf-8").read()
    words = {"on": True, "off": False, "(empty)": ""}
    checked = 0
    for row in (line for line in section.splitlines() if line.startswith("| `")):
        first, _, default = [cell.strip() for cell in row.split("|")[1:4]]
        names, values = re.findall(r"`([A-Z_0-9]+)`", first), default.split(", ")
        if len(names) != len(values):  # "as for gan_1d.py": nothing to compare
            continue
        for name, text in zip(names, values):
            value = ast.literal_eval(re.search(rf"^{name} = (.+?)(\s+#.*)?$", source, re.M)[1])
            text = text.strip("`")
            assert words.get(text, text) == (value if isinstance(value, (bool, str)) else
                                             type(value)(text)) or float(text) == value, name
            checked += 1
    assert checked >= 15


def test_help_documents_every_flag_with_its_default():
    result = run_script("gan_1d.py", "--help")
    assert result.returncode == 0
    for flag in GAN_1D_FLAGS:
        assert flag in result.stdout
    assert "(default: 5000)" in result.stdout


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "a_file"
    path.write_text("keep me")
    return str(path)


BAD_1D = [
    (["--iterations", "0"], "--iterations must be positive (got 0)"),
    (["--iterations", "-5"], "--iterations must be positive (got -5)"),
    (["--iterations", "abc"], "--iterations must be an integer (got 'abc')"),
    (["--iterations", "1.5"], "--iterations must be an integer (got '1.5')"),
    (["--batch-size", "0"], "--batch-size must be positive (got 0)"),
    (["--batch-size", "7"], "--batch-size must be even (half real, half fake) (got 7)"),
    (["--latent-dim", "0"], "--latent-dim must be positive (got 0)"),
    (["--learning-rate", "-1"], "--learning-rate must be positive (got -1.0)"),
    (["--learning-rate", "fast"], "--learning-rate must be a number (got 'fast')"),
    (["--eval-every", "0"], "--eval-every must be positive (got 0)"),
    (["--iterations", "100", "--eval-every", "200"],
     "--eval-every must be at most --iterations (100) (got 200)"),
    (["--n-eval", "100", "--n-plot", "500"], "--n-plot must be at most --n-eval (100) (got 500)"),
    (["--target", "circle"], "--target must be one of x2, sine, gaussian, cubic, poly "
                             "(got 'circle')"),
    (["--pack", "0"], "--pack must be positive (got 0)"),
    (["--pack", "3"], "--batch-size must be a multiple of 2 x --pack (6): D's batch is half "
                      "real packs, half fake packs (got 512)"),
    (["--pack", "3", "--batch-size", "516", "--n-eval", "1000"],
     "--n-eval must be a multiple of --pack (3) (got 1000)"),
    (["--d-layers", "0"], "--d-layers must be positive (got 0)"),
    (["--g-layers", "-1"], "--g-layers must be positive (got -1)"),
    (["--d-layers", "two"], "--d-layers must be an integer (got 'two')"),
    (["--activation", "swish2"], "--activation must be one of relu, leaky_relu, tanh "
                                 "(got 'swish2')"),
    (["--g-output", "relu"], "--g-output must be one of linear, tanh (got 'relu')"),
    (["--seed"], "--seed expected one argument"),
    (["--frobnicate", "3"], "unrecognized arguments: --frobnicate 3"),
    (["--iter", "3"], "unrecognized arguments: --iter 3"),
]


@pytest.mark.parametrize("args, message", BAD_1D, ids=[" ".join(a) for a, _ in BAD_1D])
def test_bad_flags_fail_with_one_line_and_write_nothing(tmp_path, args, message):
    out = tmp_path / "run"
    result = run_in_process("gan_1d.py", "--output-dir", str(out), *args)
    assert result.returncode == 2
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""
    assert not out.exists()


def test_parse_args_raises_instead_of_exiting_so_a_notebook_survives_bad_input(tmp_path):
    import gan_1d
    from common.errors import BadInput
    with pytest.raises(BadInput, match="--iterations must be positive"):
        gan_1d.parse_args(["--iterations", "0", "--output-dir", str(tmp_path / "x")])
    assert not (tmp_path / "x").exists()


def test_an_edit_at_the_top_is_what_the_run_uses(tmp_path, tiny_digits):
    """The issue a learner hit: CONDITIONAL on and LEARNING_RATE changed at the top, and the
    run trained at another step size. Each mode's step size is its own constant now."""
    source = open(os.path.join(ROOT, "gan_mnist.py"), encoding="utf-8").read()
    edits = {"CONDITIONAL": "True", "LEARNING_RATE": "0.0002",
             "CONDITIONAL_LEARNING_RATE": "0.0005", "WRONG_DIGITS": "0.5"}
    for name, value in edits.items():
        source, n = re.subn(rf"^{name} = \S+", f"{name} = {value}", source, flags=re.M)
        assert n == 1, name
    script = tmp_path / "gan_mnist.py"
    script.write_text(source, encoding="utf-8")
    out = tmp_path / "out"
    result = run_in_process(imported(script, "edited_at_the_top"), "--data", str(tiny_digits),
                            "--output-dir", str(out), *TINY_MNIST)
    assert result.returncode == 0, result.stderr
    config = json.loads((out / "001" / "config.json").read_text())
    assert {name: config[name] for name in edits} == \
        {"CONDITIONAL": True, "LEARNING_RATE": 0.0002, "CONDITIONAL_LEARNING_RATE": 0.0005,
         "WRONG_DIGITS": 0.5}
    assert "step size 0.0005" in result.stdout
    d = keras.models.load_model(out / "001" / "discriminator.keras")
    assert float(d.optimizer.learning_rate) == pytest.approx(0.0005)


def test_a_step_size_flag_for_the_other_mode_is_refused_not_ignored(tmp_path):
    import gan_mnist
    from common.errors import BadInput
    out = ["--output-dir", str(tmp_path)]
    args = gan_mnist.parse_args(["--learning-rate", "0.0005", *out])
    assert args.config["LEARNING_RATE"] == 0.0005
    args = gan_mnist.parse_args(["--conditional", "--conditional-learning-rate", "0.0005", *out])
    assert args.config["CONDITIONAL_LEARNING_RATE"] == 0.0005
    with pytest.raises(BadInput, match="with --conditional, set --conditional-learning-rate"):
        gan_mnist.parse_args(["--conditional", "--learning-rate", "0.0005", *out])
    with pytest.raises(BadInput, match="--conditional-learning-rate goes with --conditional"):
        gan_mnist.parse_args(["--conditional-learning-rate", "0.0005", *out])
    assert not any(tmp_path.iterdir()), "parsing wrote something"


def test_an_output_dir_that_is_a_file_is_refused_and_the_file_kept(a_file):
    result = run_in_process("gan_1d.py", "--output-dir", a_file)
    assert result.returncode == 2
    assert result.stderr == (f"error: --output-dir must be a folder, but a file of that name "
                             f"exists (got {a_file!r})\n")
    assert open(a_file).read() == "keep me"


def test_an_output_dir_that_cannot_be_created_is_refused(a_file):
    result = run_in_process("gan_1d.py", "--output-dir", os.path.join(a_file, "run"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: --output-dir is not a writable folder (")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert open(a_file).read() == "keep me"


def test_a_target_s_preset_replaces_the_top_says_so_and_a_flag_replaces_it(tmp_path,
                                                                            monkeypatch):
    import gan_1d
    out = ["--output-dir", str(tmp_path)]
    args = gan_1d.parse_args(["--target", "poly", *out])
    cfg = args.config
    assert (cfg["D_LAYERS"], cfg["D_HIDDEN"], cfg["ITERATIONS"], cfg["EVAL_EVERY"]) == \
        (2, 128, 15_000, 3_000)
    assert args.from_preset == ["D_HIDDEN", "D_LAYERS", "EVAL_EVERY", "ITERATIONS"]
    assert args.preset == (
        "--target poly sets --d-layers 2 --d-hidden 128 --iterations 15000 --eval-every 3000, "
        "instead of the top of the file's D_LAYERS = 1, D_HIDDEN = 512, ITERATIONS = 5000, "
        "EVAL_EVERY = 1000 (TARGETS at the top; a flag wins)")
    args = gan_1d.parse_args(["--target", "poly", "--d-layers", "3", "--iterations", "600",
                              "--eval-every", "200", *out])
    assert (args.config["D_LAYERS"], args.config["D_HIDDEN"], args.config["ITERATIONS"]) == \
        (3, 128, 600)
    assert args.preset.startswith("--target poly sets --d-hidden 128, instead of")
    # An edit at the top that the preset replaces is said in the line, never silently lost.
    monkeypatch.setattr(gan_1d, "D_HIDDEN", 64)
    assert "D_HIDDEN = 64" in gan_1d.parse_args(["--target", "poly", *out]).preset
    assert gan_1d.parse_args(["--target", "sine", *out]).preset is None  # no preset
    # The configuration is the hyperparameters, and nothing else; parsing made no folder.
    assert set(args.config) == set(gan_1d_config())
    assert not any(tmp_path.iterdir())


def test_a_run_prints_and_saves_what_its_target_set(tmp_path):
    result = run_in_process("gan_1d.py", "--target", "poly", "--iterations", "40",
                            "--eval-every", "20", "--batch-size", "32", "--n-eval", "200",
                            "--n-plot", "50", "--output-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith(
        "--target poly sets --d-layers 2 --d-hidden 128, instead of the top of the file's")
    config = json.loads((tmp_path / "001" / "config.json").read_text(encoding="utf-8"))
    assert config["from_preset"] == ["D_HIDDEN", "D_LAYERS"] and config["D_LAYERS"] == 2
