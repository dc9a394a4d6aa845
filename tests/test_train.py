"""``chainrule train``: outputs, exact resumption (after whole epochs and after Ctrl-C in the
middle of one), and bad input refused with one line on stderr, through click's CliRunner and
one real subprocess. Runs are short (few epochs, large batches) to keep this file fast."""

import os
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest
from click import testing as click_testing

from chainrule import datasets, no_grad, serialization, training
from chainrule.cli import build
from chainrule.optim import Adam

FAST = {"epochs": 3, "batch_size": 256}  # 6 steps an epoch
STEPS_PER_EPOCH = 6
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _cli(*args):
    return click_testing.CliRunner().invoke(build(), ["train", "--no-progress", *args])


def _train(out, resume=None, log=lambda line: None, **settings):
    config = training.TrainConfig(out=out, **{**FAST, **settings})
    return training.train(config, resume, log=log)


def _assert_identical(left, right, where="checkpoint"):
    """Equal structure; arrays equal bit for bit; wall-clock seconds ignored."""
    if isinstance(left, dict):
        assert isinstance(right, dict) and left.keys() == right.keys(), where
        for key in left:
            if key != "seconds":
                _assert_identical(left[key], right[key], f"{where}[{key!r}]")
    elif isinstance(left, list | tuple):
        assert type(left) is type(right) and len(left) == len(right), where
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            _assert_identical(a, b, f"{where}[{i}]")
    elif hasattr(left, "numpy"):
        a, b = left.numpy(), right.numpy()
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert a.tobytes() == b.tobytes(), f"{where} differs"
    else:
        assert left == right, f"{where}: {left!r} != {right!r}"


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The checkpoint of a whole 3-epoch run: what every resumed run must reproduce."""
    out = tmp_path_factory.mktemp("whole")
    return serialization.load(_train(out).checkpoint)


def test_cli_prints_every_epoch_and_writes_curves_and_a_checkpoint_of_the_final_model(tmp_path):
    result = _cli("--epochs", "2", "--batch-size", "128", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[1] for line in lines[:2]] == ["1/2", "2/2"]
    assert all("train loss" in line and "test loss" in line for line in lines[:2])
    printed = float(lines[2].removeprefix("test accuracy ").rstrip("%")) / 100

    png = (tmp_path / "mlp.png").read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    from matplotlib.image import imread

    assert imread(tmp_path / "mlp.png").shape[:2] == (350, 900)

    # The checkpoint holds the final weights: they score what was printed.
    saved = serialization.load(tmp_path / "mlp.safetensors")
    model = training.build_model("mlp")
    model.load_state_dict(saved["model"])
    _, _, x_test, y_test = datasets.digits()
    with no_grad():
        accuracy = float((model(x_test).numpy().argmax(1) == y_test.numpy()).mean())
    assert accuracy == pytest.approx(printed, abs=5e-5)
    assert saved["epoch"] == 2 and len(saved["history"]) == 2


def test_the_real_command_line_trains_one_epoch(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "chainrule", "train", "--epochs", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "epoch 1/1" in result.stdout and "test accuracy" in result.stdout
    assert (tmp_path / "mlp.png").read_bytes().startswith(PNG_SIGNATURE)
    assert serialization.load(tmp_path / "mlp.safetensors")["epoch"] == 1


def test_resuming_after_an_epoch_reproduces_the_uninterrupted_run_exactly(tmp_path, uninterrupted):
    def stop_after_first_epoch(line):
        if line.startswith("epoch 1/"):
            raise KeyboardInterrupt

    with pytest.raises(training.TrainingInterrupted) as stop:
        _train(tmp_path, log=stop_after_first_epoch)
    assert stop.value.epoch == 1
    assert (tmp_path / "mlp.png").exists()  # an interrupted run still draws its curves
    # No settings given: the checkpoint's are used, and --out defaults to its directory.
    result = training.train(training.TrainConfig(), stop.value.checkpoint, log=lambda line: None)
    assert result.checkpoint == tmp_path / "mlp.safetensors"
    _assert_identical(serialization.load(result.checkpoint), uninterrupted)


def test_ctrl_c_in_the_middle_of_an_epoch_saves_a_checkpoint_that_resumes_exactly(
    tmp_path, monkeypatch, uninterrupted
):
    calls = []
    real_step = Adam.step

    def step_then_interrupt(self):
        calls.append(1)
        if len(calls) == STEPS_PER_EPOCH + 3:  # the middle of epoch 2
            raise KeyboardInterrupt
        real_step(self)

    monkeypatch.setattr(Adam, "step", step_then_interrupt)
    settings = ("--epochs", "3", "--batch-size", "256", "--out", str(tmp_path))
    result = _cli(*settings)
    assert result.exit_code == 130
    checkpoint = tmp_path / "mlp.safetensors"
    assert (
        result.stderr == f"Error: interrupted: epoch 1 saved; continue with --resume {checkpoint}\n"
    )
    assert serialization.load(checkpoint)["epoch"] == 1

    monkeypatch.setattr(Adam, "step", real_step)
    result = _cli("--resume", str(checkpoint))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("epoch 2/3")
    _assert_identical(serialization.load(checkpoint), uninterrupted)


def test_every_epoch_writes_its_checkpoint_before_it_is_reported(tmp_path):
    saved_at_report = []

    def record(line):
        saved_at_report.append(serialization.load(tmp_path / "mlp.safetensors")["epoch"])

    _train(tmp_path, log=record)
    assert saved_at_report == [1, 2, 3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp.png", "mlp.safetensors"]


LONG = {"epochs": 20, "batch_size": 256}  # long enough that a kill lands before the end


@pytest.fixture(scope="module")
def uninterrupted_long(tmp_path_factory):
    return serialization.load(_train(tmp_path_factory.mktemp("long"), **LONG).checkpoint)


@pytest.mark.parametrize(
    "sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
def test_a_killed_run_resumes_from_its_last_epoch_to_the_same_weights(
    tmp_path, sig, uninterrupted_long
):
    """The real command, stopped as `kill -9`, `timeout`/`docker stop` or a closed terminal
    would stop it, once its second epoch is reported; --resume then reaches the weights of
    the uninterrupted run."""
    args = ["--epochs", "20", "--batch-size", "256", "--out", str(tmp_path)]
    child = subprocess.Popen(
        [sys.executable, "-m", "chainrule", "train", "--no-progress", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # Under nohup SIGHUP is ignored, and the child would inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL),
    )  # fmt: skip
    try:
        for line in child.stdout:
            if line.startswith("epoch  2/20"):
                child.send_signal(sig)
                break
        _, stderr = child.communicate(timeout=120)
    finally:
        child.kill()
        child.wait()
    checkpoint = tmp_path / "mlp.safetensors"
    epoch = serialization.load(checkpoint)["epoch"]
    assert 2 <= epoch < 20, "the run ended before the signal reached it"
    if sig == signal.SIGKILL:
        assert child.returncode == -signal.SIGKILL
    else:
        assert child.returncode == 128 + sig, stderr
        name = signal.Signals(sig).name
        assert (
            stderr == f"Error: {name}: epoch {epoch} saved; continue with --resume {checkpoint}\n"
        )

    result = _cli("--resume", str(checkpoint))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"epoch {epoch + 1:>2}/20")
    _assert_identical(serialization.load(checkpoint), uninterrupted_long)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp.png", "mlp.safetensors"]


@pytest.mark.filterwarnings("error")  # one message, not NumPy's overflow warnings as well
def test_a_diverging_run_stops_and_keeps_the_finite_checkpoint(tmp_path, finished):
    checkpoint = tmp_path / "mlp.safetensors"
    checkpoint.write_bytes(finished.read_bytes())  # a good run's checkpoint
    result = _cli("--lr", "1e308", "--epochs", "2", "--batch-size", "256", "--out", str(tmp_path))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        "Error: training diverged: the loss is nan at epoch 1, step 2; try a lower --lr (this "
        "run has 1e+308); no checkpoint was written\n"
    )
    assert checkpoint.read_bytes() == finished.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp.safetensors"]


def test_weights_broken_by_an_epochs_last_step_are_never_saved(tmp_path, monkeypatch):
    calls = []
    real_step = Adam.step

    def step_then_break_weights(self):
        real_step(self)
        calls.append(1)
        if len(calls) == 2 * STEPS_PER_EPOCH:  # every loss of epoch 2 was finite
            self.param_groups[0]["params"][0]._data[0, 0] = np.nan

    monkeypatch.setattr(Adam, "step", step_then_break_weights)
    with pytest.raises(training.TrainingDiverged) as info:
        _train(tmp_path)
    checkpoint = tmp_path / "mlp.safetensors"
    assert str(info.value) == (
        "training diverged: the test loss is nan after epoch 2; try a lower --lr (this run has "
        f"0.003); the checkpoint of epoch 1 is kept in {checkpoint}"
    )
    saved = serialization.load(checkpoint)
    assert saved["epoch"] == 1
    assert all(np.isfinite(w.numpy()).all() for w in saved["model"].values())


@pytest.mark.parametrize(
    ("blocker", "reason"),
    [("mlp.safetensors", "is a directory"), ("mlp.png", "is a directory")],
)
def test_an_unwritable_out_is_refused_before_training(tmp_path, blocker, reason):
    (tmp_path / blocker).mkdir()
    result = _cli("--epochs", "1", "--out", str(tmp_path))
    _assert_one_line_error(
        result, f"cannot write into --out {tmp_path}: {tmp_path / blocker} {reason}", 1
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [blocker]


def test_an_out_below_a_file_is_refused_before_training(tmp_path):
    (tmp_path / "file").write_text("")
    result = _cli("--epochs", "1", "--out", str(tmp_path / "file" / "run"))
    _assert_one_line_error(result, f"cannot write into --out {tmp_path / 'file' / 'run'}: ", 1)


def _assert_one_line_error(result, message, exit_code=None):
    assert result.exit_code == exit_code if exit_code else result.exit_code != 0
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


BAD_OPTIONS = [
    (("--epochs", "0"), "'--epochs': 0 is not in the range x>=1"),
    (("--epochs", "two"), "'--epochs': 'two' is not a valid integer"),
    (("--batch-size", "-8"), "'--batch-size': -8 is not in the range x>=1"),
    (("--lr", "0"), "'--lr': 0.0 is not in the range x>0"),
    (("--lr", "nan"), "learning rate must be a positive number, got nan"),
    (("--lr", "inf"), "learning rate must be a positive number, got inf"),
    (("--model", "rnn"), "'--model': 'rnn' is not one of 'mlp', 'cnn'"),
    (("--optimizer", "lbfgs"), "'--optimizer': 'lbfgs' is not one of 'adam', 'sgd'"),
    (("--seed", "-1"), "'--seed': -1 is not in the range x>=0"),
    (("--frobnicate",), "No such option '--frobnicate'"),
]


@pytest.mark.parametrize(("args", "message"), BAD_OPTIONS)
def test_bad_options_exit_with_one_line(tmp_path, args, message):
    _assert_one_line_error(_cli("--out", str(tmp_path), *args), message)
    assert not any(tmp_path.iterdir())  # refused before anything was written


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished one-epoch run's checkpoint."""
    return _train(tmp_path_factory.mktemp("one"), epochs=1).checkpoint


