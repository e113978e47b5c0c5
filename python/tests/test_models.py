"""Each shipped example checkpoint, and a new run of every variant they do not cover, loaded in
PyTorch, computes what the app computes with tfjs on the same batch: the forward outputs and losses
(to 1e-5 relative), the losses of one training step and the whole state after it (weights,
optimiser slots and counters, noise and data streams)."""
import unittest
from typing import Optional

import numpy as np
import torch

from video_model_playground import checkpoint as checkpoints
from video_model_playground.data import DatasetSource, batch_tensor, build_stream
from video_model_playground.models import StateError, create_model
from video_model_playground.parallel import SINGLE

from .references import REPOSITORY, folder, load, meta_json, relative_error

EXAMPLES = ["lstm-composite-tiny", "vgan-two-stream-tiny", "rcnn-tiny"]
FORWARD_TOLERANCE = 1e-5
# A new run's first Adam step moves each weight by lr·g/(|g| + ε), which amplifies the float
# summation-order differences of gradient elements near ε; later steps average over the moments.
FIRST_STEP_TOLERANCE = 1e-4
# Adam's moments after a step from a trained state take 1 − β1 of a gradient whose elements are
# sums over batch × time (× gates) terms, in an order that depends on PyTorch's thread count: on
# the 256-unit LSTM example the future decoder's bias moment differs by 1.2e-5 with 2 threads and
# 3.8e-6 with one; on the VGAN example the first discriminator layer's bias moment (a sum over
# 32 clips × 4 × 16 × 16 positions) by 3.3e-5, while both float32 runs are 1e-4 from a float64 one.
# The weights and outputs stay within FORWARD_TOLERANCE.
MOMENT_TOLERANCE = 1e-4


def restored(path: str, dataset: Optional[DatasetSource] = None):
    run = checkpoints.read(path)
    model = create_model(run.model, checkpoints.run_config(run), run.seed)
    model.import_state(run.tensors, run.model_state)
    stream = build_stream(run.data_spec, model.data_requirements(), dataset=dataset, fingerprint=run.dataset)
    stream.set_state(run.data_arrays, run.data_state)
    return run, model, stream


def forward_outputs(model, batch: torch.Tensor, run) -> dict:
    """The same outputs the reference writer records, from the PyTorch model."""
    with torch.no_grad():
        if model.kind == "lstm":
            frames = model.flatten(batch)
            out = {}
            for suffix, forced in (("teacher_forced", True), ("free_running", False)):
                logits = model(frames, teacher_forced=forced)
                for name, value in logits.items():
                    out[f"out.{name}.{suffix}"] = torch.sigmoid(value) if model.config["output"] == "sigmoid-bce" \
                        else value
            terms = model.loss_terms(batch)
            return out, {name: float(value) for name, value in terms.items() if name != "objective"}
        if model.kind == "vgan":
            # The fixed codes, or for image-to-video the batch's first frames.
            z = batch[:, 0] if model.conditional else torch.from_numpy(run.tensors["state.fixed_z"])
            generated = model.generate(z)
            out = {f"out.{name}": value for name, value in generated.items()}
            out["out.d_generated"] = model.discriminate(generated["video"])
            out["out.d_real"] = model.discriminate(batch)
            return out, {}
        if model.kind == "convlstm":
            return {"out.prediction": model.predict(batch)}, {"loss": float(model.loss(batch))}
        codes = model.encode(batch)
        states, targets = model.net.unroll(codes)
        size = model.config["frameSize"]
        _, std = model.dictionary.encode(batch.reshape(-1, size, size), batch.shape[1], model.config)
        std = std.reshape(batch.shape[0], -1).t()  # [T, B], as the app's encode returns it
        out = {"out.codes": codes, "out.std": std, "out.logits": model.net.logits(states), "out.targets": targets}
        return out, {"loss": float(model.loss(codes))}


