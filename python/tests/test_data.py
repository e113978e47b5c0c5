"""The data a run trains on is the app's, byte for byte: Moving MNIST for several data specs (and
its stream state between batches), and runs on a .npy dataset exported from the app."""
import json
import tempfile
import unittest
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from video_model_playground.data import DatasetSource, Prefetched, batch_tensor, build_stream
from video_model_playground.mnist import load_mnist
from video_model_playground.moving_mnist import (DataSpecError, MovingMnistGenerator, MovingMnistOptions,
                                                 MovingMnistStream, options_for)
from video_model_playground.random import SeededRandom

from .references import folder, load, meta_json

DIGITS = load_mnist()


class SeededRandomMatchesTheApp(unittest.TestCase):
    def test_known_outputs(self):
        # What the app's SeededRandom (src/core/data/random.ts) gives for these seeds.
        rng = SeededRandom(42)
        self.assertEqual([rng.uint32(), rng.uint32(), rng.uint32(), rng.int(10), rng.next()],
                         [1437218992, 3423499471, 637607890, 3, 0.2152473523747176])
        split = SeededRandom(2**40 + 5).split()
        self.assertEqual(split.uint32(), 3944449364)
        self.assertAlmostEqual(split.normal(), -1.5641204427025972, places=14)
        self.assertEqual(SeededRandom(7).shuffle(list(range(10))), [2, 9, 1, 4, 0, 6, 3, 5, 8, 7])

    def test_state_round_trip(self):
        rng = SeededRandom(42)
        state = rng.get_state()
        first = [rng.uint32() for _ in range(3)]
        rng.set_state(state)
        self.assertEqual([rng.uint32() for _ in range(3)], first)
        with self.assertRaises(ValueError):
            rng.set_state([1, 2, 3])


class MovingMnistMatchesTheApp(unittest.TestCase):
    def test_every_reference_spec(self):
        cases = sorted((folder() / "generator").glob("*.safetensors"))
        self.assertGreaterEqual(len(cases), 5)
        for path in cases:
            with self.subTest(case=path.stem):
                tensors, metadata = load(f"generator/{path.name}")
                options = MovingMnistOptions(**json.loads(metadata["options"]))
                digits = DIGITS.train if metadata["digits"] == "train" else DIGITS.test
                generator = MovingMnistGenerator(digits, options, int(metadata["seed"]))
                np.testing.assert_array_equal(generator.next_batch(tensors["first"].shape[0]), tensors["first"])
                state = generator.get_state()
                self.assertEqual({"cursor": state.cursor, "orderRng": state.orderRng,
                                  "motionRng": state.motionRng, "textureRng": state.textureRng},
                                 meta_json(metadata, "state_after_first"))
                np.testing.assert_array_equal(state.order, tensors["order_after_first"])
                # A fresh generator put in that state continues with the same bytes.
                resumed = MovingMnistGenerator(digits, options, 0)
                resumed.set_state(state)
                np.testing.assert_array_equal(resumed.next_batch(tensors["second"].shape[0]), tensors["second"])

    def test_prefetching_changes_nothing(self):
        options = MovingMnistOptions(frames=6, canvasSize=32, digitSize=14)
        plain = MovingMnistStream(DIGITS.train, options, 3, 9)
        ahead = Prefetched(MovingMnistStream(DIGITS.train, options, 3, 9))
        try:
            for _ in range(4):
                np.testing.assert_array_equal(ahead.next_bytes(), plain.next_bytes())
                (arrays, meta), (ahead_arrays, ahead_meta) = plain.get_state(), ahead.get_state()
                self.assertEqual(ahead_meta, meta)
                np.testing.assert_array_equal(ahead_arrays["digit_order"], arrays["digit_order"])
        finally:
            ahead.close()

    def test_data_spec_errors_name_the_field(self):
        with self.assertRaisesRegex(DataSpecError, "data.digitSize"):
            options_for({"digitSize": 40}, 20, 32)
        with self.assertRaisesRegex(DataSpecError, "data.frames"):
            options_for({"frames": 10}, 20, 64)
        with self.assertRaisesRegex(DataSpecError, "Unknown Moving MNIST option"):
            options_for({"colour": "red"}, 20, 64)
        self.assertEqual(options_for({"seed": 1}, 10, 32).digitSize, 14)

    def test_bad_state_changes_nothing(self):
        generator = MovingMnistGenerator(DIGITS.test, MovingMnistOptions(frames=4), 5)
        before = generator.get_state()
        bad = replace(before, order=before.order[::-1].copy())
        bad.order[0] = bad.order[1]
        with self.assertRaisesRegex(ValueError, "not a permutation"):
            generator.set_state(bad)
        self.assertEqual(generator.get_state().cursor, before.cursor)
        np.testing.assert_array_equal(generator.get_state().order, before.order)


class NpyDatasetsMatchTheApp(unittest.TestCase):
    def test_runs_on_exported_datasets(self):
        cases = sorted((folder() / "datasets").glob("*.npy"))
        self.assertEqual(len(cases), 2)
        for path in cases:
            with self.subTest(case=path.stem):
                tensors, metadata = load(f"datasets/{path.stem}.safetensors")
                needs = json.loads(metadata["needs"])
                needs = {"frames": needs["frames"], "size": needs["height"], "channels": needs["channels"],
                         "range": needs["range"], "batchSize": needs["batchSize"]}
                source = DatasetSource(str(path), metadata["layout"], crop=metadata["crop"])
                stream = build_stream(json.loads(metadata["spec"]), needs, dataset=source)
                for i in range(3):
                    batch = batch_tensor(stream, needs, slice(None), torch.device("cpu")).numpy()
                    np.testing.assert_array_equal(batch, tensors[f"batch{i}"])
                _, state = stream.get_state()
                self.assertEqual(state, meta_json(metadata, "state_after"))

    def test_a_different_dataset_is_refused(self):
        path = sorted((folder() / "datasets").glob("*.npy"))[0]
        needs = {"frames": 4, "size": 16, "channels": 1, "range": "unit", "batchSize": 2}
        with self.assertRaisesRegex(DataSpecError, "not the dataset the run trained on"):
            build_stream({"source": "video", "seed": 1}, needs, dataset=DatasetSource(str(path)),
                         fingerprint={"name": "walk.mp4", "frames": 90, "width": 24, "height": 16, "channels": 3})

    def test_layouts_read_as_numpy_writes_them(self):
        videos = np.random.default_rng(0).integers(0, 256, (3, 5, 6, 7), dtype=np.uint8)  # [N, T, H, W]
        with tempfile.TemporaryDirectory() as tmp:
            np.save(Path(tmp) / "nthw.npy", videos)
            np.save(Path(tmp) / "tnhw.npy", videos.transpose(1, 0, 2, 3))
            from video_model_playground.video_data import read_npy
            a = read_npy(str(Path(tmp) / "nthw.npy"), "NTHW", offset=1)
            b = read_npy(str(Path(tmp) / "tnhw.npy"), "TNHW", offset=1)
        np.testing.assert_array_equal(a.data, b.data)
        np.testing.assert_array_equal(a.data[:, :, :, 0], videos[1:].reshape(10, 6, 7))
        self.assertEqual([(s.name, s.start, s.length) for s in a.segments], [("sequence 1", 0, 5), ("sequence 2", 5, 5)])


if __name__ == "__main__":
    unittest.main()