def _truncated(path, finished):
    path.write_bytes(finished.read_bytes()[:-100])


def _garbage(path, finished):
    path.write_bytes(b"\x00\x01 not a checkpoint" * 10)


def _model_only(path, finished):
    serialization.save(training.build_model("mlp").state_dict(), path)


def _no_settings(path, finished):
    saved = serialization.load(finished)
    del saved["config"]
    serialization.save(saved, path)


def _edited(edit):
    def damage(path, finished):
        saved = serialization.load(finished)
        edit(saved)
        serialization.save(saved, path)

    damage.__name__ = edit.__name__
    return damage


def _betas_xx(saved):
    saved["optimizer"]["param_groups"][0]["betas"] = "xx"


def _t_max_0(saved):
    saved["scheduler"]["T_max"] = 0


def _scheduler_extra_key(saved):
    saved["scheduler"]["optimizer"] = 5


def _no_eps(saved):
    del saved["optimizer"]["param_groups"][0]["eps"]


def _batch_size_0(saved):
    saved["config"]["batch_size"] = 0


def _negative_epoch(saved):
    saved["epoch"] = -1


def _epoch_without_history(saved):
    saved["history"] = []


def _step_count(saved):
    saved["optimizer"]["state"][0]["step"] = np.float32(99)


BAD_CHECKPOINTS = [
    (
        _edited(_betas_xx),
        "the checkpoint's optimizer group 0 betas is 'xx', but this run has "
        "(0.9, 0.999) at epoch 1: the checkpoint was edited or is damaged",
    ),
    (_edited(_t_max_0), "the checkpoint's scheduler T_max is 0, but this run has 1 at epoch 1"),
    (
        _edited(_scheduler_extra_key),
        "the checkpoint has a scheduler optimizer (5), which this run has not: the checkpoint "
        "was edited or is damaged",
    ),
    (_edited(_no_eps), "the checkpoint lacks the optimizer group 0 eps (1e-08 in this run)"),
    (_edited(_batch_size_0), "is damaged: batch size must be an integer >= 1, got 0"),
    (_edited(_negative_epoch), "its epoch -1 is not a whole number from 0 to 1"),
    (_edited(_epoch_without_history), "epoch 1 needs 1 epochs of history"),
    (_edited(_step_count), "optimizer step of parameter 0 is 99.0, but this run has 6.0"),
    (_truncated, "mlp.safetensors"),
    (_garbage, "mlp.safetensors"),
    (_model_only, "is not a checkpoint written by chainrule train"),
    (_no_settings, "its run settings are missing"),
]