class ParityWithTheApp(unittest.TestCase):
    def check_case(self, case: str) -> None:
        reference, metadata = load(f"models/{case}.safetensors")
        dataset = DatasetSource(metadata["dataset_npy"], metadata["dataset_layout"]) \
            if "dataset_npy" in metadata else None
        run, model, stream = restored(metadata["checkpoint"], dataset)
        needs = model.data_requirements()
        batch = batch_tensor(stream, needs, slice(None), torch.device("cpu"))

        # The data stream continues exactly: the same batch, the same stream state after it.
        np.testing.assert_array_equal(batch.numpy(), reference["batch"])
        arrays, data_state = stream.get_state()
        self.assertEqual(data_state, meta_json(metadata, "data_state_after"))
        self.assertEqual(sorted(f"data_after.{name}" for name in arrays),
                         sorted(name for name in reference if name.startswith("data_after.")))
        for name, values in arrays.items():
            np.testing.assert_array_equal(values, reference[f"data_after.{name}"])

        # Forward outputs and losses.
        outputs, losses = forward_outputs(model, batch, run)
        expected_names = sorted(name for name in reference if name.startswith("out.") and name != "out.z")
        self.assertEqual(sorted(outputs), expected_names)
        for name in expected_names:
            actual = outputs[name].numpy()
            self.assertEqual(actual.shape, reference[name].shape, name)
            if actual.dtype.kind in "iu":
                np.testing.assert_array_equal(actual, reference[name], err_msg=name)
            else:
                self.assertLess(relative_error(actual, reference[name]), FORWARD_TOLERANCE, name)
        for name, value in meta_json(metadata, "forward_losses").items():
            if name != "objective":
                self.assertAlmostEqual(losses[name] / value, 1, delta=FORWARD_TOLERANCE, msg=name)

        # One training step from the same state on the same batch.
        step = {name: float(value) for name, value in model.train_step(batch, SINGLE).items()}
        step = model.report(step)
        for name, value in meta_json(metadata, "step_losses").items():
            self.assertAlmostEqual(step[name], value, delta=FORWARD_TOLERANCE * max(1, abs(value)), msg=name)
        tensors, meta = model.export_state()
        after = {name[len("after."):]: value for name, value in reference.items() if name.startswith("after.")}
        self.assertEqual(sorted(tensors), sorted(after))
        expected_meta = meta_json(metadata, "model_state_after")
        self.assertEqual(json_round(meta), json_round(expected_meta))
        tolerance = FORWARD_TOLERANCE if run.step > 0 else FIRST_STEP_TOLERANCE
        for name, value in after.items():
            limit = max(tolerance, MOMENT_TOLERANCE) if name.startswith("optimizer.") else tolerance
            self.assertLess(relative_error(tensors[name], value), limit, name)

    def test_shipped_checkpoints(self):
        for example in EXAMPLES:
            with self.subTest(example=example):
                self.check_case(example)

    def test_new_runs_of_the_other_variants(self):
        cases = sorted(path.stem for path in (folder() / "models").glob("*.safetensors") if path.stem not in EXAMPLES)
        self.assertGreaterEqual(len(cases), 7)
        self.assertIn("vgan-on-dataset", cases)
        for case in cases:
            with self.subTest(case=case):
                self.check_case(case)


class ConvertsAsAModule(unittest.TestCase):
    def test_to_converts_the_optimiser_state_too(self):
        for example in EXAMPLES:
            with self.subTest(example=example):
                run, model, _ = restored(str(REPOSITORY / "public" / "checkpoints" / f"{example}.safetensors"))
                model.double()  # as .to("cuda") would move them
                for optimizer, tensors in model.optimizers():
                    self.assertTrue(all(p is t.param for p, t in zip(optimizer.params, tensors)))
                    for values in optimizer.slots().values():
                        self.assertTrue(all(v.dtype == torch.float64 for v in values))
                if model.kind == "rcnn":
                    self.assertEqual(model.dictionary.centroids.dtype, torch.float64)


class RefusesStatesThatDoNotFit(unittest.TestCase):
    def test_nothing_changes(self):
        run, model, _ = restored(str(REPOSITORY / "public" / "checkpoints" / "lstm-composite-tiny.safetensors"))
        before, meta = model.export_state()
        wrong_shape = dict(run.tensors, **{"encoder.0.w": np.zeros((3, 3), dtype=np.float32)})
        missing = {name: value for name, value in run.tensors.items() if name != "future.readout.b"}
        extra = dict(run.tensors, **{"state.other": np.zeros(1, dtype=np.float32)})
        cases = [
            (wrong_shape, run.model_state, "has shape \\[3, 3\\]"),
            (missing, run.model_state, 'no tensor "future.readout.b"'),
            (extra, run.model_state, 'tensor "state.other" that this lstm model does not have'),
            (run.tensors, dict(run.model_state, optimizer="sgd-momentum"), "optimiser"),
            (run.tensors, dict(run.model_state, counters={"beta1Power": 2}), "beta1Power"),
            (run.tensors, dict(run.model_state, hyperparameters={"learningRate": 0.1}), "hyperparameters"),
        ]
        for tensors, state, message in cases:
            with self.subTest(message=message):
                with self.assertRaisesRegex(StateError, message):
                    model.import_state({name: value * 2 for name, value in tensors.items()}, state)
                after, after_meta = model.export_state()
                self.assertEqual(after_meta, meta)
                for name, value in before.items():
                    np.testing.assert_array_equal(after[name], value)


def json_round(value, digits: int = 9):
    """Numbers to `digits` significant digits (counters are products of floats)."""
    if isinstance(value, dict):
        return {key: json_round(item, digits) for key, item in value.items()}
    if isinstance(value, list):
        return [json_round(item, digits) for item in value]
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    return value


if __name__ == "__main__":
    unittest.main()
