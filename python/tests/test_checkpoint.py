"""The checkpoint format: safetensors written and read as the app does, files that are not
checkpoints refused with a message, and the training curves thinned and stored as the app stores
them (the numbers of tests/training-history.test.ts)."""
import contextlib
import io
import os
import unittest

import numpy as np

from video_model_playground import checkpoint as checkpoints
from video_model_playground import safetensors
from video_model_playground.checkpoint import CheckpointError, HistoryPoint, TrainingHistory

from .references import REPOSITORY


def point(step: int) -> HistoryPoint:
    return HistoryPoint(step, step * 10.4, {"loss": 1 / step, "aux": float(step)})


class TrainingHistoryAsTheApp(unittest.TestCase):
    def test_thinning(self):
        history = TrainingHistory(limit=8)
        for step in range(1, 9):
            history.add(point(step))
        self.assertEqual([p.step for p in history.points], list(range(1, 9)))
        history.add(point(9))
        self.assertEqual([p.step for p in history.points], [2, 4, 6, 8])
        for step in range(10, 19):
            history.add(point(step))
        self.assertEqual([p.step for p in history.points], [4, 8, 12, 16])
        self.assertAlmostEqual(history.last_wall_ms(), 166.4)

    def test_json(self):
        history = TrainingHistory([point(1), point(3), HistoryPoint(4, 50, {"loss": float("nan")})])
        data = history.to_json()
        self.assertEqual(data["names"], ["loss", "aux"])
        self.assertEqual(data["points"][1], [3, 31, 0.3333333, 3.0])
        self.assertEqual(data["points"][2], [4, 50, None, None])
        back = TrainingHistory.from_json(data)
        self.assertEqual([p.step for p in back], [1, 3, 4])
        self.assertEqual(back[2].values, {})
        with self.assertRaises(CheckpointError):
            TrainingHistory.from_json({"names": ["loss"], "points": [[1, 0]]})


class DocumentedSnippet(unittest.TestCase):
    def test_the_snippet_in_docs_checkpoints_runs(self):
        text = (REPOSITORY / "docs" / "checkpoints.md").read_text(encoding="utf-8")
        section = text[text.index("## Loading in PyTorch"):]
        code = section[section.index("```python\n") + len("```python\n"):]
        code = code[:code.index("```")]
        printed = io.StringIO()
        cwd = os.getcwd()
        try:
            os.chdir(REPOSITORY)
            with contextlib.redirect_stdout(printed):
                exec(compile(code, "docs/checkpoints.md", "exec"), {})
        finally:
            os.chdir(cwd)
        lines = printed.getvalue().splitlines()
        self.assertEqual(lines[0], "lstm 40010 2366720")
        self.assertEqual(lines[1], "{'reconstruction': (2, 10, 1024), 'future': (2, 10, 1024)}")


class SafetensorsAsTheApp(unittest.TestCase):
    def test_round_trip_and_layout(self):
        tensors = {"b": np.arange(6, dtype=np.float32).reshape(2, 3), "a": np.array([7], dtype=np.int32),
                   "c": np.array([1, 2, 3], dtype=np.uint8)}
        data = safetensors.encode(tensors, {"k": "v"})
        length = int.from_bytes(data[:8], "little")
        self.assertEqual((8 + length) % 8, 0)  # the data starts 8-byte aligned
        back, metadata = safetensors.decode(data)
        self.assertEqual(metadata, {"k": "v"})
        for name, value in tensors.items():
            np.testing.assert_array_equal(back[name], value)
            self.assertEqual(back[name].dtype, value.dtype)

    def test_problems_are_named(self):
        good = safetensors.encode({"w": np.zeros(4, dtype=np.float32)})
        cases = {
            b"abc": "shorter than the 8-byte header length",
            b"\x10" + b"\x00" * 7 + b"[1,2,3]        ": "does not start",
            good[:-4]: "truncated",
            good + b"\x00": "follow the last tensor",
        }
        for data, message in cases.items():
            with self.subTest(message=message):
                with self.assertRaisesRegex(safetensors.SafetensorsError, message):
                    safetensors.decode(data)

    def test_reads_the_apps_files(self):
        run = checkpoints.read(str(REPOSITORY / "public" / "checkpoints" / "lstm-composite-tiny.safetensors"))
        self.assertEqual((run.model, run.variant, run.preset), ("lstm", "composite", "tiny"))
        self.assertEqual(run.tensors["encoder.0.w"].shape, (4 * 256, 1024 + 256))
        self.assertEqual(run.data_arrays["digit_order"].shape, (60000,))
        # Written back, the same tensors and metadata come out.
        again = checkpoints.decode(checkpoints.encode(run))
        for name, value in run.tensors.items():
            np.testing.assert_array_equal(again.tensors[name], value)
        self.assertEqual((again.config, again.model_state, again.data_state),
                         (run.config, run.model_state, run.data_state))
        self.assertEqual([p.step for p in again.history], [p.step for p in run.history])

    def test_not_a_checkpoint(self):
        data = safetensors.encode({"w": np.zeros(2, dtype=np.float32)}, {"format": "other"})
        with self.assertRaisesRegex(CheckpointError, "not a Video Model Playground checkpoint"):
            checkpoints.decode(data)
        newer = safetensors.encode({}, {"format": checkpoints.FORMAT, "format_version": "2"})
        with self.assertRaisesRegex(CheckpointError, "format version 2"):
            checkpoints.decode(newer)


if __name__ == "__main__":
    unittest.main()
