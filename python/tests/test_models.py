"""Each shipped example checkpoint, loaded in PyTorch, computes what the app computes with tfjs on
the same batch: the forward outputs and losses (to 1e-5 relative), the losses of one training step
and the whole state after it (weights, optimiser slots and counters, noise and data streams)."""
import unittest

import numpy as np
import torch

from video_model_playground import checkpoint as checkpoints
from video_model_playground.data import batch_tensor, build_stream
from video_model_playground.models import create_model
from video_model_playground.parallel import SINGLE

from .references import REPOSITORY, load, meta_json, relative_error

EXAMPLES = ["lstm-composite-tiny", "vgan-two-stream-tiny", "rcnn-tiny"]
FORWARD_TOLERANCE = 1e-5


def restored(example: str):
    run = checkpoints.read(str(REPOSITORY / "public" / "checkpoints" / f"{example}.safetensors"))
    model = create_model(run.model, checkpoints.run_config(run), run.seed)
    model.import_state(run.tensors, run.model_state)
    stream = build_stream(run.data_spec, model.data_requirements())
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
                    out[f"out.{name}.{suffix}"] = torch.sigmoid(value)
            terms = model.loss_terms(batch)
            return out, {name: float(value) for name, value in terms.items() if name != "objective"}
        if model.kind == "vgan":
            z = torch.from_numpy(run.tensors["state.fixed_z"])
            generated = model.generate(z)
            out = {f"out.{name}": value for name, value in generated.items()}
            out["out.d_generated"] = model.discriminate(generated["video"])
            out["out.d_real"] = model.discriminate(batch)
            return out, {}
        codes = model.encode(batch)
        states, targets = model.net.unroll(codes)
        size = model.config["frameSize"]
        _, std = model.dictionary.encode(batch.reshape(-1, size, size), batch.shape[1], model.config)
        std = std.reshape(batch.shape[0], -1).t()  # [T, B], as the app's encode returns it
        out = {"out.codes": codes, "out.std": std, "out.logits": model.net.logits(states), "out.targets": targets}
        return out, {"loss": float(model.loss(codes))}


class ShippedCheckpointParity(unittest.TestCase):
    def check_example(self, example: str) -> None:
        reference, metadata = load(f"models/{example}.safetensors")
        run, model, stream = restored(example)
        needs = model.data_requirements()
        batch = batch_tensor(stream, needs, slice(None), torch.device("cpu"))

        # The data stream continues exactly: the same batch, the same stream state after it.
        np.testing.assert_array_equal(batch.numpy(), reference["batch"])
        arrays, data_state = stream.get_state()
        self.assertEqual(data_state, meta_json(metadata, "data_state_after"))
        np.testing.assert_array_equal(arrays["digit_order"], reference["data_after.digit_order"])

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
        for name, value in after.items():
            self.assertLess(relative_error(tensors[name], value), FORWARD_TOLERANCE, name)

    def test_lstm(self):
        self.check_example("lstm-composite-tiny")

    def test_vgan(self):
        self.check_example("vgan-two-stream-tiny")

    def test_rcnn(self):
        self.check_example("rcnn-tiny")


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