@pytest.mark.parametrize(
    ("damage", "message"), BAD_CHECKPOINTS, ids=lambda c: getattr(c, "__name__", "")
)
def test_an_unusable_checkpoint_exits_with_one_line(tmp_path, finished, damage, message):
    path = tmp_path / "mlp.safetensors"
    damage(path, finished)
    _assert_one_line_error(_cli("--resume", str(path)), message, exit_code=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "nothing to do: the checkpoint's run is complete (1 of 1 epochs)"),
        (("--lr", "0.1"), "the checkpoint's run has --lr 0.003; resuming with 0.1"),
        (("--model", "cnn"), "the checkpoint's run has --model mlp; resuming with cnn"),
    ],
)
def test_resuming_a_run_differently_is_refused(tmp_path, finished, args, message):
    _assert_one_line_error(_cli("--resume", str(finished), "--out", str(tmp_path), *args), message)


def test_a_missing_checkpoint_is_named(tmp_path):
    missing = tmp_path / "nope.safetensors"
    _assert_one_line_error(_cli("--resume", str(missing)), f"checkpoint not found: {missing}", 1)


@pytest.mark.parametrize("optimizer", training.OPTIMIZERS)
def test_each_optimizer_learns_with_its_default_learning_rate(tmp_path, optimizer):
    history = _train(tmp_path, optimizer=optimizer, epochs=2, batch_size=32).history
    assert history[-1].train_loss < history[0].train_loss
    assert history[-1].test_accuracy > 0.85


