"""`python -m video_model_playground.train`: resuming the shipped checkpoints continues their runs
(the first step equals the app's, the curves go on), new runs of every model start as the app's do,
`torchrun` with 2 processes (gloo, CPU) takes the same steps as one process, and bad input is
refused with a message. The checkpoints written here are opened by the app's code afterwards
(tests/python/check-python-checkpoints.ts): each `<name>.safetensors` with `<name>.next.safetensors`,
the same run one step further."""
import contextlib
import io
import os
import subprocess
import sys
import unittest
from pathlib import Path
from typing import Tuple

import numpy as np

from video_model_playground import checkpoint as checkpoints
from video_model_playground.checkpoint import HistoryPoint, TrainingHistory
from video_model_playground.models import MODELS
from video_model_playground.train import main

from .references import REPOSITORY, folder, load, meta_json, relative_error
from .test_models import EXAMPLES, MOMENT_TOLERANCE

PACKAGE_ROOT = REPOSITORY / "python"


def train(*args: str) -> Tuple[int, str, str]:
    """The training CLI's entry point in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def checked(result: Tuple[int, str, str]) -> str:
    code, out, err = result
    if code != 0:
        raise AssertionError(f"exit {code}\n{out}\n{err}")
    return out


def run_module(module: str, *args: str, processes: int = 1) -> str:
    """`python -m module args` in a new process, or under torchrun with `processes` processes."""
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_ROOT), "OMP_NUM_THREADS": "1"}
    launcher = []
    if processes > 1:
        # `--tee 1 --redirects 1` (stdout to the console) works around torch 1.13's launcher on
        # Python 3.11, which cannot parse its own default of 0.
        launcher = ["-m", "torch.distributed.run", "--standalone", "--tee", "1", "--redirects", "1",
                    f"--nproc_per_node={processes}"]
    result = subprocess.run([sys.executable, *launcher, "-m", module, *args], env=env, cwd=str(PACKAGE_ROOT),
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def output_folder() -> Path:
    out = folder() / "python-checkpoints"
    out.mkdir(exist_ok=True)
    return out


def shipped(example: str) -> str:
    return str(REPOSITORY / "public" / "checkpoints" / f"{example}.safetensors")


class ResumesShippedCheckpoints(unittest.TestCase):
    def test_continues_each_run_and_its_curves(self):
        for example in EXAMPLES:
            with self.subTest(example=example):
                out = output_folder()
                original = checkpoints.read(shipped(example))
                first, following = out / f"{example}.safetensors", out / f"{example}.next.safetensors"
                log = checked(train("--resume", shipped(example), "--steps", "2", "--out", str(first)))
                self.assertIn(f"resumed from {shipped(example)} at step {original.step}", log)
                checked(train("--resume", str(first), "--steps", "1", "--out", str(following)))
                resumed = checkpoints.read(str(first))
                self.assertEqual(resumed.step, original.step + 2)
                self.assertEqual(resumed.producer, checkpoints.PRODUCER)
                self.assertEqual((resumed.model, resumed.variant, resumed.preset, resumed.seed, resumed.data_spec),
                                 (original.model, original.variant, original.preset, original.seed,
                                  original.data_spec))
                # The curves carry on: the app's points, then the new steps (thinned as the app
                # thins them once 2,000 points are reached), later on the time axis.
                expected = TrainingHistory(original.history + [HistoryPoint(original.step + 1, 0, {}),
                                                               HistoryPoint(original.step + 2, 0, {})])
                self.assertEqual([p.step for p in resumed.history], [p.step for p in expected.points])
                kept = {p.step: p for p in resumed.history}
                for point in original.history:
                    if point.step in kept:
                        self.assertEqual(kept[point.step].values, point.values)
                for step in (original.step + 1, original.step + 2):
                    if step in kept:
                        self.assertGreater(kept[step].wall_ms, original.history[-1].wall_ms)
                # Its first step is the app's step from the checkpoint (tests/python/write-references.ts).
                _, metadata = load(f"models/{example}.safetensors")
                if original.step + 1 in kept:
                    for name, value in meta_json(metadata, "step_losses").items():
                        self.assertAlmostEqual(kept[original.step + 1].values[name], value,
                                               delta=1e-5 * max(1, abs(value)), msg=name)
                self.assertEqual(checkpoints.read(str(following)).step, original.step + 3)

    def test_two_processes_take_the_steps_of_one(self):
        out = output_folder()
        for example in EXAMPLES:
            single = out / f"{example}.safetensors"
            if not single.exists():
                checked(train("--resume", shipped(example), "--steps", "2", "--out", str(single)))
        log = run_module("tests.data_parallel_runs", str(out), processes=2)
        for example in EXAMPLES:
            with self.subTest(example=example):
                self.assertIn(f"wrote {out / example}.ddp.safetensors", log)  # rank 0 writes
                a = checkpoints.read(str(out / f"{example}.safetensors"))
                b = checkpoints.read(str(out / f"{example}.ddp.safetensors"))
                self.assertEqual(sorted(a.tensors), sorted(b.tensors))
                for name in a.tensors:
                    # Moments: summation order, as in test_models.MOMENT_TOLERANCE.
                    limit = MOMENT_TOLERANCE if name.startswith("optimizer.") else 1e-5
                    self.assertLess(relative_error(b.tensors[name], a.tensors[name]), limit, name)
                for point_a, point_b in zip(a.history[-2:], b.history[-2:]):
                    for name, value in point_a.values.items():
                        self.assertAlmostEqual(point_b.values[name], value, delta=1e-5 * max(1, abs(value)))
                self.assertEqual(a.data_state, b.data_state)
                np.testing.assert_array_equal(a.data_arrays["digit_order"], b.data_arrays["digit_order"])
        self.assertEqual(log.count("× 2 processes"), len(EXAMPLES))

    def test_a_run_on_an_imported_dataset_continues_with_its_npy(self):
        _, metadata = load("models/vgan-on-dataset.safetensors")
        out = output_folder() / "vgan-on-dataset.safetensors"
        args = ("--resume", metadata["checkpoint"], "--steps", "1", "--out", str(out))
        code, _, err = train(*args)
        self.assertEqual(code, 2)
        self.assertIn("pass its .npy file with --npy", err)
        checked(train(*args, "--npy", metadata["dataset_npy"], "--npy-layout", metadata["dataset_layout"]))
        resumed = checkpoints.read(str(out))
        self.assertEqual((resumed.step, resumed.dataset), (1, checkpoints.read(metadata["checkpoint"]).dataset))
        self.assertIn("clip_order", resumed.data_arrays)
        for name, value in meta_json(metadata, "step_losses").items():  # the app's step on its dataset
            self.assertAlmostEqual(resumed.history[-1].values[name], value, delta=1e-5 * max(1, abs(value)), msg=name)

    def test_hyperparameters_change_on_request(self):
        out = output_folder() / "lstm-lower-lr.safetensors"
        checked(train("--resume", shipped("lstm-composite-tiny"), "--steps", "1", "--set", "learningRate=0.0005",
                      "--out", str(out)))
        self.assertEqual(checkpoints.read(str(out)).model_state["hyperparameters"]["learningRate"], 0.0005)


class StartsNewRuns(unittest.TestCase):
    def test_every_model_from_scratch(self):
        for model in MODELS:
            with self.subTest(model=model):
                out = output_folder()
                first, following = out / f"new-{model}.safetensors", out / f"new-{model}.next.safetensors"
                arguments = ("--model", model, "--preset", "tiny", "--steps", "2", "--out", str(first))
                if model == "lstm":  # once through `python -m`, as users start it
                    run_module("video_model_playground.train", *arguments)
                else:
                    checked(train(*arguments))
                checked(train("--resume", str(first), "--steps", "1", "--out", str(following)))
                run = checkpoints.read(str(first))
                self.assertEqual((run.model, run.preset, run.step, run.seed), (model, "tiny", 2, 0))
                self.assertEqual(run.data_spec, {"source": "moving-mnist", "seed": 42})
                self.assertEqual([p.step for p in run.history], [1, 2])
                self.assertTrue(all(np.isfinite(t).all() for t in run.tensors.values()))


class RefusesBadInput(unittest.TestCase):
    def test_messages_name_the_problem(self):
        out = str(output_folder() / "never-written.safetensors")
        truncated = output_folder() / "truncated.safetensors"
        truncated.write_bytes(Path(shipped("rcnn-tiny")).read_bytes()[:5000])
        cases = [
            (("--resume", str(truncated)), "truncated"),
            (("--resume", str(REPOSITORY / "package.json")), "not a safetensors file"),
            (("--model", "lstm", "--config", "hiddenUnits=0"), "hiddenUnits must be between 1 and 4096"),
            (("--model", "vgan", "--config", "bogus=1"), 'Unknown config key "bogus"'),
            (("--model", "lstm", "--data", "digitSize=40"), "data.digitSize"),
            (("--resume", shipped("vgan-two-stream-tiny"), "--set", "learningRate=1"), 'Unknown hyperparameter'),
        ]
        with contextlib.redirect_stderr(io.StringIO()) as err, self.assertRaises(SystemExit):
            main(["--resume", shipped("rcnn-tiny"), "--config", "batchSize=2", "--steps", "1", "--out", out])
        self.assertIn("--resume takes the model, config, data and seeds from the checkpoint", err.getvalue())
        for args, message in cases:
            with self.subTest(args=args):
                code, _, err = train(*args, "--steps", "1", "--out", out)
                self.assertEqual(code, 2, err)
                self.assertIn(message, err)
        self.assertFalse(Path(out).exists())


if __name__ == "__main__":
    unittest.main()