def test_the_cnn_trains_and_its_checkpoint_loads_strictly(tmp_path):
    result = _train(tmp_path, model="cnn", epochs=1, batch_size=64)
    saved = serialization.load(result.checkpoint)
    model = training.build_model("cnn")
    model.load_state_dict(saved["model"])  # strict: every key and shape matches
    assert result.checkpoint.name == "cnn.safetensors" and result.test_accuracy > 0.5
    assert np.isfinite(result.history[0].train_loss)


@pytest.mark.parametrize(
    ("modules", "note"),
    [
        (("matplotlib", "matplotlib.figure"), "no plot: pip install 'chainrule[train]'"),
        (("tqdm",), None),
        (("sklearn", "sklearn.datasets"), None),  # the digits ship with chainrule
    ],
)
def test_without_plotting_or_progress_extras_training_runs_in_text(
    tmp_path, monkeypatch, modules, note
):
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)
    result = _cli("--out", str(tmp_path), "--epochs", "1", "--progress")
    assert result.exit_code == 0, result.output
    assert "epoch 1/1" in result.output
    assert (tmp_path / "mlp.safetensors").exists()
    assert (tmp_path / "mlp.png").exists() == (note is None)
    if note:
        assert note in result.output


def test_resume_extends_a_finished_run_with_a_warm_restart(tmp_path):
    assert _cli("--out", str(tmp_path), "--epochs", "2", "--no-progress").exit_code == 0
    checkpoint = str(tmp_path / "mlp.safetensors")
    refused = _cli("--resume", checkpoint, "--epochs", "1", "--no-progress")
    assert refused.exit_code != 0
    extended = _cli("--resume", checkpoint, "--epochs", "3", "--no-progress")
    assert extended.exit_code == 0, extended.output
    assert "epoch 3/3" in extended.output and "epoch 2/3" not in extended.output
    saved = serialization.load(checkpoint)
    assert int(saved["epoch"]) == 3 and int(saved["config"]["epochs"]) == 3
    assert len(saved["history"]) == 3


def test_an_extended_run_stopped_midway_resumes_to_the_same_weights_and_extends_again(tmp_path):
    """A warm restart is kept in the checkpoint: an extended run stopped after one of its
    added epochs resumes to the weights of the extension run whole (it was refused as an
    edited checkpoint, its schedule being the restart's), and extends again. Resuming warns of
    nothing (the schedule is rebuilt without optimizer steps, on purpose)."""
    whole, stopped = tmp_path / "whole", tmp_path / "stopped"
    for out in (whole, stopped):
        _train(out)  # 3 epochs (FAST)
    _train(whole, whole / "mlp.safetensors", epochs=5)

    def stop_after_fourth_epoch(line):
        if line.startswith("epoch 4/"):
            raise KeyboardInterrupt

    with pytest.raises(training.TrainingInterrupted) as stop:
        _train(stopped, stopped / "mlp.safetensors", log=stop_after_fourth_epoch, epochs=5)
    assert stop.value.epoch == 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = training.train(training.TrainConfig(), stop.value.checkpoint, log=lambda _: None)
    resumed = serialization.load(result.checkpoint)
    _assert_identical(resumed, serialization.load(whole / "mlp.safetensors"))
    assert resumed["restart"] == 3
    again = _cli("--resume", str(result.checkpoint), "--epochs", "6")
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("epoch 6/6")
